"""People and roles: /start, /help, /whoami, /join with its approval card, and /role."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.messages import Button, ButtonPress, Card, ChatRef, Incoming, Reply
from bot.routing import Route, Router
from handlers import texts as T
from handlers.permissions import Perm, role_allows
from handlers.util import pick_enterprise, private_chat
from storage import queries as q
from storage.models import Conversation, JoinRequest, Person

router = Router("people")


@router.command("start", perm=Perm.PUBLIC, help_text=T.HELP["start"])
async def start(msg: Incoming, *, actor: Person, settings: Settings) -> Reply:
    """Greet the person and tell a stranger how to join."""
    text = T.START.format(name=actor.display_name, park=settings.park.name)
    if actor.role is None:
        text += T.START_STRANGER
    return Reply(text=text)


@router.command("help", perm=Perm.PUBLIC, help_text=T.HELP["help"])
async def help_(msg: Incoming, *, actor: Person, commands: dict[str, Route]) -> Reply:
    """List the commands this person may use."""
    lines = [T.HELP_HEADER.format(role=T.role_name(actor.role))]
    for route in commands.values():
        if route.help_text and role_allows(actor.role, route.perm):
            lines.append(route.help_text)
    lines.append(T.HELP_FOOTER)
    return Reply(text="\n".join(lines))


@router.command("whoami", perm=Perm.PUBLIC, help_text=T.HELP["whoami"])
async def whoami(msg: Incoming, *, actor: Person, session: AsyncSession) -> Reply:
    """Show the person's name, role, enterprise and any pending join request."""
    text = T.WHOAMI.format(
        name=actor.display_name,
        role=T.role_name(actor.role),
        enterprise=actor.enterprise.name if actor.enterprise else T.NONE,
        key=f"{actor.platform}:{actor.external_id}",
    )
    pending = await q.pending_join(session, actor)
    if pending is not None:
        text += T.WHOAMI_PENDING.format(enterprise=pending.enterprise.name, role=T.role_name(pending.role))
    return Reply(text=text)


@router.command("cancel", perm=Perm.PUBLIC, help_text=T.HELP["cancel"])
async def cancel(msg: Incoming, *, conversation: Conversation | None) -> Reply:
    """Drop the question the bot was waiting on (the dispatcher already ended it)."""
    return Reply(text=T.CANCELLED if conversation is not None else T.NOTHING_TO_CANCEL)


# --- /join ------------------------------------------------------------------------------------


def _split_role(args: str) -> tuple[str, str]:
    """Split `<企业> [负责人|员工]` into enterprise text and a lead/member role."""
    words = args.split()
    if len(words) > 1 and T.ROLE_WORDS.get(words[-1].lower()) in ("lead", "member"):
        return " ".join(words[:-1]), T.ROLE_WORDS[words[-1].lower()]
    return args, "member"


@router.command("join", perm=Perm.PUBLIC, help_text=T.HELP["join"])
async def join(msg: Incoming, *, session: AsyncSession, actor: Person, now: datetime) -> list[Reply]:
    """Ask to become a lead or member of an enterprise; admins get a card to decide."""
    if not msg.args:
        return [Reply(text=T.JOIN_USAGE)]
    text, role = _split_role(msg.args)
    found = await pick_enterprise(session, text, button_prefix=f"joinpick:{role}")
    if isinstance(found, Reply):
        return [found]
    return await _open_join(session, actor, found.id, role, msg.chat, now)


@router.button("joinpick", perm=Perm.PUBLIC)
async def join_pick(
    press: ButtonPress, *, session: AsyncSession, actor: Person, now: datetime
) -> list[Reply]:
    """Finish a /join after the person picked one enterprise from the closest matches."""
    parts = press.data.split(":")
    if len(parts) != 3 or parts[1] not in ("lead", "member") or not parts[2].isdigit():
        return [Reply(text=T.BUTTON_STALE, toast=True)]
    return await _open_join(session, actor, int(parts[2]), parts[1], press.chat, now)


async def _open_join(
    session: AsyncSession, actor: Person, enterprise_id: int, role: str, origin: ChatRef, now: datetime
) -> list[Reply]:
    enterprise = await q.get_enterprise(session, enterprise_id)
    if enterprise is None or not enterprise.active:
        return [Reply(text=T.BUTTON_STALE)]
    if actor.role in ("admin", "manager", "inspector"):
        return [Reply(text=T.JOIN_PRIVILEGED.format(role=T.role_name(actor.role)))]
    if actor.enterprise_id == enterprise.id and actor.role == role:
        return [Reply(text=T.JOIN_ALREADY.format(enterprise=enterprise.name, role=T.role_name(role)))]
    request = await q.create_join(
        session,
        actor,
        enterprise,
        role,
        origin_platform=origin.platform,
        origin_chat_id=origin.chat_id,
        at=now,
    )
    card = join_card(request)
    admins = [a for a in await q.people_with_role(session, actor.platform, ["admin"]) if a.private_chat_id]
    replies = [Reply(text=T.JOIN_SENT.format(enterprise=enterprise.name, role=T.role_name(role)))]
    if admins:
        replies += [Reply(card=card, chat=private_chat(a)) for a in admins]
    elif origin.is_group:
        replies.append(Reply(card=card))  # no admin reachable privately: admins in this group decide
    elif await q.park_group_chats(session, origin.platform):
        replies.append(Reply(card=card, to_groups=True))
    else:
        replies.append(Reply(text=T.JOIN_NO_ADMIN))
    return replies


def join_card(request: JoinRequest, decided_by: str | None = None) -> Card:
    """Build the join-request card; buttons only while it is pending."""
    status = {
        "pending": T.JOIN_STATUS_PENDING,
        "approved": T.JOIN_STATUS_APPROVED.format(by=decided_by or ""),
        "rejected": T.JOIN_STATUS_REJECTED.format(by=decided_by or ""),
        "withdrawn": T.JOIN_STATUS_WITHDRAWN,
    }[request.status]
    actions: tuple[tuple[Button, ...], ...] = ()
    if request.status == "pending":
        actions = (
            (
                Button(T.BTN_APPROVE, f"join:{request.id}:approve"),
                Button(T.BTN_REJECT, f"join:{request.id}:reject"),
            ),
        )
    return Card(
        key=f"join:{request.id}",
        title=T.JOIN_CARD_TITLE,
        fields=(
            (T.JOIN_FIELD_PERSON, request.person.display_name),
            (T.JOIN_FIELD_ENTERPRISE, request.enterprise.name),
            (T.JOIN_FIELD_ROLE, T.role_name(request.role)),
        ),
        status=status,
        actions=actions,
    )


@router.button("join", perm=Perm.JOIN_DECIDE)
async def join_decide(
    press: ButtonPress, *, session: AsyncSession, actor: Person, now: datetime
) -> list[Reply]:
    """Approve or reject a join request; tell the person; update every copy of the card."""
    parts = press.data.split(":")
    if len(parts) != 3 or not parts[1].isdigit() or parts[2] not in ("approve", "reject"):
        return [Reply(text=T.BUTTON_STALE, toast=True)]
    request = await q.get_join(session, int(parts[1]))
    if request is None:
        return [Reply(text=T.BUTTON_STALE, toast=True)]
    if request.status != "pending":
        card = join_card(request)
        return [Reply(text=T.JOIN_ALREADY_DECIDED.format(status=card.status), toast=True)]
    approve = parts[2] == "approve"
    await q.decide_join(session, request, approve, actor=actor, at=now)
    card = join_card(request, decided_by=actor.display_name)
    person = request.person
    notice = (T.JOIN_APPROVED_NOTICE if approve else T.JOIN_REJECTED_NOTICE).format(
        enterprise=request.enterprise.name, role=T.role_name(request.role)
    )
    to_person = private_chat(person) or ChatRef(request.origin_platform, request.origin_chat_id, True)
    return [
        Reply(card=card, edit=True),
        Reply(text=notice, chat=to_person),
        Reply(text=T.JOIN_DONE_TOAST.format(status=card.status), toast=True),
    ]


# --- /role ------------------------------------------------------------------------------------


@router.command("role", perm=Perm.ROLE_SET, help_text=T.HELP["role"])
async def set_role(msg: Incoming, *, session: AsyncSession, actor: Person, now: datetime) -> list[Reply]:
    """Give a person a role; leads and members also get an enterprise."""
    words = msg.args.split()
    if len(words) < 2:
        return [Reply(text=T.ROLE_USAGE)]
    who, role_word, rest = words[0], words[1], " ".join(words[2:])
    role = T.ROLE_WORDS.get(role_word.lower())
    if role is None:
        return [Reply(text=T.ROLE_UNKNOWN_ROLE.format(word=role_word[:20]))]
    people = await q.find_people(session, actor.platform, who)
    if not people:
        return [Reply(text=T.ROLE_PERSON_NOT_FOUND.format(who=who[:40]))]
    if len(people) > 1:
        names = "、".join(f"{p.display_name}（{p.username or p.external_id}）" for p in people)
        return [Reply(text=T.ROLE_PERSON_AMBIGUOUS.format(who=who[:40], names=names))]
    person = people[0]
    enterprise = None
    if role in ("lead", "member"):
        if not rest:
            return [Reply(text=T.ROLE_NEEDS_ENTERPRISE.format(role=T.role_name(role)))]
        found = await pick_enterprise(session, rest, button_prefix=None)
        if isinstance(found, Reply):
            return [found]
        enterprise = found
    await q.set_role(session, person, role, enterprise, actor=actor, at=now)
    in_ent = T.IN_ENTERPRISE.format(name=enterprise.name) if enterprise else ""
    replies = [
        Reply(text=T.ROLE_SET.format(name=person.display_name, role=T.role_name(role), enterprise=in_ent))
    ]
    chat = private_chat(person)
    if chat is not None and person.id != actor.id:
        replies.append(
            Reply(text=T.ROLE_SET_NOTICE.format(role=T.role_name(role), enterprise=in_ent), chat=chat)
        )
    return replies
