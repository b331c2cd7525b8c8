"""The notice domain: meeting notices (会议通知) and notices (通知) that every enterprise answers (回执).

Like `domain/hazards/operations.py`, each operation checks who may do it (`domain/park/rules.py`) and the
notice's state, changes rows under a lock, writes a `notice_events` row and an audit row, and returns
what changed and who must be told. A notice gets one receipt row per active enterprise when it is
issued, so "已回执 n/N" has a fixed N and the enterprises that have not answered are a plain query.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from domain.codes import PREFIXES, issue_code
from domain.notices.queries import receipts
from domain.notices.rules import (
    Change,
    Refusal,
    Refused,
    _check_answerer,
    _check_open,
    may_change_answer,
    may_send_notices,
)
from domain.park.queries import active_ids, people_of_enterprise
from storage.attachments import attach_files
from storage.audit import audit
from storage.enums import NoticeKind, NoticeStatus, ReceiptStatus, Role
from storage.models import (
    Document,
    Notice,
    NoticeEvent,
    NoticeReceipt,
    Person,
    Photo,
)

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


# --- inside the operations --------------------------------------------------------------------


async def _lock(session: AsyncSession, notice: Notice) -> None:
    """Re-read the notice under a row lock, so two changes at once act on the same, current state."""
    await session.refresh(notice, [c.key for c in Notice.__mapper__.column_attrs], with_for_update=True)


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
