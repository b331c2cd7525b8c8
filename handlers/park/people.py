"""People and roles: /help, /whoami, /join with its approval card, and /role (/start, which shows a known
person their to-do list first, is `handlers/todo/`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.buttons import CallbackData
from bot.config import Settings
from bot.messages import Button, ButtonPress, Card, CardField, CardStatus, ChatRef, Incoming, Reply
from bot.questions import Question
from bot.routing import Route, Router
from domain.park import operations as park_ops
from domain.park import queries as park_queries
from domain.park.rules import (
    JOIN_DECIDERS_OWN,
    JOIN_DECIDERS_PARK,
    Perm,
    binds_enterprise,
    holds_role,
    is_enterprise_staff,
    is_manager,
    is_stranger,
    join_still_fits,
    may_ask_to_join,
    may_decide_join,
    may_recheck,
    may_view_people,
    role_allows,
)
from handlers import texts as T
from handlers.util import Reach, own_enterprise, pick_enterprise, recipients, refuse
from storage.enums import JoinStatus, Role
from storage.identity import Actor
from storage.models import Enterprise, JoinRequest, Person

router = Router("people")


@dataclass(frozen=True)
class JoinPickButton(CallbackData, prefix="joinpick"):
    """One of the closest enterprises for a /join that did not name one exactly."""

    role: Role  # only lead or member are accepted
    enterprise_id: int


@dataclass(frozen=True)
class RolePickButton(CallbackData, prefix="rolepick"):
    """The enterprise of a /role that did not name one exactly, picked by the admin."""

    person_id: int
    role: Role  # only lead or member are accepted
    enterprise_id: int


@dataclass(frozen=True)
class JoinDecideButton(CallbackData, prefix="join"):
    """批准 / 拒绝 on a join request card."""

    request_id: int
    decision: Literal["approve", "reject"]


@router.command("help", perm=Perm.PUBLIC, help_text=T.HELP["help"], read_only=True)
async def help_(msg: Incoming, *, actor: Actor, commands: dict[str, Route], settings: Settings) -> Reply:
    """List the person's commands in a private chat; in a group, a few lines and a pointer to the full list."""
    role = T.role_name(actor.role)
    if msg.chat.is_group:
        return Reply(text=T.HELP_GROUP.format(role=role, lines="\n".join(_group_help(actor))))
    lines = [T.HELP_HEADER.format(role=role)]
    for name, route in commands.items():
        if name == "join" and not is_stranger(actor):
            continue  # somebody with a role has it changed by an admin, not by /join
        if route.perm == Perm.HAZARD_RECHECK and not may_recheck(actor, settings.park.inspector_recheck):
            continue  # an inspector re-checks only where the park allows it
        if route.help_text and role_allows(actor.role, route.perm):
            lines.append(route.help_text)
    if role_allows(actor.role, Perm.HAZARD_VERIFY):
        lines.append(T.HELP_VERIFY)
    elif may_recheck(actor, settings.park.inspector_recheck):
        lines.append(T.HELP_RECHECK)
    lines.append(T.HELP_FOOTER)
    return Reply(text="\n".join(lines))


def _group_help(actor: Actor) -> list[str]:
    """Return the few group-chat lines that fit the person's role."""
    if is_stranger(actor):
        return [T.HELP_GROUP_LINES["join"]]
    keys = ["hazard"]
    if is_enterprise_staff(actor):
        keys += ["fix", "receipt"]
    if role_allows(actor.role, Perm.HAZARD_VERIFY):
        keys.append("verify")
    if role_allows(actor.role, Perm.NOTICE_SEND):
        keys.append("notices")
    keys.append("hazards")
    return [T.HELP_GROUP_LINES[k] for k in keys]


@router.command("whoami", perm=Perm.PUBLIC, help_text=T.HELP["whoami"], read_only=True)
async def whoami(msg: Incoming, *, actor: Actor) -> Reply:
    """Show the person's name, role, enterprise and any pending join request."""
    text = T.WHOAMI.format(
        name=actor.display_name,
        role=T.role_name(actor.role),
        enterprise=actor.enterprise.name if actor.enterprise else T.NONE,
        key=f"{actor.platform}:{actor.external_id}",
    )
    if actor.pending_enterprise is not None:
        text += T.WHOAMI_PENDING.format(enterprise=actor.pending_enterprise, role=T.role_name(actor.pending_role))
    return Reply(text=text)


@router.command("cancel", perm=Perm.PUBLIC, help_text=T.HELP["cancel"])
async def cancel(msg: Incoming, *, question: Question | None) -> Reply:
    """Drop the question the bot was waiting on (the dispatcher already ended it)."""
    return Reply(text=T.CANCELLED if question is not None else T.NOTHING_TO_CANCEL)


# --- /join ------------------------------------------------------------------------------------


def _split_role(args: str) -> tuple[str, Role]:
    """Split `<企业> [负责人|员工]` into enterprise text and a lead/member role."""
    words = args.split()
    named = T.ROLE_WORDS.get(words[-1].lower()) if len(words) > 1 else None
    if named is not None and binds_enterprise(Role(named)):
        return " ".join(words[:-1]), Role(named)
    return args, Role.MEMBER


@router.command("join", perm=Perm.PUBLIC, help_text=T.HELP["join"])
async def join(
    msg: Incoming, *, session: AsyncSession, actor: Person, now: datetime, reach: Reach
) -> list[Reply]:
    """Ask to become a lead or member of an enterprise; admins get a card to decide."""
    if not msg.args:
        return [Reply(text=T.JOIN_USAGE)]
    text, role = _split_role(msg.args)
    found = await pick_enterprise(session, text, button=lambda eid: JoinPickButton(role, eid))
    if isinstance(found, Reply):
        return [found]
    return await _open_join(session, actor, found.id, role, msg.chat, now, reach)


@router.button(JoinPickButton, perm=Perm.PUBLIC)
async def join_pick(
    press: ButtonPress,
    *,
    session: AsyncSession,
    actor: Person,
    now: datetime,
    button: JoinPickButton,
    reach: Reach,
) -> list[Reply]:
    """Finish a /join after the person picked one enterprise from the closest matches."""
    if not binds_enterprise(button.role):
        return [Reply(text=T.BUTTON_STALE, toast=True)]
    return await _open_join(session, actor, button.enterprise_id, button.role, press.chat, now, reach)


async def _open_join(
    session: AsyncSession,
    actor: Person,
    enterprise_id: int,
    role: Role,
    origin: ChatRef,
    now: datetime,
    reach: Reach,
) -> list[Reply]:
    enterprise = await park_queries.get_enterprise(session, enterprise_id)
    if enterprise is None or not enterprise.active:
        return [Reply(text=T.BUTTON_STALE)]
    if not may_ask_to_join(actor):
        return [Reply(text=T.JOIN_PRIVILEGED.format(role=T.role_name(actor.role)))]
    if holds_role(actor, role, enterprise.id):
        return [Reply(text=T.JOIN_ALREADY.format(enterprise=enterprise.name, role=T.role_name(role)))]
    request = await park_ops.create_join(
        session,
        actor,
        enterprise,
        role,
        origin_platform=origin.platform,
        origin_chat_id=origin.chat_id,
        at=now,
    )
    card = join_card(request)
    deciders = [*await park_queries.people_with_role(session, None, JOIN_DECIDERS_PARK)]
    deciders += [
        p
        for p in await park_queries.people_of_enterprise(session, enterprise.id, JOIN_DECIDERS_OWN)
        if p.id != actor.id and all(p.id != d.id for d in deciders)
    ]
    admins = recipients(deciders, reach)
    replies = [Reply(text=T.JOIN_SENT.format(enterprise=enterprise.name, role=T.role_name(role)))]
    if admins:
        replies.append(Reply(card=card, people=admins))
    elif origin.is_group:
        replies.append(Reply(card=card))  # no admin reachable privately: admins in this group decide
    elif await park_queries.park_group_chats(session, origin.platform):
        replies.append(Reply(card=card, to_groups=True))
    else:
        replies.append(Reply(text=T.JOIN_NO_ADMIN))
    return replies


def join_card(request: JoinRequest, decided_by: str | None = None) -> Card:
    """Build the join-request card; buttons only while it is pending."""
    status = {
        JoinStatus.PENDING: T.JOIN_STATUS_PENDING,
        JoinStatus.APPROVED: T.JOIN_STATUS_APPROVED.format(by=decided_by or ""),
        JoinStatus.REJECTED: T.JOIN_STATUS_REJECTED.format(by=decided_by or ""),
        JoinStatus.WITHDRAWN: T.JOIN_STATUS_WITHDRAWN,
    }[request.status]
    actions: tuple[tuple[Button, ...], ...] = ()
    if request.status == JoinStatus.PENDING:
        actions = (
            (
                Button(T.BTN_APPROVE, JoinDecideButton(request.id, "approve").pack()),
                Button(T.BTN_REJECT, JoinDecideButton(request.id, "reject").pack()),
            ),
        )
    return Card(
        key=f"join:{request.id}",
        kind="join",
        title=T.JOIN_CARD_TITLE,
        fields=(
            CardField("person", T.JOIN_FIELD_PERSON, request.person.display_name),
            CardField("enterprise", T.JOIN_FIELD_ENTERPRISE, request.enterprise.name),
            CardField("role", T.JOIN_FIELD_ROLE, T.role_name(request.role)),
        ),
        status=CardStatus(request.status.value, status, T.F_STATUS),
        actions=actions,
    )


@router.button(JoinDecideButton, perm=Perm.JOIN_DECIDE)
async def join_decide(
    press: ButtonPress,
    *,
    session: AsyncSession,
    actor: Person,
    now: datetime,
    button: JoinDecideButton,
    reach: Reach,
) -> list[Reply]:
    """Approve or reject a join request; tell the person; update every copy of the card."""
    request = await park_queries.get_join(session, button.request_id)
    if request is None:
        return [Reply(text=T.BUTTON_STALE, toast=True)]
    if not may_decide_join(actor, request.enterprise_id):
        text = T.JOIN_NOT_YOURS.format(enterprise=own_enterprise(actor))
        return [await refuse(session, actor, press, now, text)]
    approve = button.decision == "approve"
    if approve and not join_still_fits(request) and request.status == JoinStatus.PENDING:
        # Made a manager meanwhile, or the enterprise left the park's list: approving would demote or misfile.
        return [Reply(text=T.JOIN_STALE, toast=True)]
    if not await park_ops.decide_join(session, request, approve, actor=actor, at=now):
        decider = await park_queries.join_decider(session, request)
        card = join_card(request, decided_by=decider.display_name if decider else None)
        assert card.status is not None
        return [Reply(text=T.JOIN_ALREADY_DECIDED.format(status=card.status.text), toast=True)]
    card = join_card(request, decided_by=actor.display_name)
    assert card.status is not None
    person = request.person
    notice = (T.JOIN_APPROVED_NOTICE if approve else T.JOIN_REJECTED_NOTICE).format(
        enterprise=request.enterprise.name, role=T.role_name(request.role)
    )
    if reach(person):
        told = Reply(text=notice, people=recipients([person], reach))
    else:  # never wrote to the bot privately: answer where the request was made, naming the person
        notice = (T.JOIN_APPROVED_GROUP if approve else T.JOIN_REJECTED_GROUP).format(
            name=person.display_name,
            enterprise=request.enterprise.name,
            role=T.role_name(request.role),
            by=actor.display_name,
        )
        told = Reply(text=notice, chat=ChatRef(request.origin_platform, request.origin_chat_id, True))
    return [
        Reply(card=card, edit=True),
        told,
        Reply(text=T.JOIN_DONE_TOAST.format(status=card.status.text), toast=True),
    ]


# --- /role ------------------------------------------------------------------------------------


@router.command("role", perm=Perm.ROLE_SET, help_text=T.HELP["role"])
async def set_role(
    msg: Incoming, *, session: AsyncSession, actor: Person, now: datetime, reach: Reach
) -> list[Reply]:
    """Give a person a role; leads and members also get an enterprise."""
    words = msg.args.split()
    if len(words) < 2:
        return [Reply(text=T.ROLE_USAGE)]
    who, role_word, rest = words[0], words[1], " ".join(words[2:])
    role_value = T.ROLE_WORDS.get(role_word.lower())
    if role_value is None and role_word.lower() not in T.ROLE_NONE_WORDS:
        return [Reply(text=T.ROLE_UNKNOWN_ROLE.format(word=role_word[:20]))]
    found_people = await park_queries.find_people(session, actor.platform, who)
    if not found_people:
        return [Reply(text=T.ROLE_PERSON_NOT_FOUND.format(who=who[:40]))]
    if len(found_people) > 1:
        names = "、".join(f"{p.display_name}（{p.username or p.external_id}）" for p in found_people)
        return [Reply(text=T.ROLE_PERSON_AMBIGUOUS.format(who=who[:40], names=names))]
    person = found_people[0]
    if role_value is None:
        return await _remove_role(session, actor, person, now, reach)
    role = Role(role_value)
    enterprise = None
    if binds_enterprise(role):
        if not rest:
            return [Reply(text=T.ROLE_NEEDS_ENTERPRISE.format(role=T.role_name(role)))]
        found = await pick_enterprise(
            session, rest, button=lambda eid: RolePickButton(person.id, role, eid)
        )
        if isinstance(found, Reply):
            return [found]
        enterprise = found
    return await _give_role(session, actor, person, role, enterprise, now, reach)


@router.button(RolePickButton, perm=Perm.ROLE_SET)
async def role_pick(
    press: ButtonPress,
    *,
    session: AsyncSession,
    actor: Person,
    now: datetime,
    button: RolePickButton,
    reach: Reach,
) -> list[Reply]:
    """Finish a /role after the admin picked the enterprise from the closest names."""
    person = await park_queries.get_person(session, button.person_id)
    enterprise = await park_queries.get_enterprise(session, button.enterprise_id)
    if person is None or enterprise is None or not enterprise.active or not binds_enterprise(button.role):
        return [Reply(text=T.BUTTON_STALE, toast=True)]
    return await _give_role(session, actor, person, button.role, enterprise, now, reach)


async def _give_role(
    session: AsyncSession,
    actor: Person,
    person: Person,
    role: Role,
    enterprise: Enterprise | None,
    now: datetime,
    reach: Reach,
) -> list[Reply]:
    """Give the role, say so, and tell the person privately when the bot can."""
    await park_ops.set_role(session, person, role, enterprise, actor=actor, at=now)
    in_ent = T.IN_ENTERPRISE.format(name=enterprise.name) if enterprise else ""
    said = T.ROLE_SET.format(name=person.display_name, role=T.role_name(role), enterprise=in_ent)
    notice = T.ROLE_SET_NOTICE.format(role=T.role_name(role), enterprise=in_ent)
    return [Reply(text=said), *_tell_privately(person, actor, reach, notice)]


async def _remove_role(
    session: AsyncSession, actor: Person, person: Person, now: datetime, reach: Reach
) -> list[Reply]:
    """Take a person's role (and enterprise) away; tell them privately when the bot can."""
    was = T.role_name(person.role)
    in_ent = T.IN_ENTERPRISE.format(name=person.enterprise.name) if person.enterprise else ""
    await park_ops.set_role(session, person, None, None, actor=actor, at=now)
    said = T.ROLE_REMOVED.format(name=person.display_name, role=was, enterprise=in_ent)
    return [Reply(text=said), *_tell_privately(person, actor, reach, T.ROLE_REMOVED_NOTICE)]


def _tell_privately(person: Person, actor: Person, reach: Reach, text: str) -> list[Reply]:
    """Tell the person privately about a change somebody else made to their role, when the bot can write to them."""
    if person.id == actor.id or not reach(person):
        return []
    return [Reply(text=text, people=recipients([person], reach))]


# --- /people ----------------------------------------------------------------------------------


@router.command("people", perm=Perm.PEOPLE_VIEW, help_text=T.HELP["people"])
async def list_people(msg: Incoming, *, session: AsyncSession, actor: Person) -> Reply:
    """List an enterprise's people with their roles (leads: their own; managers: any, or the whole park)."""
    enterprise = None
    if msg.args.strip():
        found = await pick_enterprise(session, msg.args, button=None)
        if isinstance(found, Reply):
            return found
        enterprise = found
    elif not is_manager(actor):
        enterprise = actor.enterprise
    enterprise_id = enterprise.id if enterprise is not None else None
    if not may_view_people(actor, enterprise_id):
        return Reply(text=T.PEOPLE_NOT_OWN.format(enterprise=own_enterprise(actor)))
    title = T.PEOPLE_TITLE_PARK
    if enterprise is not None:
        title = T.PEOPLE_TITLE_ENTERPRISE.format(enterprise=enterprise.name)
    found_people = await park_queries.people_with_roles(session, enterprise_id)
    if not found_people:
        return Reply(text=T.PEOPLE_EMPTY.format(title=title))
    lines = [T.PEOPLE_HEADER.format(title=title, count=len(found_people))]
    group: str | None = None
    for p in found_people:
        name = p.enterprise.name if p.enterprise else T.PEOPLE_PARK_STAFF
        if enterprise is None and name != group:
            group = name
            lines.append(T.PEOPLE_GROUP.format(name=name))
        lines.append(T.PEOPLE_LINE.format(name=p.display_name, role=T.role_name(p.role)))
    return Reply(text="\n".join(lines))
