"""The reminder sweep: notices and campaigns remind the enterprises that have not answered.

A scheduler calls `send_reminders` every few minutes with the clock's `now`; it decides by itself what
is due (a meeting the day before and in its last hour, a notice after its delay, a campaign near and
past its due date), never in quiet hours and at most once a day per enterprise and subject: the
`reminders_sent` claims are written in the same transaction as the reminders' outbox rows.
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.config import Settings
from bot.dispatcher import Dispatcher
from bot.messages import Reply
from handlers.campaigns import campaign_reminders
from handlers.notices import notice_reminders
from storage import campaigns, notices
from storage.db import Database

logger = logging.getLogger(__name__)


async def send_reminders(db: Database, dispatcher: Dispatcher, settings: Settings, now: datetime) -> int:
    """Remind every enterprise that owes an answer and is due a reminder now; return how many were reminded."""
    reminded = 0
    async with db.unit_of_work() as session:
        replies: list[Reply] = []
        for notice in await notices.open_notices(session):
            said, count = await notice_reminders(session, notice, settings, now, dispatcher.reach)
            replies += said
            reminded += count
        for campaign in await campaigns.open_campaigns(session):
            said, count = await campaign_reminders(session, campaign, settings, now, dispatcher.reach)
            replies += said
            reminded += count
        items = await dispatcher.enqueue(session, replies)
    if reminded:
        logger.info("reminded %d enterprise(s)", reminded)
    # Reminders, and the card edits of meetings that started and campaigns past their due date.
    dispatcher.queued(items)
    return reminded
