"""Hazards, reporting side (排查→登记): /hazard with photos (or a draft that waits for them), the
enterprise picked by button, the rest of an album, and a private photo without a caption offered for
registering (登记隐患 / 不用了, then its description).

Registering is the domain operation `report` in `domain/hazards/operations.py` (who may report for
which enterprise: `domain/park/rules.py`); captions are read by `text.py`; the card is `card.py`.
`/hazard YH-…` shows one hazard through `view.py`; editing is `edit.py`, rectification `rectify.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.messages import Attachment, Button, ButtonPress, ChatRef, Incoming, Reply, clean_text
from bot.questions import Question, ask, drop
from bot.routing import NOT_MINE, HandlerResult, Router
from domain.campaigns import operations as campaign_ops
from domain.campaigns.rules import without_campaign_code
from domain.hazards import operations as hazard_ops
from domain.hazards import queries as hazard_queries
from domain.hazards.rules import asks_location, day_window, source_for
from domain.outcome import Refused
from domain.park import queries as park_queries
from domain.park.rules import Perm, may_report_for, role_allows
from handlers import texts as T
from handlers.hazards.card import (
    CODE_RE,
    DESCRIPTION_LIMIT,
    EnterpriseButton,
    HazardAlbum,
    PhotoOfferButton,
    build_card,
    card_reply,
    document_names,
    document_rows,
    for_people,
    refusal_text,
    told_replies,
)
from handlers.hazards.card import card_key as key_of
from handlers.hazards.corrections import location_question
from handlers.hazards.text import HazardText, parse_hazard_text
from handlers.hazards.view import detail
from handlers.util import Reach, attachment_problem, is_answer, photo_rows, refuse, short
from storage import attachments as attachment_rows
from storage.enums import ENTERPRISE_ROLES, Level, Mode
from storage.models import Document, Enterprise, Person, Photo

router = Router("hazard_report")


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
    if refusal := _description_refused(parsed):
        return refusal

    photos = await photo_rows(session, attachments, settings, now)
    documents = await document_rows(session, attachments, settings, now)
    found = await _draft_enterprise(session, actor, text)
    if isinstance(found, Reply):
        return found
    enterprise_id, named = found
    draft = HazardDraft(
        text=text,
        photo_ids=[p.id for p in photos],
        media_group_id=msg.media_group_id,
        enterprise_id=enterprise_id,
        source=source_for(actor),
        document_ids=[d.id for d in documents],
    )
    if enterprise_id is None or not photos:
        await ask(session, msg.chat, actor, draft, now)
        if enterprise_id is None:
            return await _enterprise_buttons(session, named, actor)
        if documents:
            return Reply(text=T.HAZARD_DOCUMENTS_KEPT.format(names=document_names(documents)))
        return Reply(text=T.HAZARD_NEED_PHOTO.format(description=short(parsed.description)))
    return await register(session, actor, draft, msg.chat, settings, now, reach) + (
        [Reply(text=problem)] if problem else []
    )


def _description_refused(parsed: HazardText) -> Reply | None:
    """Refuse a caption without a description, or with one over the limit."""
    if not parsed.description:
        return Reply(text=T.HAZARD_NEED_DESCRIPTION)
    if len(parsed.description) > DESCRIPTION_LIMIT:
        return Reply(text=T.HAZARD_TOO_LONG.format(limit=DESCRIPTION_LIMIT))
    return None


async def _draft_enterprise(
    session: AsyncSession, actor: Person, text: str
) -> tuple[int | None, list[Enterprise]] | Reply:
    """Return the enterprise a report is for (None: to pick) and those its text names; or why none can be.

    An enterprise's people report for their own; others name it in the text, or pick it by button.
    """
    if actor.role in ENTERPRISE_ROLES:
        if actor.enterprise_id is None:
            return Reply(text=T.HAZARD_NO_ENTERPRISE)
        return actor.enterprise_id, []
    named = [
        e
        for e in await park_queries.list_enterprises(session)
        if any(n and n in text for n in (e.name, *e.aliases))
    ]
    return (named[0].id if len(named) == 1 else None), named


async def _enterprise_buttons(session: AsyncSession, named: list[Enterprise], owner: Person) -> Reply:
    """Ask which enterprise a draft is for: those its text named, or every enterprise."""
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
    document_ids = _with_new(question.document_ids, documents)
    if not photos:
        problem = attachment_problem(attachments, settings)
        if documents and not problem:  # kept with the draft, which still waits for its photo
            await ask(session, msg.chat, actor, replace(question, document_ids=document_ids), now)
            kept = await attachment_rows.documents_by_id(session, document_ids)
            return Reply(text=T.HAZARD_DOCUMENTS_KEPT.format(names=document_names(kept)))
        return Reply(text=problem or T.HAZARD_STILL_NEED_PHOTO)
    draft = replace(
        question,
        photo_ids=_with_new(question.photo_ids, photos),
        media_group_id=question.media_group_id or msg.media_group_id,
        document_ids=document_ids,
    )
    if draft.enterprise_id is None:
        await ask(session, msg.chat, actor, draft, now)
        return []  # still waiting for the enterprise button; photos are kept
    await drop(session, msg.chat, actor)
    return await register(session, actor, draft, msg.chat, settings, now, reach)


def _with_new(ids: list[int], rows: list[Photo] | list[Document]) -> list[int]:
    """Return the ids with those of new photos or documents added once each, in the order they came."""
    return list(dict.fromkeys([*ids, *(r.id for r in rows)]))


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
    enterprise = await park_queries.get_enterprise(session, draft.enterprise_id)
    names = (enterprise.name, *enterprise.aliases) if enterprise is not None else ()
    parsed = parse_hazard_text(without_campaign_code(draft.text), today, names)
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
            source=source_for(actor),  # the reporter's role now, not when the draft was started
            photos=photos,
            year=now.astimezone(settings.park.tz).year,
            at=now,
            media_group_id=draft.media_group_id,
            documents=await attachment_rows.documents_by_id(session, draft.document_ids),
            location=parsed.location,
        )
    except Refused as exc:
        return [Reply(text=refusal_text(exc, actor))]
    hazard = change.subject
    where: list[Reply] = []
    if asks_location(actor, hazard.location):  # an inspector's find without a place: asked once, 跳过 allowed
        question, asked = location_question(hazard, draft.media_group_id)
        await ask(session, chat, actor, question, now)
        where.append(asked)
    elif draft.media_group_id:
        await ask(session, chat, actor, HazardAlbum(hazard.id, draft.media_group_id, "before"), now)
    card = await build_card(session, hazard, settings, now)
    replies = [Reply(card=card if chat.is_group else for_people(card, hazard, [actor], None))]
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
    dupes = await hazard_queries.recent_duplicates(session, [p.id for p in photos], day_window(now), hazard.id)
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
    return replies + where


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
    if not photos and any(a.document is not None for a in attachments) and role_allows(actor.role, Perm.NOTICE_SEND):
        return NOT_MINE  # a manager's file: held for the notice they send next (handlers/notices/issue.py)
    if not photos:
        problem = attachment_problem(attachments, settings)
        return Reply(text=problem) if problem else NOT_MINE
    await ask(session, msg.chat, actor, HazardPhotoOffer([p.id for p in photos], msg.media_group_id), now)
    choice = (
        Button(T.BTN_PHOTO_REGISTER, PhotoOfferButton("yes").pack()),
        Button(T.BTN_PHOTO_NO, PhotoOfferButton("no").pack()),
    )
    return Reply(text=T.PHOTO_OFFER, buttons=(choice,))


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
    await ask(session, msg.chat, actor, replace(question, photo_ids=_with_new(question.photo_ids, photos)), now)
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
        question = replace(question, photo_ids=_with_new(question.photo_ids, photos))
        await ask(session, msg.chat, actor, question, now)
    text = clean_text(msg.text, DESCRIPTION_LIMIT * 2)
    if not text:
        return Reply(text=T.PHOTO_DESCRIBE_AGAIN)
    if refusal := _description_refused(parse_hazard_text(text, settings.park.day(now))):
        return refusal
    found = await _draft_enterprise(session, actor, text)
    if isinstance(found, Reply):
        return found
    enterprise_id, named = found
    draft = HazardDraft(text, question.photo_ids, question.media_group_id, enterprise_id, source_for(actor))
    if enterprise_id is None:
        await ask(session, msg.chat, actor, draft, now)  # the enterprise button completes the draft
        return await _enterprise_buttons(session, named, actor)
    await drop(session, msg.chat, actor)
    return await register(session, actor, draft, msg.chat, settings, now, reach)
