"""The campaign reminders job: enterprises that still owe a campaign's submission are reminded near and
past its due date, and the card shows the overdue count the day after it.

The `reminders` job (listed in `bot/app.py`, run by `bot/scheduler.py`) runs `campaign_reminders_job` every few minutes;
when reminders are due is `domain/campaigns/rules.reminder_due`, never in quiet hours and at most once
a day per enterprise and campaign (the `reminders_sent` claims, in the same transaction as the outbox
rows). The reminders are worded by `handlers/campaigns/reminders.py`.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import Reply
from domain.campaigns import queries as campaign_queries
from handlers.broadcast import sweep
from handlers.campaigns.reminders import campaign_reminders
from schedules.context import JobContext
from storage.models import Campaign

logger = logging.getLogger(__name__)


async def campaign_reminders_job(
    ctx: JobContext, session: AsyncSession, now: datetime, fire: datetime
) -> list[Reply]:
    """Return the campaign reminders (and the card edits of campaigns past their due date) due now."""

    async def remind(one: Campaign) -> tuple[list[Reply], int]:
        return await campaign_reminders(session, one, ctx.settings, now, ctx.dispatcher.reach)

    replies, reminded = await sweep(await campaign_queries.open_campaigns(session), remind)
    if reminded:
        logger.info("reminded %d enterprise(s) of campaigns", reminded)
    return replies
