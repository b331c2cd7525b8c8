"""Reminders to the members of the emergency command who have not answered an open roll call (应急点名).
Not a router: `schedules/emergency.py` sends these on its schedule.

When a member is due is `domain/emergency/rules.reminder_due` (every `alerts.remind_minutes`, at most
`alerts.reminders` times); quiet hours do not apply to an alert. Each reminder goes privately with the 到
button; the card says how often each silent member was reminded.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.messages import Reply
from domain.emergency import operations as emergency_ops
from handlers.emergency.card import call_edit, reminder
from handlers.util import Reach, recipients
from storage.models import RollCall


async def call_reminders(
    session: AsyncSession, call: RollCall, settings: Settings, now: datetime, reach: Reach
) -> tuple[list[Reply], int]:
    """Build the reminders due now for one roll call and the card's edit; return them and how many were reminded."""
    every = timedelta(minutes=settings.schedule.alert_remind_minutes)
    due = await emergency_ops.remind_silent(session, call, now, every, settings.schedule.alert_reminders, reach)
    if not due:
        return [], 0
    people = [r.person for r in due if r.person is not None]
    replies: list[Reply] = []
    reached = recipients(people, reach)
    if reached:
        replies.append(reminder(call, reached, now))
    replies.append(await call_edit(session, call, settings))
    return replies, len(due)
