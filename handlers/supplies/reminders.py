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

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Owed:
    """One item someone is told about: its due day and the days left (or overdue)."""

    supply: Supply
    due: Due
    days: int


async def supply_reminders(session: AsyncSession, settings: Settings, now: datetime, reach: Reach) -> list[Reply]:
    """Return the reminders and overdue notes due now (none in quiet hours): one message per person and kind,
    however many items it names."""
    park = settings.park
    if park.is_quiet(now):
        return []
    today = park.day(now)
    soon: dict[int, list[Owed]] = defaultdict(list)
    late: dict[int, list[Owed]] = defaultdict(list)
    people: dict[int, Person] = {}
    to_managers: list[Owed] = []
    managers: Sequence[Person] | None = None
    for supply, due in await supply_queries.due_by(session, today + timedelta(days=REMIND_BEFORE_DAYS)):
        subject = f"supply:{supply.id}"
        keepers = await _keepers(session, supply)
        overdue = overdue_days(due, today)
        if overdue:
            if managers is None:
                managers = await supply_ops.managers(session)
            if await reminders.claim(session, subject, "managers", due.day, now):
                to_managers.append(Owed(supply, due, overdue))
            manager_ids = {m.id for m in managers}
            for keeper in keepers:
                if keeper.id not in manager_ids and await reminders.claim(session, subject, f"late:{keeper.id}", due.day, now):
                    late[keeper.id].append(Owed(supply, due, overdue))
                    people[keeper.id] = keeper
        elif reminder_due(due, today):
            for keeper in keepers:
                if await reminders.claim(session, subject, f"soon:{keeper.id}", due.day, now):
                    soon[keeper.id].append(Owed(supply, due, (due.day - today).days))
                    people[keeper.id] = keeper
    replies: list[Reply] = []
    for owed, template, heading in ((soon, T.SUPPLY_REMIND, T.SUPPLY_REMIND_MANY), (late, T.SUPPLY_OVERDUE_KEEPER, T.SUPPLY_OVERDUE_MANY)):
        for person_id, items in owed.items():
            replies.append(_to_keeper(people[person_id], items, template, heading, reach))
    if to_managers:
        replies.append(_to_managers(to_managers, managers or [], reach))
    return replies


def _what(due: Due) -> str:
    return T.SUPPLY_WHAT_EXPIRY if due.expiry else T.SUPPLY_WHAT_CHECK


def _said(template: str, o: Owed) -> str:
    supply = o.supply
    keeper = supply.responsible.display_name if supply.responsible is not None else T.NONE
    return template.format(
        code=code_of(supply.id),
        name=supply.name,
        quantity=supply.quantity,
        unit=supply.unit or "",
        place=_place(supply),
        what=_what(o.due),
        day=o.due.day.isoformat(),
        days=o.days,
        person=keeper,
    )


def _to_keeper(keeper: Person, items: list[Owed], template: str, heading: str, reach: Reach) -> Reply:
    """One message to a keeper about their items: privately, or their name once in the park groups."""
    if not reach(keeper):
        codes = "、".join(code_of(o.supply.id) for o in items)
        return Reply(text=T.SUPPLY_REMIND_GROUP.format(name=mention(keeper), codes=codes), to_groups=True)
    if len(items) == 1:
        return Reply(text=_said(template, items[0]), people=(recipient(keeper),))
    lines = [heading.format(count=len(items))] + [_said(T.SUPPLY_OWED_LINE, o) for o in items] + [T.SUPPLY_OWED_HOW]
    return Reply(text="\n".join(lines), people=(recipient(keeper),))


def _to_managers(items: list[Owed], managers: Sequence[Person], reach: Reach) -> Reply:
    """Tell the managers which items are overdue, in one message; the park groups when none can be written to."""
    if len(items) == 1:
        text = _said(T.SUPPLY_OVERDUE_MANAGERS, items[0])
    else:
        lines = [T.SUPPLY_OVERDUE_MANAGERS_MANY.format(count=len(items))]
        text = "\n".join(lines + [_said(T.SUPPLY_OVERDUE_MANAGERS_LINE, o) for o in items])
    told = recipients(managers, reach)
    return Reply(text=text, people=told) if told else Reply(text=text, to_groups=True)
