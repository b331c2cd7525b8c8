"""Reading the hazard ledger, and the rows a report needs before it is registered (codes, photo rows).

Changes to a hazard never happen here: they are the domain operations in `storage/hazards.py`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from storage.db import dialect_insert
from storage.enums import OPEN_STATUSES, UNFIXED_STATUSES, HazardStatus, Mode
from storage.models import Document, Hazard, HazardCounter, HazardDocument, HazardEvent, HazardPhoto, Photo
from storage.photos import StoredDocument, StoredPhoto

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


async def save_photo(session: AsyncSession, stored: StoredPhoto, root: Path, at: datetime) -> Photo:
    """Return the photo row for stored bytes, creating it the first time these bytes are seen.

    The same photo sent by two people at once is one row: the insert yields to the other one's.
    """
    query = select(Photo).where(Photo.sha256 == stored.sha256)
    photo = await session.scalar(query)
    if photo is None:
        await session.execute(
            dialect_insert(session)(Photo)
            .values(
                sha256=stored.sha256,
                path=str(stored.path.relative_to(root)),
                size=stored.size,
                mime_type=stored.mime_type,
                width=stored.width,
                height=stored.height,
                created_at=at,
            )
            .on_conflict_do_nothing(index_elements=[Photo.sha256])
        )
        photo = await session.scalar(query)
    assert photo is not None
    return photo


async def save_document(session: AsyncSession, stored: StoredDocument, root: Path, at: datetime) -> Document:
    """Return the document row for stored bytes, creating it the first time these bytes are seen.

    The same bytes are one row: the name is the one they first came with.
    """
    query = select(Document).where(Document.sha256 == stored.sha256)
    document = await session.scalar(query)
    if document is None:
        await session.execute(
            dialect_insert(session)(Document)
            .values(
                sha256=stored.sha256,
                path=str(stored.path.relative_to(root)),
                size=stored.size,
                mime_type=stored.mime_type,
                file_name=stored.file_name[:200],
                created_at=at,
            )
            .on_conflict_do_nothing(index_elements=[Document.sha256])
        )
        document = await session.scalar(query)
    assert document is not None
    return document


async def documents_by_id(session: AsyncSession, ids: Sequence[int]) -> list[Document]:
    """Return the document rows with these ids, in the order given (ids that are gone are skipped)."""
    if not ids:
        return []
    found = {d.id: d for d in await session.scalars(select(Document).where(Document.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


async def hazard_documents(session: AsyncSession, hazard_id: int) -> list[tuple[str, Document]]:
    """Return a hazard's documents with their phase (`before` / `after`), in the order they came."""
    rows = await session.scalars(
        select(HazardDocument)
        .options(WITH_DOCUMENT)
        .where(HazardDocument.hazard_id == hazard_id)
        .order_by(HazardDocument.id)
    )
    return [(hd.phase, hd.document) for hd in rows.unique().all()]


async def photos_of(session: AsyncSession, hazard_id: int, phase: str | None = None) -> list[Photo]:
    """Return a hazard's photos in the order they came, optionally of one phase."""
    query = (
        select(HazardPhoto)
        .options(WITH_PHOTO)
        .where(HazardPhoto.hazard_id == hazard_id)
        .order_by(HazardPhoto.id)
    )
    if phase is not None:
        query = query.where(HazardPhoto.phase == phase)
    return [hp.photo for hp in (await session.scalars(query)).unique().all()]


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


def add_working_days(day: date, days: int) -> date:
    """Return the day `days` working days after `day`, skipping Saturdays and Sundays."""
    for _ in range(days):
        day += timedelta(days=1)
        while day.weekday() >= 5:
            day += timedelta(days=1)
    return day


def immediate_due(hazard: Hazard, tz: tzinfo, grace_days: int) -> date:
    """Return the last day an immediate fix (立即整改) is not yet late: the day found plus working days."""
    return add_working_days(hazard.found_at.astimezone(tz).date(), grace_days)


def immediate_found_before(today: date, tz: tzinfo, grace_days: int) -> datetime:
    """Return the moment before which an immediate hazard found is overdue today."""
    day = today - timedelta(days=1)
    while add_working_days(day, grace_days) >= today:  # the latest found day whose grace ended before today
        day -= timedelta(days=1)
    return datetime.combine(day + timedelta(days=1), time(), tz).astimezone(UTC)


def overdue_since(hazard: Hazard, today: date, tz: tzinfo = UTC, grace_days: int = 1) -> date | None:
    """Return the last day the hazard was not yet late, when it is overdue today (a derived state).

    A deadline hazard under rectification is late after its due date; an immediate one still unfixed
    after the end of the `grace_days`-th working day after the day it was found.
    """
    if hazard.mode == Mode.IMMEDIATE and hazard.status in UNFIXED_STATUSES:
        due = immediate_due(hazard, tz, grace_days)
        return due if due < today else None
    if hazard.status == HazardStatus.RECTIFYING and hazard.due_date is not None and hazard.due_date < today:
        return hazard.due_date
    return None


def is_overdue(hazard: Hazard, today: date, tz: tzinfo = UTC, grace_days: int = 1) -> bool:
    """Tell whether a hazard is overdue today: past its due date, or an immediate fix not done in time."""
    return overdue_since(hazard, today, tz, grace_days) is not None


def day_window(now: datetime) -> datetime:
    """Return the start of the duplicate-photo window: one day back."""
    return now - timedelta(days=1)

