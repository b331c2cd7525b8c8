"""Hazard ledger writes and queries: gap-free codes, events for every transition, photos, lists.

Every change of a hazard goes through `record_event`, which checks the event against
`RULES` and writes a `hazard_events` row; history is never overwritten.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Hazard, HazardCounter, HazardEvent, HazardPhoto, Person, Photo
from storage.photos import StoredPhoto
from storage.queries import audit

OPEN_STATUSES = ("reported", "rectifying", "awaiting_verification")

# What each event may do: the statuses it may happen in, and the statuses it may move the hazard to
# (None: the status stays). `report` is the registration itself; nothing happens to a closed hazard.
RULES: dict[str, tuple[frozenset[str | None], frozenset[str | None]]] = {
    "report": (frozenset({None}), frozenset({"reported", "rectifying"})),
    "set_due": (frozenset({"reported", "rectifying"}), frozenset({None, "rectifying"})),
    "set_level": (frozenset({"reported", "rectifying"}), frozenset({None})),
    "set_category": (frozenset({"reported", "rectifying"}), frozenset({None})),
    "photos": (frozenset(OPEN_STATUSES), frozenset({None})),
    "five": (frozenset(OPEN_STATUSES), frozenset({None})),
    "fix": (frozenset({"reported", "rectifying"}), frozenset({"awaiting_verification"})),
    "reject": (frozenset({"awaiting_verification"}), frozenset({"rectifying"})),  # 验收驳回
    "accept": (frozenset({"awaiting_verification"}), frozenset({"closed"})),  # 验收通过, 销号
}


def allowed(action: str, status: str | None) -> bool:
    """Tell whether an event of this kind may happen to a hazard in this status."""
    return status in RULES[action][0]


class BadTransition(ValueError):
    """A hazard was asked to move to a state it cannot reach from where it is."""


async def next_code(session: AsyncSession, year: int) -> str:
    """Issue the next `YH-<year>-<nnnn>` code; the counter row lock makes concurrent reports queue."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    await session.execute(insert(HazardCounter).values(year=year, last=0).on_conflict_do_nothing())
    last = await session.scalar(
        update(HazardCounter)
        .where(HazardCounter.year == year)
        .values(last=HazardCounter.last + 1)
        .returning(HazardCounter.last)
    )
    assert last is not None
    return f"YH-{year}-{last:04d}"


async def save_photo(session: AsyncSession, stored: StoredPhoto, root: Path, at: datetime) -> Photo:
    """Return the photo row for stored bytes, creating it the first time these bytes are seen."""
    photo = await session.scalar(select(Photo).where(Photo.sha256 == stored.sha256))
    if photo is None:
        photo = Photo(
            sha256=stored.sha256,
            path=str(stored.path.relative_to(root)),
            size=stored.size,
            mime_type=stored.mime_type,
            width=stored.width,
            height=stored.height,
            created_at=at,
        )
        session.add(photo)
        await session.flush()
    return photo


async def create_hazard(
    session: AsyncSession,
    *,
    year: int,
    enterprise_id: int,
    description: str,
    category: str,
    level: str,
    mode: str | None,
    due_date: date | None,
    source: str,
    reporter: Person,
    at: datetime,
    media_group_id: str | None,
) -> tuple[Hazard, HazardEvent]:
    """Register a hazard with a fresh code and its `report` event."""
    status = "rectifying" if mode == "deadline" and due_date is not None else "reported"
    hazard = Hazard(
        code=await next_code(session, year),
        enterprise_id=enterprise_id,
        description=description,
        category=category,
        level=level,
        mode=mode,
        due_date=due_date,
        status=status,
        source=source,
        five_in_place={},
        reporter_id=reporter.id,
        found_at=at,
        created_at=at,
        updated_at=at,
        media_group_id=media_group_id,
    )
    session.add(hazard)
    await session.flush()
    event = await record_event(
        session,
        hazard,
        actor=reporter,
        action="report",
        at=at,
        to_status=status,
        data={
            "level": level,
            "mode": mode,
            "due_date": due_date.isoformat() if due_date else None,
            "category": category,
        },
    )
    return hazard, event


async def record_event(
    session: AsyncSession,
    hazard: Hazard,
    *,
    actor: Person,
    action: str,
    at: datetime,
    to_status: str | None = None,
    note: str | None = None,
    data: dict[str, Any] | None = None,
) -> HazardEvent:
    """Write one event after checking it against `RULES`; apply its status change, if any."""
    from_status = None if action == "report" else hazard.status
    sources, targets = RULES[action]
    if from_status not in sources or to_status not in targets:
        raise BadTransition(f"{hazard.code}: {action} {from_status} -> {to_status}")
    if to_status is not None:
        hazard.status = to_status
        if to_status == "closed":
            hazard.closed_at = at
    hazard.updated_at = at
    event = HazardEvent(
        hazard_id=hazard.id,
        at=at,
        actor_id=actor.id,
        action=action,
        from_status=from_status,
        to_status=to_status,
        note=note,
        data=data or {},
    )
    session.add(event)
    await session.flush()
    await audit(
        session,
        at,
        actor,
        f"hazard.{action}",
        "hazard",
        hazard.code,
        from_status=from_status,
        to_status=to_status,
    )
    return event


async def attach_photos(
    session: AsyncSession,
    hazard: Hazard,
    event: HazardEvent,
    photos: Sequence[Photo],
    phase: str,
    at: datetime,
) -> int:
    """Link photos to a hazard through the event that brought them; return how many were new."""
    existing = set(
        (
            await session.scalars(
                select(HazardPhoto.photo_id).where(
                    HazardPhoto.hazard_id == hazard.id, HazardPhoto.phase == phase
                )
            )
        ).all()
    )
    added = 0
    for photo in photos:
        if photo.id in existing:
            continue
        existing.add(photo.id)
        session.add(
            HazardPhoto(hazard_id=hazard.id, photo_id=photo.id, event_id=event.id, phase=phase, created_at=at)
        )
        added += 1
    await session.flush()
    return added


async def add_photos(
    session: AsyncSession, hazard: Hazard, actor: Person, photos: Sequence[Photo], phase: str, at: datetime
) -> int:
    """Record a `photos` event and attach the photos through it; return how many were new."""
    event = await record_event(
        session, hazard, actor=actor, action="photos", at=at, data={"phase": phase, "count": len(photos)}
    )
    return await attach_photos(session, hazard, event, photos, phase, at)


async def photos_of(session: AsyncSession, hazard_id: int, phase: str | None = None) -> list[Photo]:
    """Return a hazard's photos in the order they came, optionally of one phase."""
    query = select(HazardPhoto).where(HazardPhoto.hazard_id == hazard_id).order_by(HazardPhoto.id)
    if phase is not None:
        query = query.where(HazardPhoto.phase == phase)
    return [hp.photo for hp in (await session.scalars(query)).unique().all()]


async def recent_duplicates(
    session: AsyncSession, photo_ids: Sequence[int], since: datetime, exclude_hazard: int | None
) -> list[str]:
    """Return codes of other hazards that got one of these photos since a moment."""
    query = (
        select(Hazard.code)
        .join(HazardPhoto, HazardPhoto.hazard_id == Hazard.id)
        .where(HazardPhoto.photo_id.in_(photo_ids), HazardPhoto.created_at >= since)
        .distinct()
    )
    if exclude_hazard is not None:
        query = query.where(Hazard.id != exclude_hazard)
    return sorted((await session.scalars(query)).all())


async def get_hazard(session: AsyncSession, hazard_id: int) -> Hazard | None:
    """Return one hazard by id."""
    return await session.get(Hazard, hazard_id)


async def hazard_by_code(session: AsyncSession, code: str) -> Hazard | None:
    """Return one hazard by its code."""
    return await session.scalar(select(Hazard).where(Hazard.code == code.upper()))


async def events_of(session: AsyncSession, hazard_id: int) -> Sequence[HazardEvent]:
    """Return a hazard's events, oldest first."""
    rows = await session.scalars(
        select(HazardEvent).where(HazardEvent.hazard_id == hazard_id).order_by(HazardEvent.id)
    )
    return rows.unique().all()


async def last_event(session: AsyncSession, hazard_id: int, action: str) -> HazardEvent | None:
    """Return the newest event of one kind."""
    return await session.scalar(
        select(HazardEvent)
        .where(HazardEvent.hazard_id == hazard_id, HazardEvent.action == action)
        .order_by(HazardEvent.id.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class HazardFilter:
    """Which hazards a list shows."""

    enterprise_id: int | None = None
    reporter_id: int | None = None
    overdue_on: date | None = None  # only rectifying hazards due before this day
    open_only: bool = True


async def list_hazards(
    session: AsyncSession, f: HazardFilter, limit: int = 30
) -> tuple[Sequence[Hazard], int]:
    """Return matching hazards (oldest due first, then newest) and how many match in all."""
    query = select(Hazard)
    if f.enterprise_id is not None:
        query = query.where(Hazard.enterprise_id == f.enterprise_id)
    if f.reporter_id is not None:
        query = query.where(Hazard.reporter_id == f.reporter_id)
    if f.open_only:
        query = query.where(Hazard.status.in_(OPEN_STATUSES))
    if f.overdue_on is not None:
        query = query.where(Hazard.status == "rectifying", Hazard.due_date < f.overdue_on)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(Hazard.due_date.is_(None), Hazard.due_date, Hazard.id.desc()).limit(limit)
    )
    return rows.unique().all(), total or 0


def is_overdue(hazard: Hazard, today: date) -> bool:
    """Tell whether a hazard under rectification is past its due date (a derived state)."""
    return hazard.status == "rectifying" and hazard.due_date is not None and hazard.due_date < today


def day_window(now: datetime) -> datetime:
    """Return the start of the duplicate-photo window: one day back."""
    return now - timedelta(days=1)
