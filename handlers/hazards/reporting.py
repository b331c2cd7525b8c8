"""Hazards, reporting side (排查→登记): /hazard with photos, drafts, albums, the card's edit buttons and
their command forms (/due /level /category), five-in-place, the detail view and the lists.
Rectification and verification are in `rectify.py`; every rule is in `domain/hazards/operations.py`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.messages import Attachment, Button, ButtonPress, ChatRef, Incoming, Reply, clean_text
from bot.questions import Question, ask, drop
from bot.routing import NOT_MINE, HandlerResult, Router
from domain.campaigns import operations as campaign_ops
from domain.campaigns.rules import without_campaign_code
from domain.hazards import operations as hazard_ops
from domain.hazards import queries as hazard_queries
from domain.hazards import rules as hazard_rules
from domain.hazards.rules import Refusal, Refused, may_change_due, may_edit_hazard, may_fix
from domain.park import queries as park_queries
from domain.park.rules import Perm, may_report_for, may_view_enterprise
from handlers import texts as T
from handlers.dates import DueDateError, parse_due
from handlers.hazards.card import (
    CODE_RE,
    DESCRIPTION_LIMIT,
    DUE_DAYS,
    LIST_STATUS_CODES,
    CategoryButton,
    DueButton,
    EnterpriseButton,
    HazardAlbum,
    HazardListButton,
    LevelButton,
    PhotoOfferButton,
    build_card,
    card_reply,
    commanded_hazard,
    document_names,
    document_rows,
    five_missing,
    fmt_size,
    hazard_id_of,
    refusal_text,
    status_text,
    told_replies,
)
from handlers.hazards.card import card_key as key_of
from handlers.hazards.text import CATEGORIES, parse_hazard_text
from handlers.util import (
    Reach,
    attachment_problem,
    fmt_date,
    fmt_time,
    is_answer,
    own_enterprise,
    photo_rows,
    pick_enterprise,
    refuse,
    short,
)
from storage import attachments as attachment_rows
from storage.enums import ENTERPRISE_ROLES, PARK_ROLES, HazardStatus, Level, Mode
from storage.models import Enterprise, Hazard, HazardEvent, Person, Photo

logger = logging.getLogger(__name__)
router = Router("hazards")

FIVE_KEYS = {name: key for key, name in T.FIVE_FIELDS.items()}
FIVE_SEPARATORS = "=＝:："
FIVE_RE = re.compile(r"(责任人|措施|资金|时限|预案)\s*[=＝:：]\s*")


@dataclass(frozen=True)
class HazardDraft(Question, kind="hazard_draft", ttl=timedelta(hours=24)):
    """A report still missing its photo or its enterprise."""

    text: str
    photo_ids: list[int]
    media_group_id: str | None
    enterprise_id: int | None
    source: str  # as the draft was started; registering uses the reporter's role at that moment
    document_ids: list[int] = field(default_factory=list)  # PDFs sent with it, registered with its photos



@dataclass(frozen=True)
class HazardPhotoOffer(Question, kind="hazard_photo_offer", ttl=timedelta(hours=24)):
    """A private photo without a caption, waiting for 登记隐患 / 不用了 (and the rest of its album)."""

    photo_ids: list[int]
    media_group_id: str | None


@dataclass(frozen=True)
class HazardDescribe(Question, kind="hazard_describe", ttl=timedelta(hours=24)):
    """Photos the person chose to register as a hazard, waiting for its description in words."""

    photo_ids: list[int]
    media_group_id: str | None


async def _enterprise_named_in(session: AsyncSession, text: str) -> list[Enterprise]:
    """Return the enterprises whose name or alias appears in the text."""
    found = []
    for e in await park_queries.list_enterprises(session):
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
    reach: Reach,
) -> HandlerResult:
    """Register a hazard from a photo caption (or ask for photos); `/hazard YH-…` shows one."""
    args = msg.args
    if args and CODE_RE.match(args.split()[0]):
        return await detail(session, actor, settings, now, args.split()[0])
    problem = attachment_problem(attachments, settings)
    if problem and not any(a.stored or a.document for a in attachments):
        return Reply(text=problem)
    text = clean_text(args, DESCRIPTION_LIMIT * 2)
    if not text:
        return Reply(text=T.HAZARD_USAGE)
    parsed = parse_hazard_text(without_campaign_code(text), settings.park.day(now))
    if not parsed.description:
        return Reply(text=T.HAZARD_NEED_DESCRIPTION)
    if len(parsed.description) > DESCRIPTION_LIMIT:
        return Reply(text=T.HAZARD_TOO_LONG.format(limit=DESCRIPTION_LIMIT))

    photos = await photo_rows(session, attachments, settings, now)
    documents = await document_rows(session, attachments, settings, now)
    enterprise_id: int | None = None
    pick: Reply | None = None
    if actor.role in ENTERPRISE_ROLES:
        if actor.enterprise_id is None:
            return Reply(text=T.HAZARD_NO_ENTERPRISE)
        enterprise_id = actor.enterprise_id
    else:
        named = await _enterprise_named_in(session, text)
        if len(named) == 1:
            enterprise_id = named[0].id
        else:
            pick = await _enterprise_buttons(session, named, actor)
    draft = HazardDraft(
        text=text,
        photo_ids=[p.id for p in photos],
        media_group_id=msg.media_group_id,
        enterprise_id=enterprise_id,
        source=hazard_rules.source_for(actor),
        document_ids=[d.id for d in documents],
    )
    if enterprise_id is None or not photos:
        await ask(session, msg.chat, actor, draft, now)
        if pick is not None:
            return pick
        if documents:
            return Reply(text=T.HAZARD_DOCUMENTS_KEPT.format(names=document_names(documents)))
        return Reply(text=T.HAZARD_NEED_PHOTO.format(description=short(parsed.description)))
    return await register(session, actor, draft, msg.chat, settings, now, reach) + (
        [Reply(text=problem)] if problem else []
    )


async def _enterprise_buttons(session: AsyncSession, named: list[Enterprise], owner: Person) -> Reply:
    choices = named or list(await park_queries.list_enterprises(session))
    # Telegram allows 100 buttons on one message; a park has a few dozen enterprises.
    buttons = [
        Button(e.aliases[0] if e.aliases else e.name, EnterpriseButton(e.id, owner.id).pack()) for e in choices[:99]
    ]
    rows = tuple(tuple(buttons[i : i + 3]) for i in range(0, len(buttons), 3))
    return Reply(text=T.HAZARD_PICK_ENTERPRISE, buttons=rows)


@router.button(EnterpriseButton, perm=Perm.HAZARD_REPORT)
async def pick_draft_enterprise(
    press: ButtonPress,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    button: EnterpriseButton,
    question: Question | None,
    reach: Reach,
) -> HandlerResult:
    """Set the enterprise of the person's draft hazard; register it if it has photos."""
    if button.owner_id is not None and button.owner_id != actor.id:
        return Reply(text=T.HAZARD_DRAFT_NOT_YOURS, toast=True)
    if not isinstance(question, HazardDraft):
        return Reply(text=T.HAZARD_DRAFT_GONE, toast=True)
    enterprise = await park_queries.get_enterprise(session, button.enterprise_id)
    if enterprise is None or not enterprise.active or not may_report_for(actor, enterprise.id):
        return await refuse(session, actor, press, now, T.BUTTON_STALE)
    draft = replace(question, enterprise_id=enterprise.id)
    if not draft.photo_ids:
        await ask(session, press.chat, actor, draft, now)
        description = parse_hazard_text(without_campaign_code(draft.text), settings.park.day(now)).description
        return Reply(text=T.HAZARD_NEED_PHOTO.format(description=short(description)))
    await drop(session, press.chat, actor)
    return await register(session, actor, draft, press.chat, settings, now, reach)


@router.question(HazardDraft, perm=Perm.HAZARD_REPORT)
async def draft_photos(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    attachments: list[Attachment],
    question: HazardDraft,
    card_key: str | None,
    reach: Reach,
) -> HandlerResult:
    """Collect photos for a draft hazard; register it once it has a photo and an enterprise."""
    same_album = msg.media_group_id is not None and msg.media_group_id == question.media_group_id
    if not same_album and not is_answer(msg, card_key):
        return NOT_MINE  # group chatter, or a reply to some card: not the answer to our question
    photos = await photo_rows(session, attachments, settings, now)
    documents = await document_rows(session, attachments, settings, now)
    document_ids = list(dict.fromkeys([*question.document_ids, *(d.id for d in documents)]))
    if not photos:
        problem = attachment_problem(attachments, settings)
        if documents and not problem:  # kept with the draft, which still waits for its photo
            await ask(session, msg.chat, actor, replace(question, document_ids=document_ids), now)
            kept = await attachment_rows.documents_by_id(session, document_ids)
            return Reply(text=T.HAZARD_DOCUMENTS_KEPT.format(names=document_names(kept)))
        return Reply(text=problem or T.HAZARD_STILL_NEED_PHOTO)
    draft = replace(
        question,
        photo_ids=list(dict.fromkeys([*question.photo_ids, *(p.id for p in photos)])),
        media_group_id=question.media_group_id or msg.media_group_id,
        document_ids=document_ids,
    )
    if draft.enterprise_id is None:
        await ask(session, msg.chat, actor, draft, now)
        return []  # still waiting for the enterprise button; photos are kept
    await drop(session, msg.chat, actor)
    return await register(session, actor, draft, msg.chat, settings, now, reach)


async def register(
    session: AsyncSession,
    actor: Person,
    draft: HazardDraft,
    chat: ChatRef,
    settings: Settings,
    now: datetime,
    reach: Reach,
) -> list[Reply]:
    """Register a complete draft: code, photos, card; say what is still missing; tell whom the domain says."""
    assert draft.enterprise_id is not None
    today = settings.park.day(now)
    parsed = parse_hazard_text(without_campaign_code(draft.text), today)
    photos = [p for p in [await session.get(Photo, pid) for pid in draft.photo_ids] if p is not None]
    try:
        change = await hazard_ops.report(
            session,
            actor=actor,
            enterprise_id=draft.enterprise_id,
            description=parsed.description,
            category=parsed.category,
            level=Level(parsed.level),
            mode=Mode(parsed.mode) if parsed.mode and parsed.due_error is None else None,
            due_date=parsed.due,
            source=hazard_rules.source_for(actor),  # the reporter's role now, not when the draft was started
            photos=photos,
            year=now.astimezone(settings.park.tz).year,
            at=now,
            media_group_id=draft.media_group_id,
            documents=await attachment_rows.documents_by_id(session, draft.document_ids),
        )
    except Refused as exc:
        return [Reply(text=refusal_text(exc, actor))]
    hazard = change.hazard
    if draft.media_group_id:
        await ask(session, chat, actor, HazardAlbum(hazard.id, draft.media_group_id, "before"), now)
    card = await build_card(session, hazard, settings, now)
    replies = [Reply(card=card)]
    if not chat.is_group:  # reported privately: the park groups get the card too
        replies.append(Reply(card=card, to_groups=True))
    replies += told_replies(change, card, actor, reach)
    notes = []
    if parsed.due_error == "unreadable":
        notes.append(T.DUE_UNREADABLE.format(text=parsed.due_text or ""))
    elif parsed.due_error == "past":
        notes.append(T.DUE_PAST.format(text=parsed.due_text or ""))
    if hazard.level == Level.MAJOR:
        notes.append(T.FIVE_ASK.format(code=hazard.code))
    dupes = await hazard_queries.recent_duplicates(session, [p.id for p in photos], hazard_rules.day_window(now), hazard.id)
    if dupes:
        shown = "、".join(dupes[:5]) + (T.MORE_CODES.format(count=len(dupes)) if len(dupes) > 5 else "")
        notes.append(T.HAZARD_DUPLICATE.format(codes=shown))
    named = await campaign_ops.link_from_text(session, actor, hazard, draft.text, now)  # found in a campaign (ZX-…)
    if named is not None and named.campaign is None:
        notes.append(T.HAZARD_CAMPAIGN_UNKNOWN.format(code=named.code))
    elif named is not None and named.campaign is not None:
        notes.append(T.HAZARD_CAMPAIGN_LINKED.format(code=named.code, title=named.campaign.title))
    if notes:
        replies.append(Reply(text="\n\n".join(notes), about=key_of(hazard)))
    return replies


@router.question(HazardAlbum, perm=Perm.VIEW)
async def album_photos(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    attachments: list[Attachment],
    question: HazardAlbum,
) -> HandlerResult:
    """Add the rest of an album (same media group) to the hazard its first photo registered."""
    if not question.expects(msg):
        # The album is over: stop waiting for it and let the message be routed as usual.
        await drop(session, msg.chat, actor)
        return NOT_MINE
    hazard = await hazard_queries.get_hazard(session, question.hazard_id)
    photos = await photo_rows(session, attachments, settings, now)
    if hazard is None or not photos:
        return []
    try:
        await hazard_ops.add_photos(session, hazard, actor, photos, question.phase, now)
    except Refused:
        return []  # the hazard moved on meanwhile; the album's other photos are already on it
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
    reach: Reach,
) -> HandlerResult:
    """Take a plain reply to a hazard card: photos (and PDFs) as evidence, or a deadline in words.

    A photo reply never submits a rectification: that is `/fix`, the 提交整改 button, or the answer to
    the bot's fix question, so 补充一张远景 never sends a hazard to verification by mistake.
    """
    hazard_id = hazard_id_of(card_key)
    hazard = await hazard_queries.get_hazard(session, hazard_id) if hazard_id is not None else None
    if hazard is None:
        return Reply(text=T.CARD_REPLY_HINT)
    photos = await photo_rows(session, attachments, settings, now)
    documents = await document_rows(session, attachments, settings, now)
    note = clean_text(msg.text, 1000)
    if documents and not photos:
        # A report (校验报告) under the card is evidence, never a fix: a fix needs an after-photo.
        phase = "after" if hazard.status == HazardStatus.AWAITING_VERIFICATION else "before"
        try:
            change = await hazard_ops.add_documents(session, hazard, actor, documents, phase, now)
        except Refused as exc:
            return Reply(text=refusal_text(exc, actor))
        added = T.HAZARD_DOCUMENTS_ADDED.format(
            code=hazard.code, count=change.documents_added, phase=T.PHASE_NAMES[phase]
        )
        if phase == "before" and may_fix(actor, hazard):
            added += T.DOCUMENT_IS_NOT_A_FIX.format(code=hazard.code)
        return [await card_reply(session, hazard, settings, now), Reply(text=added)]
    if photos:
        # A photo reply adds evidence; a fix is only ever `/fix`, the 提交整改 button, or the answer to
        # the bot's fix question, so 补充一张远景 never sends a hazard to verification by mistake.
        phase = "after" if hazard.status == HazardStatus.AWAITING_VERIFICATION else "before"
        try:
            change = await hazard_ops.add_photos(session, hazard, actor, photos, phase, now)
        except Refused as exc:
            return Reply(text=refusal_text(exc, actor))
        added = T.HAZARD_PHOTOS_ADDED.format(code=hazard.code, count=change.photos_added, phase=T.PHASE_NAMES[phase])
        if phase == "before" and may_fix(actor, hazard):
            added += T.HAZARD_PHOTOS_ADDED_FIX_HINT.format(code=hazard.code)
        if documents:  # both in one message (a platform that allows it): the PDFs go with the photos
            more = await hazard_ops.add_documents(session, hazard, actor, documents, phase, now)
            added += "\n" + T.HAZARD_DOCUMENTS_ADDED.format(
                code=hazard.code, count=more.documents_added, phase=T.PHASE_NAMES[phase]
            )
        return [await card_reply(session, hazard, settings, now), Reply(text=added, about=key_of(hazard))]
    problem = attachment_problem(attachments, settings)
    if problem:
        return Reply(text=problem)
    if msg.chat.is_group and (hazard.mode is not None or not may_edit_hazard(actor, hazard)):
        return []  # 收到 / 谢谢 under a card in the group: not for the bot, and no hint to the whole group
    if note and hazard.mode is None and hazard_rules.allowed(hazard_rules.Action.SET_DUE, hazard.status) and may_edit_hazard(actor, hazard):
        try:
            return await _set_due_from_text(session, actor, hazard, note, settings, now)
        except Refused as exc:
            return Reply(text=refusal_text(exc, actor))
    return Reply(text=T.CARD_REPLY_HINT)


def _due_from_text(text: str, today: date) -> date | str | None:
    """Read a deadline in words: a date, None for 立即/当场, or the Chinese explanation of the problem."""
    text = clean_text(text, 40)
    if any(word in text for word in ("立即", "当场")):
        return None
    try:
        return parse_due(text, today)
    except DueDateError as exc:
        template = T.DUE_PAST if exc.reason == "past" else T.DUE_UNREADABLE
        return template.format(text=text).split("\n")[0]


async def _set_due_from_text(
    session: AsyncSession, actor: Person, hazard: Hazard, text: str, settings: Settings, now: datetime
) -> list[Reply]:
    due = _due_from_text(text, settings.park.day(now))
    if isinstance(due, str):
        return [Reply(text=due)]
    return await _set_due(session, actor, hazard, due, settings, now)


async def _set_due(
    session: AsyncSession, actor: Person, hazard: Hazard, due: date | None, settings: Settings, now: datetime
) -> list[Reply]:
    """Set immediate mode (due None) or a deadline; a deadline starts rectification."""
    await hazard_ops.set_due(session, hazard, actor, due, now)
    if due is not None:
        said = T.DUE_SET.format(code=hazard.code, due=fmt_date(due))
    else:
        said = T.DUE_SET_IMMEDIATE.format(code=hazard.code)
    return [await card_reply(session, hazard, settings, now), Reply(text=said, toast=True)]


# --- the card's edit buttons, and the same as commands ------------------------------------------


async def _pressed_hazard(
    session: AsyncSession, actor: Person, press: ButtonPress, now: datetime, hazard_id: int
) -> tuple[Hazard | None, Reply | None]:
    """Load the hazard a button names and check the person may edit it while it is open."""
    hazard = await hazard_queries.get_hazard(session, hazard_id)
    if hazard is None:
        return None, await refuse(session, actor, press, now, T.BUTTON_STALE)
    try:
        hazard_rules.check(actor, hazard, hazard_rules.Action.SET_LEVEL)
    except Refused as exc:
        return None, await _refused_press(session, actor, press, now, exc)
    return hazard, None


async def _refused_press(
    session: AsyncSession, actor: Person, press: ButtonPress, now: datetime, exc: Refused
) -> Reply:
    """Answer a refused press: a permission refusal is audited (it may be forged), a stale one is not."""
    if exc.reason == Refusal.NOT_ALLOWED and exc.hazard is not None:
        return await refuse(session, actor, press, now, edit_denied(actor, exc.hazard))
    return Reply(text=refusal_text(exc, actor), toast=True)


def edit_denied(actor: Person, hazard: Hazard) -> str:
    """Say why the person may not edit this hazard: another enterprise's, or found by someone else."""
    if actor.role in ENTERPRISE_ROLES and actor.enterprise_id != hazard.enterprise_id:
        own = own_enterprise(actor)
        return T.HAZARD_EDIT_NOT_OWN.format(code=hazard.code, enterprise=hazard.enterprise.name, own=own)
    reporter = hazard.reporter
    role = T.role_name(reporter.role) if reporter.role else ""
    text = T.HAZARD_EDIT_FOUND_BY.format(code=hazard.code, role=role, reporter=reporter.display_name)
    if actor.role in ENTERPRISE_ROLES and hazard.mode == Mode.DEADLINE:
        text += T.HAZARD_EDIT_EXTEND_HINT.format(code=hazard.code)
    elif actor.role in ENTERPRISE_ROLES:
        text += T.HAZARD_EDIT_ASK_REPORTER
    return text


@router.button(DueButton, perm=Perm.HAZARD_EDIT)
async def due_button(
    press: ButtonPress,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    button: DueButton,
) -> HandlerResult:
    """Set the rectification mode: immediately, or within N days."""
    hazard, refusal = await _pressed_hazard(session, actor, press, now, button.hazard_id)
    if hazard is None:
        return refusal
    if button.days not in DUE_DAYS:
        return await refuse(session, actor, press, now, T.BUTTON_STALE)
    due = settings.park.day(now) + timedelta(days=button.days) if button.days else None
    try:
        return await _set_due(session, actor, hazard, due, settings, now)
    except Refused as exc:
        return await _refused_press(session, actor, press, now, exc)


@router.button(LevelButton, perm=Perm.HAZARD_EDIT)
async def level_button(
    press: ButtonPress,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    button: LevelButton,
    reach: Reach,
) -> HandlerResult:
    """Set the level to general or major (a value, never a toggle)."""
    hazard, refusal = await _pressed_hazard(session, actor, press, now, button.hazard_id)
    if hazard is None:
        return refusal
    try:
        return await _set_level(session, actor, hazard, button.level, settings, now, reach, toast=True)
    except Refused as exc:
        return await _refused_press(session, actor, press, now, exc)


async def _set_level(
    session: AsyncSession,
    actor: Person,
    hazard: Hazard,
    level: Level,
    settings: Settings,
    now: datetime,
    reach: Reach,
    *,
    toast: bool,
) -> list[Reply]:
    change = await hazard_ops.set_level(session, hazard, actor, level, now)
    replies = [Reply(text=T.LEVEL_SET.format(code=hazard.code, level=T.LEVEL_NAMES[level]), toast=toast)]
    if change.changed:
        card = await build_card(session, hazard, settings, now)
        replies.append(Reply(card=card, edit=True))
        replies += told_replies(change, card, actor, reach)
        if level == Level.MAJOR and five_missing(hazard):
            replies.append(Reply(text=T.FIVE_ASK.format(code=hazard.code)))
    return replies


@router.button(CategoryButton, perm=Perm.HAZARD_EDIT)
async def category_button(
    press: ButtonPress,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    button: CategoryButton,
) -> HandlerResult:
    """Offer the categories as buttons; with a category in the data, set it."""
    hazard, refusal = await _pressed_hazard(session, actor, press, now, button.hazard_id)
    if hazard is None:
        return refusal
    if button.category is None:
        buttons = [
            Button(T.CATEGORY_NAMES[c], CategoryButton(hazard.id, c).pack(), f"/category {hazard.code} {T.CATEGORY_NAMES[c]}")
            for c in CATEGORIES
        ]
        rows = tuple(tuple(buttons[i : i + 4]) for i in range(0, len(buttons), 4))
        return Reply(text=T.CATEGORY_PICK.format(code=hazard.code), buttons=rows)
    if button.category not in T.CATEGORY_NAMES:
        return await refuse(session, actor, press, now, T.BUTTON_STALE)
    try:
        return await _set_category(session, actor, hazard, button.category, settings, now, toast=True)
    except Refused as exc:
        return await _refused_press(session, actor, press, now, exc)


async def _set_category(
    session: AsyncSession,
    actor: Person,
    hazard: Hazard,
    category: str,
    settings: Settings,
    now: datetime,
    *,
    toast: bool,
) -> list[Reply]:
    change = await hazard_ops.set_category(session, hazard, actor, category, now)
    replies = [
        Reply(text=T.CATEGORY_SET.format(code=hazard.code, category=T.CATEGORY_NAMES[category]), toast=toast)
    ]
    if change.changed:
        replies.append(await card_reply(session, hazard, settings, now))
    return replies


@router.command("due", perm=Perm.HAZARD_EDIT, help_text=T.HELP["due"])
async def due_command(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    card_key: str | None,
) -> HandlerResult:
    """Set the rectification mode by command: `/due YH-… 12月10日` or `/due YH-… 立即整改`."""
    hazard, rest, problem = await commanded_hazard(session, msg, card_key, T.DUE_USAGE)
    if hazard is None or not rest:
        return problem or Reply(text=T.DUE_USAGE)
    due = _due_from_text(rest, settings.park.day(now))
    if isinstance(due, str):
        return Reply(text=due)
    if hazard.mode is not None and due is not None and may_change_due(actor):
        return await _change_due(session, actor, hazard, due, settings, now)
    try:
        replies = await _set_due(session, actor, hazard, due, settings, now)
    except Refused as exc:
        return Reply(text=refusal_text(exc, actor))
    return [replace(r, toast=False) for r in replies]


async def _change_due(
    session: AsyncSession, actor: Person, hazard: Hazard, due: date, settings: Settings, now: datetime
) -> HandlerResult:
    """Move a deadline already set (managers); the enterprise asks with /extend instead."""
    old = hazard.due_date
    try:
        change = await hazard_ops.change_due(session, hazard, actor, due, now)
    except Refused as exc:
        return Reply(text=refusal_text(exc, actor))
    shown = fmt_date(old) if old is not None else T.MODE_NAMES["immediate"]
    said = Reply(text=T.DUE_CHANGED.format(code=hazard.code, old=shown, new=fmt_date(due)))
    return [await card_reply(session, hazard, settings, now), said] if change.changed else said


@router.command("level", perm=Perm.HAZARD_EDIT, help_text=T.HELP["level"])
async def level_command(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    card_key: str | None,
    reach: Reach,
) -> HandlerResult:
    """Set the level by command: `/level YH-… 重大` or `/level YH-… 一般`."""
    hazard, rest, problem = await commanded_hazard(session, msg, card_key, T.LEVEL_USAGE)
    if hazard is None:
        return problem
    level = T.LEVEL_WORDS_IN.get(rest.lower())
    if level is None:
        return Reply(text=T.LEVEL_USAGE)
    try:
        return await _set_level(session, actor, hazard, Level(level), settings, now, reach, toast=False)
    except Refused as exc:
        return Reply(text=refusal_text(exc, actor))


@router.command("category", perm=Perm.HAZARD_EDIT, help_text=T.HELP["category"])
async def category_command(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    card_key: str | None,
) -> HandlerResult:
    """Set the category by command: `/category YH-… 消防安全`."""
    hazard, rest, problem = await commanded_hazard(session, msg, card_key, T.CATEGORY_USAGE)
    if hazard is None:
        return problem
    by_name = {name: key for key, name in T.CATEGORY_NAMES.items()} | {k: k for k in T.CATEGORY_NAMES}
    category = by_name.get(rest) or by_name.get(rest.lower())
    if category is None:
        return Reply(text=T.CATEGORY_USAGE)
    try:
        return await _set_category(session, actor, hazard, category, settings, now, toast=False)
    except Refused as exc:
        return Reply(text=refusal_text(exc, actor))


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
    hazard, rest, problem = await commanded_hazard(session, msg, card_key, T.FIVE_USAGE, limit=2000)
    if hazard is None:
        return problem
    values = _five_values(rest)
    if isinstance(values, str):
        return Reply(text=values)
    deadline = values.get("deadline")
    if deadline and hazard.due_date is not None:
        try:
            by = parse_due(deadline, settings.park.day(now))
        except DueDateError:
            by = None  # written in words we cannot date (e.g. 整改完成前): kept as written
        if by is not None and by > hazard.due_date:
            return Reply(text=T.FIVE_DEADLINE_LATE.format(code=hazard.code, value=deadline, due=fmt_date(hazard.due_date)))
    try:
        hazard_rules.check(actor, hazard, hazard_rules.Action.FIVE)
        if not values:
            if hazard.level != Level.MAJOR:
                raise Refused(Refusal.NOT_MAJOR, hazard)
            return Reply(text=T.FIVE_USAGE)
        await hazard_ops.fill_five(session, hazard, actor, values, now)
    except Refused as exc:
        return Reply(text=refusal_text(exc, actor))
    missing = five_missing(hazard)
    tail = T.FIVE_STILL_MISSING.format(missing="、".join(missing)) if missing else T.FIVE_COMPLETE
    stored = "\n".join(T.FIVE_STORED_LINE.format(name=T.FIVE_FIELDS[k], value=v) for k, v in values.items())
    return [
        await card_reply(session, hazard, settings, now),
        Reply(text=T.FIVE_SAVED.format(code=hazard.code, stored=stored, rest=tail), about=key_of(hazard)),
    ]


def _five_values(text: str) -> dict[str, str] | str:
    """Read `责任人=张三 资金=1万…` strictly: each name once, one separator; or explain what is wrong."""
    parts = FIVE_RE.split(text)
    values: dict[str, str] = {}
    for i in range(1, len(parts) - 1, 2):
        name, value = parts[i], parts[i + 1].strip()
        if value[:1] in FIVE_SEPARATORS:
            return T.FIVE_BAD_SEPARATOR.format(name=name)
        if not value:
            return T.FIVE_EMPTY_VALUE.format(name=name)
        if FIVE_KEYS[name] in values:
            return T.FIVE_TWICE.format(name=name)
        values[FIVE_KEYS[name]] = value
    return values


# --- detail and lists -------------------------------------------------------------------------


async def detail(
    session: AsyncSession, actor: Person, settings: Settings, now: datetime, code: str
) -> list[Reply]:
    """Show a hazard's card, its whole story, and its before and after photos, each group labelled."""
    hazard = await hazard_queries.hazard_by_code(session, code)
    if hazard is None:
        return [Reply(text=T.HAZARD_NOT_FOUND.format(code=hazard_queries.normal_code(code)[:20]))]
    if not may_view_enterprise(actor, hazard.enterprise_id):
        return [Reply(text=T.HAZARD_VIEW_NOT_OWN.format(enterprise=own_enterprise(actor)))]
    lines = [T.HAZARD_HISTORY]
    for e in await hazard_queries.events_of(session, hazard.id):
        said = [part for part in (_event_detail(e), e.note) if part]
        lines.append(
            T.HAZARD_EVENT_LINE.format(
                at=fmt_time(e.at, settings.park.tz),
                actor=e.actor.display_name if e.actor else T.SYSTEM_ACTOR,
                action=T.EVENT_NAMES.get(e.action, e.action),
                note=f"：{'；'.join(said)}" if said else "",
            )
        )
    root = settings.storage.photo_dir
    photos = await hazard_queries.hazard_photos(session, hazard.id)
    # A one-off view under its own key: no buttons, never edited, and a reply to it is a reply to a
    # card (so it is not taken for the answer to an open question); the group keeps one live card.
    live = await build_card(session, hazard, settings, now)
    card = replace(live, key=f"view:{live.key}", actions=())
    replies = [Reply(card=card), Reply(text="\n".join(lines))]
    for phase in ("before", "after"):
        paths = tuple(root / p.path for ph, p in photos if ph == phase)
        if paths:  # a text line, then its album: people see which photos are 整改前 and which 整改后
            label = T.DETAIL_PHOTOS.format(phase=T.PHASE_NAMES[phase], count=len(paths))
            replies.append(Reply(text=label, photos=paths))
    documents = await hazard_queries.hazard_documents(session, hazard.id)
    if documents:  # a line per document with its name and size, then the files themselves
        listed = [T.DETAIL_DOCUMENTS.format(count=len(documents))]
        listed += [
            T.DETAIL_DOCUMENT_LINE.format(phase=T.PHASE_NAMES[ph], name=d.file_name, size=fmt_size(d.size))
            for ph, d in documents
        ]
        # A file lost from disk (`safetybot storage check` reports it) is listed but not sent.
        kept = [(root / d.path, d.file_name) for _, d in documents if (root / d.path).is_file()]
        replies.append(
            Reply(
                text="\n".join(listed),
                documents=tuple(path for path, _ in kept),
                document_names=tuple(name for _, name in kept),
            )
        )
    return replies


def _event_detail(event: HazardEvent) -> str:
    """Say what an event set, from its data: the date, the level, the category, the values, the photos."""
    data = event.data or {}
    match event.action:
        case hazard_rules.Action.REPORT:
            level = T.LEVEL_NAMES.get(data.get("level") or "", "")
            category = T.CATEGORY_NAMES.get(data.get("category") or "", data.get("category") or "")
            text = T.EVENT_REPORT_DETAIL.format(level=level, category=category) if level and category else ""
            due = _due_of(data)
            return text + (T.EVENT_DUE_DETAIL.format(due=due) if due else "")
        case hazard_rules.Action.SET_DUE:
            return _due_of(data) or T.MODE_NAMES["immediate"]
        case hazard_rules.Action.SET_LEVEL:
            return T.LEVEL_NAMES.get(data.get("level") or "", "")
        case hazard_rules.Action.SET_CATEGORY:
            return T.CATEGORY_NAMES.get(data.get("category") or "", data.get("category") or "")
        case hazard_rules.Action.FIVE:
            items = [(name, data.get(key)) for key, name in T.FIVE_FIELDS.items()]
            return "，".join(T.EVENT_FIVE_ITEM.format(name=name, value=value) for name, value in items if value)
        case hazard_rules.Action.PHOTOS:
            phase = T.PHASE_NAMES.get(data.get("phase") or "")
            return T.EVENT_PHOTOS_DETAIL.format(phase=phase, count=data.get("count", 0)) if phase else ""
        case hazard_rules.Action.DOCUMENTS:
            phase = T.PHASE_NAMES.get(data.get("phase") or "")
            return T.EVENT_DOCUMENTS_DETAIL.format(phase=phase, count=data.get("count", 0)) if phase else ""
        case hazard_rules.Action.CHANGE_DUE | hazard_rules.Action.EXTEND_ASK | hazard_rules.Action.EXTEND_APPROVE:
            return T.EVENT_FROM_TO.format(old=_day(data.get("from")) or T.NONE, new=_day(data.get("to")))
        case hazard_rules.Action.EXTEND_REFUSE:
            return T.EVENT_EXTEND_REFUSED.format(asked=_day(data.get("asked")), kept=_day(data.get("from")))
        case hazard_rules.Action.EDIT:
            return T.EVENT_FROM_TO.format(old=short(str(data.get("from") or "")), new=short(str(data.get("to") or "")))
        case hazard_rules.Action.WITHDRAW if data.get("duplicate_of"):
            return T.EVENT_DUPLICATE_OF.format(code=data["duplicate_of"])
    return ""


def _day(raw: object) -> str:
    """Format an ISO date from an event's data with its weekday ("" when there is none)."""
    try:
        return fmt_date(date.fromisoformat(str(raw))) if raw else ""
    except ValueError:
        return str(raw)


def _due_of(data: dict[str, Any]) -> str:
    """Return the due date an event's data holds, formatted with its weekday, or "" when it has none."""
    raw = data.get("due_date")
    if not raw:
        return ""
    try:
        return fmt_date(date.fromisoformat(raw))
    except (TypeError, ValueError):
        return str(raw)


PAGE_SIZE = 30
PAGE_RE = re.compile(r"第\s*(\d{1,4})\s*页")
MONTH_RE = re.compile(r"(\d{4})(?:-|年)(\d{1,2})月?")
STATUS_WORDS = {name: status for status, name in T.STATUS_NAMES.items()}
LEVEL_WORDS = {"重大": "major", "重大隐患": "major", "一般": "general", "一般隐患": "general"}
CATEGORY_WORDS = {name: key for key, name in T.CATEGORY_NAMES.items()}
STATUS_BY_CODE = {code: status for status, code in LIST_STATUS_CODES.items()}


@dataclass(frozen=True)
class ListQuery:
    """What `/hazards` words (or a 下一页 button) ask for; None and False leave the default."""

    status: str | None = None
    level: str | None = None
    category: str | None = None
    month: tuple[int, int] | None = None  # (year, month), by the day found in the park
    overdue: bool = False
    mine: bool = False
    enterprise: Enterprise | None = None
    page: int = 1

    def button(self, page: int) -> HazardListButton:
        """Return the typed button that shows another page of this list."""
        flags = ("o" if self.overdue else "") + ("m" if self.mine else "")
        return HazardListButton(
            page=page,
            enterprise_id=self.enterprise.id if self.enterprise else 0,
            status=LIST_STATUS_CODES[self.status] if self.status else "-",
            level="major" if self.level == "major" else "general" if self.level else "-",
            category=self.category or "-",
            month=self.month[0] * 100 + self.month[1] if self.month else 0,
            flags="om" if flags == "om" else "o" if flags == "o" else "m" if flags == "m" else "-",
        )

    def words(self, page: int) -> str:
        """Return the `/hazards` command that shows another page of this list."""
        words = [
            self.enterprise.name if self.enterprise else "",
            T.STATUS_NAMES[self.status] if self.status else "",
            "重大" if self.level == "major" else "一般" if self.level else "",
            T.CATEGORY_NAMES[self.category] if self.category else "",
            f"{self.month[0]}-{self.month[1]:02d}" if self.month else "",
            "逾期" if self.overdue else "",
            "我的" if self.mine else "",
            f"第{page}页",
        ]
        return "/hazards " + " ".join(w for w in words if w)


def _month_of(word: str, today: date) -> tuple[int, int] | None:
    """Read 本月, 上月, `2026-11` or `2026年11月` as (year, month); None for any other word."""
    if word == T.HAZARDS_WORD_THIS_MONTH:
        return today.year, today.month
    if word == T.HAZARDS_WORD_LAST_MONTH:
        return (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    match = MONTH_RE.fullmatch(word)
    if match and 1 <= int(match.group(2)) <= 12:
        return int(match.group(1)), int(match.group(2))
    return None


async def _list_query(session: AsyncSession, text: str, today: date) -> ListQuery | Reply:
    """Read `/hazards` words in any order; what no word names is taken as an enterprise."""
    found: dict[str, Any] = {}
    rest: list[str] = []
    text = PAGE_RE.sub(lambda m: f" 第{m.group(1)}页 ", text)
    for word in text.split():
        page = PAGE_RE.fullmatch(word)
        month = _month_of(word, today)
        if word.lower() in ("overdue", "逾期"):
            found["overdue"] = True
        elif word.lower() in ("mine", "我的"):
            found["mine"] = True
        elif word in STATUS_WORDS:
            found["status"] = STATUS_WORDS[word]
        elif word in LEVEL_WORDS:
            found["level"] = LEVEL_WORDS[word]
        elif word in CATEGORY_WORDS:
            found["category"] = CATEGORY_WORDS[word]
        elif month is not None:
            found["month"] = month
        elif page is not None:
            found["page"] = max(1, int(page.group(1)))
        else:
            rest.append(word)
    if rest:
        unscoped = ListQuery(**found).button(1)  # a near name is offered as buttons with the other words kept
        picked = await pick_enterprise(
            session, " ".join(rest), button=lambda eid: replace(unscoped, enterprise_id=eid)
        )
        if isinstance(picked, Reply):
            return picked
        found["enterprise"] = picked
    return ListQuery(**found)


def _list_title(q: ListQuery) -> str:
    """Return the list's title: the old titles for the old single forms, else the filters joined."""
    only = {k for k, v in vars(q).items() if v and k != "page"}
    if not only:
        return T.HAZARDS_TITLE_OPEN
    if only == {"overdue"}:
        return T.HAZARDS_TITLE_OVERDUE
    if only == {"mine"}:
        return T.HAZARDS_TITLE_MINE
    if only == {"enterprise"} and q.enterprise is not None:
        return T.HAZARDS_TITLE_ENTERPRISE.format(enterprise=q.enterprise.name)
    parts = [
        q.enterprise.name if q.enterprise else "",
        T.HAZARDS_FILTER_MINE if q.mine else "",
        T.HAZARDS_FILTER_MONTH.format(year=q.month[0], month=q.month[1]) if q.month else "",
        T.LEVEL_NAMES[q.level] if q.level else "",
        T.CATEGORY_NAMES[q.category] if q.category else "",
        T.HAZARDS_FILTER_OVERDUE if q.overdue else "",
        T.STATUS_NAMES[q.status] if q.status else T.HAZARDS_FILTER_OPEN if _open_only(q) else "",
    ]
    return T.HAZARDS_TITLE_FILTERED.format(filters="、".join(p for p in parts if p))


def _open_only(q: ListQuery) -> bool:
    """Tell whether a list without a status word shows open hazards only (mine and a month show all)."""
    return q.status is None and not q.mine and q.month is None


def _list_filter(q: ListQuery, actor: Person, settings: Settings, today: date) -> hazard_queries.HazardFilter:
    """Turn what was asked into the ledger's filter, within what the person may view."""
    tz = settings.park.tz
    own = None if actor.role in PARK_ROLES else actor.enterprise_id
    found_from = found_before = None
    if q.month is not None:
        year, month = q.month
        found_from = datetime(year, month, 1, tzinfo=tz).astimezone(UTC)
        found_before = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=tz).astimezone(UTC)
    statuses: tuple[str, ...] | None = None
    if q.status is not None:
        statuses = (q.status,)
    elif q.month is not None and not q.mine:
        statuses = tuple(s for s in HazardStatus if s != HazardStatus.WITHDRAWN)
    return hazard_queries.HazardFilter(
        enterprise_id=q.enterprise.id if q.enterprise else None if q.mine else own,
        reporter_id=actor.id if q.mine else None,
        overdue_on=today if q.overdue else None,
        open_only=_open_only(q),
        park_tz=tz,
        immediate_grace_days=settings.park.immediate_grace_days,
        statuses=statuses,
        level=q.level,
        category=q.category,
        found_from=found_from,
        found_before=found_before,
    )


@router.command("hazards", perm=Perm.VIEW, help_text=T.HELP["hazards"], read_only=True)
async def list_hazards(
    msg: Incoming, *, session: AsyncSession, actor: Person, settings: Settings, now: datetime
) -> HandlerResult:
    """List hazards by status, level, category, month found, overdue, mine or enterprise, a page at a time."""
    today = settings.park.day(now)
    q = await _list_query(session, clean_text(msg.args, 200), today)
    if isinstance(q, Reply):
        return q
    return await _hazard_list(session, actor, settings, now, q)


@router.button(HazardListButton, perm=Perm.VIEW)
async def list_page_button(
    press: ButtonPress,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    button: HazardListButton,
) -> HandlerResult:
    """Show the page of a hazard list a 下一页 button names."""
    enterprise = None
    if button.enterprise_id:
        enterprise = await park_queries.get_enterprise(session, button.enterprise_id)
        if enterprise is None:
            return await refuse(session, actor, press, now, T.BUTTON_STALE)
    status = STATUS_BY_CODE.get(button.status)
    if (button.status != "-" and status is None) or (
        button.category != "-" and button.category not in T.CATEGORY_NAMES
    ):
        return await refuse(session, actor, press, now, T.BUTTON_STALE)
    month = divmod(button.month, 100) if button.month else None
    if month is not None and not 1 <= month[1] <= 12:
        return await refuse(session, actor, press, now, T.BUTTON_STALE)
    q = ListQuery(
        status=status,
        level=None if button.level == "-" else button.level,
        category=None if button.category == "-" else button.category,
        month=month,
        overdue="o" in button.flags,
        mine="m" in button.flags,
        enterprise=enterprise,
        page=button.page,
    )
    return await _hazard_list(session, actor, settings, now, q)


async def _hazard_list(
    session: AsyncSession, actor: Person, settings: Settings, now: datetime, q: ListQuery
) -> Reply:
    """Render one page of a hazard list, with 下一页 (and its command) when more follow."""
    if q.enterprise is not None and not may_view_enterprise(actor, q.enterprise.id):
        return Reply(text=T.HAZARD_VIEW_NOT_OWN.format(enterprise=own_enterprise(actor)))
    today = settings.park.day(now)
    f = _list_filter(q, actor, settings, today)
    rows, total = await hazard_queries.list_hazards(session, f, limit=PAGE_SIZE, offset=(q.page - 1) * PAGE_SIZE)
    pages = max(1, -(-total // PAGE_SIZE))
    if not rows:
        if total:
            return Reply(text=T.HAZARDS_PAGE_BEYOND.format(page=q.page, total=total, pages=pages))
        return Reply(text=T.HAZARDS_EMPTY)
    if pages > 1:
        shown = T.HAZARDS_PAGE.format(page=q.page, pages=pages)
    else:
        shown = T.HAZARDS_SHOWN.format(n=len(rows)) if total > len(rows) else ""
    lines = [T.HAZARDS_HEADER.format(title=_list_title(q), total=total, shown=shown)]
    lines += _hazard_lines(rows, today, settings)
    buttons: tuple[tuple[Button, ...], ...] = ()
    if q.page < pages:
        buttons = ((Button(T.BTN_NEXT_PAGE, q.button(q.page + 1).pack(), q.words(q.page + 1)),),)
    return Reply(text="\n".join(lines), buttons=buttons)


def _hazard_lines(rows: Sequence[Hazard], today: date, settings: Settings) -> list[str]:
    """Return one line per hazard: code, enterprise, description, status and due date."""
    lines = []
    for h in rows:
        due = T.HAZARD_LINE_DUE.format(due=h.due_date.strftime("%m-%d")) if h.due_date else ""
        name = h.enterprise.aliases[0] if h.enterprise.aliases else h.enterprise.name
        lines.append(
            T.HAZARD_LINE.format(
                code=h.code,
                enterprise=name,
                description=short(h.description, 24),
                status=status_text(h, today, settings.park),
                due=due,
            )
        )
    return lines


@router.command("search", perm=Perm.VIEW, help_text=T.HELP["search"], read_only=True)
async def search(
    msg: Incoming, *, session: AsyncSession, actor: Person, settings: Settings, now: datetime
) -> HandlerResult:
    """Find hazards whose description or code holds the words, within what the person may view."""
    words = clean_text(msg.args, 50)
    if not words:
        return Reply(text=T.SEARCH_USAGE)
    scope = None if actor.role in PARK_ROLES else actor.enterprise_id
    if scope is None and actor.role not in PARK_ROLES:
        return Reply(text=T.SEARCH_NO_ENTERPRISE)
    rows, total = await hazard_queries.search_hazards(session, words, scope, limit=PAGE_SIZE)
    if not rows:
        return Reply(text=T.HAZARDS_EMPTY)
    shown = T.HAZARDS_SHOWN.format(n=len(rows)) if total > len(rows) else ""
    lines = [T.HAZARDS_HEADER.format(title=T.SEARCH_TITLE.format(words=words), total=total, shown=shown)]
    return Reply(text="\n".join(lines + _hazard_lines(rows, settings.park.day(now), settings)))


# --- a private photo without a caption ----------------------------------------------------------


@router.leftover("photo_offer", perm=Perm.HAZARD_REPORT)
async def offer_photo(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    attachments: list[Attachment],
) -> HandlerResult:
    """Ask whether a photo sent privately without a caption is a hazard to register."""
    if msg.chat.is_group or not msg.files or msg.text.strip():
        return NOT_MINE
    photos = await photo_rows(session, attachments, settings, now)
    if not photos:
        problem = attachment_problem(attachments, settings)
        return Reply(text=problem) if problem else NOT_MINE
    await ask(session, msg.chat, actor, HazardPhotoOffer([p.id for p in photos], msg.media_group_id), now)
    choice = (
        Button(T.BTN_PHOTO_REGISTER, PhotoOfferButton("yes").pack()),
        Button(T.BTN_PHOTO_NO, PhotoOfferButton("no").pack()),
    )
    return Reply(text=T.PHOTO_OFFER, buttons=(choice,))


def _more_photos(photo_ids: list[int], photos: list[Photo]) -> list[int]:
    """Return the photo ids with new ones added once each, in the order they came."""
    return list(dict.fromkeys([*photo_ids, *(p.id for p in photos)]))


@router.question(HazardPhotoOffer, perm=Perm.HAZARD_REPORT)
async def offer_album(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    attachments: list[Attachment],
    question: HazardPhotoOffer,
) -> HandlerResult:
    """Add the rest of the album to the photos offered; anything else is not the answer."""
    if msg.media_group_id is None or msg.media_group_id != question.media_group_id:
        return NOT_MINE
    photos = await photo_rows(session, attachments, settings, now)
    await ask(
        session, msg.chat, actor, replace(question, photo_ids=_more_photos(question.photo_ids, photos)), now
    )
    return []


@router.button(PhotoOfferButton, perm=Perm.HAZARD_REPORT)
async def photo_offer_button(
    press: ButtonPress,
    *,
    session: AsyncSession,
    actor: Person,
    now: datetime,
    button: PhotoOfferButton,
    question: Question | None,
) -> HandlerResult:
    """登记隐患: ask for the description of the photos; 不用了: forget them."""
    if not isinstance(question, HazardPhotoOffer):
        return Reply(text=T.PHOTO_OFFER_GONE, toast=True)
    if button.register == "no":
        await drop(session, press.chat, actor)
        return Reply(text=T.PHOTO_OFFER_DECLINED, toast=True)
    await ask(session, press.chat, actor, HazardDescribe(question.photo_ids, question.media_group_id), now)
    return Reply(text=T.PHOTO_DESCRIBE)


@router.question(HazardDescribe, perm=Perm.HAZARD_REPORT)
async def describe_photos(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    attachments: list[Attachment],
    question: HazardDescribe,
    reach: Reach,
) -> HandlerResult:
    """Take the description of the photos being registered (more photos are kept), then register."""
    photos = await photo_rows(session, attachments, settings, now)
    if photos:
        question = replace(question, photo_ids=_more_photos(question.photo_ids, photos))
        await ask(session, msg.chat, actor, question, now)
    text = clean_text(msg.text, DESCRIPTION_LIMIT * 2)
    if not text:
        return Reply(text=T.PHOTO_DESCRIBE_AGAIN)
    parsed = parse_hazard_text(text, settings.park.day(now))
    if not parsed.description:
        return Reply(text=T.HAZARD_NEED_DESCRIPTION)
    if len(parsed.description) > DESCRIPTION_LIMIT:
        return Reply(text=T.HAZARD_TOO_LONG.format(limit=DESCRIPTION_LIMIT))
    enterprise_id: int | None = None
    if actor.role in ENTERPRISE_ROLES:
        if actor.enterprise_id is None:
            return Reply(text=T.HAZARD_NO_ENTERPRISE)
        enterprise_id = actor.enterprise_id
    else:
        named = await _enterprise_named_in(session, text)
        enterprise_id = named[0].id if len(named) == 1 else None
    draft = HazardDraft(
        text, question.photo_ids, question.media_group_id, enterprise_id, hazard_rules.source_for(actor)
    )
    if enterprise_id is None:
        await ask(session, msg.chat, actor, draft, now)  # the enterprise button completes the draft
        return await _enterprise_buttons(session, await _enterprise_named_in(session, text), actor)
    await drop(session, msg.chat, actor)
    return await register(session, actor, draft, msg.chat, settings, now, reach)
