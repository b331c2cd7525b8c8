"""Records that only the reports count: inspections (检查, person-times) and drills (演练), each audited."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from storage.audit import audit
from storage.enums import ActivityKind
from storage.models import Drill, Inspection, Person

R = TypeVar("R", Inspection, Drill)


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
    kind: ActivityKind,
    title: str,
    enterprise_id: int | None,
    participants: int | None,
    actor: Person,
    at: datetime,
) -> Drill:
    """Record a drill or a training counted in the summary."""
    row = Drill(
        day=day,
        kind=kind,
        title=title,
        enterprise_id=enterprise_id,
        participants=participants,
        recorded_by_id=actor.id,
        created_at=at,
    )
    return await _recorded(session, row, "drill", actor, at, day=day.isoformat(), kind=kind)


async def _recorded(session: AsyncSession, row: R, entity: str, actor: Person, at: datetime, **detail: Any) -> R:
    """Add a new record, give it its id, and write the audit row `<entity>.record` for it."""
    session.add(row)
    await session.flush()
    await audit(session, at, actor, f"{entity}.record", entity, str(row.id), **detail)
    return row
