"""The reminder sweep: notices and campaigns remind the enterprises that have not answered.

The scheduler's `reminders` job runs every few minutes (with the overdue reminders that quiet hours held
back); `notice_reminders_job` decides by itself what is due (a meeting the day before and in its last
hour, a notice after its delay, a campaign near and past its due date), never in quiet hours and at most
once a day per enterprise and subject: the `reminders_sent` claims are written in the same transaction
as the reminders' outbox rows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.dispatcher import Dispatcher
from bot.messages import Reply
from domain.campaigns import queries as campaign_queries
from domain.notices import queries as notice_queries
from handlers.campaigns.commands import campaign_reminders
from handlers.notices.commands import notice_reminders
from schedules.context import JobContext
from storage.db import Database
from storage.models import Person

logger = logging.getLogger(__name__)


async def due_reminders(
    session: AsyncSession, settings: Settings, now: datetime, reach: Callable[[Person], bool]
) -> tuple[list[Reply], int]:
    """Return the reminders (and card edits) due now, with how many enterprises are reminded."""
    replies: list[Reply] = []
    reminded = 0
    for notice in await notice_queries.open_notices(session):
        said, count = await notice_reminders(session, notice, settings, now, reach)
        replies += said
        reminded += count
    for campaign in await campaign_queries.open_campaigns(session):
        said, count = await campaign_reminders(session, campaign, settings, now, reach)
        replies += said
        reminded += count
    if reminded:
        logger.info("reminded %d enterprise(s)", reminded)
    return replies, reminded


async def notice_reminders_job(ctx: JobContext, session: AsyncSession, now: datetime, fire: datetime) -> list[Reply]:
    """Return the notice and campaign reminders due now (the scheduler writes and sends them)."""
    replies, _ = await due_reminders(session, ctx.settings, now, ctx.dispatcher.reach)
    return replies


async def send_reminders(db: Database, dispatcher: Dispatcher, settings: Settings, now: datetime) -> int:
    """Remind every enterprise that owes an answer and is due a reminder now; return how many were reminded."""
    async with db.unit_of_work() as session:
        replies, reminded = await due_reminders(session, settings, now, dispatcher.reach)
        items = await dispatcher.enqueue(session, replies)
    # Reminders, and the card edits of meetings that started and campaigns past their due date.
    dispatcher.queued(items)
    return reminded
