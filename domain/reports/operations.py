"""Records that only the reports count: inspections (检查, person-times) and drills (演练)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage.enums import ActivityKind
from storage.models import Drill, Inspection

# --- recording inspections, drills and trainings ------------------------------------------------


async def record_inspection(
    session: AsyncSession,
    *,
    day: date,
    person_times: int,
    enterprise_ids: Sequence[int],
    activity: str | None,
    actor_id: int | None,
    at: datetime,
) -> Inspection:
    """Record an inspection visit counted in the summary."""
    row = Inspection(
        day=day,
        person_times=person_times,
        enterprise_ids=list(enterprise_ids),
        activity=activity,
        recorded_by_id=actor_id,
        created_at=at,
    )
    session.add(row)
    await session.flush()
    return row


async def record_drill(
    session: AsyncSession,
    *,
    day: date,
    kind: ActivityKind,
    title: str,
    enterprise_id: int | None,
    participants: int | None,
    actor_id: int | None,
    at: datetime,
) -> Drill:
    """Record a drill or a training counted in the summary."""
    row = Drill(
        day=day,
        kind=kind,
        title=title,
        enterprise_id=enterprise_id,
        participants=participants,
        recorded_by_id=actor_id,
        created_at=at,
    )
    session.add(row)
    await session.flush()
    return row
