"""Overdue escalation: cards re-rendered with 已逾期, the enterprise's lead reminded, its officer told
first, the other managers after the escalation delay.

The daily job re-renders the card of every overdue hazard (its 已逾期 N 天 changes every day) and
sends the reminders; the reminder sweep, every few minutes, sends what quiet hours held back. When a
hazard is overdue and when who hears of it is the rule `lateness` in `domain/hazards/rules.py` (the
overdue list is `domain/hazards/queries.py` `overdue_on`); this job claims each reminder in
`reminders_sent` so it goes out once: (hazard, lead, park day), (hazard, officer, due date), (hazard,
managers, due date). The enterprise's officer (包片干部, `/officer`) is not told again with the others.
The runner is `bot/scheduler.py`.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import Reply
from domain.hazards.queries import overdue_on
from domain.hazards.rules import lateness
from domain.park.queries import officers_of, people_of_enterprise, people_with_role
from handlers.hazards.card import card_key, card_reply
from handlers.hazards.overdue import (
    overdue_escalation,
    overdue_escalation_group,
    overdue_group_mention,
    overdue_officer,
    overdue_reminders,
)
from handlers.util import recipient, recipients
from schedules.context import JobContext
from storage import reminders
from storage.enums import MANAGER_ROLES, Role
from storage.models import Hazard, Person

logger = logging.getLogger(__name__)


def overdue_period(fire: datetime, ctx: JobContext) -> str:
    """Return the park day of a daily run, e.g. 2026-12-02."""
    return ctx.settings.park.day(fire).isoformat()


async def overdue_job(ctx: JobContext, session: AsyncSession, now: datetime, fire: datetime) -> list[Reply]:
    """Re-render every overdue hazard's card and send today's reminders and escalations."""
    park = ctx.settings.park
    today = park.day(now)
    late = await overdue_on(session, today, park.tz, park.immediate_grace_days)
    replies = [await card_reply(session, h, ctx.settings, now) for h in late]
    return replies + await remind(ctx, session, now, late)


async def reminder_sweep(ctx: JobContext, session: AsyncSession, now: datetime, fire: datetime) -> list[Reply]:
    """Send the overdue reminders and escalations not yet sent today (quiet hours held them back)."""
    park = ctx.settings.park
    if park.is_quiet(now):
        return []
    today = park.day(now)
    return await remind(ctx, session, now, await overdue_on(session, today, park.tz, park.immediate_grace_days))


async def remind(ctx: JobContext, session: AsyncSession, now: datetime, late: list[Hazard]) -> list[Reply]:
    """Remind each lead once a day about their enterprise's overdue hazards; tell the managers on time.

    Nothing is sent in quiet hours: the reminder sweep sends it when they end.
    """
    park = ctx.settings.park
    if park.is_quiet(now) or not late:
        return []
    today = park.day(now)
    reach = ctx.dispatcher.reach
    leads: dict[int, Sequence[Person]] = {}
    per_lead: dict[int, list[tuple[Hazard, int]]] = defaultdict(list)
    lead_by_id: dict[int, Person] = {}
    managers: Sequence[Person] | None = None
    officers = await officers_of(session, [h.enterprise_id for h in late])
    replies: list[Reply] = []
    for hazard in late:
        timing = lateness(
            hazard, today, park.tz, park.immediate_grace_days, ctx.settings.schedule.escalate_after_days
        )
        if timing is None:
            continue
        since, days = timing.since, timing.days
        if hazard.enterprise_id not in leads:
            leads[hazard.enterprise_id] = await people_of_enterprise(session, hazard.enterprise_id, [Role.LEAD])
        for lead in leads[hazard.enterprise_id]:
            if not reach(lead):
                # Named once in the group for this hazard (the card there shows it overdue anyway).
                if await reminders.claim(session, f"hazard:{hazard.id}", f"mention:{lead.id}", since, now):
                    said = overdue_group_mention(lead, hazard)
                    replies.append(Reply(text=said, to_groups=True, about=card_key(hazard)))
                continue
            if await reminders.claim(session, f"hazard:{hazard.id}", f"person:{lead.id}", today, now):
                per_lead[lead.id].append((hazard, days))
                lead_by_id[lead.id] = lead
        officer = officers.get(hazard.enterprise_id)  # told first; not again with the other managers
        if officer is not None and not reach(officer):
            officer = None  # never wrote to the bot privately: the managers hear of it as before
        officer_key = f"officer:{officer.id}" if officer is not None else ""
        if (
            officer is not None
            and timing.officer
            and await reminders.claim(session, f"hazard:{hazard.id}", officer_key, since, now)
        ):
            others_after = None if timing.escalate else ctx.settings.schedule.escalate_after_days
            text = overdue_officer(hazard, days, others_after)
            replies.append(Reply(text=text, people=(recipient(officer),), about=card_key(hazard)))
        if timing.escalate and await reminders.claim(session, f"hazard:{hazard.id}", "managers", since, now):
            if managers is None:
                managers = await people_with_role(session, None, MANAGER_ROLES)
            told = recipients([m for m in managers if officer is None or m.id != officer.id], reach)
            if told:
                replies.append(Reply(text=overdue_escalation(hazard, days), people=told, about=card_key(hazard)))
            elif officer is None:  # no manager can be written to privately: the park group hears it instead
                replies.append(Reply(text=overdue_escalation_group(hazard, days), to_groups=True, about=card_key(hazard)))
    for lead_id, items in per_lead.items():
        about = card_key(items[0][0]) if len(items) == 1 else None
        replies.append(Reply(text=overdue_reminders(items), people=(recipient(lead_by_id[lead_id]),), about=about))
    return replies
