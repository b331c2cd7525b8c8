"""Hazards, closing side (整改→验收→销号): /fix with after-photos, accept, reject with a reason.

Each button has a command twin carrying the code (`/fix YH-…`, `/accept YH-…`, `/reject YH-… 原因`),
so every step also works where a platform has no buttons or no replies. The rules themselves are
the domain operations in `domain/hazards/operations.py`; this module parses, calls and renders.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.messages import Attachment, ButtonPress, Incoming, Reply, clean_text
from bot.questions import Question, ask, close_about_hazard, drop
from bot.routing import NOT_MINE, HandlerResult, Router
from domain.hazards import operations as hazard_ops
from domain.hazards import queries as hazard_queries
from domain.hazards import rules as hazard_rules
from domain.hazards.rules import Action, Refusal, Tell
from domain.outcome import Refused
from domain.park.rules import Perm
from handlers import texts as T
from handlers.hazards.card import (
    AcceptButton,
    FixButton,
    RejectButton,
    act_on_commanded,
    build_card,
    card_reply,
    commanded_hazard,
    document_names,
    document_rows,
    find_target,
    for_people,
    hazard_id_of,
    not_found,
    refusal_text,
)
from handlers.hazards.card import card_key as key_of
from handlers.util import (
    ADD_MINUTES,
    ADD_WINDOW,
    Reach,
    adds_to,
    attachment_problem,
    is_answer,
    photo_rows,
    recipients,
    refuse,
    short,
)
from storage import attachments, cards
from storage.enums import HazardStatus
from storage.models import Document, Hazard, Person, Photo

router = Router("rectify")

NOTE_LIMIT = 1000


def too_long(text: str) -> Reply | None:
    """Refuse a note or reason over the limit, saying so, instead of cutting it silently."""
    length = len(clean_text(text, NOTE_LIMIT * 20))
    return Reply(text=T.NOTE_TOO_LONG.format(limit=NOTE_LIMIT, length=length)) if length > NOTE_LIMIT else None


@dataclass(frozen=True)
class HazardFix(Question, kind="hazard_fix", ttl=timedelta(hours=24)):
    """The after-photos of a rectification the person started (and the PDFs already sent with it)."""

    hazard_id: int
    note: str
    document_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class FixMore(Question, kind="hazard_fix_more", ttl=ADD_WINDOW):
    """A short while after a fix: the fixer's next photos and PDFs in that chat are added to it as
    after-evidence (the rest of the album it came with quietly)."""

    fixed_id: int  # the hazard (not `hazard_id`: a transition's `close_about_hazard` must not drop it)
    media_group_id: str | None = None

    tell_expiry = False  # nobody was asked; the confirmation said how long it lasts

    def expects(self, msg: Incoming) -> bool:
        """Only photos and files: addressed to the bot, or the rest of the fix's album."""
        return adds_to(msg, self.media_group_id)


@dataclass(frozen=True)
class HazardReject(Question, kind="hazard_reject", ttl=timedelta(hours=24)):
    """The reason a manager rejects a rectification."""

    hazard_id: int


# --- rectification ----------------------------------------------------------------------------


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
    question: Question | None,
    reach: Reach,
) -> HandlerResult:
    """Submit a rectification: the hazard (card replied to, or code), a note, and after-photos."""
    hazard, note, missing_code = await find_target(session, card_key, msg.args)
    if missing_code:
        return not_found(missing_code)
    if hazard is None and isinstance(question, HazardFix):
        hazard = await hazard_queries.get_hazard(session, question.hazard_id)
    chosen = ""
    if hazard is None and actor.enterprise_id is not None:
        # No code and no card: the enterprise's one hazard awaiting a fix is the one meant (and said so).
        waiting = await hazard_queries.awaiting_fix(session, actor.enterprise_id)
        if len(waiting) == 1:
            hazard, chosen = waiting[0], T.FIX_CHOSEN.format(code=waiting[0].code)
        elif waiting:
            lines = [T.FIX_WHICH_LINE.format(code=h.code, description=short(h.description, 24)) for h in waiting]
            return Reply(text=T.FIX_WHICH.format(lines="\n".join(lines), code=waiting[0].code))
    if hazard is None:
        return Reply(text=T.HAZARD_WHICH)
    try:
        hazard_rules.check(actor, hazard, Action.FIX)
    except Refused as exc:
        if added := await _add_to_pending_fix(session, actor, hazard, attachments, settings, now, exc):
            return added
        return Reply(text=_fix_refusal(exc, actor))
    photos = await photo_rows(session, attachments, settings, now)
    documents = await document_rows(session, attachments, settings, now)
    if refusal := too_long(note):
        return refusal
    note = clean_text(note, NOTE_LIMIT)
    earlier = question.document_ids if isinstance(question, HazardFix) and question.hazard_id == hazard.id else []
    documents = await _with_earlier(session, earlier, documents)
    if not photos:
        # A report (校验报告) is kept with the fix, but the fix still needs a photo of the place.
        await ask(session, msg.chat, actor, HazardFix(hazard.id, note, [d.id for d in documents]), now)
        problem = attachment_problem(attachments, settings)
        if documents and not problem:
            return Reply(text=T.FIX_DOCUMENTS_KEPT.format(names=document_names(documents)))
        return [Reply(text=problem or T.FIX_NEED_PHOTO), *([Reply(text=chosen)] if chosen else [])]
    replies = await fix_reply(session, actor, hazard, note, photos, msg, settings, now, reach=reach, documents=documents)
    return [*replies, Reply(text=chosen)] if chosen else replies


async def _add_to_pending_fix(
    session: AsyncSession,
    actor: Person,
    hazard: Hazard,
    attachments: list[Attachment],
    settings: Settings,
    now: datetime,
    refused: Refused,
) -> list[Reply] | None:
    """Add photos and PDFs sent with /fix to a fix awaiting verification (more after-evidence, never a second
    fix); None when that is not the case."""
    if refused.reason != Refusal.WRONG_STATUS or hazard.status != HazardStatus.AWAITING_VERIFICATION:
        return None
    return await add_after(session, actor, hazard, attachments, settings, now) or None


async def add_after(
    session: AsyncSession,
    actor: Person,
    hazard: Hazard,
    attachments: list[Attachment],
    settings: Settings,
    now: datetime,
    *,
    quiet: bool = False,
) -> list[Reply]:
    """Add photos and PDFs to a fix awaiting verification as after-evidence; the card changes everywhere.

    `quiet` (the rest of the fix's album): only the card changes. Nothing stored: an empty list.
    """
    photos = await photo_rows(session, attachments, settings, now)
    documents = await document_rows(session, attachments, settings, now)
    if not photos and not documents:
        problem = attachment_problem(attachments, settings)
        return [Reply(text=problem)] if problem and not quiet else []
    said = []
    phase = T.PHASE_NAMES["after"]
    try:
        if photos:
            change = await hazard_ops.add_photos(session, hazard, actor, photos, "after", now)
            if change.added:
                said.append(T.HAZARD_PHOTOS_ADDED.format(code=hazard.code, count=change.added, phase=phase))
        if documents:
            change = await hazard_ops.add_documents(session, hazard, actor, documents, "after", now)
            if change.added:
                said.append(T.HAZARD_DOCUMENTS_ADDED.format(code=hazard.code, count=change.added, phase=phase))
    except Refused as exc:
        return [Reply(text=refusal_text(exc, actor))]
    if not said:
        return [] if quiet else [Reply(text=T.ADD_NOTHING)]
    card = await card_reply(session, hazard, settings, now)
    return [card] if quiet else [card, Reply(text="\n".join(said), about=key_of(hazard))]


async def _with_earlier(session: AsyncSession, earlier: list[int], documents: list[Document]) -> list[Document]:
    """Return the documents sent earlier for a fix followed by the new ones, each once."""
    kept = {d.id: d for d in await attachments.documents_by_id(session, earlier)}
    for d in documents:
        kept.setdefault(d.id, d)
    return list(kept.values())


def _fix_refusal(exc: Refused, actor: Person) -> str:
    if exc.reason == Refusal.WRONG_STATUS and exc.subject is not None:
        return T.FIX_NOT_OPEN.format(code=exc.subject.code, status=T.STATUS_NAMES[exc.subject.status])
    return refusal_text(exc, actor)


@router.button(FixButton, perm=Perm.HAZARD_FIX)
async def fix_button(
    press: ButtonPress, *, session: AsyncSession, actor: Person, now: datetime, button: FixButton
) -> HandlerResult:
    """Start a rectification from the card: ask for after-photos as a reply."""
    hazard = await hazard_queries.get_hazard(session, button.hazard_id)
    if hazard is None:
        return await refuse(session, actor, press, now, T.BUTTON_STALE)
    try:
        hazard_rules.check(actor, hazard, Action.FIX)
    except Refused as exc:
        if exc.reason == Refusal.NOT_ALLOWED:
            return await refuse(session, actor, press, now, _fix_refusal(exc, actor))
        return Reply(text=_fix_refusal(exc, actor), toast=True)
    await ask(session, press.chat, actor, HazardFix(hazard.id, ""), now)
    return Reply(text=f"{hazard.code}：{T.FIX_NEED_PHOTO}", about=key_of(hazard))


@router.question(HazardFix, perm=Perm.HAZARD_FIX)
async def fix_photos(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    attachments: list[Attachment],
    question: HazardFix,
    card_key: str | None,
    reach: Reach,
) -> HandlerResult:
    """Take the after-photos (and note) the bot asked for."""
    on_its_card = hazard_id_of(card_key) == question.hazard_id
    if not on_its_card and not is_answer(msg, card_key):
        return NOT_MINE  # a reply to another hazard's card, or group chatter
    photos = await photo_rows(session, attachments, settings, now)
    new_documents = await document_rows(session, attachments, settings, now)
    if refusal := too_long(msg.text):  # the question stays open for a shorter note
        return refusal
    note = clean_text(msg.text, NOTE_LIMIT) or question.note
    documents = await _with_earlier(session, question.document_ids, new_documents)
    if not photos:
        problem = attachment_problem(attachments, settings)
        if new_documents and not problem:  # kept; the question stays open for the photo
            await ask(session, msg.chat, actor, HazardFix(question.hazard_id, note, [d.id for d in documents]), now)
            return Reply(text=T.FIX_DOCUMENTS_KEPT.format(names=document_names(documents)))
        return Reply(text=problem or T.FIX_NEED_PHOTO)
    await drop(session, msg.chat, actor)
    hazard = await hazard_queries.get_hazard(session, question.hazard_id)
    if hazard is None:
        return Reply(text=T.HAZARD_DRAFT_GONE)
    return await fix_reply(session, actor, hazard, note, photos, msg, settings, now, reach=reach, documents=documents)


async def fix_reply(
    session: AsyncSession,
    actor: Person,
    hazard: Hazard,
    note: str,
    photos: list[Photo],
    msg: Incoming,
    settings: Settings,
    now: datetime,
    *,
    reach: Reach,
    documents: Sequence[Document] = (),
) -> list[Reply]:
    """Submit the fix (with its PDFs); the card changes everywhere, and managers get it privately to verify.

    For a short while the fixer's next photos and PDFs here (the rest of an album first) join the fix: the
    question is written before the hazard's lock and the ledger's, in the order every update takes them.
    """
    await ask(session, msg.chat, actor, FixMore(hazard.id, msg.media_group_id), now)
    try:
        change = await hazard_ops.submit_fix(
            session, hazard, actor, note, photos, now, documents, finder_rechecks=settings.park.inspector_recheck
        )
    except Refused as exc:
        await drop(session, msg.chat, actor)
        return [Reply(text=_fix_refusal(exc, actor))]
    await close_about_hazard(session, hazard.id)
    card = await build_card(session, hazard, settings, now)
    finders = change.tell.get(Tell.FINDER_RECHECK, [])
    submitted = (
        T.FIX_SUBMITTED_RECHECK.format(code=hazard.code, name=finders[0].display_name)
        if finders
        else T.FIX_SUBMITTED.format(code=hazard.code)
    )
    submitted += "\n" + T.FIX_ADD_WINDOW.format(minutes=ADD_MINUTES)
    replies = [Reply(card=card, edit=True), Reply(text=submitted, about=key_of(hazard))]
    # Managers verify from their private chat too: the first time they get the card there; after
    # a rejection their copy is edited in place and a one-line note tells them it is back.
    has_copy = {(p.platform, p.chat_id) for p in await cards.card_posts(session, card.key, None)}
    fresh: list[Person] = []
    again: list[Person] = []
    for manager in [*change.tell[Tell.VERIFY], *change.tell.get(Tell.FINDER_RECHECK, [])]:
        if manager.private_chat_id == msg.chat.chat_id and manager.platform == msg.chat.platform:
            continue  # they are looking at it already
        (again if (manager.platform, manager.private_chat_id) in has_copy else fresh).append(manager)
    if fresh:
        replies.append(Reply(card=for_people(card, hazard, fresh, actor.id), people=recipients(fresh, reach)))
    if again:
        replies.append(Reply(text=T.FIX_RESUBMITTED.format(code=hazard.code), people=recipients(again, reach)))
    return replies


@router.question(FixMore, perm=Perm.VIEW)
async def more_for_fix(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    attachments: list[Attachment],
    question: FixMore,
    card_key: str | None,
) -> HandlerResult:
    """Add the photos and PDFs sent shortly after a fix to it, until it is verified."""
    album = msg.media_group_id is not None and msg.media_group_id == question.media_group_id
    on_its_card = hazard_id_of(card_key) == question.fixed_id
    if not question.expects(msg) or not (album or on_its_card or is_answer(msg, card_key)):
        return NOT_MINE  # text, a reply to another card, or group chatter: routed as usual
    hazard = await hazard_queries.get_hazard(session, question.fixed_id)
    if hazard is None or hazard.status != HazardStatus.AWAITING_VERIFICATION:
        await drop(session, msg.chat, actor)  # verified (or taken back) meanwhile: routed as usual
        return NOT_MINE
    return await add_after(session, actor, hazard, attachments, settings, now, quiet=album)


# --- verification -----------------------------------------------------------------------------


async def verifiable(
    session: AsyncSession, actor: Person, hazard: Hazard | None, action: Action, settings: Settings
) -> Refused | None:
    """Check the hazard awaits verification, the actor may verify it (a manager, or the inspector who found
    it where the park allows re-checks) and the fix is not the actor's own."""
    if hazard is None:
        return Refused(Refusal.NOT_ALLOWED)
    try:
        fixer = await hazard_queries.fixer_id(session, hazard)
        hazard_rules.check(actor, hazard, action, fixer_id=fixer, finder_rechecks=settings.park.inspector_recheck)
    except Refused as exc:
        return exc
    return None


async def _press_refused(
    session: AsyncSession, actor: Person, press: ButtonPress, now: datetime, exc: Refused
) -> Reply:
    if exc.subject is None:
        return await refuse(session, actor, press, now, T.BUTTON_STALE)
    if exc.reason == Refusal.WRONG_STATUS:
        return Reply(text=refusal_text(exc, actor), toast=True)
    return await refuse(session, actor, press, now, refusal_text(exc, actor))


@router.button(AcceptButton, perm=Perm.HAZARD_RECHECK)
async def accept_button(
    press: ButtonPress,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    button: AcceptButton,
    reach: Reach,
) -> HandlerResult:
    """Accept the rectification: the hazard is closed (销号)."""
    hazard = await hazard_queries.get_hazard(session, button.hazard_id)
    refused = await verifiable(session, actor, hazard, Action.ACCEPT, settings)
    if refused is not None or hazard is None:
        return await _press_refused(session, actor, press, now, refused or Refused(Refusal.NOT_ALLOWED))
    return await accept_fix(session, actor, hazard, settings, now, reach, toast=True)


@router.command("accept", perm=Perm.HAZARD_RECHECK, help_text=T.HELP["accept"])
async def accept_command(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    card_key: str | None,
    reach: Reach,
) -> HandlerResult:
    """Accept a rectification by command: `/accept YH-…` (or as a reply to the card)."""
    hazard, _, problem = await commanded_hazard(session, msg, card_key, T.ACCEPT_USAGE)
    if hazard is None:
        return problem
    refused = await verifiable(session, actor, hazard, Action.ACCEPT, settings)
    if refused is not None:
        return Reply(text=refusal_text(refused, actor))
    return await accept_fix(session, actor, hazard, settings, now, reach, toast=False)


async def accept_fix(
    session: AsyncSession,
    actor: Person,
    hazard: Hazard,
    settings: Settings,
    now: datetime,
    reach: Reach,
    *,
    toast: bool,
) -> list[Reply]:
    try:
        change = await hazard_ops.accept(session, hazard, actor, now, finder_rechecks=settings.park.inspector_recheck)
    except Refused as exc:
        if exc.reason == Refusal.FIVE_INCOMPLETE:
            # Said in the chat, not only as a popup: the enterprise reads there what it has to complete.
            said = refusal_text(exc, actor)
            return [Reply(text=said), Reply(text=said, toast=True)] if toast else [Reply(text=said)]
        return [Reply(text=refusal_text(exc, actor), toast=toast)]  # another manager was faster
    await close_about_hazard(session, hazard.id)
    replies = [
        await card_reply(session, hazard, settings, now),
        Reply(text=T.VERIFY_ACCEPTED.format(code=hazard.code), toast=toast, about=key_of(hazard)),
    ]
    told = recipients(change.tell[Tell.ACCEPTED], reach)
    if told:
        notice = T.VERIFY_ACCEPTED_NOTICE.format(code=hazard.code, description=short(hazard.description))
        replies.append(Reply(text=notice, people=told, about=key_of(hazard)))
    finder = recipients((p for why, p in change.told() if why == Tell.FINDER_CLOSED), reach)
    if finder:
        said = T.VERIFY_ACCEPTED_FINDER.format(
            code=hazard.code,
            description=short(hazard.description),
            enterprise=hazard.enterprise.name,
            name=actor.display_name,
        )
        replies.append(Reply(text=said, people=finder, about=key_of(hazard)))
    return replies


@router.button(RejectButton, perm=Perm.HAZARD_RECHECK)
async def reject_button(
    press: ButtonPress,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    button: RejectButton,
) -> HandlerResult:
    """Start a rejection: ask the manager for the reason, as a reply."""
    hazard = await hazard_queries.get_hazard(session, button.hazard_id)
    refused = await verifiable(session, actor, hazard, Action.REJECT, settings)
    if refused is not None or hazard is None:
        return await _press_refused(session, actor, press, now, refused or Refused(Refusal.NOT_ALLOWED))
    await ask(session, press.chat, actor, HazardReject(hazard.id), now)
    return [
        Reply(text=T.REJECT_ASK.format(code=hazard.code), about=key_of(hazard)),
        Reply(text=T.REJECT_ASK_TOAST, toast=True),
    ]


@router.command("reject", perm=Perm.HAZARD_RECHECK, help_text=T.HELP["reject"])
async def reject_command(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    card_key: str | None,
    reach: Reach,
) -> HandlerResult:
    """Reject a rectification by command: `/reject YH-… 原因` (without a reason, the bot asks for it)."""
    hazard, reason, problem = await commanded_hazard(session, msg, card_key, T.REJECT_USAGE, limit=NOTE_LIMIT * 20)
    if hazard is None:
        return problem
    if refusal := too_long(reason):
        return refusal
    refused = await verifiable(session, actor, hazard, Action.REJECT, settings)
    if refused is not None:
        return Reply(text=refusal_text(refused, actor))
    if not reason:
        await ask(session, msg.chat, actor, HazardReject(hazard.id), now)
        return Reply(text=T.REJECT_ASK.format(code=hazard.code), about=key_of(hazard))
    return await reject_fix(session, actor, hazard, reason, msg.chat.is_group, settings, now, reach)


@router.question(HazardReject, perm=Perm.HAZARD_RECHECK)
async def reject_reason(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    question: HazardReject,
    card_key: str | None,
    reach: Reach,
) -> HandlerResult:
    """Take the rejection reason: back to rectifying, and the reason goes to the enterprise."""
    on_its_card = hazard_id_of(card_key) == question.hazard_id
    if not on_its_card and not is_answer(msg, card_key):
        return NOT_MINE  # in a group only a reply to the question is the reason, never chatter
    if refusal := too_long(msg.text):
        return refusal
    reason = clean_text(msg.text, NOTE_LIMIT)
    if not reason:
        return Reply(text=T.REJECT_NEED_TEXT)
    await drop(session, msg.chat, actor)
    hazard = await hazard_queries.get_hazard(session, question.hazard_id)
    if hazard is None:
        return Reply(text=T.BUTTON_STALE)
    refused = await verifiable(session, actor, hazard, Action.REJECT, settings)
    if refused is not None:
        return Reply(text=refusal_text(refused, actor))
    return await reject_fix(session, actor, hazard, reason, msg.chat.is_group, settings, now, reach)


async def reject_fix(
    session: AsyncSession,
    actor: Person,
    hazard: Hazard,
    reason: str,
    in_group: bool,
    settings: Settings,
    now: datetime,
    reach: Reach,
) -> list[Reply]:
    try:
        change = await hazard_ops.reject(
            session, hazard, actor, reason, now, finder_rechecks=settings.park.inspector_recheck
        )
    except Refused as exc:
        return [Reply(text=refusal_text(exc, actor))]
    await close_about_hazard(session, hazard.id)
    notice = T.REJECT_NOTICE.format(code=hazard.code, description=short(hazard.description), reason=reason)
    reached = [p for p in change.tell[Tell.REJECTED] if reach(p)]
    if reached:
        done = T.REJECT_DONE.format(code=hazard.code, names="、".join(p.display_name for p in reached))
        told = Reply(text=notice, people=recipients(reached, reach), about=key_of(hazard))
    else:
        done = T.REJECT_DONE_GROUP.format(code=hazard.code)
        told = (
            Reply(text=notice, about=key_of(hazard))
            if in_group
            else Reply(text=notice, to_groups=True, about=key_of(hazard))
        )
    return [await card_reply(session, hazard, settings, now), Reply(text=done, about=key_of(hazard)), told]


@router.command("unfix", perm=Perm.HAZARD_FIX, help_text=T.HELP["unfix"])
async def unfix(
    msg: Incoming, *, session: AsyncSession, actor: Person, settings: Settings, now: datetime, card_key: str | None
) -> HandlerResult:
    """Take one's own submitted fix back before it is verified: `/unfix YH-… [原因]`."""

    async def act(hazard: Hazard, reason: str) -> HandlerResult:
        await hazard_ops.withdraw_fix(session, hazard, actor, reason, now)
        await close_about_hazard(session, hazard.id)
        done = Reply(text=T.UNFIX_DONE.format(code=hazard.code), about=key_of(hazard))
        return [await card_reply(session, hazard, settings, now), done]

    def refused(exc: Refused) -> str:
        if exc.reason == Refusal.NOT_ALLOWED:
            return T.UNFIX_NOT_YOURS.format(code=exc.subject.code)
        return refusal_text(exc, actor)

    return await act_on_commanded(
        session, msg, actor, card_key, T.UNFIX_USAGE, act, refused=refused, limit=NOTE_LIMIT
    )
