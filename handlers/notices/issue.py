"""Issuing: /meeting (会议通知, with time, place and agenda) and /notice (通知), each broadcast as a card to
every park group with its files; files sent just before (held) or just after (and the rest of the album)
go with it, and so do files the issuer sends as a reply to the card later (补充附件).

The card is `card.py`; the operation and its rules are `domain/notices/operations.py` and `rules.py`;
the broadcast is `handlers/broadcast.py`, shared with campaigns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.buttons import CallbackData
from bot.config import Settings
from bot.messages import Attachment, Button, ButtonPress, Incoming, Reply, clean_text
from bot.questions import Question, ask, drop
from bot.routing import NOT_MINE, HandlerResult, Router
from domain.notices import operations as notice_ops
from domain.notices import queries as notice_queries
from domain.notices import rules as notice_rules
from domain.outcome import Refused
from domain.park.rules import Perm
from handlers import texts as T
from handlers.broadcast import (
    FilesHeld,
    broadcast,
    files_to_broadcast,
    held_rows,
    keep_held,
    store_files,
    with_held,
)
from handlers.notices.card import (
    BODY_LIMIT,
    TITLE_LIMIT,
    build_card,
    notice_id_of,
    parse_when,
    refusal_text,
)
from handlers.notices.corrections import add_files
from handlers.notices.kinds import choices_text, kind_buttons
from handlers.util import ADD_MINUTES, ADD_WINDOW, added_what, adds_to, is_answer
from storage.enums import NoticeKind
from storage.models import Person

router = Router("notices.issue")


@router.command("meeting", perm=Perm.NOTICE_SEND, help_text=T.HELP["meeting"])
async def meeting(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    attachments: list[Attachment],
    question: Question | None,
) -> HandlerResult:
    """Issue a meeting notice: `/meeting 2026-12-05 09:00 管委会三楼会议室 12月安全生产例会 [议程…]`."""
    await keep_held(session, msg.chat, actor, question, now)  # a usage error keeps files sent before
    text = clean_text(msg.args, BODY_LIMIT * 2)
    if not text:
        return Reply(text=T.MEETING_USAGE)
    parsed = parse_when(text, settings, now)
    if isinstance(parsed, str):
        return Reply(text=parsed)
    when, rest = parsed
    words = rest.split(maxsplit=2)
    if len(words) < 2:
        return Reply(text=T.MEETING_USAGE)
    place, title = words[0][: TITLE_LIMIT * 2], words[1][:TITLE_LIMIT]
    agenda = words[2] if len(words) > 2 else ""
    if len(agenda) > BODY_LIMIT:
        return Reply(text=T.NOTICE_TOO_LONG.format(limit=BODY_LIMIT, length=len(agenda)))
    return await _issue(
        session, actor, msg, settings, now, attachments, question, NoticeKind.MEETING, title, agenda, place, when
    )


@router.command("notice", perm=Perm.NOTICE_SEND, help_text=T.HELP["notice"])
async def notice(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    attachments: list[Attachment],
    question: Question | None,
) -> HandlerResult:
    """Issue a notice: `/notice 关于…的通知 正文…` (with files); the first line or sentence is its title."""
    await keep_held(session, msg.chat, actor, question, now)  # a usage error keeps files sent before
    text = clean_text(msg.args, BODY_LIMIT * 2)
    if not text:
        return Reply(text=T.NOTICE_USAGE)
    if len(text) > BODY_LIMIT:
        return Reply(text=T.NOTICE_TOO_LONG.format(limit=BODY_LIMIT, length=len(text)))
    parts = re.split(r"[\n。！？!?]", text, maxsplit=1)
    first = parts[0].strip()
    words = first.split(maxsplit=1)
    if len(first) > TITLE_LIMIT and len(words) > 1:
        title, body = words[0][:TITLE_LIMIT], text  # one long sentence: a short title, the whole text as body
    elif len(first) > TITLE_LIMIT:
        title, body = first[:TITLE_LIMIT] + "…", text
    else:
        # Only what parted the title from the body goes: the body keeps its own closing 。
        title, body = first, (parts[1].lstrip(" \n。").rstrip() if len(parts) > 1 else "")
    return await _issue(
        session, actor, msg, settings, now, attachments, question, NoticeKind.NOTICE, title, body, None, None
    )


async def _issue(
    session: AsyncSession,
    actor: Person,
    msg: Incoming,
    settings: Settings,
    now: datetime,
    attachments: list[Attachment],
    question: Question | None,
    kind: NoticeKind,
    title: str,
    body: str,
    place: str | None,
    when: datetime | None,
) -> HandlerResult:
    """Issue the notice with the files that came with the command (and those held for it), and broadcast
    its card; for a short while the issuer's next files here (the rest of an album first) join it."""
    stored = await files_to_broadcast(session, attachments, settings, now)
    if isinstance(stored, Reply):
        return stored
    files, held = await with_held(session, stored, question)
    try:
        change = await notice_ops.issue(
            session,
            actor=actor,
            kind=kind,
            title=title,
            body=body,
            place=place,
            starts_at=when,
            photos=files.photos,
            documents=files.documents,
            year=now.astimezone(settings.park.tz).year,
            at=now,
        )
    except Refused as exc:
        return Reply(text=refusal_text(exc, actor))
    issued = change.subject
    card = await build_card(session, issued, settings, now)
    total = notice_rules.tally(await notice_queries.receipts(session, issued.id)).total
    done = T.NOTICE_ISSUED.format(kind=T.NOTICE_KIND_NAMES[kind], code=issued.code, total=total)
    window = T.NOTICE_ADD_WINDOW.format(minutes=ADD_MINUTES, kind=T.NOTICE_KIND_NAMES[kind])
    category = T.NOTICE_CATEGORY_HINT.format(
        category=T.NOTICE_CATEGORY_NAMES[issued.category],
        files=T.NOTICE_CATEGORY_HINT_FILES if files.documents else "",
        code=issued.code,
        choices=choices_text(kind),
    )
    done = "\n".join([done, category, *([held] if held else []), window])
    await ask(session, msg.chat, actor, NoticeMore(issued.id, msg.media_group_id), now)  # replaces the held files
    replies = await broadcast(session, card, ("notice", issued.id), msg.chat, settings, done, files.problem)
    # The issuer's confirmation (never in the park group, where the card says it all) offers the other kinds.
    buttons = kind_buttons(issued)
    return [replace(r, buttons=buttons) if r.text == done and r.card is None else r for r in replies]


# --- files sent right after a notice, or later as a reply to its card (补充附件) ------------------------


@dataclass(frozen=True)
class NoticeMore(Question, kind="notice_more", ttl=ADD_WINDOW):
    """A short while after a notice: the issuer's next photos and files in that chat join it."""

    notice_id: int
    media_group_id: str | None = None

    tell_expiry = False  # nobody was asked; the confirmation said how long it lasts

    def expects(self, msg: Incoming) -> bool:
        """Only photos and files: addressed to the bot, or the rest of the notice's album."""
        return adds_to(msg, self.media_group_id)


@router.question(NoticeMore, perm=Perm.NOTICE_SEND)
async def more_for_notice(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    attachments: list[Attachment],
    question: NoticeMore,
    card_key: str | None,
) -> HandlerResult:
    """Add the photos and files sent shortly after a notice to it; every group's card changes."""
    album = msg.media_group_id is not None and msg.media_group_id == question.media_group_id
    on_its_card = notice_id_of(card_key) == question.notice_id
    if not question.expects(msg) or not (album or on_its_card or is_answer(msg, card_key)):
        return NOT_MINE  # text, a reply to another card, or group chatter: routed as usual
    found = await notice_queries.get(session, question.notice_id)
    if found is None:
        await drop(session, msg.chat, actor)
        return NOT_MINE
    return await add_files(session, found, actor, attachments, settings, now)


# --- a manager's lone file: held for the notice they send next ------------------------------------------


@dataclass(frozen=True)
class HeldDropButton(CallbackData, prefix="fheld"):
    """不用了 under the note that files are held for the next notice."""

    drop: int = 1


@router.leftover("files_held", perm=Perm.NOTICE_SEND)
async def hold_files(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    attachments: list[Attachment],
) -> HandlerResult:
    """Hold a file a manager sends in private without a command (a caption is only words) for the notice
    they issue next, and say so."""
    if msg.chat.is_group or not (any(a.document is not None for a in attachments) or msg.text.strip()):
        return NOT_MINE  # a photo alone is offered as a hazard (handlers/hazards/report.py)
    files = await store_files(session, attachments, settings, now)
    if not files.photos and not files.documents:
        return Reply(text=files.problem) if files.problem else NOT_MINE
    held = FilesHeld([p.id for p in files.photos], [d.id for d in files.documents], msg.media_group_id)
    await ask(session, msg.chat, actor, held, now)
    said = T.FILES_HELD.format(what=added_what("", files.photos, files.documents), minutes=ADD_MINUTES)
    if files.photos:
        said += "\n" + T.FILES_HELD_HAZARD_HINT
    if files.problem:
        said += "\n" + T.NOTICE_FILES_REFUSED.format(problem=files.problem)
    return Reply(text=said, buttons=((Button(T.BTN_FILES_DROP, HeldDropButton().pack()),),))


@router.question(FilesHeld, perm=Perm.NOTICE_SEND)
async def more_held(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    attachments: list[Attachment],
    question: FilesHeld,
) -> HandlerResult:
    """Hold more files sent before the notice (the rest of an album quietly); anything else is not the answer."""
    if not question.expects(msg):
        return NOT_MINE
    files = await store_files(session, attachments, settings, now)
    if not files.photos and not files.documents:
        return Reply(text=files.problem) if files.problem else NOT_MINE
    more = replace(
        question,
        photo_ids=list(dict.fromkeys([*question.photo_ids, *(p.id for p in files.photos)])),
        document_ids=list(dict.fromkeys([*question.document_ids, *(d.id for d in files.documents)])),
        media_group_id=msg.media_group_id or question.media_group_id,
    )
    await ask(session, msg.chat, actor, more, now)
    if msg.media_group_id is not None and msg.media_group_id == question.media_group_id:
        return []
    photos, documents = await held_rows(session, more)
    return Reply(text=T.FILES_HELD_MORE.format(what=added_what("", photos, documents)))


@router.button(HeldDropButton, perm=Perm.NOTICE_SEND)
async def drop_held(
    press: ButtonPress, *, session: AsyncSession, actor: Person, question: Question | None
) -> HandlerResult:
    """不用了: the held files go with no notice."""
    if not isinstance(question, FilesHeld):
        return Reply(text=T.FILES_HELD_GONE, toast=True)
    await drop(session, press.chat, actor)
    return Reply(text=T.FILES_HELD_DROPPED, toast=True)
