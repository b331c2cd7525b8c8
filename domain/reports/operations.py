"""Records that only the reports count: inspections (检查, person-times), drills (演练) and trainings
(培训), each audited."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.outcome import Refused
from domain.reports.rules import InspectionRefusal, drill_kind, inspection_refusal, may_run_inspection
from storage.audit import audit
from storage.enums import ActivityKind
from storage.models import Drill, Inspection, Person, Training

R = TypeVar("R", Inspection, Drill, Training)


async def record_inspection(
    session: AsyncSession,
    *,
    day: date,
    person_times: int,
    enterprise_ids: Sequence[int],
    activity: str | None,
    actor: Person,
    at: datetime,
    backfilled: bool = False,
) -> Inspection:
    """Record an inspection visit counted in the summary (`backfilled`: 补录, from paper records)."""
    row = Inspection(
        day=day,
        person_times=person_times,
        enterprise_ids=list(enterprise_ids),
        activity=activity,
        recorded_by_id=actor.id,
        created_at=at,
        closed_at=at,  # recorded after the fact: nothing is found on it any more
        backfilled_at=at if backfilled else None,
    )
    return await _recorded(session, row, "inspection", actor, at, day=day.isoformat())


async def start_inspection(
    session: AsyncSession,
    *,
    name: str,
    day: date,
    person_times: int,
    enterprise_ids: Sequence[int],
    actor: Person,
    at: datetime,
    inspectors: Sequence[Person] = (),
) -> Inspection:
    """Open an inspection (检查) now: hazards its opener and listed inspectors report for its enterprises
    until it is ended are linked to it."""
    _check(actor, await open_inspection_of(session, actor), starting=True)
    for person in inspectors:
        if not may_run_inspection(person):
            raise Refused(InspectionRefusal.MEMBER_NOT_ALLOWED, person, name=person.display_name)
    row = Inspection(
        name=name,
        day=day,
        person_times=person_times,
        enterprise_ids=list(enterprise_ids),
        activity=name,
        recorded_by_id=actor.id,
        created_at=at,
        closed_at=None,
        inspector_ids=[p.id for p in inspectors if p.id != actor.id],
    )
    return await _recorded(session, row, "inspection", actor, at, day=day.isoformat(), name=name, open=True)


async def end_inspection(session: AsyncSession, *, actor: Person, at: datetime) -> Inspection:
    """Close the inspection the actor has open (the newest if several); what it found stays linked to it."""
    row = _check(actor, await open_inspection_of(session, actor), starting=False)
    assert row is not None  # `_check` refused otherwise
    row.closed_at = at
    await session.flush()
    await audit(session, at, actor, "inspection.end", "inspection", str(row.id))
    return row


async def open_inspection_of(session: AsyncSession, actor: Person) -> Inspection | None:
    """Return the newest inspection the actor opened that is still open, locked for this transaction."""
    return await session.scalar(
        select(Inspection)
        .where(Inspection.recorded_by_id == actor.id, Inspection.closed_at.is_(None))
        .order_by(Inspection.id.desc())
        .limit(1)
        .with_for_update()
    )


def _check(actor: Person, open_now: Inspection | None, *, starting: bool) -> Inspection | None:
    refusal = inspection_refusal(actor, open_now is not None, starting)
    if refusal is not None:
        raise Refused(refusal)
    return open_now


async def record_drill(
    session: AsyncSession,
    *,
    day: date,
    title: str,
    enterprise_id: int | None,
    place: str | None,
    participants: int | None,
    actor: Person,
    at: datetime,
    backfilled: bool = False,
) -> Drill:
    """Record an emergency drill counted in the summary; its kind comes from its title and place
    (`backfilled`: 补录, from paper records)."""
    kind = drill_kind(f"{title} {place or ''}")
    row = Drill(
        day=day,
        kind=ActivityKind.DRILL,
        drill_kind=kind,
        title=title,
        enterprise_id=enterprise_id,
        place=place,
        participants=participants,
        recorded_by_id=actor.id,
        created_at=at,
        backfilled_at=at if backfilled else None,
    )
    return await _recorded(session, row, "drill", actor, at, day=day.isoformat(), kind=kind)


async def record_training(
    session: AsyncSession,
    *,
    day: date,
    title: str,
    organiser: str | None,
    external: bool | None,
    days: float | None,
    park_wide: bool,
    enterprise_ids: Sequence[int],
    person_times: int | None,
    actor: Person,
    at: datetime,
    backfilled: bool = False,
) -> Training:
    """Record a safety training counted in the summary (`backfilled`: 补录, from paper records)."""
    row = Training(
        day=day,
        title=title,
        organiser=organiser,
        external=external,
        days=days,
        park_wide=park_wide,
        enterprise_ids=list(enterprise_ids),
        person_times=person_times,
        recorded_by_id=actor.id,
        created_at=at,
        backfilled_at=at if backfilled else None,
    )
    return await _recorded(session, row, "training", actor, at, day=day.isoformat())


async def _recorded(
    session: AsyncSession, row: R, entity: str, actor: Person, at: datetime, **detail: Any
) -> R:
    """Add a new record, give it its id, and write the audit row `<entity>.record` for it (`.backfill` for
    one back-filled from paper records: 补录)."""
    session.add(row)
    await session.flush()
    action = "backfill" if row.backfilled_at is not None else "record"
    await audit(session, at, actor, f"{entity}.{action}", entity, str(row.id), **detail)
    return row
