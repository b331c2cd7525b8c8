"""The emergency supplies job (应急物资): responsible people are reminded before a check or an expiry falls
due, and managers told once it is overdue.

The `reminders` job (listed in `bot/app.py`, run by `bot/scheduler.py`) runs `supply_reminders_job` every few
minutes; when each is due is `domain/supplies/rules.py` (`reminder_due`, `overdue_days`), never in quiet
hours, each message once per item and due day (the `reminders_sent` claims, written in the same
transaction as the outbox rows). Worded by `handlers/supplies/reminders.py`.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import Reply
from handlers.supplies.reminders import supply_reminders
from schedules.context import JobContext

logger = logging.getLogger(__name__)


async def supply_reminders_job(ctx: JobContext, session: AsyncSession, now: datetime, fire: datetime) -> list[Reply]:
    """Return the supplies reminders and overdue notes due now."""
    replies = await supply_reminders(session, ctx.settings, now, ctx.dispatcher.reach)
    if replies:
        logger.info("sent %d supplies reminder(s)", len(replies))
    return replies
