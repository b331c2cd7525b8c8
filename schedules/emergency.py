"""The roll call reminders job (应急点名): members of the emergency command who have not answered an open
roll call are reminded privately a few minutes after it started, and again, a few times at most.

The `alerts` job (listed in `bot/app.py`, run by `bot/scheduler.py` every minute by default,
`schedule.alerts`) runs `alert_reminders_job`; when a member is due is `domain/emergency/rules.reminder_due`,
quiet hours never hold an alert back. Worded by `handlers/emergency/reminders.py`.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import Reply
from domain.emergency import queries as emergency_queries
from handlers.broadcast import sweep
from handlers.emergency.reminders import call_reminders
from schedules.context import JobContext
from storage.models import RollCall

logger = logging.getLogger(__name__)


async def alert_reminders_job(ctx: JobContext, session: AsyncSession, now: datetime, fire: datetime) -> list[Reply]:
    """Return the reminders of the open roll calls' silent members, due now, and their cards' edits."""

    async def remind(one: RollCall) -> tuple[list[Reply], int]:
        return await call_reminders(session, one, ctx.settings, now, ctx.dispatcher.reach)

    replies, reminded = await sweep(await emergency_queries.open_calls(session), remind)
    if reminded:
        logger.info("reminded %d member(s) of an open roll call", reminded)
    return replies
