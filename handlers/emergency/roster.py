"""The emergency command's roster (应急救援指挥部): `/roster` lists it privately with phones (managers),
`/roster add|remove|link|import` keeps it (admins; an Excel file for import, the same reader as
`safetybot roster import`), and `/emergency` tells anyone with a role, privately, who to call first: the
office that coordinates and the on-duty chain. A group never sees a phone number: it is told the answer
went privately, or asked to write privately.

The rules and operations are `domain/emergency/`; the file reader `domain/emergency/roster_file.py`.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.messages import Attachment, ChatRef, Incoming, Reply, clean_text
from bot.routing import HandlerResult, Router
from domain.emergency import operations as emergency_ops
from domain.emergency import queries as emergency_queries
from domain.emergency.operations import MemberLine
from domain.emergency.roster_file import RosterFileError, read_roster
from domain.emergency.rules import MAX_DUTY_ORDER, Refusal, call_first, may_keep_roster, roll_order
from domain.outcome import Refused
from domain.park.rules import Perm
from handlers import texts as T
from handlers.broadcast import private_chat
from handlers.util import Reach, recipient
from storage import attachments as attachment_rows
from storage.models import EmergencyMember, Person

router = Router("emergency.roster")

DEPUTY_RE = re.compile(r"^(?:代理人|副职|AB角|代理)[:：]?(.+)$", re.IGNORECASE)
DUTY_RE = re.compile(r"^(?:值班|值班顺序)[:：]?(\d{1,3})$")
PHONE_LIKE = re.compile(r"^\+?[\d-]+$")
OFFICE_WORDS = ("办公室", "应急办")


def _privately(actor: Person, chat: ChatRef, reach: Reach, reply: Reply, sent: str, need: str) -> list[Reply]:
    """Send what carries phone numbers privately: as is in a private chat; from a group, to the person only."""
    if not chat.is_group:
        return [reply]
    if private_chat(actor, reach) is not None:
        return [replace(reply, people=(recipient(actor),)), Reply(text=sent.format(name=actor.display_name))]
    return [Reply(text=need.format(name=actor.display_name))]


def _line_of(m: EmergencyMember, order: str) -> str:
    deputy = T.EMERGENCY_DEPUTY.format(deputy=m.deputy) if m.deputy else ""
    return T.EMERGENCY_LINE.format(order=order, name=m.name, role=m.command_role, unit=m.unit, phones="、".join(m.phones), deputy=deputy)


def emergency_text(members: Sequence[EmergencyMember]) -> str:
    """Say who to call first: the office that coordinates, then the on-duty chain, with their phones."""
    office, chain = call_first(members)
    lines = [T.EMERGENCY_TITLE]
    if office:
        lines.append(T.EMERGENCY_OFFICE)
        lines += [_line_of(m, "· ") for m in office]
    lines.append(T.EMERGENCY_CHAIN)
    lines += [_line_of(m, f"{i}. ") for i, m in enumerate(chain, start=1)] or [T.EMERGENCY_NO_CHAIN]
    lines.append(T.EMERGENCY_FOOTER.format(count=len(members)))
    return "\n".join(lines)


@router.command("emergency", perm=Perm.VIEW, help_text=T.EMERGENCY_HELP["emergency"], read_only=True)
async def emergency(msg: Incoming, *, session: AsyncSession, actor: Person, reach: Reach) -> HandlerResult:
    """Tell privately who to call first in an emergency (never a phone number in a group)."""
    members = await emergency_queries.members(session)
    if not members:
        return Reply(text=T.ROSTER_EMPTY)
    reply = Reply(text=emergency_text(members))
    return _privately(actor, msg.chat, reach, reply, T.EMERGENCY_SENT_PRIVATELY, T.EMERGENCY_NEED_PRIVATE)


def roster_text(members: Sequence[EmergencyMember]) -> str:
    """List the whole roster with phones, and who has no chat account."""
    lines = [T.ROSTER_TITLE.format(count=len(members))]
    for m in roll_order(members):  # the office, the on-duty chain, the rest: as a roll call lists them
        lines.append(
            T.ROSTER_LINE.format(
                order=T.ROSTER_ORDER.format(order=m.duty_order) if m.duty_order is not None else "· ",
                name=m.name,
                role=m.command_role,
                unit=m.unit,
                phones="、".join(m.phones),
                deputy=T.ROSTER_DEPUTY.format(deputy=m.deputy) if m.deputy else "",
                office=T.ROSTER_OFFICE if m.office else "",
                account=T.ROSTER_ACCOUNT.format(name=m.person.display_name) if m.person is not None else "",
            )
        )
    lines.append(_unlinked(members))
    return "\n".join(lines)


def _unlinked(members: Sequence[EmergencyMember]) -> str:
    unlinked = [m.name for m in members if m.person_id is None]
    if not unlinked:
        return T.ROSTER_ALL_LINKED
    return T.ROSTER_UNLINKED.format(count=len(unlinked), names="、".join(unlinked))


@router.command("roster", perm=Perm.ROSTER_VIEW, help_text=T.EMERGENCY_HELP["roster"])
async def roster(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    attachments: list[Attachment],
    reach: Reach,
) -> HandlerResult:
    """List the roster privately (`/roster`), or keep it: add, remove, link, import (admins)."""
    words = clean_text(msg.args, 400).split()
    verb = words[0].lower() if words else ""
    if not verb:
        members = await emergency_queries.members(session)
        if not members:
            return Reply(text=T.ROSTER_EMPTY)
        reply = Reply(text=roster_text(members))
        return _privately(actor, msg.chat, reach, reply, T.ROSTER_SENT_PRIVATELY, T.ROSTER_NEED_PRIVATE)
    if verb not in ("add", "remove", "link", "import", "添加", "移出", "关联", "导入"):
        return Reply(text=T.ROSTER_USAGE)
    if not may_keep_roster(actor):
        return Reply(text=T.ROSTER_ONLY_ADMINS)
    rest = words[1:]
    try:
        if verb in ("add", "添加"):
            return await _add(session, actor, rest, now)
        if verb in ("remove", "移出"):
            if len(rest) != 1:
                return Reply(text=T.ROSTER_REMOVE_USAGE)
            change = await emergency_ops.remove_member(session, actor, rest[0], now)
            return Reply(text=T.ROSTER_REMOVED.format(name=change.subject.name))
        if verb in ("link", "关联"):
            return await _link(session, actor, rest, now)
        return await _import(session, actor, attachments, settings, now)
    except Refused as exc:
        return Reply(text=member_refusal(exc))


def parse_add(words: list[str]) -> MemberLine | str:
    """Read `/roster add <姓名> <职务> <单位> <电话>… [代理人：x] [值班：n] [办公室]`, or say what is wrong."""
    if len(words) < 3:
        return T.ROSTER_ADD_MISSING.format(what=T.ROSTER_ADD_WHAT[len(words)])
    name, role, unit = words[:3]
    phones: list[str] = []
    deputy: str | None = None
    order: int | None = None
    office = False
    for word in words[3:]:
        if PHONE_LIKE.match(word):
            phones.append(word)
        elif (m := DEPUTY_RE.match(word)) is not None:
            deputy = m.group(1)
        elif (m := DUTY_RE.match(word)) is not None:
            order = int(m.group(1))
            if order > MAX_DUTY_ORDER:
                return T.ROSTER_BAD_ORDER
        elif word in OFFICE_WORDS:
            office = True
        else:
            return T.ROSTER_BAD_WORD.format(word=word[:20])
    return MemberLine(name=name, command_role=role, unit=unit, phones=phones, deputy=deputy, office=office, duty_order=order)


async def _add(session: AsyncSession, actor: Person, words: list[str], now: datetime) -> Reply:
    """Add or change one member."""
    line = parse_add(words)
    if isinstance(line, str):
        return Reply(text=line)
    existing = await emergency_queries.member_named(session, line.name)
    fresh = existing is None or existing.removed_at is not None  # before the save revives a removed one
    change = await emergency_ops.save_member(session, actor, line, now)
    member = change.subject
    linked = (
        T.ROSTER_LINKED_TO.format(person=member.person.display_name)
        if member.person is not None
        else T.ROSTER_NOT_LINKED.format(name=member.name)
    )
    said = T.ROSTER_SAVED if fresh else T.ROSTER_CHANGED
    return Reply(text=said.format(name=member.name, role=member.command_role, unit=member.unit, linked=linked))


async def _link(session: AsyncSession, actor: Person, words: list[str], now: datetime) -> Reply:
    """Link a member to a chat account, or unlink them."""
    if len(words) < 2:
        return Reply(text=T.ROSTER_LINK_USAGE)
    name, text = words[0], " ".join(words[1:])
    if text in T.ROSTER_UNLINK_WORDS:
        change = await emergency_ops.link_member(session, actor, name, None, now)
        return Reply(text=T.ROSTER_UNLINK_DONE.format(name=change.subject.name))
    found = await emergency_queries.find_account(session, text)
    if not found:
        return Reply(text=T.ROSTER_LINK_WHO.format(text=text[:40]))
    if len(found) > 1:
        names = "、".join(f"{p.display_name}（{p.platform}:{p.external_id}）" for p in found[:5])
        return Reply(text=T.ROSTER_LINK_MANY.format(text=text[:40], names=names))
    change = await emergency_ops.link_member(session, actor, name, found[0], now)
    return Reply(text=T.ROSTER_LINK_DONE.format(name=change.subject.name, person=found[0].display_name))


async def _import(
    session: AsyncSession, actor: Person, attachments: list[Attachment], settings: Settings, now: datetime
) -> Reply:
    """Import the roster from the Excel or CSV file sent with the command: every line, or none."""
    tables = (".xlsx", ".csv")  # a CSV is kept like any document (UTF-8 or GBK text, `storage/photos.py`)
    sent = next((a.document for a in attachments if a.document is not None and a.document.file_name.lower().endswith(tables)), None)
    if sent is None:
        return Reply(text=T.ROSTER_IMPORT_NEED_FILE)
    try:
        lines = read_roster(await asyncio.to_thread(sent.path.read_bytes), sent.file_name)
    except RosterFileError as exc:
        return Reply(text=T.ROSTER_NOTHING_IMPORTED.format(problem=file_problem(exc)))
    try:  # every line is checked before the first is kept: a refusal leaves the roster as it was
        added, changed = await emergency_ops.import_members(session, actor, lines, now)
    except Refused as exc:
        return Reply(text=T.ROSTER_NOTHING_IMPORTED.format(problem=member_refusal(exc)))
    await attachment_rows.save_document(session, sent, settings.storage.photo_dir, now)  # the file is kept
    members = await emergency_queries.members(session)
    return Reply(text=T.ROSTER_IMPORTED.format(added=added, changed=changed, total=len(members), unlinked=_unlinked(members)))


def file_problem(exc: RosterFileError) -> str:
    """Say what is wrong with an imported roster file."""
    value = T.ROSTER_FIELDS.get(exc.value, exc.value) if exc.problem == "empty_field" else exc.value
    return T.ROSTER_FILE_PROBLEMS[exc.problem].format(line=exc.line, value=value[:30])


def member_refusal(exc: Refused) -> str:
    """Say why a member could not be kept (with the file's line when an import refused it)."""
    detail = exc.detail
    match exc.reason:
        case Refusal.NOT_MEMBER:
            said = T.ROSTER_NOT_MEMBER.format(name=str(detail.get("name", ""))[:20])
        case Refusal.BAD_NAME:
            said = T.ROSTER_BAD_NAME
        case Refusal.NO_PHONE:
            said = T.ROSTER_NO_PHONE
        case Refusal.TOO_MANY_PHONES:
            said = T.ROSTER_TOO_MANY_PHONES
        case Refusal.BAD_PHONE:
            said = T.ROSTER_BAD_PHONE
        case Refusal.BAD_ORDER:
            said = T.ROSTER_BAD_ORDER
        case Refusal.PERSON_TAKEN:
            said = T.ROSTER_PERSON_TAKEN.format(person=detail.get("person", ""), holder=detail.get("holder", ""))
        case Refusal.ACCOUNT_UNKNOWN:
            said = T.ROSTER_ACCOUNT_UNKNOWN.format(account=str(detail.get("account", ""))[:40])
        case _:
            said = T.ROSTER_ONLY_ADMINS
    line = detail.get("line")
    return T.ROSTER_FILE_LINE.format(line=line) + said if line else said
