"""Hazards, reporting side (排查→登记): /hazard with photos, drafts, albums, the card's edit buttons,
five-in-place, the detail view and the lists. Rectification and verification are in `rectify.py`.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.messages import Attachment, Button, ButtonPress, ChatRef, Incoming, Reply
from bot.routing import NOT_MINE, HandlerResult, Router
from handlers import texts as T
from handlers.hazard_card import (
    CODE_RE,
    DESCRIPTION_LIMIT,
    attachment_problem,
    build_card,
    card_reply,
    find_target,
    five_missing,
    fmt_date,
    fmt_time,
    hazard_id_of,
    is_answer,
    not_now,
    photo_rows,
    short,
    today_in_park,
)
from handlers.hazard_text import CATEGORIES, DueDateError, parse_due, parse_hazard_text
from handlers.permissions import (
    Perm,
    fixes_by_photo_reply,
    is_manager,
    may_edit_hazard,
    may_fill_five,
    may_fix,
    may_report_for,
    may_view_enterprise,
)
from handlers.rectify import submit_fix
from handlers.util import pick_enterprise, refuse
from storage import hazards as hz
from storage import queries as q
from storage.models import Conversation, Enterprise, Hazard, Person, Photo

router = Router("hazards")

FIVE_KEYS = {name: key for key, name in T.FIVE_FIELDS.items()}
FIVE_RE = re.compile(r"(责任人|措施|资金|时限|预案)\s*[=＝:：]\s*")


async def _enterprise_named_in(session: AsyncSession, text: str) -> list[Enterprise]:
    """Return the enterprises whose name or alias appears in the text."""
    found = []
    for e in await q.list_enterprises(session):
        if any(n and n in text for n in (e.name, *e.aliases)):
            found.append(e)
    return found


# --- reporting --------------------------------------------------------------------------------


@router.command("hazard", perm=Perm.HAZARD_REPORT, help_text=T.HELP["hazard"])
async def report(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    attachments: list[Attachment],
) -> HandlerResult:
    """Register a hazard from a photo caption (or ask for photos); `/hazard YH-…` shows one."""
    args = msg.args
    if args and CODE_RE.match(args.split()[0]):
        return await detail(session, actor, settings, now, args.split()[0])
    problem = attachment_problem(attachments, settings)
    if problem and not any(a.stored for a in attachments):
        return Reply(text=problem)
    text = q.clean_text(args, DESCRIPTION_LIMIT * 2)
    if not text:
        return Reply(text=T.HAZARD_USAGE)
    parsed = parse_hazard_text(text, today_in_park(now, settings))
    if not parsed.description:
        return Reply(text=T.HAZARD_NEED_DESCRIPTION)
    if len(parsed.description) > DESCRIPTION_LIMIT:
        return Reply(text=T.HAZARD_TOO_LONG.format(limit=DESCRIPTION_LIMIT))

    photos = await photo_rows(session, attachments, settings, now)
    draft: dict[str, Any] = {
        "text": text,
        "photo_ids": [p.id for p in photos],
        "media_group_id": msg.media_group_id,
        "enterprise_id": None,
        "source": "snapshot" if actor.role in ("lead", "member") else "inspection",
    }
    pick: Reply | None = None
    if actor.role in ("lead", "member"):
        if actor.enterprise_id is None:
            return Reply(text=T.HAZARD_NO_ENTERPRISE)
        draft["enterprise_id"] = actor.enterprise_id
    else:
        named = await _enterprise_named_in(session, text)
        if len(named) == 1:
            draft["enterprise_id"] = named[0].id
        else:
            pick = await _enterprise_buttons(session, named)

    if draft["enterprise_id"] is None or not photos:
        await q.start_conversation(
            session,
            platform=msg.chat.platform,
            chat_id=msg.chat.chat_id,
            person=actor,
            kind="hazard_draft",
            data=draft,
            at=now,
        )
        if pick is not None:
            return pick
        return Reply(text=T.HAZARD_NEED_PHOTO.format(description=short(parsed.description)))
    return await register(session, actor, draft, msg.chat, settings, now) + (
        [Reply(text=problem)] if problem else []
    )


async def _enterprise_buttons(session: AsyncSession, named: list[Enterprise]) -> Reply:
    choices = named or list(await q.list_enterprises(session))
    # Telegram allows 100 buttons on one message; a park has a few dozen enterprises.
    buttons = [Button(e.aliases[0] if e.aliases else e.name, f"hzent:{e.id}") for e in choices[:99]]
    rows = tuple(tuple(buttons[i : i + 3]) for i in range(0, len(buttons), 3))
    return Reply(text=T.HAZARD_PICK_ENTERPRISE, buttons=rows)


@router.button("hzent", perm=Perm.HAZARD_REPORT)
async def pick_draft_enterprise(
    press: ButtonPress, *, session: AsyncSession, actor: Person, settings: Settings, now: datetime
) -> HandlerResult:
    """Set the enterprise of the person's draft hazard; register it if it has photos."""
    tail = press.data.partition(":")[2]
    conv = await q.get_conversation(session, press.chat.platform, press.chat.chat_id, actor)
    if not tail.isdigit() or conv is None or conv.kind != "hazard_draft":
        return Reply(text=T.HAZARD_DRAFT_GONE, toast=True)
    enterprise = await q.get_enterprise(session, int(tail))
    if enterprise is None or not may_report_for(actor, enterprise.id):
        return await refuse(session, actor, press, now, T.BUTTON_STALE)
    draft = dict(conv.data, enterprise_id=enterprise.id)
    if not draft["photo_ids"]:
        conv.data = draft
        conv.updated_at = now
        description = parse_hazard_text(draft["text"], today_in_park(now, settings)).description
        return Reply(text=T.HAZARD_NEED_PHOTO.format(description=short(description)))
    await q.end_conversation(session, press.chat.platform, press.chat.chat_id, actor)
    return await register(session, actor, draft, press.chat, settings, now)


@router.conversation("hazard_draft", perm=Perm.HAZARD_REPORT)
async def draft_photos(
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
    """Collect photos for a draft hazard; register it once it has a photo and an enterprise."""
    same_album = msg.media_group_id is not None and msg.media_group_id == conversation.data.get(
        "media_group_id"
    )
    if not same_album and not is_answer(msg, card_key):
        return NOT_MINE  # group chatter, or a reply to some card: not the answer to our question
    photos = await photo_rows(session, attachments, settings, now)
    if not photos:
        problem = attachment_problem(attachments, settings)
        return Reply(text=problem or T.HAZARD_STILL_NEED_PHOTO)
    draft = dict(conversation.data)
    draft["photo_ids"] = list(dict.fromkeys([*draft["photo_ids"], *(p.id for p in photos)]))
    draft["media_group_id"] = draft.get("media_group_id") or msg.media_group_id
    if draft["enterprise_id"] is None:
        conversation.data = draft
        conversation.updated_at = now
        return []  # still waiting for the enterprise button; photos are kept
    await q.end_conversation(session, msg.chat.platform, msg.chat.chat_id, actor)
    return await register(session, actor, draft, msg.chat, settings, now)


async def register(
    session: AsyncSession,
    actor: Person,
    draft: dict[str, Any],
    chat: ChatRef,
    settings: Settings,
    now: datetime,
) -> list[Reply]:
    """Register a complete draft: code, photos, card; say what is still missing."""
    today = today_in_park(now, settings)
    parsed = parse_hazard_text(draft["text"], today)
    hazard, event = await hz.create_hazard(
        session,
        year=now.astimezone(settings.park.tz).year,
        enterprise_id=draft["enterprise_id"],
        description=parsed.description,
        category=parsed.category,
        level=parsed.level,
        mode=parsed.mode if parsed.due_error is None else None,
        due_date=parsed.due,
        source=draft["source"],
        reporter=actor,
        at=now,
        media_group_id=draft.get("media_group_id"),
    )
    photos = [p for p in [await session.get(Photo, pid) for pid in draft["photo_ids"]] if p is not None]
    await hz.attach_photos(session, hazard, event, photos, "before", now)
    if draft.get("media_group_id"):
        await q.start_conversation(
            session,
            platform=chat.platform,
            chat_id=chat.chat_id,
            person=actor,
            kind="hazard_album",
            data={"hazard_id": hazard.id, "media_group_id": draft["media_group_id"], "phase": "before"},
            at=now,
        )
    card = await build_card(session, hazard, settings, now)
    replies = [Reply(card=card)]
    if not chat.is_group:  # reported privately: the park groups get the card too
        replies.append(Reply(card=card, to_groups=True))
    notes = []
    if parsed.due_error == "unreadable":
        notes.append(T.DUE_UNREADABLE.format(text=parsed.due_text or ""))
    elif parsed.due_error == "past":
        notes.append(T.DUE_PAST.format(text=parsed.due_text or ""))
    if hazard.level == "major":
        notes.append(T.FIVE_ASK.format(code=hazard.code))
    dupes = await hz.recent_duplicates(session, [p.id for p in photos], hz.day_window(now), hazard.id)
    if dupes:
        notes.append(T.HAZARD_DUPLICATE.format(codes="、".join(dupes)))
    if notes:
        replies.append(Reply(text="\n\n".join(notes)))
    return replies


@router.conversation("hazard_album", perm=Perm.VIEW)
async def album_photos(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    attachments: list[Attachment],
    conversation: Conversation,
) -> HandlerResult:
    """Add the rest of an album (same media group) to the hazard its first photo registered."""
    data = conversation.data
    if not msg.media_group_id or msg.media_group_id != data["media_group_id"]:
        # The album is over: stop waiting for it and let the message be routed as usual.
        await q.end_conversation(session, msg.chat.platform, msg.chat.chat_id, actor)
        return NOT_MINE
    hazard = await hz.get_hazard(session, data["hazard_id"])
    photos = await photo_rows(session, attachments, settings, now)
    if hazard is None or not photos or not hz.allowed("photos", hazard.status):
        return []
    await hz.add_photos(session, hazard, actor, photos, data["phase"], now)
    return await card_reply(session, hazard, settings, now)


@router.card_reply("hazard", perm=Perm.VIEW)
async def reply_to_card(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    attachments: list[Attachment],
    card_key: str,
) -> HandlerResult:
    """Take a plain reply to a hazard card: more photos, a fix with its photo, or a deadline in words.

    Without a caption the reporter's photos are more evidence; with a caption (or from anyone else
    who may fix) a photo is the rectification, as if the caption had started with /fix.
    """
    hazard_id = hazard_id_of(card_key)
    hazard = await hz.get_hazard(session, hazard_id) if hazard_id is not None else None
    if hazard is None:
        return Reply(text=T.CARD_REPLY_HINT)
    photos = await photo_rows(session, attachments, settings, now)
    note = q.clean_text(msg.text, 1000)
    if photos:
        if hazard.reporter_id == actor.id and not note and hazard.status in ("reported", "rectifying"):
            added = await hz.add_photos(session, hazard, actor, photos, "before", now)
            return [
                await card_reply(session, hazard, settings, now),
                Reply(text=T.HAZARD_PHOTOS_ADDED.format(code=hazard.code, count=added)),
            ]
        if not may_fix(actor, hazard):
            return Reply(text=T.HAZARD_NOT_OWN_ENTERPRISE.format(enterprise=_own(actor)))
        if not fixes_by_photo_reply(actor):
            return Reply(text=T.FIX_NEEDS_COMMAND.format(code=hazard.code))
        if not hz.allowed("fix", hazard.status):
            return not_now(hazard, T.FIX_NOT_OPEN)
        return await submit_fix(session, actor, hazard, note, photos, msg, settings, now)
    problem = attachment_problem(attachments, settings)
    if problem:
        return Reply(text=problem)
    if (
        note
        and hazard.mode is None
        and hz.allowed("set_due", hazard.status)
        and may_edit_hazard(actor, hazard)
    ):
        return await _set_due_from_text(session, actor, hazard, note, settings, now)
    return Reply(text=T.CARD_REPLY_HINT)


async def _set_due_from_text(
    session: AsyncSession, actor: Person, hazard: Hazard, text: str, settings: Settings, now: datetime
) -> list[Reply]:
    text = q.clean_text(text, 40)
    if any(word in text for word in ("立即", "当场")):
        return await _set_due(session, actor, hazard, None, settings, now)
    try:
        due = parse_due(text, today_in_park(now, settings))
    except DueDateError as exc:
        template = T.DUE_PAST if exc.reason == "past" else T.DUE_UNREADABLE
        return [Reply(text=template.format(text=text).split("\n")[0])]
    return await _set_due(session, actor, hazard, due, settings, now)


async def _set_due(
    session: AsyncSession, actor: Person, hazard: Hazard, due: Any, settings: Settings, now: datetime
) -> list[Reply]:
    """Set immediate mode (due None) or a deadline; a deadline starts rectification."""
    hazard.mode = "deadline" if due is not None else "immediate"
    hazard.due_date = due
    await hz.record_event(
        session,
        hazard,
        actor=actor,
        action="set_due",
        at=now,
        to_status="rectifying" if due is not None else None,
        data={"mode": hazard.mode, "due_date": due.isoformat() if due else None},
    )
    shown = fmt_date(due) if due is not None else T.MODE_NAMES["immediate"]
    return [
        await card_reply(session, hazard, settings, now),
        Reply(text=T.DUE_SET.format(code=hazard.code, due=shown), toast=True),
    ]


# --- the card's edit buttons ------------------------------------------------------------------


async def _editable(
    session: AsyncSession, actor: Person, press: ButtonPress, now: datetime
) -> tuple[Hazard | None, Reply | None]:
    """Load the hazard a button names and check the person may edit it while it is open."""
    parts = press.data.split(":")
    if len(parts) < 2 or not parts[1].isdigit():
        return None, await refuse(session, actor, press, now, T.BUTTON_STALE)
    hazard = await hz.get_hazard(session, int(parts[1]))
    if hazard is None:
        return None, await refuse(session, actor, press, now, T.BUTTON_STALE)
    if not may_edit_hazard(actor, hazard):
        return None, await refuse(session, actor, press, now, T.HAZARD_EDIT_DENIED.format(code=hazard.code))
    if hazard.status not in ("reported", "rectifying"):
        return None, not_now(hazard, toast=True)
    return hazard, None


def _own(actor: Person) -> str:
    return actor.enterprise.name if actor.enterprise else T.NONE


@router.button("hzdue", perm=Perm.HAZARD_EDIT)
async def due_button(
    press: ButtonPress, *, session: AsyncSession, actor: Person, settings: Settings, now: datetime
) -> HandlerResult:
    """Set the rectification mode: immediately, or within N days."""
    hazard, refusal = await _editable(session, actor, press, now)
    if refusal is not None or hazard is None:
        return refusal
    parts = press.data.split(":")
    if len(parts) != 3 or parts[2] not in ("0", "3", "7", "15"):
        return await refuse(session, actor, press, now, T.BUTTON_STALE)
    if hazard.mode is not None:
        return not_now(hazard, toast=True)
    days = int(parts[2])
    due = today_in_park(now, settings) + timedelta(days=days) if days else None
    return await _set_due(session, actor, hazard, due, settings, now)


@router.button("hzlvl", perm=Perm.HAZARD_EDIT)
async def level_button(
    press: ButtonPress, *, session: AsyncSession, actor: Person, settings: Settings, now: datetime
) -> HandlerResult:
    """Set the level to general or major (a value, never a toggle)."""
    hazard, refusal = await _editable(session, actor, press, now)
    if refusal is not None or hazard is None:
        return refusal
    parts = press.data.split(":")
    if len(parts) != 3 or parts[2] not in T.LEVEL_NAMES:
        return await refuse(session, actor, press, now, T.BUTTON_STALE)
    level = parts[2]
    replies = [Reply(text=T.LEVEL_SET.format(code=hazard.code, level=T.LEVEL_NAMES[level]), toast=True)]
    if hazard.level != level:
        hazard.level = level
        await hz.record_event(session, hazard, actor=actor, action="set_level", at=now, data={"level": level})
        replies.append(await card_reply(session, hazard, settings, now))
        if level == "major" and five_missing(hazard):
            replies.append(Reply(text=T.FIVE_ASK.format(code=hazard.code)))
    return replies


@router.button("hzcat", perm=Perm.HAZARD_EDIT)
async def category_button(
    press: ButtonPress, *, session: AsyncSession, actor: Person, settings: Settings, now: datetime
) -> HandlerResult:
    """Offer the categories as buttons; with a category in the data, set it."""
    hazard, refusal = await _editable(session, actor, press, now)
    if refusal is not None or hazard is None:
        return refusal
    parts = press.data.split(":")
    if len(parts) == 2:
        buttons = [Button(T.CATEGORY_NAMES[c], f"hzcat:{hazard.id}:{c}") for c in CATEGORIES]
        rows = tuple(tuple(buttons[i : i + 4]) for i in range(0, len(buttons), 4))
        return Reply(text=T.CATEGORY_PICK.format(code=hazard.code), buttons=rows)
    if len(parts) != 3 or parts[2] not in T.CATEGORY_NAMES:
        return await refuse(session, actor, press, now, T.BUTTON_STALE)
    category = parts[2]
    replies = [
        Reply(text=T.CATEGORY_SET.format(code=hazard.code, category=T.CATEGORY_NAMES[category]), toast=True)
    ]
    if hazard.category != category:
        hazard.category = category
        await hz.record_event(
            session, hazard, actor=actor, action="set_category", at=now, data={"category": category}
        )
        replies.append(await card_reply(session, hazard, settings, now))
    return replies


# --- five-in-place ----------------------------------------------------------------------------


@router.command("five", perm=Perm.HAZARD_EDIT, help_text=T.HELP["five"])
async def five(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    card_key: str | None,
) -> HandlerResult:
    """Record the five-in-place fields of a major hazard."""
    hazard, rest, missing_code = await find_target(session, card_key, msg.args)
    if missing_code:
        return Reply(text=T.HAZARD_NOT_FOUND.format(code=missing_code[:20]))
    if hazard is None:
        return Reply(text=T.FIVE_USAGE)
    if not may_fill_five(actor, hazard):
        return Reply(text=T.HAZARD_NOT_OWN_ENTERPRISE.format(enterprise=_own(actor)))
    if hazard.level != "major":
        return Reply(text=T.FIVE_NOT_MAJOR.format(code=hazard.code))
    if not hz.allowed("five", hazard.status):
        return not_now(hazard)
    parts = FIVE_RE.split(q.clean_text(rest, 2000))
    values = {
        FIVE_KEYS[parts[i]]: parts[i + 1].strip() for i in range(1, len(parts) - 1, 2) if parts[i + 1].strip()
    }
    if not values:
        return Reply(text=T.FIVE_USAGE)
    hazard.five_in_place = {**hazard.five_in_place, **values}
    await hz.record_event(session, hazard, actor=actor, action="five", at=now, data=values)
    missing = five_missing(hazard)
    tail = T.FIVE_STILL_MISSING.format(missing="、".join(missing)) if missing else T.FIVE_COMPLETE
    return [
        await card_reply(session, hazard, settings, now),
        Reply(text=T.FIVE_SAVED.format(code=hazard.code, rest=tail)),
    ]


# --- detail and lists -------------------------------------------------------------------------


async def detail(
    session: AsyncSession, actor: Person, settings: Settings, now: datetime, code: str
) -> list[Reply]:
    """Show a hazard's card, its whole story, and its before and after photos."""
    hazard = await hz.hazard_by_code(session, code)
    if hazard is None:
        return [Reply(text=T.HAZARD_NOT_FOUND.format(code=code.upper()[:20]))]
    if not may_view_enterprise(actor, hazard.enterprise_id):
        return [Reply(text=T.HAZARD_NOT_OWN_ENTERPRISE.format(enterprise=_own(actor)))]
    lines = [T.HAZARD_HISTORY]
    for e in await hz.events_of(session, hazard.id):
        note = f"：{e.note}" if e.note else ""
        lines.append(
            T.HAZARD_EVENT_LINE.format(
                at=fmt_time(e.at, settings.park.tz),
                actor=e.actor.display_name,
                action=T.EVENT_NAMES.get(e.action, e.action),
                note=note,
            )
        )
    root = settings.storage.photo_dir
    before = [root / p.path for p in await hz.photos_of(session, hazard.id, "before")]
    after = [root / p.path for p in await hz.photos_of(session, hazard.id, "after")]
    # A one-off view under its own key: no buttons, never edited, and a reply to it is a reply to a
    # card (so it is not taken for the answer to an open question); the group keeps one live card.
    live = await build_card(session, hazard, settings, now)
    card = replace(live, key=f"view:{live.key}", actions=())
    return [Reply(card=card), Reply(text="\n".join(lines), photos=tuple(before + after))]


@router.command("hazards", perm=Perm.VIEW, help_text=T.HELP["hazards"])
async def list_hazards(
    msg: Incoming, *, session: AsyncSession, actor: Person, settings: Settings, now: datetime
) -> HandlerResult:
    """List open hazards: my enterprise's (or the park's for managers), overdue ones, mine, or one enterprise's."""
    arg = msg.args.strip()
    today = today_in_park(now, settings)
    park_wide = is_manager(actor) or actor.role == "inspector"
    own = None if park_wide else actor.enterprise_id
    if arg.lower() in ("overdue", "逾期"):
        title, f = T.HAZARDS_TITLE_OVERDUE, hz.HazardFilter(enterprise_id=own, overdue_on=today)
    elif arg.lower() in ("mine", "我的"):
        title, f = T.HAZARDS_TITLE_MINE, hz.HazardFilter(reporter_id=actor.id, open_only=False)
    elif arg:
        found = await pick_enterprise(session, arg, button_prefix=None)
        if isinstance(found, Reply):
            return found
        if not may_view_enterprise(actor, found.id):
            return Reply(text=T.HAZARD_NOT_OWN_ENTERPRISE.format(enterprise=_own(actor)))
        title, f = (
            T.HAZARDS_TITLE_ENTERPRISE.format(enterprise=found.name),
            hz.HazardFilter(enterprise_id=found.id),
        )
    else:
        title, f = T.HAZARDS_TITLE_OPEN, hz.HazardFilter(enterprise_id=own)
    rows, total = await hz.list_hazards(session, f)
    if not rows:
        return Reply(text=T.HAZARDS_EMPTY)
    shown = T.HAZARDS_SHOWN.format(n=len(rows)) if total > len(rows) else ""
    lines = [T.HAZARDS_HEADER.format(title=title, total=total, shown=shown)]
    for h in rows:
        status = T.STATUS_NAMES[h.status]
        if hz.is_overdue(h, today):
            assert h.due_date is not None
            status += "，" + T.OVERDUE.format(days=(today - h.due_date).days)
        due = T.HAZARD_LINE_DUE.format(due=h.due_date.strftime("%m-%d")) if h.due_date else ""
        name = h.enterprise.aliases[0] if h.enterprise.aliases else h.enterprise.name
        lines.append(
            T.HAZARD_LINE.format(
                code=h.code, enterprise=name, description=short(h.description, 24), status=status, due=due
            )
        )
    return Reply(text="\n".join(lines))
