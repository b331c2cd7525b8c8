"""Reading notices and their receipts, and the figures of meetings and notices for a period.

The writes are `domain/notices/operations.py`; the weekly digest and the annual summary read `stats`
through `domain/reports/queries.py`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, bindparam, func, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from domain.codes import normal_code
from domain.notices import rules as notice_rules
from storage.enums import NoticeKind, NoticeStatus, ReceiptStatus
from storage.lane import Lane, Prepared, lane_of
from storage.models import (
    BroadcastFile,
    Campaign,
    Document,
    Enterprise,
    Notice,
    NoticeEvent,
    NoticeReceipt,
    Person,
    Photo,
)

WITH_RECEIPT = (joinedload(NoticeReceipt.enterprise), joinedload(NoticeReceipt.person))
# A notice back-filled (补录) from paper records asks nobody for an answer: never the notice a command
# without a code means, never reminded of, never owed in anyone's to-do list.
LIVE = Notice.backfilled_at.is_(None)


async def get(session: AsyncSession, notice_id: int) -> Notice | None:
    """Return one notice by id, with its author."""
    return await session.scalar(_GET, {"notice_id": notice_id})


# Built once: every 收到 pressed reads its notice.
_GET = select(Notice).options(joinedload(Notice.author)).where(Notice.id == bindparam("notice_id"))


async def by_code(session: AsyncSession, code: str) -> Notice | None:
    """Return one notice by its code, typed in any case and without leading zeros."""
    normal = normal_code(code)
    if normal is None:
        return None
    return await session.scalar(
        select(Notice).options(joinedload(Notice.author)).where(Notice.code == normal)
    )


async def latest(session: AsyncSession) -> Notice | None:
    """Return the newest open notice, the one a command without a code means."""
    query = select(Notice).options(joinedload(Notice.author)).where(Notice.status == NoticeStatus.OPEN, LIVE)
    return await session.scalar(query.order_by(Notice.id.desc()).limit(1))


async def open_matching(session: AsyncSession, words: str) -> Sequence[Notice]:
    """Return the open notices whose title or text holds every word given (newest first)."""
    query = select(Notice).options(joinedload(Notice.author)).where(Notice.status == NoticeStatus.OPEN, LIVE)
    for word in words.split():
        pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(Notice.title.like(pattern, escape="\\"), Notice.body.like(pattern, escape="\\")))
    return (await session.scalars(query.order_by(Notice.id.desc()).limit(10))).all()


# The card's reads, built once: a card is rebuilt at every 收到 pressed.
_RECEIPTS = (
    select(NoticeReceipt)
    .options(*WITH_RECEIPT)
    .join(Enterprise, Enterprise.id == NoticeReceipt.enterprise_id)
    .where(NoticeReceipt.notice_id == bindparam("notice_id"))
    .order_by(Enterprise.name)
)


async def receipts(session: AsyncSession, notice_id: int) -> Sequence[NoticeReceipt]:
    """Return a notice's receipts with their enterprises, in the park list's order."""
    rows = await session.scalars(_RECEIPTS, {"notice_id": notice_id})
    return rows.unique().all()


_STATES = select(NoticeReceipt.status, NoticeReceipt.attended).where(
    NoticeReceipt.notice_id == bindparam("notice_id")
)




async def unanswered(session: AsyncSession, notice_id: int) -> list[NoticeReceipt]:
    """Return the receipts of enterprises that have not answered a notice yet."""
    return [r for r in await receipts(session, notice_id) if r.status == ReceiptStatus.PENDING]


_ISSUED = select(func.min(NoticeEvent.id)).where(NoticeEvent.notice_id == bindparam("notice_id"))
_CARD_PHOTO = (
    select(BroadcastFile.id)
    .where(
        BroadcastFile.owner_kind == "notice",
        BroadcastFile.owner_id == bindparam("notice_id"),
        BroadcastFile.event_id == _ISSUED.scalar_subquery(),
        BroadcastFile.photo_id.is_not(None),
    )
    .order_by(BroadcastFile.id)
    .limit(1)
)


async def card_photo_file_id(session: AsyncSession, notice_id: int) -> int | None:
    """Return the file row of the picture the notice's card went out with (its first photo at issue), if any."""
    return await session.scalar(_CARD_PHOTO, {"notice_id": notice_id})


CORRECTIONS = ("edit", "files_add", "files_remove", "move", "withdraw", "category")


@dataclass(frozen=True)
class Correction:
    """One correction of a notice: what was done, by whom, when, with the event's detail."""

    action: str
    at: datetime
    by: str | None
    note: str | None
    data: dict[str, Any]




async def campaign_by_code(session: AsyncSession, code: str) -> Campaign | None:
    """Return the campaign (专项行动) with this code (`zx-2026-1` works too), to link a 动员会 to."""
    normal = normal_code(code)
    if normal is None or not normal.startswith("ZX-"):
        return None
    return await session.scalar(select(Campaign).where(Campaign.code == normal))




_CORRECTIONS = (
    select(NoticeEvent.action, NoticeEvent.at, NoticeEvent.note, NoticeEvent.data, Person.display_name)
    .outerjoin(Person, Person.id == NoticeEvent.actor_id)
    .where(NoticeEvent.notice_id == bindparam("notice_id"), NoticeEvent.action.in_(CORRECTIONS))
    .order_by(NoticeEvent.id)
)


# --- figures for the weekly digest and the annual summary -------------------------------------


@dataclass(frozen=True)
class Stats:
    """Notices in a period: meetings held, notices issued, receipts and attendance (rates in 0..1)."""

    meetings_held: int  # started in the period before `held_before` (not cancelled)
    notices_issued: int
    receipts_due: int
    receipts_answered: int
    meeting_receipts_due: int  # of `receipts_due`, those of meetings
    meeting_receipts_answered: int
    attendance_recorded: int  # enterprise places at meetings whose attendance was recorded
    attended: int
    meetings_scheduled: int = 0  # in the period but not yet begun: never counted as held
    notice_receipts_due: int = 0  # receipts of every notice and meeting notice issued in the period
    notice_receipts_answered: int = 0
    # Meetings held and notices issued by kind (`NoticeCategory` values), for 例会 12 次、动员会 7 次…
    meetings_by_category: dict[str, int] = field(default_factory=dict)
    notices_by_category: dict[str, int] = field(default_factory=dict)

    @property
    def receipt_rate(self) -> float | None:
        """Return answered / due, or None when nothing was due."""
        return self.receipts_answered / self.receipts_due if self.receipts_due else None

    @property
    def attendance_rate(self) -> float | None:
        """Return attended / places at meetings with recorded attendance, or None."""
        return self.attended / self.attendance_recorded if self.attendance_recorded else None


async def counted(
    session: AsyncSession, start: datetime, end: datetime, held_before: datetime | None = None
) -> tuple[list[Notice], list[Notice]]:
    """Return what the figures count in [start, end): the meetings held and the notices issued, in order
    (the export lists them with their kinds)."""
    held, _, plain = await _counted(session, start, end, held_before)
    return sorted(held, key=lambda n: (n.starts_at, n.id)), sorted(plain, key=lambda n: n.id)


async def _counted(
    session: AsyncSession, start: datetime, end: datetime, held_before: datetime | None
) -> tuple[list[Notice], list[Notice], list[Notice]]:
    """Return the meetings held and still to come in [start, end), and the notices issued in it."""
    cutoff = min(end, held_before) if held_before is not None else end
    meetings = list(
        await session.scalars(
            select(Notice).where(
                Notice.kind == NoticeKind.MEETING, Notice.starts_at >= start, Notice.starts_at < end
            )
        )
    )
    begun = {n.id for n in meetings if n.starts_at is not None and n.starts_at < cutoff}
    held = [n for n in meetings if n.status == NoticeStatus.OPEN and n.id in begun]
    scheduled = [n for n in meetings if n.status == NoticeStatus.OPEN and n.id not in begun]
    plain = list(
        await session.scalars(
            select(Notice).where(
                Notice.kind == NoticeKind.NOTICE,
                Notice.created_at >= start,
                Notice.created_at < end,
                Notice.status != NoticeStatus.WITHDRAWN,  # a notice taken back was never issued, as the park sees it
            )
        )
    )
    return held, scheduled, plain


async def stats(session: AsyncSession, start: datetime, end: datetime, held_before: datetime | None = None) -> Stats:
    """Count meetings held (not cancelled, started in [start, end) before `held_before`, default `end`),
    meetings still to come, notices issued in it, receipts and attendance.

    Meeting receipt and attendance figures are of meetings held. `notice_receipts_*` count the receipts
    of everything issued in the period (meeting notices and notices), so a week's receipt rate includes
    a meeting announced this week for next week.
    """
    held, scheduled, plain = await _counted(session, start, end, held_before)
    issued = list(
        await session.scalars(
            select(Notice.id).where(
                Notice.created_at >= start, Notice.created_at < end, Notice.status == NoticeStatus.OPEN
            )
        )
    )
    issued_due = issued_answered = 0
    if issued:
        for status, count in (
            await session.execute(
                select(NoticeReceipt.status, func.count())
                .where(NoticeReceipt.notice_id.in_(issued))
                .group_by(NoticeReceipt.status)
            )
        ).all():
            issued_due += count
            issued_answered += count if status != ReceiptStatus.PENDING else 0
    counted = [n.id for n in held] + [n.id for n in plain if n.status == NoticeStatus.OPEN]
    due = answered = meeting_due = meeting_answered = recorded = attended = 0
    meeting_ids = {n.id for n in held}
    if counted:
        rows = (
            await session.execute(
                select(NoticeReceipt.notice_id, NoticeReceipt.status, NoticeReceipt.attended, func.count())
                .where(NoticeReceipt.notice_id.in_(counted))
                .group_by(NoticeReceipt.notice_id, NoticeReceipt.status, NoticeReceipt.attended)
            )
        ).all()
        with_attendance = {n.id for n in held if n.attendance_at is not None}
        for notice_id, status, was_there, count in rows:
            given = count if status != ReceiptStatus.PENDING else 0
            due += count
            answered += given
            if notice_id in meeting_ids:
                meeting_due += count
                meeting_answered += given
            if notice_id in with_attendance:
                recorded += count
                attended += count if was_there else 0
    return Stats(
        meetings_scheduled=len(scheduled),
        notice_receipts_due=issued_due,
        notice_receipts_answered=issued_answered,
        meetings_held=len(held),
        notices_issued=len(plain),
        receipts_due=due,
        receipts_answered=answered,
        meeting_receipts_due=meeting_due,
        meeting_receipts_answered=meeting_answered,
        attendance_recorded=recorded,
        attended=attended,
        meetings_by_category=dict(Counter(str(n.category) for n in held)),
        notices_by_category=dict(Counter(str(n.category) for n in plain)),
    )


async def open_notices(session: AsyncSession) -> Sequence[Notice]:
    """Return every notice still open (reminders look at these)."""
    rows = await session.scalars(
        select(Notice)
        .options(joinedload(Notice.author))
        .where(Notice.status == NoticeStatus.OPEN, LIVE)
        .order_by(Notice.id)
    )
    return rows.unique().all()


async def awaiting_answer(session: AsyncSession, enterprise_id: int) -> Sequence[Notice]:
    """Return the open notices an enterprise has not answered yet, oldest first (the caller leaves out
    meetings that have begun: `rules.started`)."""
    rows = await session.scalars(
        select(Notice)
        .options(joinedload(Notice.author))
        .join(NoticeReceipt, NoticeReceipt.notice_id == Notice.id)
        .where(
            Notice.status == NoticeStatus.OPEN,
            LIVE,
            NoticeReceipt.enterprise_id == enterprise_id,
            NoticeReceipt.status == ReceiptStatus.PENDING,
        )
        .order_by(Notice.id)
    )
    return rows.unique().all()


async def recent(
    session: AsyncSession, enterprise_id: int | None, limit: int = 30, offset: int = 0
) -> tuple[Sequence[Notice], int]:
    """Return a page of notices, newest first, and how many there are; with `enterprise_id`, only those that
    asked that enterprise for a receipt (withdrawn ones are left out: counted nowhere)."""
    query = select(Notice).where(Notice.status != NoticeStatus.WITHDRAWN)
    if enterprise_id is not None:
        query = query.join(NoticeReceipt, NoticeReceipt.notice_id == Notice.id).where(
            NoticeReceipt.enterprise_id == enterprise_id
        )
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.options(joinedload(Notice.author)).order_by(Notice.id.desc()).limit(limit).offset(offset)
    )
    return rows.unique().all(), total or 0
# --- what a notice card shows, read in one hop ------------------------------------------------


@dataclass(frozen=True)
class CardFile:
    """A file sent with a notice as its card names it: a document by name, a photo by its path."""

    id: int
    document: str | None  # the document's file name
    photo_path: str | None  # the photo's path, relative to storage.photo_dir


@dataclass(frozen=True)
class CardFacts:
    """Everything a notice card shows besides the notice's own row: read at every card edit (each 收到)."""

    states: Sequence[notice_rules.ReceiptState]
    campaign: tuple[str, str] | None  # the linked campaign's code and title
    files: list[CardFile]
    corrections: list[Correction]
    card_photo: int | None  # the file row of the picture the card went out with


_CAMPAIGN_NAME = select(Campaign.code, Campaign.title).where(Campaign.id == bindparam("campaign_id"))
_CARD_FILES = (
    select(BroadcastFile.id, Document.file_name, Photo.path)
    .outerjoin(Document, Document.id == BroadcastFile.document_id)
    .outerjoin(Photo, Photo.id == BroadcastFile.photo_id)
    .where(BroadcastFile.owner_kind == "notice", BroadcastFile.owner_id == bindparam("notice_id"))
    .order_by(BroadcastFile.id)
)


class _State(NamedTuple):
    status: str
    attended: bool | None


# The card's reads on the bookkeeping lane (`storage/lane.py`), built once: a 收到 press runs them all in
# one unit with its write; an edit in a session runs them on its connection (`card_facts`).
_STATES_ON = Prepared(_STATES)
_CAMPAIGN_ON = Prepared(_CAMPAIGN_NAME)
_CARD_FILES_ON = Prepared(_CARD_FILES)
_CARD_PHOTO_ON = Prepared(_CARD_PHOTO)
_CORRECTIONS_ON = Prepared(  # the actions spelt out: a fixed list, not a parameter that expands
    select(NoticeEvent.action, NoticeEvent.at, NoticeEvent.note, NoticeEvent.data, Person.display_name)
    .outerjoin(Person, Person.id == NoticeEvent.actor_id)
    .where(
        NoticeEvent.notice_id == bindparam("notice_id"),
        NoticeEvent.action.in_([literal_column(f"'{a}'") for a in CORRECTIONS]),
    )
    .order_by(NoticeEvent.id)
)


def card_facts_on(conn: Lane | Connection, notice_id: int, campaign_id: int | None) -> CardFacts:
    """Read what a notice's card shows (tally, campaign, files, corrections, its picture) on the lane."""
    lane = lane_of(conn)
    params = {"notice_id": notice_id}
    campaign = None
    if campaign_id is not None:
        found = lane.rows(_CAMPAIGN_ON, {"campaign_id": campaign_id})
        campaign = (found[0][0], found[0][1]) if found else None
    photo = lane.rows(_CARD_PHOTO_ON, params)
    return CardFacts(
        states=[_State(status, attended) for status, attended in lane.rows(_STATES_ON, params)],
        campaign=campaign,
        files=[CardFile(i, name, path) for i, name, path in lane.rows(_CARD_FILES_ON, params)],
        corrections=[
            Correction(action, at, name, note, data or {})
            for action, at, note, data, name in lane.rows(_CORRECTIONS_ON, params)
        ],
        card_photo=photo[0][0] if photo else None,
    )


async def card_facts(session: AsyncSession, notice: Notice) -> CardFacts:
    """Read what the notice's card shows (tally, campaign, files, corrections, its picture) in one hop:
    plain Core rows on the session's connection, after what the session holds is flushed."""
    await session.flush()
    conn = await session.connection()
    return await conn.run_sync(card_facts_on, notice.id, notice.campaign_id)


_NOTICE_ON = Prepared(
    select(*Notice.__table__.columns, Person.display_name)
    .join(Person, Person.id == Notice.author_id)
    .where(Notice.id == bindparam("notice_id"))
    .with_for_update(of=Notice.__table__)  # PostgreSQL: two answers at once act on the same state
)
_NOTICE_KEYS = tuple(c.key for c in Notice.__table__.columns)


def notice_on(conn: Lane | Connection, notice_id: int) -> tuple[Notice, str] | None:
    """Read a notice under a row lock (PostgreSQL; on SQLite the unit holds the write lock already) on
    the lane: the row as a `Notice` of no session, and its author's name."""
    found = lane_of(conn).rows(_NOTICE_ON, {"notice_id": notice_id})
    if not found:
        return None
    *values, author = found[0]
    return Notice(**dict(zip(_NOTICE_KEYS, values, strict=True))), author


async def tallies(session: AsyncSession, notice_ids: Sequence[int]) -> dict[int, notice_rules.Tally]:
    """Return the receipt tally of each of these notices, in one query (the desk's list of notices)."""
    rows = (
        await session.execute(
            select(NoticeReceipt.notice_id, NoticeReceipt.status, NoticeReceipt.attended).where(
                NoticeReceipt.notice_id.in_(notice_ids)
            )
        )
    ).all()
    return {n: notice_rules.tally(r for r in rows if r.notice_id == n) for n in notice_ids}
