"""The skeleton notices and campaigns share: a row opened with one row per active enterprise, a row re-read
under a lock, one event row written with its audit row, and the enterprise side told of a change.

`domain/notices/operations.py` and `domain/campaigns/operations.py` build on these; each subject's rules
(who may, in which state) stay in its own `rules.py`, and its event rows in `storage/models/`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from domain.park.queries import active_ids, people_of_enterprise
from storage.audit import audit
from storage.enums import Role
from storage.models import Base, Person

EventT = TypeVar("EventT", bound=Base)


async def open_for_enterprises(
    session: AsyncSession, row: Base, author: Person, one: Callable[[int], Base]
) -> None:
    """Add a notice or campaign by its author, then `one(enterprise id)` (its receipt or task) per active enterprise."""
    session.add(row)
    set_committed_value(row, "author", author)
    await session.flush()
    for enterprise_id in await active_ids(session):
        session.add(one(enterprise_id))
    await session.flush()


async def lock(session: AsyncSession, row: Base) -> None:
    """Re-read a row under a row lock, so two changes at once act on the same, current state.

    On SQLite a unit of work takes the database's write lock at BEGIN, before it reads anything: a row it
    read is current already, and the re-read is skipped."""
    if session.get_bind().dialect.name == "sqlite":
        return
    await session.refresh(row, [c.key for c in type(row).__mapper__.column_attrs], with_for_update=True)


async def record(
    session: AsyncSession,
    event: EventT,
    *,
    entity: str,
    code: str,
    action: str,
    actor: Person | None,
    at: datetime,
    **detail: Any,
) -> EventT:
    """Write one event row and its audit row (`<entity>.<action>` on `code`, with `detail`); return the event."""
    session.add(event)
    await session.flush()
    await audit(session, at, actor, f"{entity}.{action}", entity, code, **detail)
    return event


async def with_leads(
    session: AsyncSession, people: Iterable[tuple[Person | None, int]], actor: Person | None
) -> list[Person]:
    """Return who hears of a change on the enterprise side: each person given, then the leads of their
    enterprise, each once, in that order; never the actor."""
    told: dict[int, Person] = {}
    for person, enterprise_id in people:
        if person is not None:
            told.setdefault(person.id, person)
        for lead in await people_of_enterprise(session, enterprise_id, [Role.LEAD]):
            told.setdefault(lead.id, lead)
    return [p for p in told.values() if actor is None or p.id != actor.id]
