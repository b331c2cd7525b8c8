"""Records that only the reports count: inspections (检查, person-times), drills (演练) and trainings
(培训), each audited."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from domain.reports.rules import drill_kind
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
) -> Inspection:
    """Record an inspection visit counted in the summary."""
    row = Inspection(
        day=day,
        person_times=person_times,
        enterprise_ids=list(enterprise_ids),
        activity=activity,
        recorded_by_id=actor.id,
        created_at=at,
    )
    return await _recorded(session, row, "inspection", actor, at, day=day.isoformat())


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
) -> Drill:
    """Record an emergency drill counted in the summary; its kind comes from its title and place."""
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
) -> Training:
    """Record a safety training counted in the summary."""
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
    )
    return await _recorded(session, row, "training", actor, at, day=day.isoformat())


async def _recorded(session: AsyncSession, row: R, entity: str, actor: Person, at: datetime, **detail: Any) -> R:
    """Add a new record, give it its id, and write the audit row `<entity>.record` for it."""
    session.add(row)
    await session.flush()
    await audit(session, at, actor, f"{entity}.record", entity, str(row.id), **detail)
    return row
