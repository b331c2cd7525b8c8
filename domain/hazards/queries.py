"""Reading the hazard ledger: one hazard, its events, photos and documents, lists, searches, and the
overdue hazards of a day.

Changes to a hazard never happen here: they are the operations in `domain/hazards/operations.py`. When
a hazard is overdue is a rule in `domain/hazards/rules.py` (`overdue_since`); `overdue_clauses` writes
the same rule in SQL for the lists here, the overdue job (`schedules/hazards.py`) and the weekly
figures (`domain/reports/queries.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any, TypeVar

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from domain.codes import normal_code
from domain.hazards import search
from domain.hazards.rules import (
    DEADLINE_LATE_STATUS,
    IMMEDIATE_LATE_STATUSES,
    RULES,
    Action,
    immediate_found_before,
)
from storage.enums import OPEN_STATUSES, Mode
from storage.models import (
    Document,
    Hazard,
    HazardDocument,
    HazardEvent,
    HazardPhoto,
    Inspection,
    Photo,
)

L = TypeVar("L", HazardPhoto, HazardDocument)


async def open_inspections(session: AsyncSession) -> list[Inspection]:
    """Return the inspections (检查) still open: a handful at most (which one a hazard joins is
    `rules.linked_inspection`)."""
    found = await session.scalars(select(Inspection).where(Inspection.closed_at.is_(None)).order_by(Inspection.id))
    return list(found.all())


async def inspection_named(session: AsyncSession, name: str, enterprise_id: int, by: date) -> Inspection | None:
    """Return the inspection a back-filled hazard (补录) was found on: the latest one on or before `by`,
    named `name` (its name, or what was checked when it was recorded after the fact), that covered the
    enterprise; None when there is none."""
    found = await session.scalars(
        select(Inspection)
        .where(or_(Inspection.name == name, Inspection.activity == name), Inspection.day <= by)
        .order_by(Inspection.day.desc(), Inspection.id.desc())
    )
    return next((i for i in found if enterprise_id in (i.enterprise_ids or ())), None)


async def fixer_id(session: AsyncSession, hazard: Hazard) -> int | None:
    """Return who submitted the hazard's latest rectification, if anyone did."""
    fix = await last_event(session, hazard.id, Action.FIX)
    return fix.actor_id if fix is not None else None


async def pending_extension(session: AsyncSession, hazard: Hazard) -> HazardEvent | None:
    """Return the hazard's extension request still waiting for a decision: the newest one, if undecided."""
    last = await last_events(session, hazard.id, (Action.EXTEND_ASK, Action.EXTEND_APPROVE, Action.EXTEND_REFUSE))
    ask = last.get(Action.EXTEND_ASK)
    if ask is None:
        return None
    decided = [e for a, e in last.items() if a != Action.EXTEND_ASK and e.id > ask.id]
    return None if decided else ask


# Relationships are never loaded lazily (`lazy="raise"` in `storage/models/`): each read names what
# its callers use. A hazard comes with its enterprise and reporter (cards, lists), an event with its
# actor (history, who verified, who to tell), a hazard photo with its photo row.
WITH_HAZARD = (joinedload(Hazard.enterprise), joinedload(Hazard.reporter))
WITH_ACTOR = joinedload(HazardEvent.actor)
WITH_PHOTO = joinedload(HazardPhoto.photo)
WITH_DOCUMENT = joinedload(HazardDocument.document)


async def hazard_documents(session: AsyncSession, hazard_id: int) -> list[tuple[str, Document]]:
    """Return a hazard's documents with their phase (`before` / `after`), in the order they came."""
    return [(hd.phase, hd.document) for hd in await _links(session, HazardDocument, WITH_DOCUMENT, hazard_id)]


async def hazard_photos(session: AsyncSession, hazard_id: int) -> list[tuple[str, Photo]]:
    """Return a hazard's photos with their phase (`before` / `after`), in the order they came."""
    return [(hp.phase, hp.photo) for hp in await _links(session, HazardPhoto, WITH_PHOTO, hazard_id)]


async def _links(session: AsyncSession, link: type[L], option: Any, hazard_id: int) -> Sequence[L]:
    """Return a hazard's photo or document links with what they link to, oldest first."""
    rows = await session.scalars(
        select(link).options(option).where(link.hazard_id == hazard_id).order_by(link.id)
    )
    return rows.unique().all()


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


async def awaiting_fix(session: AsyncSession, enterprise_id: int, limit: int = 6) -> Sequence[Hazard]:
    """Return an enterprise's hazards a fix can be submitted for now (reported or rectifying), oldest first."""
    rows = await session.scalars(
        select(Hazard)
        .options(*WITH_HAZARD)
        .where(Hazard.enterprise_id == enterprise_id, Hazard.status.in_(RULES[Action.FIX].sources))
        .order_by(Hazard.id)
        .limit(limit)
    )
    return rows.unique().all()


async def hazard_by_code(session: AsyncSession, code: str) -> Hazard | None:
    """Return one hazard by its code, typed in any case and without leading zeros."""
    normal = normal_code(code)
    if normal is None:
        return None
    return await session.scalar(select(Hazard).options(*WITH_HAZARD).where(Hazard.code == normal))


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
    overdue_on: date | None = None  # only hazards overdue on this day (see `rules.overdue_since`)
    open_only: bool = True
    park_tz: tzinfo = UTC  # the day an immediate hazard was found is a day in the park
    immediate_grace_days: int = 1
    statuses: tuple[str, ...] | None = None  # only these statuses (on top of `open_only`)
    level: str | None = None
    category: str | None = None
    found_from: datetime | None = None  # found at or after this moment
    found_before: datetime | None = None  # found before this moment
    # The description or the code holds these words (`search.py`): newest first, counted up to `COUNT_CAP`.
    words: str | None = None
    newest_first: bool = False  # the ledger's order (newest first) instead of the oldest due date first


async def list_hazards(
    session: AsyncSession, f: HazardFilter, limit: int = 30, offset: int = 0
) -> tuple[Sequence[Hazard], int]:
    """Return one page of matching hazards (oldest due first, then newest) and how many match in all.

    With words the page is newest first and the count stops past `search.COUNT_CAP` (`search.over_cap`),
    or past the page when it lies beyond the cap: more than `offset + limit` means there is a next page.
    """
    where = _conditions(f)
    if f.words:
        ids = await search.matching_ids(session, f.words, where, max(offset + limit, search.COUNT_CAP) + 1)
        return await _in_order(session, ids[offset : offset + limit]), len(ids)
    total = await session.scalar(select(func.count()).select_from(select(Hazard.id).where(*where).subquery()))
    order = (Hazard.id.desc(),) if f.newest_first else (Hazard.due_date.is_(None), Hazard.due_date, Hazard.id.desc())
    # The page's ids first, from an index alone where one covers the filters; then only the page's rows (a
    # month's 8,000 rows read and sorted whole cost 40 ms, their ids 2 ms).
    page = await session.scalars(select(Hazard.id).where(*where).order_by(*order).limit(limit).offset(offset))
    return await _in_order(session, page.all()), total or 0


async def _in_order(session: AsyncSession, ids: Sequence[int]) -> Sequence[Hazard]:
    """Return the hazards of these ids, in this order, with what lists show of them."""
    if not ids:
        return ()
    rows = await session.scalars(select(Hazard).options(*WITH_HAZARD).where(Hazard.id.in_(ids)))
    found = {h.id: h for h in rows.unique().all()}
    return [found[i] for i in ids]


def _conditions(f: HazardFilter) -> list[Any]:
    """Return a filter's conditions but its words."""
    where: list[Any] = []
    if f.enterprise_id is not None:
        where.append(Hazard.enterprise_id == f.enterprise_id)
    if f.reporter_id is not None:
        where.append(Hazard.reporter_id == f.reporter_id)
    if f.open_only:
        where.append(Hazard.status.in_(OPEN_STATUSES))
    if f.statuses is not None:
        where.append(Hazard.status.in_(f.statuses))
    if f.level is not None:
        where.append(Hazard.level == f.level)
    if f.category is not None:
        where.append(Hazard.category == f.category)
    if f.found_from is not None:
        where.append(Hazard.found_at >= f.found_from)
    if f.found_before is not None:
        where.append(Hazard.found_at < f.found_before)
    if f.overdue_on is not None:
        where.append(or_(*overdue_clauses(f.overdue_on, f.park_tz, f.immediate_grace_days)))
    return where


async def first_photos(session: AsyncSession, hazard_ids: Sequence[int], phase: str = "before") -> dict[int, int]:
    """Return each hazard's first photo of a phase (hazard id → photo id), for thumbnails in a list."""
    if not hazard_ids:
        return {}
    rows = await session.execute(
        select(HazardPhoto.hazard_id, func.min(HazardPhoto.photo_id))
        .where(HazardPhoto.hazard_id.in_(hazard_ids), HazardPhoto.phase == phase)
        .group_by(HazardPhoto.hazard_id)
    )
    return {hazard_id: photo_id for hazard_id, photo_id in rows}


async def file_enterprises(session: AsyncSession, kind: str, file_id: int) -> list[int]:
    """Return the enterprises of the hazards a stored photo (`kind` "photo") or document ("document") belongs
    to: who may see one of those hazards may see the file. Empty: it belongs to no hazard."""
    link = HazardPhoto if kind == "photo" else HazardDocument
    column = HazardPhoto.photo_id if kind == "photo" else HazardDocument.document_id
    rows = await session.scalars(
        select(Hazard.enterprise_id).join(link, link.hazard_id == Hazard.id).where(column == file_id).distinct()
    )
    return list(rows.all())


async def search_hazards(
    session: AsyncSession, words: str, enterprise_id: int | None, limit: int = 30, offset: int = 0
) -> tuple[Sequence[Hazard], int]:
    """Return hazards whose description or code holds the words (any case), newest first, and the count (up
    to past `search.COUNT_CAP`); `enterprise_id` limits the search to one enterprise (None: the whole park)."""
    f = HazardFilter(enterprise_id=enterprise_id, open_only=False, words=words, newest_first=True)
    return await list_hazards(session, f, limit, offset)


# --- overdue (逾期) ------------------------------------------------------------------------------


def overdue_clauses(day: date, tz: tzinfo, grace_days: int, *, found_before: datetime | None = None) -> list[Any]:
    """Return `rules.overdue_since` on a park day as two SQL conditions: past the due date; immediate, late.

    Each condition is index-friendly on its own (status first); with `found_before`, only hazards found
    before that moment count (a week's figures).
    """
    conditions = [
        and_(Hazard.status == DEADLINE_LATE_STATUS, Hazard.due_date < day),
        and_(
            Hazard.status.in_(IMMEDIATE_LATE_STATUSES),
            Hazard.mode == Mode.IMMEDIATE,
            Hazard.found_at < immediate_found_before(day, tz, grace_days),
        ),
    ]
    if found_before is not None:
        conditions = [and_(c, Hazard.found_at < found_before) for c in conditions]
    return conditions


async def overdue_on(session: AsyncSession, day: date, tz: tzinfo, grace_days: int) -> list[Hazard]:
    """Return the hazards overdue on a park day (past their due date, or an immediate fix not done in time).

    Two queries, one per kind of lateness, each on its status index (an OR of both would scan the table).
    """
    found: dict[int, Hazard] = {}
    for where in overdue_clauses(day, tz, grace_days):
        query = select(Hazard).options(*WITH_HAZARD).where(where)
        for h in (await session.scalars(query)).unique().all():
            found[h.id] = h
    return [found[i] for i in sorted(found)]


# --- what waits for people (我的待办) --------------------------------------------------------------


async def awaiting_verification(session: AsyncSession) -> Sequence[Hazard]:
    """Return the park's hazards whose fix waits for verification (all of them: few wait at a time), the
    longest waiting first."""
    rows = await session.scalars(
        select(Hazard)
        .options(*WITH_HAZARD)
        .where(Hazard.status.in_(RULES[Action.ACCEPT].sources))
        .order_by(Hazard.updated_at, Hazard.id)
    )
    return rows.unique().all()


async def to_fix(
    session: AsyncSession,
    enterprise_id: int | None,
    *,
    due_by: date | None = None,
    tz: tzinfo = UTC,
    grace_days: int = 1,
    limit: int = 50,
) -> tuple[Sequence[Hazard], int]:
    """Return hazards still to be fixed (reported, rectifying), the earliest due first, and how many there
    are in all: one enterprise's or (None) the park's; with `due_by`, only those whose fix is due on or
    before that day (a deadline, or an immediate fix's last day: `rules.fix_due`), overdue ones included."""
    query = select(Hazard).where(Hazard.status.in_(RULES[Action.FIX].sources))
    if enterprise_id is not None:
        query = query.where(Hazard.enterprise_id == enterprise_id)
    if due_by is not None:
        found_before = immediate_found_before(due_by + timedelta(days=1), tz, grace_days)
        query = query.where(
            or_(
                and_(Hazard.mode != Mode.IMMEDIATE, Hazard.due_date <= due_by),
                and_(Hazard.mode == Mode.IMMEDIATE, Hazard.found_at < found_before),
            )
        )
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.options(*WITH_HAZARD).order_by(Hazard.due_date.is_(None), Hazard.due_date, Hazard.id).limit(limit)
    )
    return rows.unique().all(), total or 0


async def fixers(session: AsyncSession, hazard_ids: Sequence[int]) -> dict[int, int | None]:
    """Return who submitted each hazard's latest fix (the person who may not verify it)."""
    if not hazard_ids:
        return {}
    rows = await session.execute(
        select(HazardEvent.hazard_id, HazardEvent.actor_id)
        .where(HazardEvent.hazard_id.in_(hazard_ids), HazardEvent.action == Action.FIX)
        .order_by(HazardEvent.id)
    )
    found: dict[int, int | None] = dict.fromkeys(hazard_ids)
    for hazard_id, actor_id in rows.all():
        found[hazard_id] = actor_id  # the last one wins
    return found


@dataclass(frozen=True)
class OpenCounts:
    """An enterprise's hazards not yet closed: still to be fixed (of them overdue), fixes awaiting verification."""

    to_fix: int = 0
    overdue: int = 0
    awaiting: int = 0


async def open_counts(
    session: AsyncSession, enterprise_ids: Sequence[int], day: date, tz: tzinfo, grace_days: int
) -> dict[int, OpenCounts]:
    """Return the open hazards of each of these enterprises counted (an officer's 我包联的企业), by id."""
    if not enterprise_ids:
        return {}

    def count_if(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    rows = await session.execute(
        select(
            Hazard.enterprise_id,
            count_if(Hazard.status.in_(RULES[Action.FIX].sources)),
            count_if(or_(*overdue_clauses(day, tz, grace_days))),
            count_if(Hazard.status.in_(RULES[Action.ACCEPT].sources)),
        )
        .where(Hazard.enterprise_id.in_(set(enterprise_ids)), Hazard.status.in_(OPEN_STATUSES))
        .group_by(Hazard.enterprise_id)
    )
    return {eid: OpenCounts(int(a), int(b), int(c)) for eid, a, b, c in rows.all()}
