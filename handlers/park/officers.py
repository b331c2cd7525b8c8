"""Officers per enterprise (包片包户): /officer (/包联) lists which committee officer looks after which
enterprise; an admin assigns one (several enterprises to one officer) or removes it.

Who may assign and who may be an officer are rules of the park (`domain/park/rules.py`); the change is
`domain/park/operations.assign_officer`, which checks them again under a lock.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.buttons import CallbackData
from bot.messages import ButtonPress, Incoming, Reply, clean_text
from bot.routing import Router
from domain.outcome import Change, Refused
from domain.park import operations as park_ops
from domain.park import queries as park_queries
from domain.park.rules import OfficerRefusal, Perm, acting_officer, may_assign_officer
from handlers import texts as T
from handlers.util import Reach, pick_enterprise, recipients, refuse
from storage.models import Enterprise, Person

router = Router("officers")

NAMES = "、"  # enterprises named in one line


@dataclass(frozen=True)
class OfficerPickButton(CallbackData, prefix="offpick"):
    """The enterprise of an /officer that did not name one exactly, picked by the admin."""

    enterprise_id: int
    officer_id: int  # 0: remove the enterprise's officer


@router.command("officer", perm=Perm.OFFICER_VIEW, help_text=T.OFFICER_HELP)
async def officer(
    msg: Incoming, *, session: AsyncSession, actor: Person, now: datetime, reach: Reach
) -> list[Reply]:
    """List the officers and their enterprises; with arguments, assign or remove an enterprise's officer."""
    words = [w for w in re.split(r"[\s、，,]+", clean_text(msg.args, 400)) if w]
    if not words:
        return [await _list(session)]
    if not may_assign_officer(actor):
        return [Reply(text=T.OFFICER_ONLY_ADMIN)]
    if len(words) < 2:
        return [Reply(text=T.OFFICER_USAGE)]
    *names, who = words
    new: Person | None = None
    if who.lower() not in T.ROLE_NONE_WORDS:
        found = await park_queries.find_people(session, actor.platform, who)
        if not found:
            return [Reply(text=T.ROLE_PERSON_NOT_FOUND.format(who=who[:40]))]
        if len(found) > 1:
            listed = NAMES.join(f"{p.display_name}（{p.username or p.external_id}）" for p in found)
            return [Reply(text=T.ROLE_PERSON_AMBIGUOUS.format(who=who[:40], names=listed))]
        new = found[0]
    enterprises: list[Enterprise] = []
    for name in dict.fromkeys(names):
        button = (lambda eid: OfficerPickButton(eid, new.id if new else 0)) if len(names) == 1 else None
        picked = await pick_enterprise(session, name, button=button)
        if isinstance(picked, Reply):
            return [picked]
        if all(e.id != picked.id for e in enterprises):
            enterprises.append(picked)
    return await _assign(session, actor, enterprises, new, now, reach)


@router.button(OfficerPickButton, perm=Perm.OFFICER_SET)
async def officer_pick(
    press: ButtonPress,
    *,
    session: AsyncSession,
    actor: Person,
    now: datetime,
    button: OfficerPickButton,
    reach: Reach,
) -> list[Reply]:
    """Finish an /officer after the admin picked the enterprise from the closest names."""
    if not may_assign_officer(actor):
        return [await refuse(session, actor, press, now, T.OFFICER_ONLY_ADMIN)]
    enterprise = await park_queries.get_enterprise(session, button.enterprise_id)
    new = await park_queries.get_person(session, button.officer_id) if button.officer_id else None
    if enterprise is None or (button.officer_id and new is None):
        return [Reply(text=T.BUTTON_STALE, toast=True)]
    return await _assign(session, actor, [enterprise], new, now, reach)


async def _assign(
    session: AsyncSession,
    actor: Person,
    enterprises: Sequence[Enterprise],
    new: Person | None,
    now: datetime,
    reach: Reach,
) -> list[Reply]:
    """Assign (or remove) the officer, say what changed, and tell the officers concerned privately."""
    try:
        changes = await park_ops.assign_officer(session, actor, enterprises, new, at=now)
    except Refused as refused:
        return [Reply(text=_refusal(refused, new))]
    changed = [c for c in changes if c.changed]
    names = NAMES.join(e.name for e in enterprises)
    if not changed:
        same = T.OFFICER_SAME.format(name=new.display_name, enterprises=names) if new else None
        return [Reply(text=same or T.OFFICER_NONE_ALREADY.format(enterprises=names))]
    before = await _previous(session, changed)
    replies: list[Reply] = []
    if new is not None:
        was = "".join(
            T.OFFICER_SET_BEFORE.format(enterprise=c.subject.name, name=p.display_name) for c, p in before
        )
        replies.append(Reply(text=T.OFFICER_SET.format(name=new.display_name, enterprises=names, before=was)))
        notice = T.OFFICER_SET_NOTICE.format(
            by=actor.display_name, enterprises=NAMES.join(c.subject.name for c in changed)
        )
        replies += _tell(new, actor, reach, notice)
    else:
        was = NAMES.join(dict.fromkeys(p.display_name for _, p in before))
        shown = T.OFFICER_REMOVED_BEFORE.format(names=was) if was else ""
        listed = NAMES.join(c.subject.name for c in changed)
        replies.append(Reply(text=T.OFFICER_REMOVED.format(enterprises=listed, before=shown)))
    dropped: dict[int, tuple[Person, list[str]]] = {}
    for c, p in before:
        dropped.setdefault(p.id, (p, []))[1].append(c.subject.name)
    for person, lost in dropped.values():
        notice = T.OFFICER_REMOVED_NOTICE.format(by=actor.display_name, enterprises=NAMES.join(lost))
        replies += _tell(person, actor, reach, notice)
    return replies


async def _previous(
    session: AsyncSession, changed: list[Change[Enterprise]]
) -> list[tuple[Change[Enterprise], Person]]:
    """Return each changed enterprise with the officer it had before (those that had one)."""
    found: list[tuple[Change[Enterprise], Person]] = []
    for c in changed:
        before_id = c.event["before"] if c.event else None
        person = await park_queries.get_person(session, before_id) if before_id else None
        if person is not None:
            found.append((c, person))
    return found


def _tell(person: Person, actor: Person, reach: Reach, text: str) -> list[Reply]:
    """Tell an officer privately about a change an admin made to what they look after."""
    if person.id == actor.id or not reach(person):
        return []
    return [Reply(text=text, people=recipients([person], reach))]


def _refusal(refused: Refused, new: Person | None) -> str:
    """Say why an assignment was refused."""
    if refused.reason == OfficerRefusal.NOT_MANAGER and new is not None:
        return T.OFFICER_NOT_MANAGER.format(name=new.display_name, role=T.role_name(new.role))
    if refused.reason == OfficerRefusal.ENTERPRISE_INACTIVE:
        return T.OFFICER_INACTIVE.format(enterprise=refused.subject.name)
    return T.OFFICER_ONLY_ADMIN


async def _list(session: AsyncSession) -> Reply:
    """List each officer with the enterprises they look after, then the enterprises without one."""
    enterprises = await park_queries.officer_list(session)
    if not enterprises:
        return Reply(text=T.OFFICER_LIST_EMPTY)
    by_officer: dict[int, tuple[Person, list[str]]] = {}
    without: list[str] = []
    for e in enterprises:
        person = acting_officer(e.officer)
        if person is None:
            without.append(e.name)
        else:
            by_officer.setdefault(person.id, (person, []))[1].append(e.name)
    assigned = len(enterprises) - len(without)
    header = T.OFFICER_LIST_HEADER.format(officers=len(by_officer), assigned=assigned, total=len(enterprises))
    lines = [header]
    lines += [
        T.OFFICER_LIST_LINE.format(name=p.display_name, enterprises=NAMES.join(n))
        for p, n in by_officer.values()
    ]
    if without:
        lines.append(T.OFFICER_LIST_NONE.format(count=len(without), enterprises=NAMES.join(without)))
    else:
        lines.append(T.OFFICER_LIST_ALL_SET)
    lines.append(T.OFFICER_LIST_HINT)
    return Reply(text="\n".join(lines))
