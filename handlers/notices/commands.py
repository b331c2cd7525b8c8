"""Meeting notices (/meeting) and notices (/notice) with receipts (回执): the live card, 收到 / 请假,
/receipts, reminders, /meeting_cancel, /meeting_move and /attendance.

Every button has a command twin carrying the code (`/confirm HY-…`, `/leave HY-… 原因`, `/remind HY-…`),
so each step works where a platform has no buttons. The rules are in `domain/notices/`. Lists of
enterprises that have not answered are only ever sent privately, never to a group.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.buttons import CallbackData
from bot.config import Settings
from bot.messages import (
    Attachment,
    Button,
    ButtonPress,
    Card,
    CardField,
    CardStatus,
    ChatRef,
    Incoming,
    Reply,
    clean_text,
)
from bot.questions import Question, ask, drop
from bot.routing import NOT_MINE, HandlerResult, Router
from domain.notices import operations as notice_ops
from domain.notices import queries as notice_queries
from domain.notices import rules as notice_rules
from domain.notices.rules import Refusal, Refused, may_answer_for_enterprise
from domain.park import queries as park_queries
from domain.park import rules as park_rules
from domain.park.queries import people_of_enterprise
from domain.park.rules import Perm, is_manager
from handlers import texts as T
from handlers.broadcast import broadcast, files_line, privately, store_files
from handlers.dates import DueDateError, parse_due
from handlers.util import (
    Reach,
    fmt_date,
    is_answer,
    recipient,
    recipients,
    refuse,
)
from storage import attachments as attachment_rows
from storage import reminders
from storage.enums import NoticeKind, NoticeStatus, ReceiptStatus, Role
from storage.models import Notice, NoticeReceipt, Person

router = Router("notices")

CARD_KIND = "notice"
TITLE_LIMIT = 60
BODY_LIMIT = 2000
REASON_LIMIT = 300
CONFIRM_WORDS = ("收到", "已收到", "收到了", "好的，收到", "收到！", "收到。")
TIME_RE = re.compile(r"(上午|早上|中午|下午|晚上)?\s*(\d{1,2})\s*(?:[:：](\d{1,2})|[点时](半|\d{1,2}分?)?)")
CODE_WORD = re.compile(r"^(?:HY|TZ)-\d{4}-\d{1,4}$", re.IGNORECASE)


# --- buttons and questions -------------------------------------------------------------------


@dataclass(frozen=True)
class ReceiptButton(CallbackData, prefix="ntc"):
    """收到 / 请假 on a notice card (and on a private reminder)."""

    notice_id: int
    answer: Literal["ok", "leave"]


@dataclass(frozen=True)
class RemindButton(CallbackData, prefix="ntrem"):
    """立即提醒未回执企业, under the manager's private /receipts list."""

    notice_id: int


@dataclass(frozen=True)
class AttendButton(CallbackData, prefix="ntatt"):
    """One enterprise attended (`y`) or not (`n`); enterprise 0 with `y`: all who confirmed."""

    notice_id: int
    enterprise_id: int
    value: Literal["y", "n"]


@dataclass(frozen=True)
class LeaveReason(Question, kind="notice_leave", ttl=timedelta(hours=24)):
    """The reason (and stand-in) of a 请假 the person pressed."""

    notice_id: int


# --- the card --------------------------------------------------------------------------------


def card_key(notice: Notice) -> str:
    """Return the card key of a notice."""
    return f"{CARD_KIND}:{notice.id}"


def notice_id_of(key: str | None) -> int | None:
    """Return the notice id named by a card key (the card itself, or a message about it)."""
    if key is None:
        return None
    key = key.removeprefix("about:")
    if not key.startswith(f"{CARD_KIND}:"):
        return None
    tail = key.split(":", 1)[1]
    return int(tail) if tail.isdigit() else None


def fmt_when(at: datetime, settings: Settings) -> str:
    """Format a meeting time in park time with its weekday: 2026-12-05（周六）09:00."""
    local = at.astimezone(settings.park.tz)
    return f"{fmt_date(local.date())}{local:%H:%M}"


def started(notice: Notice, now: datetime) -> bool:
    """Tell whether a meeting has started (receipts close then)."""
    return notice.kind == NoticeKind.MEETING and notice.starts_at is not None and notice.starts_at <= now


async def build_card(session: AsyncSession, notice: Notice, settings: Settings, now: datetime) -> Card:
    """Build a notice card from its current state: what, when, where, files, and the receipt counts."""
    rows = await notice_queries.receipts(session, notice.id)
    tally = notice_rules.tally(rows)
    fields = [CardField("title", T.NF_TITLE, notice.title)]
    if notice.starts_at is not None:
        fields.append(CardField("time", T.NF_TIME, fmt_when(notice.starts_at, settings)))
    if notice.place:
        fields.append(CardField("place", T.NF_PLACE, notice.place))
    if notice.body:
        label = T.NF_AGENDA if notice.kind == NoticeKind.MEETING else T.NF_BODY
        fields.append(CardField("body", label, notice.body))
    attached = await attachment_rows.files(session, "notice", notice.id)
    if attached:
        fields.append(CardField("files", T.NF_FILES, files_line(attached)))
    fields.append(CardField("author", T.NF_AUTHOR, notice.author.display_name))
    fields.append(
        CardField(
            "receipts", T.NF_RECEIPTS, T.RECEIPTS_COUNT.format(answered=tally.answered, total=tally.total)
        )
    )
    if notice.kind == NoticeKind.MEETING:
        fields.append(CardField("leave", T.NF_LEAVE, T.LEAVE_COUNT.format(leave=tally.leave)))
    if notice.attendance_at is not None:
        fields.append(
            CardField(
                "attended", T.NF_ATTENDED, T.ATTENDED_COUNT.format(attended=tally.attended, total=tally.total)
            )
        )
    open_ = notice.status == NoticeStatus.OPEN and not started(notice, now)
    if open_:
        how = T.MEETING_HOW if notice.kind == NoticeKind.MEETING else T.NOTICE_HOW
        fields.append(CardField("how", T.NF_HOW, how))
    if notice.status == NoticeStatus.CANCELLED:
        status = CardStatus("cancelled", T.NOTICE_STATUS_CANCELLED, T.F_STATUS)
    elif started(notice, now):
        status = CardStatus("started", T.NOTICE_STATUS_STARTED, T.F_STATUS)
    else:
        status = CardStatus("open", T.NOTICE_STATUS_OPEN, T.F_STATUS)
    photos = tuple(settings.storage.photo_dir / f.photo.path for f in attached if f.photo is not None)
    return Card(
        key=card_key(notice),
        kind=CARD_KIND,
        title=T.NOTICE_CARD_TITLE.format(kind=T.NOTICE_KIND_NAMES[notice.kind], code=notice.code),
        fields=tuple(fields),
        status=status,
        photos=photos[:1],
        actions=(receipt_buttons(notice),) if open_ else (),
    )


def receipt_buttons(notice: Notice) -> tuple[Button, ...]:
    """Return the buttons of a notice, each with its command: 收到, and 请假 for a meeting only."""
    ok = Button(T.BTN_RECEIPT_OK, ReceiptButton(notice.id, "ok").pack(), f"/confirm {notice.code}")
    if notice.kind != NoticeKind.MEETING:
        return (ok,)
    leave = Button(T.BTN_RECEIPT_LEAVE, ReceiptButton(notice.id, "leave").pack(), f"/leave {notice.code} <原因>")
    return ok, leave


async def card_edit(session: AsyncSession, notice: Notice, settings: Settings, now: datetime) -> Reply:
    """Return an in-place edit of every copy of the notice's card."""
    return Reply(card=await build_card(session, notice, settings, now), edit=True)


# --- parsing ---------------------------------------------------------------------------------


def parse_when(
    text: str, settings: Settings, now: datetime, usage: str = T.MEETING_USAGE
) -> tuple[datetime, str] | str:
    """Read `<日期> <时间>` at the start of the text; return (the moment, the rest) or the Chinese problem.

    `usage` ends the problem where the text could not be read (the usage of the command that was typed).
    """
    match = TIME_RE.search(text)
    if match is None:
        return T.MEETING_NEED_TIME + "\n" + usage
    date_text = text[: match.start()].strip()
    if not date_text:
        return T.MEETING_NEED_TIME + "\n" + usage
    today = settings.park.day(now)
    try:
        day = parse_due(date_text, today)
    except DueDateError as exc:
        if exc.reason == "past":
            return T.MEETING_PAST.format(when=date_text)
        return T.MEETING_BAD_DATE.format(text=date_text[:20]) + "\n" + usage
    part, hour_text, minute_text, tail = match.groups()
    hour = int(hour_text)
    minute = int(minute_text) if minute_text else 0
    if tail == "半":
        minute = 30
    elif tail:
        minute = int(tail.rstrip("分"))
    if part in ("下午", "晚上") and hour < 12:
        hour += 12
    if part == "中午" and hour < 6:
        hour += 12
    if hour > 23 or minute > 59:
        return T.MEETING_BAD_TIME.format(text=match.group(0).strip())
    when = datetime.combine(day, time(hour, minute), tzinfo=settings.park.tz)
    if when <= now:
        return T.MEETING_PAST.format(when=fmt_when(when, settings))
    return when, text[match.end() :].strip()


def split_substitute(text: str) -> tuple[str, str | None]:
    """Split `出差 代参会：王五` into the reason and who attends instead."""
    words = "|".join(T.SUBSTITUTE_WORDS)
    match = re.search(rf"(?:{words})\s*[:：]?\s*(\S+)", text)
    if match is None:
        return clean_text(text, REASON_LIMIT), None
    reason = (text[: match.start()] + text[match.end() :]).strip(" ，,。;；")
    return clean_text(reason, REASON_LIMIT), clean_text(match.group(1), 100)


async def _notice_named(
    session: AsyncSession, args: str, card: str | None, usage: str, *, code_only: bool = False
) -> tuple[Notice | None, str, Reply | None]:
    """Find the notice a command names: a code first, else the card replied to, else the newest open one.

    With `code_only` (a command that takes nothing but a code) any other word is a notice not found,
    never silently the newest one.
    """
    words = args.split(maxsplit=1)
    if words and CODE_WORD.match(words[0]):
        found = await notice_queries.by_code(session, words[0])
        rest = words[1] if len(words) > 1 else ""
        if found is None:
            said = T.NOTICE_NOT_FOUND.format(code=words[0][:20].upper())
            return None, rest, Reply(text=said + "\n" + usage if code_only else said)
        return found, rest, None
    if words and code_only:
        return None, args, Reply(text=T.NOTICE_BAD_CODE.format(text=words[0][:20]) + "\n" + usage)
    notice_id = notice_id_of(card)
    if notice_id is not None:
        return await notice_queries.get(session, notice_id), args, None
    found = await notice_queries.latest(session)
    if found is None:
        return None, args, Reply(text=T.NOTICE_NONE_OPEN)
    return found, args, None


def refusal_text(exc: Refused, actor: Person) -> str:
    """Say why a notice operation was refused."""
    code = exc.notice.code if exc.notice is not None else ""
    enterprise = actor.enterprise.name if actor.enterprise is not None else T.NONE
    match exc.reason:
        case Refusal.NO_ENTERPRISE:
            return T.RECEIPT_MANAGER.format(code=code) if is_manager(actor) else T.RECEIPT_NO_ENTERPRISE
        case Refusal.NOT_LISTED:
            return T.RECEIPT_NOT_LISTED.format(enterprise=enterprise)
        case Refusal.CANCELLED:
            return T.RECEIPT_CANCELLED.format(code=code)
        case Refusal.STARTED:
            return T.RECEIPT_STARTED.format(code=code)
        case Refusal.NOT_MEETING:
            return T.NOT_A_MEETING.format(code=code)
        case Refusal.LEAVE_MEETING_ONLY:
            return T.NOTICE_NO_LEAVE.format(code=code)
        case Refusal.ANSWERED if exc.receipt is not None:
            by = exc.answered_by.display_name if exc.answered_by is not None else T.SOMEONE
            return T.RECEIPT_ANSWERED_BY.format(
                enterprise=enterprise, name=by, answer=T.RECEIPT_ANSWERS[exc.receipt.status]
            )
        case _:
            return T.need_role(["admin", "manager"], actor.role)


@router.command("meeting", perm=Perm.NOTICE_SEND, help_text=T.HELP["meeting"])
async def meeting(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    attachments: list[Attachment],
) -> HandlerResult:
    """Issue a meeting notice: `/meeting 2026-12-05 09:00 管委会三楼会议室 12月安全生产例会 [议程…]`."""
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
        session, actor, msg, settings, now, attachments, NoticeKind.MEETING, title, agenda, place, when
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
) -> HandlerResult:
    """Issue a notice: `/notice 关于…的通知 正文…` (with files); the first line or sentence is its title."""
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
        title, body = first, (parts[1].strip(" \n。") if len(parts) > 1 else "")
    return await _issue(
        session, actor, msg, settings, now, attachments, NoticeKind.NOTICE, title, body, None, None
    )


async def _issue(
    session: AsyncSession,
    actor: Person,
    msg: Incoming,
    settings: Settings,
    now: datetime,
    attachments: list[Attachment],
    kind: NoticeKind,
    title: str,
    body: str,
    place: str | None,
    when: datetime | None,
) -> HandlerResult:
    if not await park_queries.list_enterprises(session):
        return Reply(text=T.NOTICE_NO_ENTERPRISES)
    photos, documents, problem = await store_files(session, attachments, settings, now)
    try:
        issued = await notice_ops.issue(
            session,
            actor=actor,
            kind=kind,
            title=title,
            body=body,
            place=place,
            starts_at=when,
            photos=photos,
            documents=documents,
            year=now.astimezone(settings.park.tz).year,
            at=now,
        )
    except Refused as exc:
        return Reply(text=refusal_text(exc, actor))
    card = await build_card(session, issued, settings, now)
    total = notice_rules.tally(await notice_queries.receipts(session, issued.id)).total
    done = T.NOTICE_ISSUED.format(kind=T.NOTICE_KIND_NAMES[kind], code=issued.code, total=total)
    return await broadcast(session, card, ("notice", issued.id), msg.chat, settings, done, problem)


# --- receipts --------------------------------------------------------------------------------


@router.button(ReceiptButton, perm=Perm.PUBLIC)
async def receipt_button(
    press: ButtonPress,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    button: ReceiptButton,
    reach: Reach,
) -> HandlerResult:
    """收到 counts for the presser's enterprise; 请假 asks for the reason. Anyone may press; only leads and
    members count, the others get a short private hint and the count stays as it is."""
    found = await notice_queries.get(session, button.notice_id)
    if found is None:
        return await refuse(session, actor, press, now, T.BUTTON_STALE)
    if button.answer == "ok":
        return await _answer(session, actor, found, ReceiptStatus.CONFIRMED, settings, now, toast=True)
    try:
        await notice_ops.check_answer(session, found, actor, ReceiptStatus.LEAVE, now)
    except Refused as exc:
        return Reply(text=refusal_text(exc, actor), toast=True)
    return await _ask_leave(session, actor, found, press.chat, now, reach)


async def _ask_leave(
    session: AsyncSession, actor: Person, notice: Notice, chat: ChatRef, now: datetime, reach: Reach
) -> list[Reply]:
    """Ask for the 请假 reason: privately when the bot can write to the person, else as a reply here."""
    asked = T.LEAVE_ASK.format(code=notice.code, title=notice.title)
    if actor.private_chat_id and reach(actor):
        private = ChatRef(actor.platform, actor.private_chat_id, is_group=False)
        await ask(session, private, actor, LeaveReason(notice.id), now)
        if chat.is_group:
            return [
                Reply(text=asked, people=(recipient(actor),), about=card_key(notice)),
                Reply(text=T.LEAVE_ASK_TOAST, toast=True),
            ]
        return [Reply(text=asked, about=card_key(notice)), Reply(text=T.LEAVE_ASK_TOAST_HERE, toast=True)]
    await ask(session, chat, actor, LeaveReason(notice.id), now)
    here = T.LEAVE_ASK_GROUP.format(name=actor.display_name, code=notice.code) if chat.is_group else asked
    return [Reply(text=here, about=card_key(notice)), Reply(text=T.LEAVE_ASK_TOAST_HERE, toast=True)]


async def _answer(
    session: AsyncSession,
    actor: Person,
    notice: Notice,
    status: ReceiptStatus,
    settings: Settings,
    now: datetime,
    *,
    toast: bool,
    reason: str | None = None,
    substitute: str | None = None,
) -> list[Reply]:
    """Record a receipt; the card is edited when the count changed, the person hears what was recorded."""
    try:
        change = await notice_ops.answer(session, notice, actor, status, now, reason=reason, substitute=substitute)
    except Refused as exc:
        return [Reply(text=refusal_text(exc, actor), toast=toast)]
    enterprise = actor.enterprise.name if actor.enterprise is not None else T.NONE
    receipt = change.receipt
    assert receipt is not None
    if not change.changed:
        said = T.RECEIPT_SAME.format(enterprise=enterprise, code=notice.code, answer=T.RECEIPT_ANSWERS[receipt.status])
        return [Reply(text=said, toast=toast)]
    if status == ReceiptStatus.LEAVE:
        extra = T.LEAVE_SUBSTITUTE.format(name=substitute) if substitute else ""
        said = T.LEAVE_DONE.format(enterprise=enterprise, code=notice.code, reason=reason, substitute=extra)
    else:
        said = T.RECEIPT_DONE.format(enterprise=enterprise, code=notice.code, answer=T.RECEIPT_ANSWERS[status])
    return [
        await card_edit(session, notice, settings, now),
        Reply(text=said, toast=toast, about=card_key(notice)),
    ]


@router.question(LeaveReason, perm=Perm.NOTICE_ANSWER)
async def leave_reason(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    question: LeaveReason,
    card_key: str | None,
) -> HandlerResult:
    """Take the 请假 reason the bot asked for (a reply to the question, or any private message)."""
    if notice_id_of(card_key) != question.notice_id and not is_answer(msg, card_key):
        return NOT_MINE
    reason, substitute = split_substitute(msg.text)
    if not reason:
        return Reply(text=T.LEAVE_NEED_REASON)
    await drop(session, msg.chat, actor)
    found = await notice_queries.get(session, question.notice_id)
    if found is None:
        return Reply(text=T.BUTTON_STALE)
    return await _answer(
        session,
        actor,
        found,
        ReceiptStatus.LEAVE,
        settings,
        now,
        toast=False,
        reason=reason,
        substitute=substitute,
    )


@router.command("confirm", perm=Perm.NOTICE_ANSWER, help_text=T.HELP["confirm"])
async def confirm(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    card_key: str | None,
) -> HandlerResult:
    """收到 as a command: `/confirm HY-…` (or as a reply to the card, or the newest open notice)."""
    found, _, problem = await _notice_named(session, msg.args, card_key, T.CONFIRM_USAGE)
    if found is None:
        return problem
    return await _answer(session, actor, found, ReceiptStatus.CONFIRMED, settings, now, toast=False)


@router.command("leave", perm=Perm.NOTICE_ANSWER, help_text=T.HELP["leave"])
async def leave(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    card_key: str | None,
    reach: Reach,
) -> HandlerResult:
    """请假 as a command: `/leave HY-… 原因 [代参会：姓名]`; without a reason the bot asks for it."""
    found, rest, problem = await _notice_named(session, msg.args, card_key, T.LEAVE_USAGE)
    if found is None:
        return problem
    return await _leave(session, actor, found, rest, msg.chat, settings, now)


async def _leave(
    session: AsyncSession,
    actor: Person,
    found: Notice,
    rest: str,
    chat: ChatRef,
    settings: Settings,
    now: datetime,
) -> list[Reply]:
    """Record a 请假 with its reason (and stand-in); without a reason ask for it, as a reply here."""
    reason, substitute = split_substitute(rest)
    if not reason:
        try:
            await notice_ops.check_answer(session, found, actor, ReceiptStatus.LEAVE, now)
        except Refused as exc:
            return [Reply(text=refusal_text(exc, actor))]
        await ask(session, chat, actor, LeaveReason(found.id), now)
        return [Reply(text=T.LEAVE_ASK.format(code=found.code, title=found.title), about=card_key_of(found))]
    return await _answer(
        session,
        actor,
        found,
        ReceiptStatus.LEAVE,
        settings,
        now,
        toast=False,
        reason=reason,
        substitute=substitute,
    )


card_key_of = card_key  # the name `card_key` is also a handler dependency; this alias reads clearly there


@router.card_reply(CARD_KIND, perm=Perm.PUBLIC)
async def reply_to_card(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    card_key: str,
    reach: Reach,
) -> HandlerResult:
    """A reply 收到 under the card counts as 收到 (people write it anyway), `请假 原因` as /leave; anything
    else, or a reply from someone whose answer counts for no enterprise, gets a short hint (privately
    from a group)."""
    notice_id = notice_id_of(card_key)
    found = await notice_queries.get(session, notice_id) if notice_id is not None else None
    if found is None:
        return _hint(actor, msg.chat, reach, T.CARD_REPLY_HINT)
    text = clean_text(msg.text, BODY_LIMIT)
    confirm_ = text in CONFIRM_WORDS
    leave_ = text.startswith(T.BTN_RECEIPT_LEAVE)
    if not confirm_ and not leave_:
        return _hint(actor, msg.chat, reach, _reply_hint(found))
    if not may_answer_for_enterprise(actor):
        return _hint(actor, msg.chat, reach, refusal_text(Refused(Refusal.NO_ENTERPRISE, found), actor))
    if confirm_:
        return await _answer(session, actor, found, ReceiptStatus.CONFIRMED, settings, now, toast=False)
    rest = text.removeprefix(T.BTN_RECEIPT_LEAVE).lstrip(" ：:，,")
    return await _leave(session, actor, found, rest, msg.chat, settings, now)


def _reply_hint(notice: Notice) -> str:
    """Say how to answer a notice by replying to its card."""
    if notice.kind == NoticeKind.MEETING:
        return T.MEETING_REPLY_HINT.format(code=notice.code)
    return T.NOTICE_REPLY_HINT.format(code=notice.code)


def _hint(actor: Person, chat: ChatRef, reach: Reach, text: str) -> list[Reply]:
    """Answer one person: here in a private chat; from a group privately, or as a reply here if the
    bot cannot write to them (as the 请假 question falls back)."""
    if chat.is_group and actor.private_chat_id and reach(actor):
        return [Reply(text=text, people=(recipient(actor),))]
    return [Reply(text=text)]


async def receipts_text(session: AsyncSession, notice: Notice) -> str:
    """Return a notice's receipt list for a manager: counts, who has not answered, who asked for leave."""
    rows = await notice_queries.receipts(session, notice.id)
    tally = notice_rules.tally(rows)
    counted = T.RECEIPTS_COUNT.format(answered=tally.answered, total=tally.total)
    if notice.kind == NoticeKind.MEETING:
        counted += "，" + T.NF_LEAVE + " " + T.LEAVE_COUNT.format(leave=tally.leave)
    lines = [T.RECEIPTS_TITLE.format(code=notice.code, title=notice.title, receipts=counted)]
    pending = [r for r in rows if r.status == ReceiptStatus.PENDING]
    if pending:
        lines.append(T.RECEIPTS_PENDING.format(count=len(pending)))
        lines += [f"{i}. {r.enterprise.name}" for i, r in enumerate(pending, 1)]
    else:
        lines.append(T.RECEIPTS_ALL_DONE)
    for r in rows:
        if r.status == ReceiptStatus.LEAVE:
            extra = T.LEAVE_SUBSTITUTE.format(name=r.substitute) if r.substitute else ""
            lines.append(
                T.RECEIPTS_LEAVE_LINE.format(
                    enterprise=r.enterprise.name, reason=r.reason or "", substitute=extra
                )
            )
    return "\n".join(lines)


@router.command("receipts", perm=Perm.NOTICE_SEND, help_text=T.HELP["receipts"], read_only=True)
async def receipts(
    msg: Incoming, *, session: AsyncSession, actor: Person, card_key: str | None, reach: Reach
) -> HandlerResult:
    """Which enterprises have not answered (privately, never in a group), with a button to remind them now."""
    found, _, problem = await _notice_named(session, msg.args, card_key, T.RECEIPTS_USAGE, code_only=True)
    if found is None:
        return problem
    text = await receipts_text(session, found)
    others = [n.code for n in await notice_queries.open_notices(session) if n.id != found.id]
    if others:
        text += "\n" + T.RECEIPTS_OTHERS.format(codes="、".join(others[-5:]))
    buttons: tuple[tuple[Button, ...], ...] = ()
    if found.status == NoticeStatus.OPEN and await notice_queries.unanswered(session, found.id):
        buttons = ((Button(T.BTN_REMIND_NOW, RemindButton(found.id).pack(), f"/remind {found.code}"),),)
    return privately(actor, msg.chat, reach, Reply(text=text, buttons=buttons, about=card_key_of(found)))


@router.button(RemindButton, perm=Perm.NOTICE_SEND)
async def remind_button(
    press: ButtonPress,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    button: RemindButton,
    reach: Reach,
) -> HandlerResult:
    """Remind the enterprises that have not answered, now (still privately, capped, outside quiet hours)."""
    found = await notice_queries.get(session, button.notice_id)
    if found is None:
        return await refuse(session, actor, press, now, T.BUTTON_STALE)
    return await _remind_now(session, found, settings, now, reach, toast=True)


@router.command("remind", perm=Perm.NOTICE_SEND, help_text=T.HELP["remind"])
async def remind(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    card_key: str | None,
    reach: Reach,
) -> HandlerResult:
    """Remind now, as a command: `/remind HY-…`."""
    found, _, problem = await _notice_named(session, msg.args, card_key, T.REMIND_USAGE, code_only=True)
    if found is None:
        return problem
    return await _remind_now(session, found, settings, now, reach, toast=False)


async def _remind_now(
    session: AsyncSession, notice: Notice, settings: Settings, now: datetime, reach: Reach, *, toast: bool
) -> list[Reply]:
    park = settings.park
    if park.is_quiet(now):
        until = park.quiet_until(now).astimezone(park.tz).strftime("%H:%M")
        said = T.REMIND_QUIET.format(hours=park.quiet_hours, until=until)
        return [Reply(text=said), Reply(text=said, toast=True)] if toast else [Reply(text=said)]
    replies, count = await notice_reminders(session, notice, settings, now, reach, force=True)
    if count:
        said = T.REMIND_DONE.format(count=count)
    else:
        why = T.REMIND_WHY_TODAY if await notice_queries.unanswered(session, notice.id) else T.REMIND_WHY_ALL
        said = T.REMIND_NONE.format(why=why)
    return [*replies, Reply(text=said, toast=toast)]


def reminder_due(notice: Notice, settings: Settings, now: datetime) -> bool:
    """Tell whether a notice's scheduled reminder is due now (quiet hours and the daily cap are checked apart).

    A meeting: on the day before it, and within the hour before it starts (never in its first hour, so
    people can answer first). A notice: from `notice_reminder_hours` after it was issued, for
    `notice_reminder_days` days.
    """
    if notice.status != NoticeStatus.OPEN:
        return False
    park = settings.park
    if notice.kind == NoticeKind.MEETING:
        if (
            notice.starts_at is None
            or notice.starts_at <= now
            or now - notice.created_at < timedelta(hours=1)
        ):
            return False
        start_day = park.day(notice.starts_at)
        today = park.day(now)
        return today == start_day - timedelta(days=1) or notice.starts_at - now <= timedelta(hours=1)
    first = notice.created_at + timedelta(hours=park.notice_reminder_hours)
    return first <= now < first + timedelta(days=park.notice_reminder_days)


async def notice_reminders(
    session: AsyncSession,
    notice: Notice,
    settings: Settings,
    now: datetime,
    reach: Reach,
    *,
    force: bool = False,
) -> tuple[list[Reply], int]:
    """Build the reminders to the enterprises that have not answered; return them and how many were reminded.

    Each enterprise is reminded at most once a park day (`storage.reminders.claim`), privately to its
    leads (its members when it has no lead) with the 收到 / 请假 buttons. A person the bot cannot write to
    privately is named once in the park groups (never a list of enterprises). Nothing in quiet hours.
    """
    park = settings.park
    subject = f"notice:{notice.id}"
    if notice.status == NoticeStatus.OPEN and started(notice, now) and notice.starts_at is not None:
        # Once the meeting starts its card closes (no buttons, 回执已截止): one edit, claimed like a reminder.
        start_day = park.day(notice.starts_at)
        if await reminders.claim(session, subject, "card:started", start_day, now):
            return [await card_edit(session, notice, settings, now)], 0
        return [], 0
    if park.is_quiet(now) or notice.status != NoticeStatus.OPEN:
        return [], 0
    if not force and not reminder_due(notice, settings, now):
        return [], 0
    day = park.day(now)
    replies: list[Reply] = []
    count = 0
    for receipt in await notice_queries.unanswered(session, notice.id):
        if not await reminders.claim(session, subject, f"enterprise:{receipt.enterprise_id}", day, now):
            continue
        count += 1
        replies += await _remind_enterprise(session, notice, receipt, settings, now, reach, subject)
    return replies, count


async def _remind_enterprise(
    session: AsyncSession,
    notice: Notice,
    receipt: NoticeReceipt,
    settings: Settings,
    now: datetime,
    reach: Reach,
    subject: str,
) -> list[Reply]:
    people = list(await people_of_enterprise(session, receipt.enterprise_id, [Role.LEAD]))
    if not people:
        people = list(await people_of_enterprise(session, receipt.enterprise_id, [Role.MEMBER]))
    when = T.REMIND_WHEN.format(when=fmt_when(notice.starts_at, settings)) if notice.starts_at else ""
    text = T.REMIND_TEXT.format(
        enterprise=receipt.enterprise.name,
        kind=T.NOTICE_KIND_NAMES[notice.kind],
        code=notice.code,
        title=notice.title,
        when=when,
    )
    replies: list[Reply] = []
    reached = recipients(people, reach)
    if reached:
        replies.append(
            Reply(text=text, buttons=(receipt_buttons(notice),), people=reached, about=card_key(notice))
        )
    unreached = [p for p in people if not reach(p)]
    if reached or not unreached:
        return replies
    # Nobody of the enterprise can be written to privately: its people are named once in the group, by
    # person and notice code only (never the enterprise, so the group never reads a list of laggards).
    first_day = settings.park.day(notice.created_at)
    if await reminders.claim(session, subject, f"mention:enterprise:{receipt.enterprise_id}", first_day, now):
        names = "、".join(f"@{p.username}" if p.username else p.display_name for p in unreached)
        how = T.REMIND_GROUP_MEETING if notice.kind == NoticeKind.MEETING else T.REMIND_GROUP_NOTICE
        said = T.REMIND_GROUP.format(name=names, code=notice.code, how=how)
        replies.append(Reply(text=said, to_groups=True, about=card_key(notice)))
    return replies


# --- meetings: cancel, move, attendance -------------------------------------------------------


@router.command("meeting_cancel", perm=Perm.NOTICE_SEND, help_text=T.HELP["meeting_cancel"])
async def meeting_cancel(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    card_key: str | None,
    reach: Reach,
) -> HandlerResult:
    """Cancel a meeting: `/meeting_cancel HY-… [原因]`; the card says so, whoever confirmed is told."""
    if not msg.args and card_key is None:
        return Reply(text=T.MEETING_CANCEL_USAGE)
    found, reason, problem = await _notice_named(session, msg.args, card_key, T.MEETING_CANCEL_USAGE)
    if found is None:
        return problem
    reason = clean_text(reason, REASON_LIMIT)
    try:
        change = await notice_ops.cancel(session, found, actor, reason, now)
    except Refused as exc:
        return Reply(text=refusal_text(exc, actor))
    if not change.changed:
        return Reply(text=T.MEETING_ALREADY_CANCELLED.format(code=found.code))
    when = fmt_when(found.starts_at, settings) if found.starts_at else fmt_when(found.created_at, settings)
    told = recipients(change.tell, reach)
    replies = [await card_edit(session, found, settings, now)]
    if told:
        why = T.REASON_LINE.format(reason=reason) if reason else ""
        notice_text = T.MEETING_CANCEL_NOTICE.format(
            code=found.code, title=found.title, when=when, reason=why
        )
        replies.append(Reply(text=notice_text, people=told, about=card_key_of(found)))
    replies.append(
        Reply(text=T.MEETING_CANCELLED.format(code=found.code, title=found.title, count=len(told)))
    )
    return replies


@router.command("meeting_move", perm=Perm.NOTICE_SEND, help_text=T.HELP["meeting_move"])
async def meeting_move(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    card_key: str | None,
    reach: Reach,
) -> HandlerResult:
    """Move a meeting: `/meeting_move HY-… 12月6日 14:30 [新地点]`; whoever confirmed is told."""
    words = msg.args.split(maxsplit=1)
    if not words or (not CODE_WORD.match(words[0]) and card_key is None):
        return Reply(text=T.MEETING_MOVE_USAGE)
    found, rest, problem = await _notice_named(session, msg.args, card_key, T.MEETING_MOVE_USAGE)
    if found is None:
        return problem
    parsed = parse_when(clean_text(rest, 200), settings, now, T.MEETING_MOVE_USAGE)
    if isinstance(parsed, str):
        return Reply(text=parsed)
    when, place = parsed
    try:
        change = await notice_ops.move(session, found, actor, when, place.split()[0] if place else None, now)
    except Refused as exc:
        return Reply(text=refusal_text(exc, actor))
    if not change.changed:
        return Reply(text=T.MEETING_MOVE_SAME.format(code=found.code))
    told = recipients(change.tell, reach)
    shown = fmt_when(when, settings)
    replies = [await card_edit(session, found, settings, now)]
    if told:
        text = T.MEETING_MOVE_NOTICE.format(
            code=found.code, title=found.title, when=shown, place=found.place or ""
        )
        replies.append(Reply(text=text, people=told, about=card_key_of(found)))
    done = T.MEETING_MOVED.format(
        code=found.code, title=found.title, when=shown, place=found.place or "", count=len(told)
    )
    replies.append(Reply(text=done))
    return replies


async def attendance_card(session: AsyncSession, notice: Notice) -> Card:
    """Return the attendance picker of a meeting: a card with one button per enterprise, edited as they are ticked."""
    rows = await notice_queries.receipts(session, notice.id)
    tally = notice_rules.tally(rows)
    buttons = [
        Button(
            (T.BTN_ATTENDED if r.attended else T.BTN_ABSENT).format(name=_short_name(r)),
            AttendButton(notice.id, r.enterprise_id, "n" if r.attended else "y").pack(),
        )
        for r in rows[:90]
    ]
    grid = [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]
    grid.insert(
        0,
        (
            Button(
                T.BTN_ATTEND_ALL, AttendButton(notice.id, 0, "y").pack(), f"/attendance {notice.code} 全部"
            ),
        ),
    )
    text = T.ATTENDANCE_PICK.format(
        code=notice.code, title=notice.title, attended=tally.attended, total=tally.total
    )
    return Card(key=f"attendance:{notice.id}", kind="attendance", title=text, actions=tuple(grid))


def _short_name(receipt: NoticeReceipt) -> str:
    enterprise = receipt.enterprise
    return enterprise.aliases[0] if enterprise.aliases else enterprise.name


@router.command("attendance", perm=Perm.NOTICE_SEND, help_text=T.HELP["attendance"])
async def attendance(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    card_key: str | None,
    reach: Reach,
) -> HandlerResult:
    """Record who attended: `/attendance HY-… 全部` (all who confirmed), `/attendance HY-… 华油 宏达`, or buttons."""
    if not msg.args and card_key is None:
        return Reply(text=T.ATTENDANCE_USAGE)
    found, rest, problem = await _notice_named(session, msg.args, card_key, T.ATTENDANCE_USAGE)
    if found is None:
        return problem
    if found.kind != NoticeKind.MEETING:
        return Reply(text=T.NOT_A_MEETING.format(code=found.code))
    if found.starts_at is not None and found.starts_at > now:
        return Reply(
            text=T.ATTENDANCE_NOT_STARTED.format(code=found.code, when=fmt_when(found.starts_at, settings))
        )
    words = rest.split()
    if not words:
        return privately(actor, msg.chat, reach, Reply(card=await attendance_card(session, found)))
    ids: set[int] | None = None
    if words != ["全部"]:
        ids, unknown = set(), []
        for word in words:
            matches = await park_queries.match_enterprises(session, word)
            exact = [e for e in matches if park_rules.is_exact(e, word)]
            if len(exact) == 1:
                ids.add(exact[0].id)
            else:
                unknown.append(word)
        if unknown:
            return Reply(text=T.ATTENDANCE_UNKNOWN.format(names="、".join(unknown)))
    try:
        await notice_ops.record_attendance(session, found, actor, ids, now)
    except Refused as exc:
        return Reply(text=refusal_text(exc, actor))
    tally = notice_rules.tally(await notice_queries.receipts(session, found.id))
    done = T.ATTENDANCE_DONE.format(code=found.code, attended=tally.attended, total=tally.total)
    return [await card_edit(session, found, settings, now), Reply(text=done)]


@router.button(AttendButton, perm=Perm.NOTICE_SEND)
async def attend_button(
    press: ButtonPress,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    button: AttendButton,
) -> HandlerResult:
    """Tick one enterprise as attended or not (a value, never a toggle), or all who confirmed."""
    found = await notice_queries.get(session, button.notice_id)
    if found is None:
        return await refuse(session, actor, press, now, T.BUTTON_STALE)
    try:
        if button.enterprise_id == 0:
            await notice_ops.record_attendance(session, found, actor, None, now)
        else:
            await notice_ops.set_attended(session, found, actor, button.enterprise_id, button.value == "y", now)
    except Refused as exc:
        return Reply(text=refusal_text(exc, actor), toast=True)
    picked = Reply(card=await attendance_card(session, found), edit=True)
    tally = notice_rules.tally(await notice_queries.receipts(session, found.id))
    done = T.ATTENDANCE_DONE.format(code=found.code, attended=tally.attended, total=tally.total)
    return [await card_edit(session, found, settings, now), picked, Reply(text=done, toast=True)]
