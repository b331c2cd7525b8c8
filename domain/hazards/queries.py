"""Reading the hazard ledger: one hazard, its events, photos and documents, lists and searches.

Changes to a hazard never happen here: they are the operations in `domain/hazards/operations.py`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from domain.hazards import queries as hazard_queries
from domain.hazards.rules import (
    Action,
    immediate_found_before,
)
from storage.db import dialect_insert
from storage.enums import (
    OPEN_STATUSES,
    UNFIXED_STATUSES,
    HazardStatus,
    Mode,
)
from storage.models import (
    Document,
    Hazard,
    HazardCounter,
    HazardDocument,
    HazardEvent,
    HazardPhoto,
    Photo,
)


async def fixer_id(session: AsyncSession, hazard: Hazard) -> int | None:
    """Return who submitted the hazard's latest rectification, if anyone did."""
    fix = await hazard_queries.last_event(session, hazard.id, Action.FIX)
    return fix.actor_id if fix is not None else None


async def pending_extension(session: AsyncSession, hazard: Hazard) -> HazardEvent | None:
    """Return the hazard's extension request still waiting for a decision: the newest one, if undecided."""
    last = await hazard_queries.last_events(
        session, hazard.id, (Action.EXTEND_ASK, Action.EXTEND_APPROVE, Action.EXTEND_REFUSE)
    )
    ask = last.get(Action.EXTEND_ASK)
    if ask is None:
        return None
    decided = [e for a, e in last.items() if a != Action.EXTEND_ASK and e.id > ask.id]
    return None if decided else ask

# Relationships are never loaded lazily (`lazy="raise"` in `storage/models.py`): each read names what
# its callers use. A hazard comes with its enterprise and reporter (cards, lists), an event with its
# actor (history, who verified, who to tell), a hazard photo with its photo row.
WITH_HAZARD = (joinedload(Hazard.enterprise), joinedload(Hazard.reporter))
WITH_ACTOR = joinedload(HazardEvent.actor)
WITH_PHOTO = joinedload(HazardPhoto.photo)
WITH_DOCUMENT = joinedload(HazardDocument.document)


async def next_code(session: AsyncSession, year: int) -> str:
    """Issue the next `YH-<year>-<nnnn>` code; the counter row lock makes concurrent reports queue."""
    await session.execute(dialect_insert(session)(HazardCounter).values(year=year, last=0).on_conflict_do_nothing())
    last = await session.scalar(
        update(HazardCounter)
        .where(HazardCounter.year == year)
        .values(last=HazardCounter.last + 1)
        .returning(HazardCounter.last)
    )
    assert last is not None
    return f"YH-{year}-{last:04d}"


async def hazard_documents(session: AsyncSession, hazard_id: int) -> list[tuple[str, Document]]:
    """Return a hazard's documents with their phase (`before` / `after`), in the order they came."""
    rows = await session.scalars(
        select(HazardDocument)
        .options(WITH_DOCUMENT)
        .where(HazardDocument.hazard_id == hazard_id)
        .order_by(HazardDocument.id)
    )
    return [(hd.phase, hd.document) for hd in rows.unique().all()]


async def hazard_photos(session: AsyncSession, hazard_id: int) -> list[tuple[str, Photo]]:
    """Return a hazard's photos with their phase (`before` / `after`), in the order they came."""
    rows = await session.scalars(
        select(HazardPhoto)
        .options(WITH_PHOTO)
        .where(HazardPhoto.hazard_id == hazard_id)
        .order_by(HazardPhoto.id)
    )
    return [(hp.phase, hp.photo) for hp in rows.unique().all()]


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
    return await session.get(Hazard, hazard_id, options=WITH_HAZARD)


CODE_RE = re.compile(r"YH-(\d{4})-0*(\d{1,6})", re.IGNORECASE)


def normal_code(text: str) -> str:
    """Return a hazard code in its stored form: `yh-2026-7` → `YH-2026-0007` (text unchanged if no code)."""
    match = CODE_RE.fullmatch(text.strip())
    if match is None:
        return text.strip().upper()
    return f"YH-{match.group(1)}-{int(match.group(2)):04d}"


async def hazard_by_code(session: AsyncSession, code: str) -> Hazard | None:
    """Return one hazard by its code."""
    return await session.scalar(select(Hazard).options(*WITH_HAZARD).where(Hazard.code == normal_code(code)))


async def events_of(session: AsyncSession, hazard_id: int) -> Sequence[HazardEvent]:
    """Return a hazard's events, oldest first."""
    rows = await session.scalars(
        select(HazardEvent)
        .options(WITH_ACTOR)
        .where(HazardEvent.hazard_id == hazard_id)
        .order_by(HazardEvent.id)
    )
    return rows.unique().all()


async def last_event(session: AsyncSession, hazard_id: int, action: str) -> HazardEvent | None:
    """Return the newest event of one kind."""
    return await session.scalar(
        select(HazardEvent)
        .options(WITH_ACTOR)
        .where(HazardEvent.hazard_id == hazard_id, HazardEvent.action == action)
        .order_by(HazardEvent.id.desc())
        .limit(1)
    )


async def last_events(
    session: AsyncSession, hazard_id: int, actions: Sequence[str]
) -> dict[str, HazardEvent]:
    """Return the newest event of each of these kinds, in one query."""
    rows = await session.scalars(
        select(HazardEvent)
        .options(WITH_ACTOR)
        .where(HazardEvent.hazard_id == hazard_id, HazardEvent.action.in_(actions))
        .order_by(HazardEvent.id)
    )
    return {e.action: e for e in rows.unique().all()}


@dataclass(frozen=True)
class HazardFilter:
    """Which hazards a list shows."""

    enterprise_id: int | None = None
    reporter_id: int | None = None
    overdue_on: date | None = None  # only hazards overdue on this day (see `is_overdue`)
    open_only: bool = True
    park_tz: tzinfo = UTC  # the day an immediate hazard was found is a day in the park
    immediate_grace_days: int = 1
    statuses: tuple[str, ...] | None = None  # only these statuses (on top of `open_only`)
    level: str | None = None
    category: str | None = None
    found_from: datetime | None = None  # found at or after this moment
    found_before: datetime | None = None  # found before this moment


async def list_hazards(
    session: AsyncSession, f: HazardFilter, limit: int = 30, offset: int = 0
) -> tuple[Sequence[Hazard], int]:
    """Return one page of matching hazards (oldest due first, then newest) and how many match in all."""
    query = select(Hazard)
    if f.enterprise_id is not None:
        query = query.where(Hazard.enterprise_id == f.enterprise_id)
    if f.reporter_id is not None:
        query = query.where(Hazard.reporter_id == f.reporter_id)
    if f.open_only:
        query = query.where(Hazard.status.in_(OPEN_STATUSES))
    if f.statuses is not None:
        query = query.where(Hazard.status.in_(f.statuses))
    if f.level is not None:
        query = query.where(Hazard.level == f.level)
    if f.category is not None:
        query = query.where(Hazard.category == f.category)
    if f.found_from is not None:
        query = query.where(Hazard.found_at >= f.found_from)
    if f.found_before is not None:
        query = query.where(Hazard.found_at < f.found_before)
    if f.overdue_on is not None:
        found_before = immediate_found_before(f.overdue_on, f.park_tz, f.immediate_grace_days)
        query = query.where(
            or_(
                and_(Hazard.status == HazardStatus.RECTIFYING, Hazard.due_date < f.overdue_on),
                and_(
                    Hazard.mode == Mode.IMMEDIATE,
                    Hazard.status.in_(UNFIXED_STATUSES),
                    Hazard.found_at < found_before,
                ),
            )
        )
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.options(*WITH_HAZARD)
        .order_by(Hazard.due_date.is_(None), Hazard.due_date, Hazard.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return rows.unique().all(), total or 0


def like_pattern(text: str) -> str:
    """Return a LIKE pattern (escape `\\`) matching the text anywhere, its `%` and `_` taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def search_hazards(
    session: AsyncSession, words: str, enterprise_id: int | None, limit: int = 30, offset: int = 0
) -> tuple[Sequence[Hazard], int]:
    """Return hazards whose description or code holds the words (any case), newest first, and the count.

    `enterprise_id` limits the search to one enterprise (None: the whole park).
    """
    pattern = like_pattern(words.lower())
    query = select(Hazard).where(
        or_(
            func.lower(Hazard.description).like(pattern, escape="\\"),
            func.lower(Hazard.code).like(pattern, escape="\\"),
            Hazard.code == normal_code(words),
        )
    )
    if enterprise_id is not None:
        query = query.where(Hazard.enterprise_id == enterprise_id)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(query.options(*WITH_HAZARD).order_by(Hazard.id.desc()).limit(limit).offset(offset))
    return rows.unique().all(), total or 0
