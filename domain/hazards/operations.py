"""The hazard domain: every change of a hazard (排查→登记→整改→验收→销号) is one function here.

Each operation checks who may do it and whether the hazard's status allows it (the rules in
`domain/hazards/rules.py`, on top of `domain/park/rules.py`), changes the row under a lock, writes
one `hazard_events` row (never overwriting history, sealed into `chain.py`) and an audit row, and
returns a `domain.outcome.Change` that says who must be told, or raises `domain.outcome.Refused`.
Reads are in `queries.py`. Chat handlers (`handlers/hazards/`) parse → call → render; schedules,
exports and a later web page call the same functions. An operation made by the system (a scheduled
job) passes `actor=None`; its event records `actor_kind = system`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from domain import codes
from domain.hazards import chain, search
from domain.hazards.queries import fixer_id, last_event, open_inspections, pending_extension
from domain.hazards.rules import (
    RULES,
    Action,
    Refusal,
    S,
    Tell,
    check,
    five_missing_keys,
    is_finder,
    linked_inspection,
    may_downgrade_major,
)
from domain.outcome import Change, Refused
from domain.park.queries import people_of_enterprise, people_with_role
from domain.park.rules import may_report_for
from storage.audit import audit
from storage.enums import (
    ENTERPRISE_ROLES,
    MANAGER_ROLES,
    ActorKind,
    HazardStatus,
    Level,
    Mode,
    Role,
    Source,
)
from storage.models import (
    Document,
    Enterprise,
    Hazard,
    HazardDocument,
    HazardEvent,
    HazardPhoto,
    Person,
    Photo,
)

_COLUMNS = [c.key for c in Hazard.__mapper__.column_attrs]  # what `_lock` re-reads
HazardChange = Change[Hazard]


# --- operations -----------------------------------------------------------------------------


async def report(
    session: AsyncSession,
    *,
    actor: Person,
    enterprise_id: int,
    description: str,
    category: str,
    level: Level,
    mode: Mode | None,
    due_date: date | None,
    source: Source,
    photos: Sequence[Photo],
    year: int,
    at: datetime,
    media_group_id: str | None = None,
    documents: Sequence[Document] = (),
    location: str = "",
) -> HazardChange:
    """Register a hazard with a fresh gap-free code, its `report` event, its before-photos and documents."""
    if not may_report_for(actor, enterprise_id):
        raise Refused(Refusal.NOT_ALLOWED)
    enterprise = await session.get(Enterprise, enterprise_id)
    if enterprise is None or not enterprise.active:
        raise Refused(Refusal.ENTERPRISE_INACTIVE)
    status = S.RECTIFYING if mode == Mode.DEADLINE and due_date is not None else S.REPORTED
    hazard = Hazard(
        code=await codes.issue_code(session, codes.HAZARD_PREFIX, year),
        enterprise_id=enterprise.id,
        description=description,
        location=location,
        category=category,
        level=level,
        mode=mode,
        due_date=due_date,
        status=status,
        source=source,
        five_in_place={},
        reporter_id=actor.id,
        found_at=at,
        created_at=at,
        updated_at=at,
        media_group_id=media_group_id,
        inspection_id=linked_inspection(await open_inspections(session), actor.id, enterprise.id),
    )
    session.add(hazard)
    # What the card shows, set as already loaded once added: no cascade pulls the actor into the session.
    set_committed_value(hazard, "enterprise", enterprise)
    set_committed_value(hazard, "reporter", actor)
    await session.flush()
    counts: list[int] = []
    event = await _record(
        session,
        hazard,
        actor,
        Action.REPORT,
        at,
        to_status=status,
        data={
            "level": level,
            "mode": mode,
            "due_date": due_date.isoformat() if due_date else None,
            "category": category,
        },
        files=(("before", photos), ("before", documents)),
        added=counts,
    )
    added = sum(counts)
    tell: dict[StrEnum, list[Person]] = {}
    if level == Level.MAJOR:
        tell[Tell.MAJOR] = await _managers(session, actor)
    if actor.role not in ENTERPRISE_ROLES:  # an inspector or a manager found it: the enterprise must know
        leads = await people_of_enterprise(session, enterprise.id, [Role.LEAD])
        tell[Tell.FILED] = [p for p in leads if not _same(p, actor)]
    return Change(hazard, event, tell, added=added)


async def set_due(
    session: AsyncSession, hazard: Hazard, actor: Person | None, due: date | None, at: datetime
) -> HazardChange:
    """Choose how the hazard is rectified: on the spot (`due=None`) or by a date, which starts rectification."""
    await _lock(session, hazard, actor, Action.SET_DUE)
    if hazard.mode is not None:
        raise Refused(Refusal.MODE_SET, hazard)
    hazard.mode = Mode.DEADLINE if due is not None else Mode.IMMEDIATE
    hazard.due_date = due
    event = await _record(
        session,
        hazard,
        actor,
        Action.SET_DUE,
        at,
        to_status=S.RECTIFYING if due is not None else None,
        data={"mode": hazard.mode, "due_date": due.isoformat() if due else None},
    )
    return Change(hazard, event)


async def set_level(
    session: AsyncSession, hazard: Hazard, actor: Person | None, level: Level, at: datetime
) -> HazardChange:
    """Set the level (a value, never a toggle); no event when it already is that level.

    A major hazard is made general only by a manager or an inspector, and the managers are told (they
    were alerted when it became major)."""
    was_major = hazard.level == Level.MAJOR
    if actor is not None and was_major and level != Level.MAJOR and not may_downgrade_major(actor):
        raise Refused(Refusal.MAJOR_DOWNGRADE, hazard)
    event = await _set_field(session, hazard, actor, Action.SET_LEVEL, "level", level, at)
    if event is None:
        return Change(hazard, event)
    if level == Level.MAJOR:
        return Change(hazard, event, {Tell.MAJOR: await _managers(session, actor)})
    if was_major:
        return Change(hazard, event, {Tell.DOWNGRADED: await _managers(session, actor)})
    return Change(hazard, event)


async def set_category(
    session: AsyncSession, hazard: Hazard, actor: Person | None, category: str, at: datetime
) -> HazardChange:
    """Set the category; no event when it already is that category."""
    return Change(hazard, await _set_field(session, hazard, actor, Action.SET_CATEGORY, "category", category, at))


async def fill_five(
    session: AsyncSession, hazard: Hazard, actor: Person | None, values: dict[str, str], at: datetime
) -> HazardChange:
    """Record five-in-place fields (责任人、措施、资金、时限、预案) of a major hazard; later values win."""
    await _lock(session, hazard, actor, Action.FIVE)
    if hazard.level != Level.MAJOR:
        raise Refused(Refusal.NOT_MAJOR, hazard)
    hazard.five_in_place = {**hazard.five_in_place, **values}
    return Change(hazard, await _record(session, hazard, actor, Action.FIVE, at, data=dict(values)))


async def add_photos(
    session: AsyncSession,
    hazard: Hazard,
    actor: Person | None,
    photos: Sequence[Photo],
    phase: str,
    at: datetime,
) -> HazardChange:
    """Add before- or after-photos through a `photos` event; photos it already has are not added twice."""
    return await _add_files(session, hazard, actor, Action.PHOTOS, photos, phase, at)


async def add_documents(
    session: AsyncSession,
    hazard: Hazard,
    actor: Person | None,
    documents: Sequence[Document],
    phase: str,
    at: datetime,
) -> HazardChange:
    """Add PDFs as evidence through a `documents` event; documents it already has are not added twice."""
    return await _add_files(session, hazard, actor, Action.DOCUMENTS, documents, phase, at)


async def _add_files(
    session: AsyncSession,
    hazard: Hazard,
    actor: Person | None,
    action: Action,
    files: Sequence[Photo] | Sequence[Document],
    phase: str,
    at: datetime,
) -> HazardChange:
    """Write the `photos` or `documents` event and link the files new to the hazard (`added`)."""
    await _lock(session, hazard, actor, action)
    counts: list[int] = []
    data = {"phase": phase, "count": len(files)}
    event = await _record(session, hazard, actor, action, at, data=data, files=((phase, files),), added=counts)
    return Change(hazard, event, added=sum(counts))


async def submit_fix(
    session: AsyncSession,
    hazard: Hazard,
    actor: Person | None,
    note: str,
    photos: Sequence[Photo],
    at: datetime,
    documents: Sequence[Document] = (),
    *,
    finder_rechecks: bool = False,
) -> HazardChange:
    """Submit the rectification with its after-photos (and PDFs): the hazard awaits verification.

    The managers are told; with `finder_rechecks` (the park lets the inspector who found it re-check),
    that inspector too. The handlers ask for at least one after-photo: a report (校验报告) alone does
    not show the place fixed.
    """
    await _lock(session, hazard, actor, Action.FIX)
    counts: list[int] = []
    event = await _record(
        session,
        hazard,
        actor,
        Action.FIX,
        at,
        to_status=S.AWAITING_VERIFICATION,
        note=note or None,
        files=(("after", photos), ("after", documents)),
        added=counts,
    )
    tell: dict[StrEnum, list[Person]] = {Tell.VERIFY: await _managers(session, actor)}
    if finder_rechecks:
        tell[Tell.FINDER_RECHECK] = _finder(hazard, actor)
    return Change(hazard, event, tell, added=sum(counts))


async def accept(
    session: AsyncSession, hazard: Hazard, actor: Person | None, at: datetime, *, finder_rechecks: bool = False
) -> HazardChange:
    """Accept the rectification: the hazard is closed (销号); the fixer and the leads are told, and the
    inspector who found it. `finder_rechecks` (the park's setting): that inspector may accept it too.

    A major hazard is closed only with its five-in-place complete (`Refusal.FIVE_INCOMPLETE`).
    """
    await _lock(session, hazard, actor, Action.ACCEPT, finder_rechecks=finder_rechecks)
    if five_missing_keys(hazard):
        raise Refused(Refusal.FIVE_INCOMPLETE, hazard)
    event = await _record(session, hazard, actor, Action.ACCEPT, at, to_status=S.CLOSED)
    tell: dict[StrEnum, list[Person]] = {
        Tell.ACCEPTED: await _enterprise_side(session, hazard, actor),
        Tell.FINDER_CLOSED: _finder(hazard, actor),
    }
    return Change(hazard, event, tell)


async def reject(
    session: AsyncSession,
    hazard: Hazard,
    actor: Person | None,
    reason: str,
    at: datetime,
    *,
    finder_rechecks: bool = False,
) -> HazardChange:
    """Reject the rectification with a reason: back to rectifying; the fixer and the leads are told."""
    await _lock(session, hazard, actor, Action.REJECT, finder_rechecks=finder_rechecks)
    event = await _record(session, hazard, actor, Action.REJECT, at, to_status=S.RECTIFYING, note=reason)
    return Change(hazard, event, {Tell.REJECTED: await _enterprise_side(session, hazard, actor)})


async def withdraw_fix(
    session: AsyncSession, hazard: Hazard, actor: Person | None, reason: str, at: datetime
) -> HazardChange:
    """Take a submitted fix back before it is verified (only its submitter may): back to rectifying."""
    await _lock(session, hazard, actor, Action.UNFIX)
    event = await _record(session, hazard, actor, Action.UNFIX, at, to_status=S.RECTIFYING, note=reason or None)
    return Change(hazard, event)


# --- corrections: deadlines moved, reports withdrawn or rewritten ------------------------------


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


async def change_due(
    session: AsyncSession, hazard: Hazard, actor: Person | None, due: date, at: datetime
) -> HazardChange:
    """Move the deadline (a manager's decision); an immediate hazard gets one; no event if unchanged."""
    await _lock(session, hazard, actor, Action.CHANGE_DUE)
    if hazard.mode == Mode.DEADLINE and hazard.due_date == due:
        return Change(hazard, None)
    old = hazard.due_date
    data: dict[str, Any] = {"from": _iso(old), "to": due.isoformat()}
    if hazard.mode != Mode.DEADLINE:
        data["mode_from"] = hazard.mode
    hazard.mode = Mode.DEADLINE
    hazard.due_date = due
    to_status = S.RECTIFYING if hazard.status == S.REPORTED else None
    event = await _record(session, hazard, actor, Action.CHANGE_DUE, at, to_status=to_status, data=data)
    return Change(hazard, event)


async def ask_extension(
    session: AsyncSession, hazard: Hazard, actor: Person, due: date, reason: str, at: datetime
) -> HazardChange:
    """Ask for a later deadline with a reason (延期申请); the managers must decide it."""
    await _lock(session, hazard, actor, Action.EXTEND_ASK)
    if hazard.mode != Mode.DEADLINE or hazard.due_date is None:
        raise Refused(Refusal.NO_DEADLINE, hazard)
    if due <= hazard.due_date:
        raise Refused(Refusal.NOT_LATER, hazard)
    data = {"from": hazard.due_date.isoformat(), "to": due.isoformat()}
    event = await _record(session, hazard, actor, Action.EXTEND_ASK, at, note=reason or None, data=data)
    return Change(hazard, event, {Tell.EXTENSION: await _managers(session, actor)})


async def decide_extension(
    session: AsyncSession,
    hazard: Hazard,
    actor: Person | None,
    approve: bool,
    at: datetime,
    *,
    request_id: int | None = None,
    reason: str = "",
) -> HazardChange:
    """Approve (the deadline moves to the date asked) or refuse (it stays) the pending extension request.

    With `request_id`, only that request may be decided: a press on an older request's buttons is refused.
    """
    action = Action.EXTEND_APPROVE if approve else Action.EXTEND_REFUSE
    await _lock(session, hazard, actor, action)
    ask = await pending_extension(session, hazard)
    if ask is None or (request_id is not None and ask.id != request_id):
        raise Refused(Refusal.NO_REQUEST, hazard)
    if ask.data.get("from") != _iso(hazard.due_date):
        # The deadline moved since the request (a manager set it): the request no longer applies.
        raise Refused(Refusal.NO_REQUEST, hazard)
    old = hazard.due_date
    asked = date.fromisoformat(ask.data["to"])
    if approve:
        hazard.mode = Mode.DEADLINE
        hazard.due_date = asked
        data = {"from": _iso(old), "to": asked.isoformat(), "request": ask.id}
    else:
        data = {"from": _iso(old), "to": _iso(old), "asked": asked.isoformat(), "request": ask.id}
    event = await _record(session, hazard, actor, action, at, note=reason or None, data=data)
    told = [ask.actor] if ask.actor is not None and not _same(ask.actor, actor) else []
    return Change(hazard, event, {Tell.EXTENSION_DECIDED: told})


async def withdraw(
    session: AsyncSession,
    hazard: Hazard,
    actor: Person | None,
    reason: str,
    at: datetime,
    *,
    duplicate_of: Hazard | None = None,
) -> HazardChange:
    """Withdraw a mistaken or duplicate report: it leaves the open lists and keeps its code and history."""
    await _lock(session, hazard, actor, Action.WITHDRAW)
    if duplicate_of is not None and duplicate_of.id == hazard.id:
        raise Refused(Refusal.SAME_HAZARD, hazard)
    if duplicate_of is not None and (
        duplicate_of.status == S.WITHDRAWN or duplicate_of.enterprise_id != hazard.enterprise_id
    ):
        # The original must be a live hazard of the same enterprise: two reports must never withdraw
        # each other as duplicates and leave nothing.
        raise Refused(Refusal.BAD_ORIGINAL, hazard)
    data = {"duplicate_of": duplicate_of.code} if duplicate_of is not None else {}
    event = await _record(
        session, hazard, actor, Action.WITHDRAW, at, to_status=S.WITHDRAWN, note=reason, data=data
    )
    return Change(hazard, event)


async def edit_description(
    session: AsyncSession, hazard: Hazard, actor: Person | None, description: str, at: datetime
) -> HazardChange:
    """Rewrite the description (the reporter, until verified); the event keeps the old and the new text."""
    event = await _set_field(session, hazard, actor, Action.EDIT, "description", description, at, keep_old=True)
    return Change(hazard, event)


async def set_location(
    session: AsyncSession, hazard: Hazard, actor: Person | None, location: str, at: datetime
) -> HazardChange:
    """Set or correct the location (部位), as the description is; the event keeps the old and the new."""
    event = await _set_field(session, hazard, actor, Action.SET_LOCATION, "location", location, at, keep_old=True)
    return Change(hazard, event)


# --- inside the operations --------------------------------------------------------------------


def _same(person: Person, actor: Person | None) -> bool:
    return actor is not None and person.id == actor.id


async def _managers(session: AsyncSession, actor: Person | None) -> list[Person]:
    """Return the park's managers (admin and manager roles) other than the actor."""
    return [m for m in await people_with_role(session, None, MANAGER_ROLES) if not _same(m, actor)]


async def _lock(
    session: AsyncSession, hazard: Hazard, actor: Person | None, action: Action, *, finder_rechecks: bool = False
) -> None:
    """Re-read the hazard under a row lock and check the action on its current state (`Refused` if not).

    Two presses at once then act on the same, current state. Only its own columns are re-read: the
    enterprise and reporter it was loaded with never change. Verifying, or taking a fix back, is
    checked against who submitted the fix.
    """
    await session.refresh(hazard, _COLUMNS, with_for_update=True)
    fixer = await fixer_id(session, hazard) if action in (Action.ACCEPT, Action.REJECT, Action.UNFIX) else None
    check(actor, hazard, action, fixer_id=fixer, finder_rechecks=finder_rechecks)


async def _set_field(
    session: AsyncSession,
    hazard: Hazard,
    actor: Person | None,
    action: Action,
    field: str,
    value: Any,
    at: datetime,
    *,
    keep_old: bool = False,
) -> HazardEvent | None:
    """Set one field under the lock and record it (`{field: value}`, or `from`/`to`); None when unchanged."""
    await _lock(session, hazard, actor, action)
    old = getattr(hazard, field)
    if old == value:
        return None
    setattr(hazard, field, value)
    data = {"from": old, "to": value} if keep_old else {field: value}
    return await _record(session, hazard, actor, action, at, data=data)


def _finder(hazard: Hazard, actor: Person | None) -> list[Person]:
    """Return the inspector who found the hazard (an inspector still), unless they are the actor."""
    reporter = hazard.reporter
    return [reporter] if is_finder(reporter, hazard) and not _same(reporter, actor) else []


async def _enterprise_side(session: AsyncSession, hazard: Hazard, actor: Person | None) -> list[Person]:
    """Return the people to tell about a verification: the fixer and the enterprise's leads."""
    people: dict[int, Person] = {}
    fix = await last_event(session, hazard.id, Action.FIX)
    if fix is not None and fix.actor is not None:
        people[fix.actor.id] = fix.actor
    for lead in await people_of_enterprise(session, hazard.enterprise_id, [Role.LEAD]):
        people[lead.id] = lead
    return [p for p in people.values() if not _same(p, actor)]


async def _record(
    session: AsyncSession,
    hazard: Hazard,
    actor: Person | None,
    action: Action,
    at: datetime,
    *,
    to_status: HazardStatus | None = None,
    note: str | None = None,
    data: dict[str, Any] | None = None,
    files: Sequence[tuple[str, Sequence[Photo] | Sequence[Document]]] = (),
    added: list[int] | None = None,
    recorded_at: datetime | None = None,
) -> HazardEvent:
    """Write one event after checking it against `RULES`, and apply its status change.

    `files` (phase, photos or documents) are linked through the event before it is sealed, so the chain
    covers them; `added` receives how many of each were new. A back-filled (补录) event happened `at`
    and was entered `recorded_at`: its audit row is dated then and says so (`domain/hazards/backfill.py`).
    """
    added = added if added is not None else []
    from_status = None if action == Action.REPORT else hazard.status
    rule = RULES[action]
    if from_status not in rule.sources or to_status not in rule.targets:
        raise Refused(Refusal.WRONG_STATUS, hazard)
    if to_status is not None:
        hazard.status = to_status
        if to_status == S.CLOSED:
            hazard.closed_at = at
    hazard.updated_at = at
    # Lock the chain head before the insert, so ids are handed out in chain order (`domain/hazards/chain.py`).
    head = await chain.lock_head(session)
    event = HazardEvent(
        hazard_id=hazard.id,
        at=at,
        actor_kind=ActorKind.SYSTEM if actor is None else ActorKind.PERSON,
        actor_id=actor.id if actor is not None else None,
        action=action,
        from_status=from_status,
        to_status=to_status,
        note=note,
        data=data or {},
    )
    session.add(event)
    set_committed_value(event, "actor", actor)  # loaded, for who is told and the card
    await session.flush()
    for phase, items in files:
        added.append(await _attach(session, hazard, event, items, phase, at))
    chain.seal(head, event, await chain.current_state(session, hazard))  # the state after this event
    if action in (Action.REPORT, Action.EDIT):  # the events that write a description: what a search finds
        await search.refresh(session, hazard, old=(data or {}).get("from", "") if action == Action.EDIT else None)
    await session.flush()
    await audit(
        session,
        recorded_at or at,
        actor,
        f"hazard.{action}",
        "hazard",
        hazard.code,
        from_status=from_status,
        to_status=to_status,
        **({"backfill": True, "happened_at": at.isoformat()} if recorded_at else {}),
    )
    return event


async def _attach(
    session: AsyncSession,
    hazard: Hazard,
    event: HazardEvent,
    files: Sequence[Photo] | Sequence[Document],
    phase: str,
    at: datetime,
) -> int:
    """Link photos or documents to a hazard through the event that brought them; return how many were new."""
    if not files:
        return 0
    link: type[HazardPhoto] | type[HazardDocument]
    if isinstance(files[0], Photo):
        link, column, relation = HazardPhoto, HazardPhoto.photo_id, "photo"
    else:
        link, column, relation = HazardDocument, HazardDocument.document_id, "document"
    linked = await session.scalars(select(column).where(link.hazard_id == hazard.id, link.phase == phase))
    existing = set(linked.all())
    added = 0
    for item in files:
        if item.id in existing:
            continue
        existing.add(item.id)
        row = link(hazard_id=hazard.id, event_id=event.id, phase=phase, created_at=at, **{column.key: item.id})
        session.add(row)
        set_committed_value(row, relation, item)
        added += 1
    await session.flush()
    return added
