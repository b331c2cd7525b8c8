"""Hazards, closing side (整改→验收→销号): /fix with after-photos, accept, reject with a reason."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.messages import Attachment, ButtonPress, ChatRef, Incoming, Reply
from bot.routing import NOT_MINE, HandlerResult, Router
from handlers import texts as T
from handlers.hazard_card import (
    attachment_problem,
    build_card,
    card_reply,
    find_target,
    hazard_id_of,
    is_answer,
    not_now,
    photo_rows,
    short,
)
from handlers.permissions import Perm, may_fix, may_verify
from handlers.util import private_chat, refuse
from storage import hazards as hz
from storage import queries as q
from storage.models import Conversation, Hazard, Person, Photo

router = Router("rectify")

NOTE_LIMIT = 1000


def _not_own(actor: Person) -> Reply:
    return Reply(
        text=T.HAZARD_NOT_OWN_ENTERPRISE.format(
            enterprise=actor.enterprise.name if actor.enterprise else T.NONE
        )
    )


@router.command("fix", perm=Perm.HAZARD_FIX, help_text=T.HELP["fix"])
async def fix(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    attachments: list[Attachment],
    card_key: str | None,
    conversation: Conversation | None,
) -> HandlerResult:
    """Submit a rectification: the card replied to (or a code), a note, and after-photos."""
    hazard, note, missing_code = await find_target(session, card_key, msg.args)
    if missing_code:
        return Reply(text=T.HAZARD_NOT_FOUND.format(code=missing_code[:20]))
    if hazard is None and conversation is not None and conversation.kind == "hazard_fix":
        hazard = await hz.get_hazard(session, conversation.data["hazard_id"])
    if hazard is None:
        return Reply(text=T.HAZARD_WHICH)
    if not may_fix(actor, hazard):
        return _not_own(actor)
    if hazard.status not in ("reported", "rectifying"):
        return not_now(hazard, T.FIX_NOT_OPEN)
    problem = attachment_problem(attachments, settings)
    photos = await photo_rows(session, attachments, settings, now)
    note = q.clean_text(note, NOTE_LIMIT)
    if not photos:
        await q.start_conversation(
            session,
            platform=msg.chat.platform,
            chat_id=msg.chat.chat_id,
            person=actor,
            kind="hazard_fix",
            data={"hazard_id": hazard.id, "note": note},
            at=now,
        )
        return Reply(text=problem or T.FIX_NEED_PHOTO)
    return await submit_fix(session, actor, hazard, note, photos, msg, settings, now)


@router.button("hzfix", perm=Perm.HAZARD_FIX)
async def fix_button(
    press: ButtonPress, *, session: AsyncSession, actor: Person, now: datetime
) -> HandlerResult:
    """Start a rectification from the card: ask for after-photos as a reply."""
    tail = press.data.split(":", 1)[-1]
    hazard = await hz.get_hazard(session, int(tail)) if tail.isdigit() else None
    if hazard is None:
        return await refuse(session, actor, press, now, T.BUTTON_STALE)
    if not may_fix(actor, hazard):
        return await refuse(session, actor, press, now, _not_own(actor).text or "")
    if hazard.status not in ("reported", "rectifying"):
        return not_now(hazard, T.FIX_NOT_OPEN, toast=True)
    await q.start_conversation(
        session,
        platform=press.chat.platform,
        chat_id=press.chat.chat_id,
        person=actor,
        kind="hazard_fix",
        data={"hazard_id": hazard.id, "note": ""},
        at=now,
    )
    return Reply(text=f"{hazard.code}：{T.FIX_NEED_PHOTO}")


@router.conversation("hazard_fix", perm=Perm.HAZARD_FIX)
async def fix_photos(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    attachments: list[Attachment],
    conversation: Conversation,
    card_key: str | None,
) -> HandlerResult:
    """Take the after-photos (and note) the bot asked for."""
    on_its_card = hazard_id_of(card_key) == conversation.data["hazard_id"]
    if not on_its_card and not is_answer(msg, card_key):
        return NOT_MINE  # a reply to another hazard's card, or group chatter
    hazard = await hz.get_hazard(session, conversation.data["hazard_id"])
    photos = await photo_rows(session, attachments, settings, now)
    if not photos:
        problem = attachment_problem(attachments, settings)
        return Reply(text=problem or T.FIX_NEED_PHOTO)
    await q.end_conversation(session, msg.chat.platform, msg.chat.chat_id, actor)
    if hazard is None or not may_fix(actor, hazard):
        return Reply(text=T.HAZARD_DRAFT_GONE)
    if hazard.status not in ("reported", "rectifying"):
        return not_now(hazard, T.FIX_NOT_OPEN)
    note = q.clean_text(msg.text, NOTE_LIMIT) or conversation.data.get("note", "")
    return await submit_fix(session, actor, hazard, note, photos, msg, settings, now)


async def submit_fix(
    session: AsyncSession,
    actor: Person,
    hazard: Hazard,
    note: str,
    photos: list[Photo],
    msg: Incoming,
    settings: Settings,
    now: datetime,
) -> list[Reply]:
    """Move the hazard to awaiting verification; the card changes, managers get it privately."""
    event = await hz.record_event(
        session,
        hazard,
        actor=actor,
        action="fix",
        at=now,
        to_status="awaiting_verification",
        note=note or None,
    )
    await hz.attach_photos(session, hazard, event, photos, "after", now)
    if msg.media_group_id:
        await q.start_conversation(
            session,
            platform=msg.chat.platform,
            chat_id=msg.chat.chat_id,
            person=actor,
            kind="hazard_album",
            data={"hazard_id": hazard.id, "media_group_id": msg.media_group_id, "phase": "after"},
            at=now,
        )
    card = await build_card(session, hazard, settings, now)
    replies = [Reply(card=card, edit=True), Reply(text=T.FIX_SUBMITTED.format(code=hazard.code))]
    # Managers verify from their private chat too: the first time they get the card there; after
    # a rejection their copy is edited in place and a one-line note tells them it is back.
    has_copy = {p.chat_id for p in await q.card_posts(session, card.key, actor.platform)}
    for manager in await q.people_with_role(session, actor.platform, ["admin", "manager"]):
        chat = private_chat(manager)
        if chat is None or manager.id == actor.id or chat.chat_id == msg.chat.chat_id:
            continue
        if chat.chat_id in has_copy:
            replies.append(Reply(text=T.FIX_RESUBMITTED.format(code=hazard.code), chat=chat))
        else:
            replies.append(Reply(card=card, chat=chat))
    return replies


# --- verification -----------------------------------------------------------------------------


async def _verifiable(
    session: AsyncSession, actor: Person, press: ButtonPress, now: datetime
) -> tuple[Hazard | None, Reply | None]:
    """Load the hazard a verify button names; check it awaits verification and the fix is not the actor's."""
    tail = press.data.split(":", 1)[-1]
    hazard = await hz.get_hazard(session, int(tail)) if tail.isdigit() else None
    if hazard is None:
        return None, await refuse(session, actor, press, now, T.BUTTON_STALE)
    if hazard.status != "awaiting_verification":
        return None, not_now(hazard, toast=True)
    fix_event = await hz.last_event(session, hazard.id, "fix")
    if not may_verify(actor, fix_event.actor_id if fix_event else None):
        return None, await refuse(session, actor, press, now, T.VERIFY_OWN_FIX)
    return hazard, None


@router.button("hzok", perm=Perm.HAZARD_VERIFY)
async def accept(
    press: ButtonPress, *, session: AsyncSession, actor: Person, settings: Settings, now: datetime
) -> HandlerResult:
    """Accept the rectification: the hazard is closed (销号)."""
    hazard, refusal = await _verifiable(session, actor, press, now)
    if hazard is None:
        return refusal
    await hz.record_event(session, hazard, actor=actor, action="accept", at=now, to_status="closed")
    replies = [
        await card_reply(session, hazard, settings, now),
        Reply(text=T.VERIFY_ACCEPTED.format(code=hazard.code), toast=True),
    ]
    notice = T.VERIFY_ACCEPTED_NOTICE.format(code=hazard.code, description=short(hazard.description))
    replies += [Reply(text=notice, chat=c) for c in await _enterprise_chats(session, hazard, exclude=actor)]
    return replies


@router.button("hzno", perm=Perm.HAZARD_VERIFY)
async def reject(press: ButtonPress, *, session: AsyncSession, actor: Person, now: datetime) -> HandlerResult:
    """Start a rejection: ask the manager for the reason, as a reply."""
    hazard, refusal = await _verifiable(session, actor, press, now)
    if hazard is None:
        return refusal
    await q.start_conversation(
        session,
        platform=press.chat.platform,
        chat_id=press.chat.chat_id,
        person=actor,
        kind="hazard_reject",
        data={"hazard_id": hazard.id},
        at=now,
    )
    return [Reply(text=T.REJECT_ASK.format(code=hazard.code)), Reply(text=T.REJECT_ASK_TOAST, toast=True)]


@router.conversation("hazard_reject", perm=Perm.HAZARD_VERIFY)
async def reject_reason(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    conversation: Conversation,
    card_key: str | None,
) -> HandlerResult:
    """Take the rejection reason: back to rectifying, and the reason goes to the enterprise."""
    on_its_card = hazard_id_of(card_key) == conversation.data["hazard_id"]
    if not on_its_card and not is_answer(msg, card_key):
        return NOT_MINE  # in a group only a reply to the question is the reason, never chatter
    reason = q.clean_text(msg.text, NOTE_LIMIT)
    if not reason:
        return Reply(text=T.REJECT_NEED_TEXT)
    await q.end_conversation(session, msg.chat.platform, msg.chat.chat_id, actor)
    hazard = await hz.get_hazard(session, conversation.data["hazard_id"])
    if hazard is None:
        return Reply(text=T.BUTTON_STALE)
    if hazard.status != "awaiting_verification":
        return not_now(hazard)
    await hz.record_event(
        session, hazard, actor=actor, action="reject", at=now, to_status="rectifying", note=reason
    )
    notice = T.REJECT_NOTICE.format(code=hazard.code, description=short(hazard.description), reason=reason)
    replies = [
        await card_reply(session, hazard, settings, now),
        Reply(text=T.REJECT_DONE.format(code=hazard.code)),
    ]
    chats = await _enterprise_chats(session, hazard, exclude=actor)
    if chats:
        replies += [Reply(text=notice, chat=c) for c in chats]
    elif msg.chat.is_group:
        replies.append(Reply(text=notice))
    else:
        replies.append(Reply(text=notice, to_groups=True))
    return replies


async def _enterprise_chats(session: AsyncSession, hazard: Hazard, exclude: Person) -> list[ChatRef]:
    """Return the private chats of the people to tell about a verification: the fixer and the leads."""
    fix_event = await hz.last_event(session, hazard.id, "fix")
    people: dict[int, Person] = {}
    if fix_event is not None:
        people[fix_event.actor.id] = fix_event.actor
    for lead in await q.people_of_enterprise(session, hazard.enterprise_id, ["lead"]):
        people[lead.id] = lead
    chats = []
    for person in people.values():
        chat = private_chat(person)
        if chat is not None and person.id != exclude.id:
            chats.append(chat)
    return chats
