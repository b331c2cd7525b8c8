"""The notice reminders job: enterprises that have not answered a notice are reminded, and a meeting's
card closes when it starts.

The `reminders` job (listed in `bot/app.py`, run by `bot/scheduler.py`) runs `notice_reminders_job` every few minutes; it
decides by itself what is due (`domain/notices/rules.reminder_due`: a meeting the day before and in
its last hour, a notice after its delay), never in quiet hours and at most once a day per enterprise
and notice: the `reminders_sent` claims are written in the same transaction as the reminders' outbox
rows. The reminders are worded by `handlers/notices/reminders.py`.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import Reply
from domain.notices import queries as notice_queries
from handlers.broadcast import sweep
from handlers.notices.reminders import notice_reminders
from schedules.context import JobContext
from storage.models import Notice

logger = logging.getLogger(__name__)


async def notice_reminders_job(ctx: JobContext, session: AsyncSession, now: datetime, fire: datetime) -> list[Reply]:
    """Return the notice reminders (and the card edits of meetings that started) due now."""

    async def remind(one: Notice) -> tuple[list[Reply], int]:
        return await notice_reminders(session, one, ctx.settings, now, ctx.dispatcher.reach)

    replies, reminded = await sweep(await notice_queries.open_notices(session), remind)
    if reminded:
        logger.info("reminded %d enterprise(s) of notices", reminded)
    return replies
