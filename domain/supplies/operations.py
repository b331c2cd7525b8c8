"""The emergency supplies operations (应急物资): add or update an item (by command or by a CSV/Excel import,
one transaction for the whole file), and record a check with its photos, which moves the next due date.

Each checks its rule (`domain/supplies/rules.py`), changes the row under a lock, writes the check row and an
audit row, and returns a `domain.outcome.Change` (or raises `Refused`). A check's photos are
`broadcast_files` rows with owner `supply_check` (`storage/attachments.py`), stored on disk before the bot
answers, as a hazard's are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from domain import events
from domain.outcome import Change, Refused
from domain.park.queries import people_with_role
from domain.supplies.queries import at_place, people_named, place_of
from domain.supplies.rules import (
    Action,
    Refusal,
    Tell,
    check_refusal,
    code_of,
    may_manage,
    next_check_after,
    valid_quantity,
)
from storage.attachments import attach_files
from storage.audit import audit
from storage.enums import MANAGER_ROLES, SupplyCycle
from storage.models import Enterprise, Person, Photo, Supply, SupplyCheck


@dataclass(frozen=True)
class ItemSpec:
    """An item as a command or an import row gives it: name, quantity, place, cycle or expiry, who."""

    name: str
    quantity: int
    enterprise: Enterprise | None  # None: the park store (园区仓库)
    unit: str | None = None
    place: str | None = None
    cycle: SupplyCycle | None = None
    expires_on: date | None = None
    last_checked: date | None = None  # when it was last checked, if said: its next check counts from it
    responsible: Person | None = None


async def upsert(
    session: AsyncSession, spec: ItemSpec, actor: Person | None, at: datetime, today: date
) -> Change[Supply]:
    """Add an item, or update the listed item of the same name at the same place; `actor` None: the CLI import.

    The next check counts from the last check said, else from the last one recorded, else from today."""
    if actor is not None and not may_manage(actor):
        raise Refused(Refusal.NOT_ALLOWED)
    if not valid_quantity(spec.quantity):
        raise Refused(Refusal.BAD_QUANTITY)
    if spec.cycle is None and spec.expires_on is None:
        raise Refused(Refusal.NO_DUE)
    enterprise_id = spec.enterprise.id if spec.enterprise is not None else None
    supply = await at_place(session, spec.name, enterprise_id)
    action = Action.UPDATED
    if supply is None:
        action = Action.ADDED
        supply = Supply(
            name=spec.name,
            quantity=spec.quantity,
            enterprise_id=enterprise_id,
            active=True,
            created_by_id=actor.id if actor is not None else None,
            created_at=at,
            updated_at=at,
        )
        session.add(supply)
    else:
        await events.lock(session, supply)
    supply.quantity = spec.quantity
    supply.unit = spec.unit or supply.unit
    supply.place = spec.place or supply.place
    supply.cycle = spec.cycle
    supply.expires_on = spec.expires_on
    supply.responsible_id = spec.responsible.id if spec.responsible is not None else supply.responsible_id
    if spec.responsible is not None:
        set_committed_value(supply, "responsible", spec.responsible)
    elif action == Action.ADDED:
        set_committed_value(supply, "responsible", None)
    set_committed_value(supply, "enterprise", spec.enterprise)
    since = spec.last_checked or (supply.last_checked_at.date() if supply.last_checked_at else None) or today
    supply.next_check = next_check_after(spec.cycle, since)
    supply.updated_at = at
    await session.flush()
    await audit(
        session,
        at,
        actor,
        f"supply.{action}",
        "supply",
        code_of(supply.id),
        name=spec.name,
        quantity=spec.quantity,
        enterprise_id=enterprise_id,
        cycle=spec.cycle.value if spec.cycle else None,
        expires_on=spec.expires_on.isoformat() if spec.expires_on else None,
    )
    return Change(supply, action)  # the event: added or updated (the audit row holds the detail)


async def import_items(
    session: AsyncSession, specs: Sequence[ItemSpec], actor: Person | None, at: datetime, today: date
) -> tuple[int, int]:
    """Add or update every item of an import in this one transaction; return (added, updated).

    A refused row raises `Refused` with its index in `detail["row"]`: nothing of the file is kept."""
    added = updated = 0
    for n, spec in enumerate(specs):
        try:
            change = await upsert(session, spec, actor, at, today)
        except Refused as exc:
            raise Refused(exc.reason, exc.subject, row=n) from None
        if change.event == Action.ADDED:
            added += 1
        else:
            updated += 1
    return added, updated


async def check(
    session: AsyncSession,
    supply: Supply,
    actor: Person,
    at: datetime,
    today: date,
    *,
    photos: Sequence[Photo],
    note: str | None = None,
    expires_on: date | None = None,
) -> Change[SupplyCheck]:
    """Record a check of an item with its photos: the next check counts from today; a new expiry date (after
    a replacement) is kept. The responsible person hears of it when someone else recorded it."""
    refusal = check_refusal(actor, supply)
    if refusal is not None:
        raise Refused(refusal, supply)
    if not supply.active:
        raise Refused(Refusal.RETIRED, supply)
    if not photos:
        raise Refused(Refusal.NO_PHOTO, supply)
    await events.lock(session, supply)
    supply.next_check = next_check_after(supply.cycle, today)
    if expires_on is not None:
        supply.expires_on = expires_on
    supply.last_checked_at = at
    supply.updated_at = at
    row = SupplyCheck(
        supply_id=supply.id,
        at=at,
        person_id=actor.id,
        note=note or None,
        next_check=supply.next_check,
        expires_on=expires_on,
    )
    set_committed_value(row, "person", actor)
    await events.record(
        session,
        row,
        entity="supply",
        code=code_of(supply.id),
        action="check",
        actor=actor,
        at=at,
        photos=len(photos),
        next_check=supply.next_check.isoformat() if supply.next_check else None,
        expires_on=expires_on.isoformat() if expires_on else None,
    )
    await attach_files(session, "supply_check", row.id, photos, (), at, row.id)
    tell: dict[StrEnum, list[Person]] = {}
    if supply.responsible is not None and supply.responsible.id != actor.id:
        tell[Tell.CHECKED] = [supply.responsible]
    return Change(row, row, tell, added=len(photos))


async def managers(session: AsyncSession) -> Sequence[Person]:
    """Return who is told an item is overdue: the managers and admins."""
    return await people_with_role(session, None, MANAGER_ROLES)


async def import_rows(
    session: AsyncSession, rows: Sequence[dict[str, Any]], actor: Person | None, at: datetime, today: date
) -> tuple[int, int]:
    """Import the rows `bot/supply_table.read_supplies` read: resolve each place and responsible person, then
    add or update every item in this one transaction; return (added, updated).

    A row the park cannot place raises `Refused` with its `line` (and `place` or `person`): nothing is kept."""
    if actor is not None and not may_manage(actor):
        raise Refused(Refusal.NOT_ALLOWED)
    specs: list[ItemSpec] = []
    for row in rows:
        place = await place_of(session, row.get("place", ""))
        if place is None:
            raise Refused(Refusal.UNKNOWN_PLACE, line=row["line"], place=row.get("place", ""))
        responsible = None
        if row.get("responsible"):
            found = await people_named(session, row["responsible"])
            if not found:
                raise Refused(Refusal.UNKNOWN_PERSON, line=row["line"], person=row["responsible"])
            if len(found) > 1:
                raise Refused(Refusal.AMBIGUOUS_PERSON, line=row["line"], person=row["responsible"])
            responsible = found[0]
        cycle = SupplyCycle(row["cycle"]) if row.get("cycle") else None
        specs.append(
            ItemSpec(
                name=row["name"],
                quantity=row["quantity"],
                enterprise=place.enterprise,
                unit=row.get("unit"),
                place=place.detail or None,
                cycle=cycle,
                expires_on=row.get("expiry"),
                last_checked=row.get("last_checked"),
                responsible=responsible,
            )
        )
    try:
        return await import_items(session, specs, actor, at, today)
    except Refused as exc:
        raise Refused(exc.reason, exc.subject, line=rows[exc.detail["row"]]["line"]) from None


async def add_photos(
    session: AsyncSession, row: SupplyCheck, actor: Person, photos: Sequence[Photo], at: datetime
) -> Change[SupplyCheck]:
    """Add the rest of an album to a check just recorded (by the person who recorded it)."""
    if row.person_id != actor.id:
        raise Refused(Refusal.NOT_ALLOWED, row)
    if not photos:
        raise Refused(Refusal.NO_PHOTO, row)
    added = await attach_files(session, "supply_check", row.id, photos, (), at, row.id)
    await audit(session, at, actor, "supply.check_photos", "supply", code_of(row.supply_id), photos=added)
    return Change(row, row, added=added)
