"""The notice domain: meeting notices (会议通知) and notices (通知) that every enterprise answers (回执).

Each operation checks its rule (`domain/notices/rules.py`; who may do what is `domain/park/rules.py`),
changes rows under a lock, writes a `notice_events` row and an audit row (`domain/events.py`), and
returns a `domain.outcome.Change` (or raises `Refused`). `answer` returns a change whose subject is the
receipt it set; the others a change of the notice. A notice gets one receipt row per active enterprise
when it is issued, so "已回执 n/N" has a fixed N and who has not answered is a plain query
(`domain/notices/queries.py`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Table, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from domain import events
from domain.codes import PREFIXES, issue_code
from domain.notices import queries as notice_queries
from domain.notices.queries import card_photo_file_id, receipts
from domain.notices.rules import (
    Refusal,
    Tell,
    check_answerer,
    check_category,
    check_correctable,
    check_corrector,
    check_meeting,
    check_open,
    check_sender,
    infer_category,
    may_change_answer,
    same_answer,
)
from domain.outcome import Change, Refused
from domain.park.rules import Someone
from storage import attachments as attachment_rows
from storage.attachments import attach_files
from storage.audit import audit_on
from storage.enums import NoticeCategory, NoticeKind, NoticeStatus, ReceiptStatus
from storage.lane import Lane, Prepared, lane_of
from storage.models import (
    BroadcastFile,
    Campaign,
    Document,
    Notice,
    NoticeEvent,
    NoticeReceipt,
    Person,
    Photo,
)

FileT = TypeVar("FileT", Photo, Document)


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
    category: NoticeCategory | None = None,
    year: int,
    at: datetime,
) -> Change[Notice]:
    """Issue a meeting notice or a notice: its code, its kind (`category`, else inferred from the title and
    the files' names), a receipt row per active enterprise, its files."""
    check_sender(None, actor)
    if category is None:
        category = infer_category(kind, title, [d.file_name for d in documents])
    notice = Notice(
        code=await issue_code(session, PREFIXES[kind], year),
        kind=kind,
        category=category,
        title=title,
        body=body,
        place=place,
        starts_at=starts_at,
        status=NoticeStatus.OPEN,
        author_id=actor.id,
        created_at=at,
        updated_at=at,
    )
    await events.open_for_enterprises(
        session,
        notice,
        actor,
        lambda enterprise_id: NoticeReceipt(
            notice_id=notice.id, enterprise_id=enterprise_id, status=ReceiptStatus.PENDING
        ),
    )
    event = await _record(
        session,
        notice,
        actor,
        "issue",
        at,
        data={"kind": kind, "category": category, "files": len(photos) + len(documents)},
    )
    await attach_files(session, "notice", notice.id, photos, documents, at, event.id)
    return Change(notice, event)


async def backfill(
    session: AsyncSession,
    *,
    actor: Person,
    kind: NoticeKind,
    title: str,
    place: str | None,
    happened_at: datetime,
    category: NoticeCategory | None = None,
    year: int,
    now: datetime,
) -> Change[Notice]:
    """Record a meeting held or a notice issued in the past (补录) with its real date: no receipts (nobody is
    asked to answer it now), no card, no reminder; the figures count it on its real date. Its `backfill`
    event happened then; its audit row says who entered it and when."""
    check_sender(None, actor)
    if category is None:
        category = infer_category(kind, title)
    notice = Notice(
        code=await issue_code(session, PREFIXES[kind], year),
        kind=kind,
        category=category,
        title=title,
        body="",
        place=place,
        starts_at=happened_at if kind == NoticeKind.MEETING else None,
        status=NoticeStatus.OPEN,
        author_id=actor.id,
        created_at=happened_at,
        updated_at=happened_at,
        backfilled_at=now,
    )
    session.add(notice)
    set_committed_value(notice, "author", actor)
    await session.flush()
    data = {"kind": kind, "category": category, "recorded_at": now.isoformat()}
    event = NoticeEvent(notice_id=notice.id, at=happened_at, actor_id=actor.id, action="backfill", data=data)
    await events.record(
        session, event, entity="notice", code=notice.code, action="backfill", actor=actor, at=now,
        happened_at=happened_at.isoformat(),
    )  # fmt: skip
    return Change(notice, event)


@dataclass(frozen=True)
class Answered:
    """What `answer_on` read and did: the notice as read under its lock (a row of no session), its
    author's name (the card names them) and the change of the enterprise's receipt."""

    notice: Notice
    author: str
    change: Change[NoticeReceipt]


def answer_on(
    conn: Lane | Connection,
    notice_id: int,
    actor: Someone,
    status: ReceiptStatus,
    at: datetime,
    *,
    reason: str | None = None,
    substitute: str | None = None,
) -> Answered | None:
    """Set the actor's enterprise's receipt to 收到 or 请假 (a value, never a toggle); a repeat changes nothing.

    Once someone answered for the enterprise, only that person or a lead of the enterprise may change
    the answer (收到 ↔ 请假, or the 请假 reason); anyone else is refused with who answered what.

    A unit of the bookkeeping lane (`storage/lane.py`): a 收到 press runs it with the rest of its update
    in one hop (`handlers/notices/answers.answered_on`); a command or a reply runs it on its session's
    connection. None: there is no such notice.
    """
    if status == ReceiptStatus.PENDING:
        raise ValueError("an answer is 收到 or 请假")
    lane = lane_of(conn)
    found = notice_queries.notice_on(lane, notice_id)
    if found is None:
        return None
    notice, author = found
    receipt, same = _checked_receipt(lane, notice, actor, status, at, reason, substitute, lock=True)
    if same:
        return Answered(notice, author, Change(receipt))
    before = receipt.status
    receipt.status = status
    receipt.person_id = actor.id
    receipt.reason = reason if status == ReceiptStatus.LEAVE else None
    receipt.substitute = substitute if status == ReceiptStatus.LEAVE else None
    receipt.answered_at = at
    lane.count(
        _SET_RECEIPT,
        {
            "receipt_id": receipt.id,
            "status": receipt.status,
            "person_id": receipt.person_id,
            "reason": receipt.reason,
            "substitute": receipt.substitute,
            "answered_at": at,
        },
    )
    action = "confirm" if status == ReceiptStatus.CONFIRMED else "leave"
    values = {
        "notice_id": notice.id,
        "at": at,
        "actor_id": actor.id,
        "action": action,
        "enterprise_id": receipt.enterprise_id,
        "note": reason,
        "data": {"from": before},
    }
    event = NoticeEvent(id=lane.ids(_ADD_EVENT, [values])[0], **values)
    audit_on(lane, at, actor.id, f"notice.{action}", "notice", notice.code, {"enterprise_id": receipt.enterprise_id})
    return Answered(notice, author, Change(receipt, event))


async def check_answer(
    session: AsyncSession, notice: Notice, actor: Person, status: ReceiptStatus, at: datetime
) -> None:
    """Raise Refused when the actor's answer could not be recorded now (checked before asking a 请假 reason).

    `answer_on` checks the same again under its locks; this only spares the person a question in vain.
    """
    await session.flush()  # the receipt is read with a plain statement: no autoflush there
    conn = await session.connection()
    await conn.run_sync(lambda c: _checked_receipt(lane_of(c), notice, actor, status, at, None, None, lock=False))


async def cancel(
    session: AsyncSession, notice: Notice, actor: Person, reason: str, at: datetime
) -> Change[Notice]:
    """Cancel a meeting (or a notice): no more receipts or reminders; everyone who confirmed is told."""
    check_sender(notice, actor)
    await events.lock(session, notice)
    if notice.status == NoticeStatus.CANCELLED:
        return Change(notice)
    if notice.status == NoticeStatus.WITHDRAWN:
        raise Refused(Refusal.WITHDRAWN, notice)
    notice.status = NoticeStatus.CANCELLED
    notice.updated_at = at
    event = await _record(session, notice, actor, "cancel", at, note=reason or None)
    return Change(notice, event, {Tell.CANCELLED: await _confirmed_people(session, notice, actor)})


async def move(
    session: AsyncSession, notice: Notice, actor: Person, starts_at: datetime, place: str | None, at: datetime
) -> Change[Notice]:
    """Move a meeting to another time (and place); everyone who confirmed is told. Receipts stand."""
    check_sender(notice, actor)
    await events.lock(session, notice)
    check_meeting(notice)
    new_place = place or notice.place
    if notice.starts_at == starts_at and notice.place == new_place:
        return Change(notice)
    data: dict[str, Any] = {
        "from": notice.starts_at.isoformat() if notice.starts_at else None,
        "to": starts_at.isoformat(),
        "place_from": notice.place,
        "place_to": new_place,
    }
    notice.starts_at = starts_at
    notice.place = new_place
    notice.updated_at = at
    event = await _record(session, notice, actor, "move", at, data=data)
    return Change(notice, event, {Tell.MOVED: await _confirmed_people(session, notice, actor)})


async def record_attendance(
    session: AsyncSession, notice: Notice, actor: Person, enterprise_ids: Iterable[int] | None, at: datetime
) -> Change[Notice]:
    """Record which enterprises attended a meeting (None: all who confirmed); the others are marked absent."""
    check_sender(notice, actor)
    await events.lock(session, notice)
    check_meeting(notice)
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
    if not changed and notice.attendance_at is not None:
        return Change(notice)
    notice.attendance_at = at
    event = await _record(session, notice, actor, "attendance", at, data={"enterprises": sorted(wanted)})
    return Change(notice, event)


async def set_attended(
    session: AsyncSession, notice: Notice, actor: Person, enterprise_id: int, attended: bool, at: datetime
) -> Change[Notice]:
    """Mark one enterprise as attended or absent (a value, never a toggle)."""
    current = {r.enterprise_id for r in await receipts(session, notice.id) if r.attended}
    wanted = current | {enterprise_id} if attended else current - {enterprise_id}
    return await record_attendance(session, notice, actor, wanted, at)


# --- corrections: wording, place, files, withdrawal (撤回) --------------------------------------------
# The issuer or a manager corrects a notice in place: receipts stand when only the wording or the files
# change; a change that matters to whoever answered (the place, a withdrawal) tells them. Each correction
# is a `notice_events` row with who and what (the old and the new value), never an overwrite of history.


async def edit_text(
    session: AsyncSession,
    notice: Notice,
    actor: Person,
    at: datetime,
    *,
    title: str | None = None,
    body: str | None = None,
) -> Change[Notice]:
    """Fix the title or the text (agenda) of a notice; receipts stand and nobody is told. No event if unchanged."""
    check_corrector(notice, actor)
    await events.lock(session, notice)
    check_correctable(notice)
    data: dict[str, Any] = {}
    if title is not None and title != notice.title:
        data.update(title_from=notice.title, title_to=title)
        notice.title = title
    if body is not None and body != notice.body:
        data.update(body_from=notice.body, body_to=body)
        notice.body = body
    if not data:
        return Change(notice)
    notice.updated_at = at
    return Change(notice, await _record(session, notice, actor, "edit", at, data=data))


async def set_category(
    session: AsyncSession,
    notice: Notice,
    actor: Person,
    category: NoticeCategory,
    at: datetime,
    *,
    campaign: Campaign | None = None,
) -> Change[Notice]:
    """Change the kind of a meeting (例会, 动员会, …) or a notice (通知, 方案, …), and link a 动员会 to the
    campaign it mobilises for (`campaign`; a 动员会 named again without one keeps its link, another kind
    drops it); receipts stand and nobody is told. The event keeps the old and the new; no event if unchanged."""
    check_corrector(notice, actor)
    await events.lock(session, notice)
    check_category(notice, category, campaign=campaign is not None)
    campaign_id = campaign.id if campaign is not None else (notice.campaign_id if category == notice.category else None)
    if notice.category == category and notice.campaign_id == campaign_id:
        return Change(notice)
    data: dict[str, Any] = {"from": notice.category, "to": category}
    if campaign_id != notice.campaign_id:
        data.update(campaign_from=notice.campaign_id, campaign_to=campaign_id)
        if campaign is not None:
            data["campaign"] = campaign.code
    notice.category = category
    notice.campaign_id = campaign_id
    notice.updated_at = at
    return Change(notice, await _record(session, notice, actor, "category", at, data=data))


async def set_place(session: AsyncSession, notice: Notice, actor: Person, place: str, at: datetime) -> Change[Notice]:
    """Change a meeting's place only (its time stands); whoever answered, and their leads, are told."""
    check_corrector(notice, actor)
    await events.lock(session, notice)
    check_meeting(notice)
    if notice.starts_at is None:
        raise Refused(Refusal.NOT_MEETING, notice)
    return await move(session, notice, actor, notice.starts_at, place, at)


async def add_files(
    session: AsyncSession,
    notice: Notice,
    actor: Person,
    photos: Sequence[Photo],
    documents: Sequence[Document],
    at: datetime,
) -> Change[Notice]:
    """Add photos and documents to a notice (those it already has are not added twice); receipts stand."""
    check_corrector(notice, actor)
    await events.lock(session, notice)
    check_correctable(notice)
    have = await attachment_rows.files(session, "notice", notice.id)
    photo_ids = {f.photo_id for f in have}
    document_ids = {f.document_id for f in have}
    new_photos = _each_once([p for p in photos if p.id not in photo_ids])
    new_documents = _each_once([d for d in documents if d.id not in document_ids])
    if not new_photos and not new_documents:
        return Change(notice)
    notice.updated_at = at
    names = [d.file_name for d in new_documents]
    event = await _record(session, notice, actor, "files_add", at, data={"documents": names, "photos": len(new_photos)})
    added = await attachment_rows.attach_files(session, "notice", notice.id, new_photos, new_documents, at, event.id)
    return Change(notice, event, added=added)


async def remove_file(
    session: AsyncSession, notice: Notice, actor: Person, file: BroadcastFile, at: datetime
) -> Change[Notice]:
    """Take one file off a notice; the event keeps which (its row, name and hash stay in the store).

    The picture the card went out with stays on it (a posted message cannot lose its picture on every
    platform): `Refusal.CARD_PHOTO`, the notice is withdrawn and issued again instead.
    """
    check_corrector(notice, actor)
    await events.lock(session, notice)
    check_correctable(notice)
    if file.owner_kind != "notice" or file.owner_id != notice.id:
        raise ValueError("the file is not one of this notice's")
    if file.photo_id is not None and file.id == await card_photo_file_id(session, notice.id):
        raise Refused(Refusal.CARD_PHOTO, notice)
    if file.document is not None:
        data: dict[str, Any] = {"document": file.document.file_name, "document_id": file.document_id}
    else:
        data = {"photo_id": file.photo_id}
    await session.delete(file)
    notice.updated_at = at
    return Change(notice, await _record(session, notice, actor, "files_remove", at, data=data))


async def withdraw(session: AsyncSession, notice: Notice, actor: Person, reason: str, at: datetime) -> Change[Notice]:
    """Withdraw a notice issued by mistake (撤回): no more answers or reminders, counted in no figure;
    whoever answered, and the leads of their enterprises, are told. Its code, receipts and history stay."""
    check_corrector(notice, actor)
    await events.lock(session, notice)
    if notice.status == NoticeStatus.WITHDRAWN:
        return Change(notice)
    data = {"from": notice.status}
    notice.status = NoticeStatus.WITHDRAWN
    notice.updated_at = at
    event = await _record(session, notice, actor, "withdraw", at, note=reason or None, data=data)
    if data["from"] == NoticeStatus.CANCELLED:
        return Change(notice, event)  # they heard of the cancellation already; the card says the rest
    return Change(notice, event, {Tell.WITHDRAWN: await _confirmed_people(session, notice, actor)})


def _each_once(rows: list[FileT]) -> list[FileT]:
    """Return the rows with repeats (the same bytes sent twice in one message) dropped, in order."""
    kept: dict[int, FileT] = {}
    for row in rows:
        kept.setdefault(row.id, row)
    return list(kept.values())


# --- inside the operations --------------------------------------------------------------------


# Built once: run at every 收到 pressed (a statement built per call costs more than it takes to run).
_RECEIPTS: Table = NoticeReceipt.__table__  # type: ignore[assignment]  # a declarative class's table
_EVENTS: Table = NoticeEvent.__table__  # type: ignore[assignment]
_RECEIPT = select(*_RECEIPTS.columns).where(
    NoticeReceipt.notice_id == bindparam("notice_id"), NoticeReceipt.enterprise_id == bindparam("enterprise_id")
)
_RECEIPT_ON = Prepared(_RECEIPT)
_RECEIPT_LOCKED_ON = Prepared(_RECEIPT.with_for_update())
_RECEIPT_KEYS = tuple(c.key for c in _RECEIPTS.columns)
_SET_RECEIPT = Prepared(
    update(_RECEIPTS)
    .where(_RECEIPTS.c.id == bindparam("receipt_id"))
    .values(
        status=bindparam("status"),
        person_id=bindparam("person_id"),
        reason=bindparam("reason"),
        substitute=bindparam("substitute"),
        answered_at=bindparam("answered_at"),
    )
)
_ADD_EVENT = Prepared(
    insert(_EVENTS).returning(_EVENTS.c.id),
    ["notice_id", "at", "actor_id", "action", "enterprise_id", "note", "data"],
)
_NAME = Prepared(select(Person.display_name).where(Person.id == bindparam("person_id")))


def _checked_receipt(
    lane: Lane,
    notice: Notice,
    actor: Someone,
    status: ReceiptStatus,
    at: datetime,
    reason: str | None,
    substitute: str | None,
    *,
    lock: bool,
) -> tuple[NoticeReceipt, bool]:
    """Return the actor's enterprise's receipt (a row of no session; under a row lock when `lock`) and
    whether the answer repeats it; refuse an answer the rules do not allow now."""
    check_answerer(notice, actor, status)
    check_open(notice, at)
    found = lane.rows(
        _RECEIPT_LOCKED_ON if lock else _RECEIPT_ON, {"notice_id": notice.id, "enterprise_id": actor.enterprise_id}
    )
    if not found:
        raise Refused(Refusal.NOT_LISTED, notice)
    receipt = NoticeReceipt(**dict(zip(_RECEIPT_KEYS, found[0], strict=True)))
    same = same_answer(receipt, status, reason, substitute)
    answered_by = receipt.person_id if receipt.status != ReceiptStatus.PENDING else None
    if not same and not may_change_answer(actor, receipt.enterprise_id, answered_by):
        name = lane.rows(_NAME, {"person_id": answered_by})
        raise Refused(Refusal.ANSWERED, notice, receipt=receipt, answered_by=name[0][0] if name else None)
    return receipt, same


async def _confirmed_people(session: AsyncSession, notice: Notice, actor: Person | None) -> list[Person]:
    """Return who must hear of a change: whoever answered (收到, or 请假: their stand-in may be coming), and
    the leads of the enterprises that did."""
    rows = await receipts(session, notice.id)
    answered = (ReceiptStatus.CONFIRMED, ReceiptStatus.LEAVE)
    confirmed = [(r.person, r.enterprise_id) for r in rows if r.status in answered]
    return await events.with_leads(session, confirmed, actor)


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
    return await events.record(
        session, event, entity="notice", code=notice.code, action=action, actor=actor, at=at, enterprise_id=enterprise_id
    )
