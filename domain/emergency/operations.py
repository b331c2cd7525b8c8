"""The emergency command domain (应急救援指挥部): admins keep its members (by command or an imported file),
link them to chat people, and managers call the roll (应急点名): every linked member is asked privately to
answer 到, the silent ones are reminded, and the call is ended.

Each operation checks its rule (`domain/emergency/rules.py`), changes rows (re-read under a lock where two
presses may race), writes an audit row (`storage/audit.py`) and returns a `domain.outcome.Change` (or raises
`Refused`). A member is linked to a chat person by an exact display name when exactly one person has it and
nobody else claimed them, or by the admin's `/roster link`; the link is kept until changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from domain import events
from domain.emergency import queries
from domain.emergency.rules import (
    NOTE_LIMIT,
    ROLE_LIMIT,
    UNIT_LIMIT,
    Refusal,
    Tell,
    answered,
    is_drill,
    is_open,
    may_call_roll,
    may_keep_roster,
    phones_refusal,
    reminder_due,
    roll_order,
    valid_name,
    valid_order,
)
from domain.outcome import Change, Refused
from storage.audit import audit
from storage.models import EmergencyMember, Person, RollCall, RollCallAnswer


@dataclass(frozen=True)
class MemberLine:
    """One member as a command or a file line gives it; `account` (optional) names their chat person."""

    name: str
    command_role: str
    unit: str
    phones: list[str]
    deputy: str | None = None
    office: bool = False
    duty_order: int | None = None
    account: str | None = None
    line: int | None = None  # the file's line, for a refusal to name


def check_line(line: MemberLine) -> Refusal | None:
    """Return why a member line cannot be kept (None: it can)."""
    if not valid_name(line.name) or (line.deputy is not None and not valid_name(line.deputy)):
        return Refusal.BAD_NAME
    if not valid_name(line.command_role, ROLE_LIMIT) or not 0 < len(line.unit) <= UNIT_LIMIT:
        return Refusal.BAD_NAME
    if not valid_order(line.duty_order):
        return Refusal.BAD_ORDER
    return phones_refusal(line.phones)


async def save_member(session: AsyncSession, actor: Person | None, line: MemberLine, at: datetime) -> Change[EmergencyMember]:
    """Add a member, or change the one of that name (a removed one comes back); link them by name or account.

    `actor` None: the command-line import, run by whoever runs the bot."""
    if actor is not None and not may_keep_roster(actor):
        raise Refused(Refusal.NOT_ALLOWED)
    refusal = check_line(line)
    if refusal is not None:
        raise Refused(refusal, None, line=line.line, name=line.name)
    member = await queries.member_named(session, line.name)
    created = member is None or member.removed_at is not None
    if member is None:
        member = EmergencyMember(name=line.name, created_at=at, person_id=None)
        session.add(member)
        set_committed_value(member, "person", None)
    member.command_role = line.command_role
    member.unit = line.unit
    member.phones = list(line.phones)
    member.deputy = line.deputy
    member.office = line.office
    member.duty_order = line.duty_order
    member.updated_at = at
    member.removed_at = None
    await session.flush()
    if line.account:
        found = await queries.find_account(session, line.account)
        if len(found) != 1:
            raise Refused(Refusal.ACCOUNT_UNKNOWN, member, line=line.line, account=line.account, found=len(found))
        await _link(session, member, found[0], line.line)
    elif member.person_id is None:
        await _link_by_name(session, member)
    action = "emergency.member_add" if created else "emergency.member_change"
    await audit(session, at, actor, action, "emergency_member", member.name, person=member.person_id)
    return Change(member, action)


async def import_members(
    session: AsyncSession, actor: Person | None, lines: list[MemberLine], at: datetime
) -> tuple[int, int]:
    """Keep every line of an imported roster (all or nothing: the caller's transaction); return (added, changed)."""
    if actor is not None and not may_keep_roster(actor):
        raise Refused(Refusal.NOT_ALLOWED)
    await _check_import(session, lines)  # every refusal before the first write: nothing is half imported
    added = changed = 0
    for line in lines:
        existing = await queries.member_named(session, line.name)
        fresh = existing is None or existing.removed_at is not None  # before the save revives a removed one
        await save_member(session, actor, line, at)
        if fresh:
            added += 1
        else:
            changed += 1
    await audit(session, at, actor, "emergency.import", "emergency_member", None, added=added, changed=changed)
    return added, changed


async def _check_import(session: AsyncSession, lines: list[MemberLine]) -> None:
    """Raise the first refusal any line of an import would meet, naming its line."""
    claimed: dict[int, str] = {}
    for line in lines:
        refusal = check_line(line)
        if refusal is not None:
            raise Refused(refusal, None, line=line.line, name=line.name)
        if not line.account:
            continue
        found = await queries.find_account(session, line.account)
        if len(found) != 1:
            raise Refused(Refusal.ACCOUNT_UNKNOWN, None, line=line.line, account=line.account, found=len(found))
        person = found[0]
        holder = await queries.member_of(session, person.id)
        other = claimed.get(person.id) or (
            holder.name if holder is not None and holder.removed_at is None and holder.name != line.name else None
        )
        if other is not None:
            raise Refused(Refusal.PERSON_TAKEN, None, line=line.line, holder=other, person=person.display_name)
        claimed[person.id] = line.name


async def remove_member(session: AsyncSession, actor: Person, name: str, at: datetime) -> Change[EmergencyMember]:
    """Take a member off the command (their row stays for old roll calls; the chat link is let go)."""
    if not may_keep_roster(actor):
        raise Refused(Refusal.NOT_ALLOWED)
    member = await queries.member_named(session, name)
    if member is None or member.removed_at is not None:
        raise Refused(Refusal.NOT_MEMBER, None, name=name)
    member.removed_at = at
    member.updated_at = at
    member.person_id = None
    set_committed_value(member, "person", None)
    await audit(session, at, actor, "emergency.member_remove", "emergency_member", member.name)
    return Change(member, "remove")


async def link_member(
    session: AsyncSession, actor: Person, name: str, person: Person | None, at: datetime
) -> Change[EmergencyMember]:
    """Link a member to a chat person (None: unlink), who then answers roll calls privately."""
    if not may_keep_roster(actor):
        raise Refused(Refusal.NOT_ALLOWED)
    member = await queries.member_named(session, name)
    if member is None or member.removed_at is not None:
        raise Refused(Refusal.NOT_MEMBER, None, name=name)
    if person is None:
        member.person_id = None
        set_committed_value(member, "person", None)
    else:
        await _link(session, member, person, None)
    member.updated_at = at
    await audit(session, at, actor, "emergency.member_link", "emergency_member", member.name, person=member.person_id)
    return Change(member, "link")


async def _link(session: AsyncSession, member: EmergencyMember, person: Person, line: int | None) -> None:
    """Link the member to the person, unless another member holds that person."""
    holder = await queries.member_of(session, person.id)
    if holder is not None and holder.id != member.id:
        if holder.removed_at is None:
            raise Refused(Refusal.PERSON_TAKEN, member, line=line, holder=holder.name, person=person.display_name)
        holder.person_id = None  # a removed member's old link is let go
        set_committed_value(holder, "person", None)
        await session.flush()
    member.person_id = person.id
    set_committed_value(member, "person", person)
    await session.flush()


async def _link_by_name(session: AsyncSession, member: EmergencyMember) -> None:
    """Link an unlinked member to the one chat person of their exact name, when nobody holds that person."""
    found = await queries.people_named(session, member.name)
    if len(found) == 1 and await queries.member_of(session, found[0].id) is None:
        member.person_id = found[0].id
        set_committed_value(member, "person", found[0])
        await session.flush()


# --- the roll call (应急点名) ---------------------------------------------------------------------------


async def start_call(session: AsyncSession, actor: Person, note: str, at: datetime) -> Change[RollCall]:
    """Start a roll call: one answer row per present member; linked members are to be asked privately."""
    if not may_call_roll(actor):
        raise Refused(Refusal.NOT_ALLOWED)
    existing = await queries.open_call(session)
    if existing is not None:
        raise Refused(Refusal.OPEN, existing)
    present = roll_order(await queries.members(session))
    if not present:
        raise Refused(Refusal.NOBODY)
    for member in present:
        if member.person_id is None:
            await _link_by_name(session, member)  # people who started the bot since the roster was kept
    note = note[:NOTE_LIMIT]
    call = RollCall(note=note, drill=is_drill(note), caller_id=actor.id, started_at=at)
    session.add(call)
    set_committed_value(call, "caller", actor)
    await session.flush()
    asked: list[Person] = []
    for member in present:
        answer = RollCallAnswer(roll_call_id=call.id, member_id=member.id, person_id=member.person_id, reminded=0)
        session.add(answer)
        if member.person is not None:
            asked.append(member.person)
    await session.flush()
    await audit(session, at, actor, "alert.start", "roll_call", call.id, note=note, members=len(present))
    return Change(call, "start", {Tell.ASKED: asked})


async def answer(session: AsyncSession, call_id: int, actor: Person, at: datetime) -> Change[RollCallAnswer]:
    """Answer 到 for the actor's own line of a roll call; a second press changes nothing (event None)."""
    call = await queries.get_call(session, call_id)
    row = await queries.answer_of(session, call_id, actor.id) if call is not None else None
    if call is None or row is None:
        raise Refused(Refusal.NOT_ASKED, call)
    await events.lock(session, call)
    await events.lock(session, row)
    if answered(row):
        return Change(row, None)
    if not is_open(call):
        raise Refused(Refusal.ENDED, call)
    row.answered_at = at
    await audit(session, at, actor, "alert.answer", "roll_call", call.id, member=row.member.name)
    return Change(row, "answer")


async def end_call(session: AsyncSession, actor: Person, at: datetime) -> Change[RollCall]:
    """End the open roll call: it takes no more answers and reminds nobody."""
    if not may_call_roll(actor):
        raise Refused(Refusal.NOT_ALLOWED)
    call = await queries.open_call(session)
    if call is None:
        raise Refused(Refusal.NONE_OPEN)
    await events.lock(session, call)
    if not is_open(call):
        raise Refused(Refusal.NONE_OPEN)
    call.ended_at = at
    call.ended_by_id = actor.id
    await audit(session, at, actor, "alert.end", "roll_call", call.id)
    return Change(call, "end")


async def remind_silent(
    session: AsyncSession,
    call: RollCall,
    now: datetime,
    every: timedelta,
    most: int,
    reachable: Callable[[Person], bool],
) -> list[RollCallAnswer]:
    """Mark and return the silent linked members due a reminder now (`rules.reminder_due`) whom a private
    message reaches (`reachable`); the others stay on the card as not reminded, for a phone call."""
    if not is_open(call):
        return []
    due: list[RollCallAnswer] = []
    for row in await queries.answers(session, call.id):
        if row.person is None or not reachable(row.person):
            continue
        if reminder_due(row, call.started_at, now, every, most):
            await events.lock(session, row)
            if reminder_due(row, call.started_at, now, every, most):
                row.reminded += 1
                row.reminded_at = now
                due.append(row)
    if due:
        data: dict[str, Any] = {"members": [r.member.name for r in due]}
        await audit(session, now, None, "alert.remind", "roll_call", call.id, **data)
    return due
