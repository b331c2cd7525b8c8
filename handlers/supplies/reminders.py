"""Reminders about emergency supplies (应急物资). Not a router: `schedules/supplies.py` sends these on its
schedule.

Before an item's check (or its expiry) falls due, its responsible person is reminded once
(`domain/supplies/rules.reminder_due`: from 7 days before); an item without one reminds its enterprise's
leads, or, in the park store, the managers. Once it is overdue the managers are told once, and the
responsible person too. Each message is claimed in `reminders_sent` against the due day (subject
`supply:<id>`), so a due day is said once however often the job runs; a check moves the due day, and the
next one is said again. Nothing in quiet hours. Someone the bot cannot write to privately is named once in
the park groups.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.messages import Reply
from domain.park.queries import people_of_enterprise
from domain.supplies import operations as supply_ops
from domain.supplies import queries as supply_queries
from domain.supplies.rules import REMIND_BEFORE_DAYS, Due, code_of, overdue_days, reminder_due
from handlers import texts as T
from handlers.broadcast import mention
from handlers.util import Reach, recipient, recipients
from storage import reminders
from storage.enums import Role
from storage.models import Person, Supply


def _place(supply: Supply) -> str:
    where = supply.enterprise.name if supply.enterprise is not None else T.SUPPLY_PARK_STORE
    return f"{where} {supply.place}" if supply.place else where


async def _keepers(session: AsyncSession, supply: Supply) -> Sequence[Person]:
    """Return who looks after an item: its responsible person, else its enterprise's leads, else the managers."""
    if supply.responsible is not None and supply.responsible.role is not None:
        return [supply.responsible]
    if supply.enterprise_id is not None:
        return await people_of_enterprise(session, supply.enterprise_id, [Role.LEAD])
    return await supply_ops.managers(session)


async def supply_reminders(session: AsyncSession, settings: Settings, now: datetime, reach: Reach) -> list[Reply]:
    """Return the reminders and overdue notes due now (none in quiet hours)."""
    park = settings.park
    if park.is_quiet(now):
        return []
    today = park.day(now)
    replies: list[Reply] = []
    managers: Sequence[Person] | None = None
    for supply, due in await supply_queries.due_by(session, today + timedelta(days=REMIND_BEFORE_DAYS)):
        subject = f"supply:{supply.id}"
        keepers = await _keepers(session, supply)
        late = overdue_days(due, today)
        if late:
            if managers is None:
                managers = await supply_ops.managers(session)
            if await reminders.claim(session, subject, "managers", due.day, now):
                replies += _overdue_to_managers(supply, due, late, managers, reach)
            told = [k for k in keepers if k.id not in {m.id for m in managers}]
            replies += await _to_keepers(session, supply, due, told, reach, now, T.SUPPLY_OVERDUE_KEEPER, late)
        elif reminder_due(due, today):
            replies += await _to_keepers(session, supply, due, keepers, reach, now, T.SUPPLY_REMIND, (due.day - today).days)
    return replies


def _what(due: Due) -> str:
    return T.SUPPLY_WHAT_EXPIRY if due.expiry else T.SUPPLY_WHAT_CHECK


def _overdue_to_managers(
    supply: Supply, due: Due, late: int, managers: Sequence[Person], reach: Reach
) -> list[Reply]:
    """Tell the managers an item is overdue, privately; the park groups when none can be written to."""
    keeper = supply.responsible.display_name if supply.responsible is not None else T.NONE
    text = T.SUPPLY_OVERDUE_MANAGERS.format(
        code=code_of(supply.id),
        name=supply.name,
        place=_place(supply),
        what=_what(due),
        day=due.day.isoformat(),
        days=late,
        person=keeper,
    )
    told = recipients(managers, reach)
    return [Reply(text=text, people=told)] if told else [Reply(text=text, to_groups=True)]


async def _to_keepers(
    session: AsyncSession,
    supply: Supply,
    due: Due,
    keepers: Sequence[Person],
    reach: Reach,
    now: datetime,
    template: str,
    days: int,
) -> list[Reply]:
    """Remind each keeper once per due day: privately, or named once in the park groups."""
    subject = f"supply:{supply.id}"
    kind = "late" if template is T.SUPPLY_OVERDUE_KEEPER else "soon"
    replies: list[Reply] = []
    for keeper in keepers:
        if not await reminders.claim(session, subject, f"{kind}:{keeper.id}", due.day, now):
            continue
        text = template.format(
            code=code_of(supply.id),
            name=supply.name,
            quantity=supply.quantity,
            unit=supply.unit or "",
            place=_place(supply),
            what=_what(due),
            day=due.day.isoformat(),
            days=days,
        )
        if reach(keeper):
            replies.append(Reply(text=text, people=(recipient(keeper),)))
        else:
            said = T.SUPPLY_REMIND_GROUP.format(name=mention(keeper), code=code_of(supply.id), item=supply.name)
            replies.append(Reply(text=said, to_groups=True))
    return replies
