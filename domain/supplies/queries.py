"""Reads of emergency supplies (应急物资): an item by code or name, the list a person sees, what falls due,
the checks of a period, and the figures the year-end summary states (`supplies_status`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from domain.park.queries import list_enterprises, match_enterprises
from domain.park.rules import is_exact
from domain.supplies.rules import CODE_PREFIX, PARK_STORE_WORDS, Due, due_of, falls_within, overdue_days
from storage.models import Enterprise, Person, Supply, SupplyCheck

CODE_RE = re.compile(rf"{CODE_PREFIX}-?0*(\d{{1,6}})", re.IGNORECASE)


def _items() -> Select[Supply]:
    return select(Supply).options(joinedload(Supply.enterprise), joinedload(Supply.responsible))


def id_of_code(text: str) -> int | None:
    """Return the item id a typed code names (WZ-007, wz7, WZ007), or None."""
    m = CODE_RE.fullmatch(text.strip())
    return int(m[1]) if m else None


async def get(session: AsyncSession, supply_id: int) -> Supply | None:
    """Return one item by id, with its enterprise and responsible person."""
    return await session.scalar(_items().where(Supply.id == supply_id))


async def named(session: AsyncSession, name: str) -> Sequence[Supply]:
    """Return the items still listed whose name is `name` (exactly, else containing it), by id."""
    query = _items().where(Supply.active.is_(True))
    exact = (await session.scalars(query.where(Supply.name == name).order_by(Supply.id))).unique().all()
    if exact:
        return exact
    rows = await session.scalars(query.where(Supply.name.contains(name, autoescape=True)).order_by(Supply.id))
    return rows.unique().all()


async def at_place(session: AsyncSession, name: str, enterprise_id: int | None) -> Supply | None:
    """Return the listed item of this exact name at one place (None: the park store), if there is one."""
    where = Supply.enterprise_id.is_(None) if enterprise_id is None else Supply.enterprise_id == enterprise_id
    return await session.scalar(_items().where(Supply.active.is_(True), Supply.name == name, where))


async def listed(session: AsyncSession, enterprise_id: int | None = None) -> Sequence[Supply]:
    """Return the items still listed: the park store's first, then by enterprise and name (`enterprise_id`:
    only that enterprise's and the park store's)."""
    query = _items().where(Supply.active.is_(True))
    if enterprise_id is not None:
        query = query.where(or_(Supply.enterprise_id.is_(None), Supply.enterprise_id == enterprise_id))
    rows = await session.scalars(
        query.order_by(Supply.enterprise_id.is_not(None), Supply.enterprise_id, Supply.name, Supply.id)
    )
    return rows.unique().all()


def due(supply: Supply) -> Due | None:
    """Return when an item falls due next (its check or its expiry)."""
    return due_of(supply.next_check, supply.expires_on)


async def due_by(session: AsyncSession, last_day: date) -> list[tuple[Supply, Due]]:
    """Return the listed items that fall due on or before `last_day` (overdue ones too), soonest first."""
    rows = await session.scalars(
        _items().where(
            Supply.active.is_(True), or_(Supply.next_check <= last_day, Supply.expires_on <= last_day)
        )
    )
    found = [(s, d) for s in rows.unique().all() if (d := due(s)) is not None and d.day <= last_day]
    return sorted(found, key=lambda pair: (pair[1].day, pair[0].id))


async def checks_of(session: AsyncSession, supply_id: int, limit: int = 5) -> Sequence[SupplyCheck]:
    """Return an item's latest checks, newest first, with who recorded them."""
    rows = await session.scalars(
        select(SupplyCheck)
        .options(joinedload(SupplyCheck.person))
        .where(SupplyCheck.supply_id == supply_id)
        .order_by(SupplyCheck.at.desc(), SupplyCheck.id.desc())
        .limit(limit)
    )
    return rows.unique().all()


async def checks_between(session: AsyncSession, start: datetime, end: datetime) -> int:
    """Count the checks recorded between `start` and `end`."""
    return await session.scalar(
        select(func.count(SupplyCheck.id)).where(SupplyCheck.at >= start, SupplyCheck.at < end)
    ) or 0


async def people_named(session: AsyncSession, text: str) -> list[Person]:
    """Find the person a command or an import names as responsible, on any platform: `platform:id`,
    @username or display name."""
    needle = text.strip()[:100]
    platform, _, external_id = needle.partition(":")
    by_name = (Person.username == needle.removeprefix("@")) | (Person.display_name == needle)
    where = by_name | ((Person.platform == platform) & (Person.external_id == external_id)) if external_id else by_name
    rows = await session.scalars(select(Person).where(where).order_by(Person.id))
    return list(rows.all())


@dataclass(frozen=True)
class SuppliesStatus:
    """The supplies as the year-end summary states them: items and pieces listed, checks recorded in the
    period, and, on the day asked, how many are checked up to date, due within 30 days, and overdue."""

    items: int
    pieces: int
    checks: int
    up_to_date: int
    due_soon: int
    overdue: int


async def supplies_status(session: AsyncSession, start: datetime, end: datetime, today: date) -> SuppliesStatus:
    """Return the supplies' figures for the summary: checks recorded between `start` and `end`, and each listed
    item's status on `today` (overdue, due within 30 days, or up to date)."""
    items = (await session.scalars(select(Supply).where(Supply.active.is_(True)))).all()
    overdue = due_soon = 0
    for supply in items:
        d = due(supply)
        if d is None:
            continue
        if overdue_days(d, today):
            overdue += 1
        elif falls_within(d, today):
            due_soon += 1
    return SuppliesStatus(
        items=len(items),
        pieces=sum(s.quantity for s in items),
        checks=await checks_between(session, start, end),
        up_to_date=len(items) - overdue - due_soon,
        due_soon=due_soon,
        overdue=overdue,
    )


@dataclass(frozen=True)
class Place:
    """Where an item is kept, as written: the park store (`enterprise` None) or an enterprise, and the rest
    of the words (二车间门口)."""

    enterprise: Enterprise | None
    detail: str


async def place_of(session: AsyncSession, text: str) -> Place | None:
    """Read a place: 园区仓库 (the park store, also when empty), or an enterprise's exact name or alias, each
    optionally followed by where exactly; None when it names neither."""
    text = " ".join(text.split())
    if not text:
        return Place(None, "")
    for word in sorted(PARK_STORE_WORDS, key=len, reverse=True):
        if text.startswith(word):
            return Place(None, text[len(word) :].strip() or (word if word != PARK_STORE_WORDS[0] else ""))
    head, _, rest = text.partition(" ")
    for candidate, detail in ((text, ""), (head, rest)):
        for enterprise in await match_enterprises(session, candidate):
            if is_exact(enterprise, candidate):
                return Place(enterprise, detail.strip())
    for enterprise in await list_enterprises(session):
        for name in sorted((enterprise.name, *enterprise.aliases), key=len, reverse=True):
            if text.startswith(name):
                return Place(enterprise, text[len(name) :].strip())
    return None
