"""The notice domain: meeting notices (会议通知) and notices (通知) that every enterprise answers (回执).

Like `storage/hazards.py`, each operation checks who may do it (`storage/permissions.py`) and the
notice's state, changes rows under a lock, writes a `notice_events` row and an audit row, and returns
what changed and who must be told. A notice gets one receipt row per active enterprise when it is
issued, so "已回执 n/N" has a fixed N and the enterprises that have not answered are a plain query.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from storage.audit import audit
from storage.db import dialect_insert
from storage.enterprises import active_ids
from storage.enums import NoticeKind, NoticeStatus, ReceiptStatus, Role
from storage.models import (
    BroadcastFile,
    CodeCounter,
    Document,
    Enterprise,
    Notice,
    NoticeEvent,
    NoticeReceipt,
    Person,
    Photo,
)
from storage.people import people_of_enterprise
from storage.permissions import may_answer_for_enterprise, may_change_answer, may_send_notices

PREFIXES = {NoticeKind.MEETING: "HY", NoticeKind.NOTICE: "TZ"}
CODE_RE = re.compile(r"(HY|TZ|ZX)-(\d{4})-0*(\d{1,4})", re.IGNORECASE)
WITH_RECEIPT = (joinedload(NoticeReceipt.enterprise), joinedload(NoticeReceipt.person))


class Refusal(StrEnum):
    """Why a notice operation was refused; handlers turn each into a clear answer."""

    NOT_ALLOWED = "not_allowed"
    NO_ENTERPRISE = "no_enterprise"  # the person answers for no enterprise
    NOT_LISTED = "not_listed"  # the enterprise joined the park after the notice was issued
    CANCELLED = "cancelled"  # the meeting was cancelled
    NOT_MEETING = "not_meeting"  # moving or attendance is for meetings only
    NOT_STARTED = "not_started"  # attendance is recorded after the meeting started
    STARTED = "started"  # a meeting that started can no longer be moved or answered
    ANSWERED = "answered"  # someone else answered for the enterprise; only they or its lead may change it
    LEAVE_MEETING_ONLY = "leave_meeting_only"  # a plain notice is answered 收到 only, never 请假


class Refused(Exception):
    """A notice operation the rules do not allow; nothing was changed."""

    def __init__(
        self,
        reason: Refusal,
        notice: Notice | None = None,
        receipt: NoticeReceipt | None = None,
        answered_by: Person | None = None,
    ) -> None:
        super().__init__(f"{reason}: {notice.code if notice else '-'}")
        self.reason = reason
        self.notice = notice
        # With ANSWERED: the receipt as it stands and who gave it.
        self.receipt = receipt
        self.answered_by = answered_by


@dataclass
class Change:
    """What an operation did: the notice, the receipt it touched, whether anything changed, who to tell."""

    notice: Notice
    changed: bool
    receipt: NoticeReceipt | None = None
    tell: list[Person] = field(default_factory=list)
    before: ReceiptStatus | None = None


@dataclass(frozen=True)
class Tally:
    """A notice's receipts counted: `answered` of `total` enterprises, `leave` of them asked for leave."""

    answered: int
    total: int
    confirmed: int
    leave: int
    attended: int = 0


# --- codes ------------------------------------------------------------------------------------


async def issue_code(session: AsyncSession, prefix: str, year: int) -> str:
    """Issue the next `<prefix>-<year>-<nn>` code (HY, TZ, ZX); the counter row lock makes issuers queue."""
    insert = dialect_insert(session)
    await session.execute(
        insert(CodeCounter).values(prefix=prefix, year=year, last=0).on_conflict_do_nothing()
    )
    last = await session.scalar(
        update(CodeCounter)
        .where(CodeCounter.prefix == prefix, CodeCounter.year == year)
        .values(last=CodeCounter.last + 1)
        .returning(CodeCounter.last)
    )
    assert last is not None
    return f"{prefix}-{year}-{last:02d}"


def normal_code(text: str) -> str | None:
    """Return a notice or campaign code in its stored form (`hy-2026-3` → `HY-2026-03`), or None."""
    match = CODE_RE.fullmatch(text.strip())
    if match is None:
        return None
    return f"{match.group(1).upper()}-{match.group(2)}-{int(match.group(3)):02d}"


# --- reads ------------------------------------------------------------------------------------


async def get(session: AsyncSession, notice_id: int) -> Notice | None:
    """Return one notice by id, with its author."""
    return await session.get(Notice, notice_id, options=[joinedload(Notice.author)])


async def by_code(session: AsyncSession, code: str) -> Notice | None:
    """Return one notice by its code, typed in any case and without leading zeros."""
    normal = normal_code(code)
    if normal is None:
        return None
    return await session.scalar(
        select(Notice).options(joinedload(Notice.author)).where(Notice.code == normal)
    )


async def latest(session: AsyncSession, kind: NoticeKind | None = None) -> Notice | None:
    """Return the newest open notice (of one kind), the one a command without a code means."""
    query = select(Notice).options(joinedload(Notice.author)).where(Notice.status == NoticeStatus.OPEN)
    if kind is not None:
        query = query.where(Notice.kind == kind)
    return await session.scalar(query.order_by(Notice.id.desc()).limit(1))


async def receipts(session: AsyncSession, notice_id: int) -> Sequence[NoticeReceipt]:
    """Return a notice's receipts with their enterprises, in the park list's order."""
    rows = await session.scalars(
        select(NoticeReceipt)
        .options(*WITH_RECEIPT)
        .join(Enterprise, Enterprise.id == NoticeReceipt.enterprise_id)
        .where(NoticeReceipt.notice_id == notice_id)
        .order_by(Enterprise.name)
    )
    return rows.unique().all()


async def unanswered(session: AsyncSession, notice_id: int) -> list[NoticeReceipt]:
    """Return the receipts of enterprises that have not answered a notice yet."""
    return [r for r in await receipts(session, notice_id) if r.status == ReceiptStatus.PENDING]


def tally(rows: Iterable[NoticeReceipt]) -> Tally:
    """Count receipts: answered (收到 or 请假), confirmed, on leave, attended."""
    rows = list(rows)
    confirmed = sum(r.status == ReceiptStatus.CONFIRMED for r in rows)
    leave = sum(r.status == ReceiptStatus.LEAVE for r in rows)
    attended = sum(bool(r.attended) for r in rows)
    return Tally(confirmed + leave, len(rows), confirmed, leave, attended)


async def files(session: AsyncSession, owner_kind: str, owner_id: int) -> list[BroadcastFile]:
    """Return the photos and documents sent with a notice, a campaign or a report, in the order they came."""
    rows = await session.scalars(
        select(BroadcastFile)
        .options(joinedload(BroadcastFile.photo), joinedload(BroadcastFile.document))
        .where(BroadcastFile.owner_kind == owner_kind, BroadcastFile.owner_id == owner_id)
        .order_by(BroadcastFile.id)
    )
    return list(rows.unique().all())


async def attach_files(
    session: AsyncSession,
    owner_kind: str,
    owner_id: int,
    photos: Sequence[Photo],
    documents: Sequence[Document],
    at: datetime,
    event_id: int | None = None,
) -> int:
    """Link photos and documents to a notice, a campaign or a report; return how many were linked."""
    for photo in photos:
        session.add(
            BroadcastFile(
                owner_kind=owner_kind, owner_id=owner_id, event_id=event_id, photo_id=photo.id, created_at=at
            )
        )
    for document in documents:
        session.add(
            BroadcastFile(
                owner_kind=owner_kind,
                owner_id=owner_id,
                event_id=event_id,
                document_id=document.id,
                created_at=at,
            )
        )
    await session.flush()
    return len(photos) + len(documents)


# --- operations -------------------------------------------------------------------------------


async def issue(
    session: AsyncSession,
    *,
    actor: Person,
    kind: NoticeKind,
    title: str,
    body: str,
    place: str | None,
    starts_at: datetime | None,
    photos: Sequence[Photo] = (),
    documents: Sequence[Document] = (),
    year: int,
    at: datetime,
) -> Notice:
    """Issue a meeting notice or a notice: its code, a receipt row per active enterprise, its files."""
    if not may_send_notices(actor):
        raise Refused(Refusal.NOT_ALLOWED)
    notice = Notice(
        code=await issue_code(session, PREFIXES[kind], year),
        kind=kind,
        title=title,
        body=body,
        place=place,
        starts_at=starts_at,
        status=NoticeStatus.OPEN,
        author_id=actor.id,
        created_at=at,
        updated_at=at,
    )
    session.add(notice)
    set_committed_value(notice, "author", actor)
    await session.flush()
    for enterprise_id in await active_ids(session):
        session.add(
            NoticeReceipt(notice_id=notice.id, enterprise_id=enterprise_id, status=ReceiptStatus.PENDING)
        )
    event = await _record(
        session, notice, actor, "issue", at, data={"kind": kind, "files": len(photos) + len(documents)}
    )
    await attach_files(session, "notice", notice.id, photos, documents, at, event.id)
    return notice


async def answer(
    session: AsyncSession,
    notice: Notice,
    actor: Person,
    status: ReceiptStatus,
    at: datetime,
    *,
    reason: str | None = None,
    substitute: str | None = None,
) -> Change:
    """Set the actor's enterprise's receipt to 收到 or 请假 (a value, never a toggle); a repeat changes nothing.

    Once someone answered for the enterprise, only that person or a lead of the enterprise may change
    the answer (收到 ↔ 请假, or the 请假 reason); anyone else is refused with who answered what.
    """
    if status == ReceiptStatus.PENDING:
        raise ValueError("an answer is 收到 or 请假")
    _check_answerer(notice, actor, status)
    await _lock(session, notice)
    _check_open(notice, at)
    receipt = await session.scalar(
        select(NoticeReceipt)
        .where(NoticeReceipt.notice_id == notice.id, NoticeReceipt.enterprise_id == actor.enterprise_id)
        .with_for_update()
    )
    if receipt is None:
        raise Refused(Refusal.NOT_LISTED, notice)
    before = receipt.status
    same = before == status and (
        status == ReceiptStatus.CONFIRMED or (receipt.reason == reason and receipt.substitute == substitute)
    )
    if same:
        return Change(notice, False, receipt, before=before)
    await _check_may_change(session, notice, receipt, actor)
    receipt.status = status
    receipt.person_id = actor.id
    receipt.reason = reason if status == ReceiptStatus.LEAVE else None
    receipt.substitute = substitute if status == ReceiptStatus.LEAVE else None
    receipt.answered_at = at
    set_committed_value(receipt, "person", actor)
    action = "confirm" if status == ReceiptStatus.CONFIRMED else "leave"
    await _record(
        session,
        notice,
        actor,
        action,
        at,
        enterprise_id=receipt.enterprise_id,
        note=reason,
        data={"from": before},
    )
    return Change(notice, True, receipt, before=before)


async def check_answer(
    session: AsyncSession, notice: Notice, actor: Person, status: ReceiptStatus, at: datetime
) -> None:
    """Raise Refused when the actor's answer could not be recorded now (checked before asking a 请假 reason).

    `answer` checks the same again under its locks; this only spares the person a question in vain.
    """
    _check_answerer(notice, actor, status)
    _check_open(notice, at)
    receipt = await session.scalar(
        select(NoticeReceipt)
        .where(NoticeReceipt.notice_id == notice.id, NoticeReceipt.enterprise_id == actor.enterprise_id)
    )
    if receipt is None:
        raise Refused(Refusal.NOT_LISTED, notice)
    await _check_may_change(session, notice, receipt, actor)


async def cancel(session: AsyncSession, notice: Notice, actor: Person, reason: str, at: datetime) -> Change:
    """Cancel a meeting (or a notice): no more receipts or reminders; everyone who confirmed is told."""
    if not may_send_notices(actor):
        raise Refused(Refusal.NOT_ALLOWED, notice)
    await _lock(session, notice)
    if notice.status == NoticeStatus.CANCELLED:
        return Change(notice, False)
    notice.status = NoticeStatus.CANCELLED
    notice.updated_at = at
    await _record(session, notice, actor, "cancel", at, note=reason or None)
    return Change(notice, True, tell=await _confirmed_people(session, notice, actor))


async def move(
    session: AsyncSession, notice: Notice, actor: Person, starts_at: datetime, place: str | None, at: datetime
) -> Change:
    """Move a meeting to another time (and place); everyone who confirmed is told. Receipts stand."""
    if not may_send_notices(actor):
        raise Refused(Refusal.NOT_ALLOWED, notice)
    await _lock(session, notice)
    if notice.kind != NoticeKind.MEETING:
        raise Refused(Refusal.NOT_MEETING, notice)
    if notice.status == NoticeStatus.CANCELLED:
        raise Refused(Refusal.CANCELLED, notice)
    new_place = place or notice.place
    if notice.starts_at == starts_at and notice.place == new_place:
        return Change(notice, False)
    data: dict[str, Any] = {
        "from": notice.starts_at.isoformat() if notice.starts_at else None,
        "to": starts_at.isoformat(),
        "place_from": notice.place,
        "place_to": new_place,
    }
    notice.starts_at = starts_at
    notice.place = new_place
    notice.updated_at = at
    await _record(session, notice, actor, "move", at, data=data)
    return Change(notice, True, tell=await _confirmed_people(session, notice, actor))


async def record_attendance(
    session: AsyncSession, notice: Notice, actor: Person, enterprise_ids: Iterable[int] | None, at: datetime
) -> Change:
    """Record which enterprises attended a meeting (None: all who confirmed); the others are marked absent."""
    if not may_send_notices(actor):
        raise Refused(Refusal.NOT_ALLOWED, notice)
    await _lock(session, notice)
    if notice.kind != NoticeKind.MEETING:
        raise Refused(Refusal.NOT_MEETING, notice)
    if notice.status == NoticeStatus.CANCELLED:
        raise Refused(Refusal.CANCELLED, notice)
    if notice.starts_at is not None and notice.starts_at > at:
        raise Refused(Refusal.NOT_STARTED, notice)
    rows = list(
        await session.scalars(
            select(NoticeReceipt).where(NoticeReceipt.notice_id == notice.id).with_for_update()
        )
    )
    wanted = (
        {r.enterprise_id for r in rows if r.status == ReceiptStatus.CONFIRMED}
        if enterprise_ids is None
        else set(enterprise_ids)
    )
    changed = False
    for r in rows:
        attended = r.enterprise_id in wanted
        if r.attended != attended:
            r.attended = attended
            changed = True
    if changed or notice.attendance_at is None:
        notice.attendance_at = at
        await _record(session, notice, actor, "attendance", at, data={"enterprises": sorted(wanted)})
        changed = True
    return Change(notice, changed)


async def set_attended(
    session: AsyncSession, notice: Notice, actor: Person, enterprise_id: int, attended: bool, at: datetime
) -> Change:
    """Mark one enterprise as attended or absent (a value, never a toggle)."""
    current = {r.enterprise_id for r in await receipts(session, notice.id) if r.attended}
    wanted = current | {enterprise_id} if attended else current - {enterprise_id}
    return await record_attendance(session, notice, actor, wanted, at)


# --- figures for the weekly digest and the annual summary -------------------------------------


@dataclass(frozen=True)
class Stats:
    """Notices in a period: meetings held, notices issued, receipts and attendance (rates in 0..1)."""

    meetings_held: int
    meetings_cancelled: int
    notices_issued: int
    receipts_due: int
    receipts_answered: int
    meeting_receipts_due: int  # of `receipts_due`, those of meetings
    meeting_receipts_answered: int
    attendance_recorded: int  # enterprise places at meetings whose attendance was recorded
    attended: int

    @property
    def receipt_rate(self) -> float | None:
        """Return answered / due, or None when nothing was due."""
        return self.receipts_answered / self.receipts_due if self.receipts_due else None

    @property
    def attendance_rate(self) -> float | None:
        """Return attended / places at meetings with recorded attendance, or None."""
        return self.attended / self.attendance_recorded if self.attendance_recorded else None


async def stats(session: AsyncSession, start: datetime, end: datetime) -> Stats:
    """Count meetings held (not cancelled, starting in [start, end)), notices issued in it, receipts, attendance."""
    meetings = list(
        await session.scalars(
            select(Notice).where(
                Notice.kind == NoticeKind.MEETING, Notice.starts_at >= start, Notice.starts_at < end
            )
        )
    )
    held = [n for n in meetings if n.status == NoticeStatus.OPEN]
    plain = list(
        await session.scalars(
            select(Notice).where(
                Notice.kind == NoticeKind.NOTICE, Notice.created_at >= start, Notice.created_at < end
            )
        )
    )
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
        meetings_held=len(held),
        meetings_cancelled=len(meetings) - len(held),
        notices_issued=len(plain),
        receipts_due=due,
        receipts_answered=answered,
        meeting_receipts_due=meeting_due,
        meeting_receipts_answered=meeting_answered,
        attendance_recorded=recorded,
        attended=attended,
    )


async def open_notices(session: AsyncSession) -> Sequence[Notice]:
    """Return every notice still open (reminders look at these)."""
    rows = await session.scalars(
        select(Notice)
        .options(joinedload(Notice.author))
        .where(Notice.status == NoticeStatus.OPEN)
        .order_by(Notice.id)
    )
    return rows.unique().all()


# --- inside the operations --------------------------------------------------------------------


async def _lock(session: AsyncSession, notice: Notice) -> None:
    """Re-read the notice under a row lock, so two changes at once act on the same, current state."""
    await session.refresh(notice, [c.key for c in Notice.__mapper__.column_attrs], with_for_update=True)


def _check_answerer(notice: Notice, actor: Person, status: ReceiptStatus) -> None:
    """Refuse an answer from someone who answers for no enterprise, or a 请假 on a plain notice."""
    if not may_answer_for_enterprise(actor):
        raise Refused(Refusal.NO_ENTERPRISE, notice)
    if status == ReceiptStatus.LEAVE and notice.kind != NoticeKind.MEETING:
        raise Refused(Refusal.LEAVE_MEETING_ONLY, notice)


def _check_open(notice: Notice, at: datetime) -> None:
    """Refuse an answer to a cancelled notice or a meeting that has started."""
    if notice.status == NoticeStatus.CANCELLED:
        raise Refused(Refusal.CANCELLED, notice)
    if notice.kind == NoticeKind.MEETING and notice.starts_at is not None and notice.starts_at <= at:
        raise Refused(Refusal.STARTED, notice)


async def _check_may_change(
    session: AsyncSession, notice: Notice, receipt: NoticeReceipt, actor: Person
) -> None:
    """Refuse a change of an answer someone else gave, unless the actor is a lead of the enterprise."""
    answered_by = receipt.person_id if receipt.status != ReceiptStatus.PENDING else None
    if not may_change_answer(actor, receipt.enterprise_id, answered_by):
        person = await session.get(Person, answered_by)
        raise Refused(Refusal.ANSWERED, notice, receipt, person)


async def _confirmed_people(session: AsyncSession, notice: Notice, actor: Person | None) -> list[Person]:
    """Return who must hear of a change: whoever confirmed, and the leads of the enterprises that did."""
    told: dict[int, Person] = {}
    for r in await receipts(session, notice.id):
        if r.status != ReceiptStatus.CONFIRMED:
            continue
        if r.person is not None:
            told[r.person.id] = r.person
        for lead in await people_of_enterprise(session, r.enterprise_id, [Role.LEAD]):
            told.setdefault(lead.id, lead)
    return [p for p in told.values() if actor is None or p.id != actor.id]


async def _record(
    session: AsyncSession,
    notice: Notice,
    actor: Person | None,
    action: str,
    at: datetime,
    *,
    enterprise_id: int | None = None,
    note: str | None = None,
    data: dict[str, Any] | None = None,
) -> NoticeEvent:
    """Write one notice event and its audit row."""
    event = NoticeEvent(
        notice_id=notice.id,
        at=at,
        actor_id=actor.id if actor is not None else None,
        action=action,
        enterprise_id=enterprise_id,
        note=note,
        data=data or {},
    )
    session.add(event)
    await session.flush()
    await audit(session, at, actor, f"notice.{action}", "notice", notice.code, enterprise_id=enterprise_id)
    return event
