"""The responsibility letter reminders job: enterprises that have not returned the year's signed letter
(目标责任状) are reminded from a few days after it went out, until they sign.

The `reminders` job (listed in `bot/app.py`, run by `bot/scheduler.py`) runs `letter_reminders_job` every few
minutes; when reminders are due is `domain/letters/rules.reminder_due`, never in quiet hours and at most
once a day per enterprise and letter (the `reminders_sent` claims). Worded by `handlers/letters/reminders.py`.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import Reply
from domain.letters import queries as letter_queries
from handlers.broadcast import sweep
from handlers.letters.reminders import letter_reminders
from schedules.context import JobContext
from storage.models import Letter

logger = logging.getLogger(__name__)


async def letter_reminders_job(
    ctx: JobContext, session: AsyncSession, now: datetime, fire: datetime
) -> list[Reply]:
    """Return the reminders of the letters some enterprise has not signed, due now."""

    async def remind(one: Letter) -> tuple[list[Reply], int]:
        return await letter_reminders(session, one, ctx.settings, now, ctx.dispatcher.reach)

    replies, reminded = await sweep(await letter_queries.unsigned_letters(session), remind)
    if reminded:
        logger.info("reminded %d enterprise(s) of responsibility letters", reminded)
    return replies
