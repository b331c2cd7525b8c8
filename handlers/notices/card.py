"""The notice card and what every notice module reads: the 收到 / 请假 buttons, the card built from the
notice's state, the notice a command names, meeting times, and refusals in words.

No routes here: `issue.py` (/meeting, /notice), `answers.py` (收到, 请假, /confirm, /leave, replies),
`receipts.py` (/receipts, /remind), `meetings.py` (/meeting_cancel, /meeting_move, /attendance) and the
reminders (`reminders.py`, sent by `schedules/notices.py`) build on it. The rules are in
`domain/notices/rules.py`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.buttons import CallbackData
from bot.config import Settings
from bot.messages import Button, Card, CardField, CardStatus, Reply, clean_text
from domain.notices import queries as notice_queries
from domain.notices import rules as notice_rules
from domain.notices.queries import Correction
from domain.notices.rules import Refusal
from domain.outcome import Change, Refused
from domain.park.rules import is_manager
from handlers import texts as T
from handlers.broadcast import files_said, id_in_key
from handlers.dates import DueDateError, parse_due
from handlers.util import Reach, fmt_date, recipients
from storage.enums import NoticeKind, NoticeStatus
from storage.identity import Actor
from storage.models import Notice, Person

CARD_KIND = "notice"
TITLE_LIMIT = 60
BODY_LIMIT = 2000
REASON_LIMIT = 300
TIME_RE = re.compile(r"(上午|早上|中午|下午|晚上)?\s*(\d{1,2})\s*(?:[:：](\d{1,2})|[点时](半|\d{1,2}分?)?)")
CODE_WORD = re.compile(r"^(?:HY|TZ)-\d{4}-\d{1,4}$", re.IGNORECASE)


@dataclass(frozen=True)
class ReceiptButton(CallbackData, prefix="ntc"):
    """收到 / 请假 on a notice card (and on a private reminder)."""

    notice_id: int
    answer: Literal["ok", "leave"]


# --- the card --------------------------------------------------------------------------------


def card_key_of(notice: Notice) -> str:
    """Return the card key of a notice."""
    return f"{CARD_KIND}:{notice.id}"


def notice_id_of(key: str | None) -> int | None:
    """Return the notice id named by a card key (the card itself, or a message about it)."""
    return id_in_key(key, CARD_KIND)


def fmt_when(at: datetime, settings: Settings) -> str:
    """Format a meeting time in park time with its weekday: 2026-12-05（周六）09:00."""
    local = at.astimezone(settings.park.tz)
    return f"{fmt_date(local.date())}{local:%H:%M}"


async def build_card(session: AsyncSession, notice: Notice, settings: Settings, now: datetime) -> Card:
    """Build a notice card from its current state: what, when, where, files, and the receipt counts."""
    facts = await notice_queries.card_facts(session, notice)  # one hop for every read below
    return card_of(notice, notice.author.display_name, facts, settings, now)


def card_of(
    notice: Notice, author: str, facts: notice_queries.CardFacts, settings: Settings, now: datetime
) -> Card:
    """Build a notice card from the notice's row, its author's name and what else it shows (`card_facts`)."""
    tally = notice_rules.tally(facts.states)
    fields = [
        CardField("title", T.NF_TITLE, notice.title),
        CardField("category", T.NF_CATEGORY, T.NOTICE_CATEGORY_NAMES[notice.category]),
    ]
    if facts.campaign is not None:
        fields.append(CardField("campaign", T.NF_CAMPAIGN, " ".join(facts.campaign)))
    if notice.starts_at is not None:
        fields.append(CardField("time", T.NF_TIME, fmt_when(notice.starts_at, settings)))
    if notice.place:
        fields.append(CardField("place", T.NF_PLACE, notice.place))
    if notice.body:
        label = T.NF_AGENDA if notice.kind == NoticeKind.MEETING else T.NF_BODY
        fields.append(CardField("body", label, notice.body))
    if facts.files:
        documents = [f.document for f in facts.files if f.document is not None]
        photo_count = sum(f.photo_path is not None for f in facts.files)
        fields.append(CardField("files", T.NF_FILES, files_said(documents, photo_count)))
    fields.append(CardField("author", T.NF_AUTHOR, author))
    counted = T.RECEIPTS_COUNT.format(answered=tally.answered, total=tally.total)
    fields.append(CardField("receipts", T.NF_RECEIPTS, counted))
    if notice.kind == NoticeKind.MEETING:
        fields.append(CardField("leave", T.NF_LEAVE, T.LEAVE_COUNT.format(leave=tally.leave)))
    if notice.attendance_at is not None:
        attended = T.ATTENDED_COUNT.format(attended=tally.attended, total=tally.total)
        fields.append(CardField("attended", T.NF_ATTENDED, attended))
    started = notice_rules.started(notice, now)
    open_ = notice.status == NoticeStatus.OPEN and not started
    if open_:
        how = T.MEETING_HOW if notice.kind == NoticeKind.MEETING else T.NOTICE_HOW
        fields.append(CardField("how", T.NF_HOW, how))
    if facts.corrections:
        said = corrections_text(notice, facts.corrections, settings)
        fields.append(CardField("corrections", T.NF_CORRECTIONS, said))
    if notice.status == NoticeStatus.WITHDRAWN:
        status = CardStatus("withdrawn", T.NOTICE_STATUS_WITHDRAWN, T.F_STATUS)
    elif notice.status == NoticeStatus.CANCELLED:
        status = CardStatus("cancelled", T.NOTICE_STATUS_CANCELLED, T.F_STATUS)
    elif started:
        status = CardStatus("started", T.NOTICE_STATUS_STARTED, T.F_STATUS)
    else:
        status = CardStatus("open", T.NOTICE_STATUS_OPEN, T.F_STATUS)
    # The picture the card went out with, whatever was added or removed since: a posted text card cannot
    # take a picture on every platform, nor a photo card lose its own (`domain.notices.operations.remove_file`).
    photos = tuple(
        settings.storage.photo_dir / f.photo_path
        for f in facts.files
        if f.photo_path is not None and f.id == facts.card_photo
    )
    return Card(
        key=card_key_of(notice),
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


CORRECTIONS_SHOWN = 3  # the newest corrections on the card; the whole history is in the notice's events


def corrections_text(notice: Notice, corrected: Sequence[Correction], settings: Settings) -> str:
    """Say on the card who corrected what and when, newest last (older ones counted, not listed)."""
    lines = [correction_line(notice, c, settings) for c in corrected[-CORRECTIONS_SHOWN:]]
    if len(corrected) > CORRECTIONS_SHOWN:
        lines.insert(0, T.CORRECTIONS_MORE.format(count=len(corrected) - CORRECTIONS_SHOWN))
    return "\n".join(lines)


def correction_line(notice: Notice, c: Correction, settings: Settings) -> str:
    """Say one correction: `12-01 10:05 李干部修改了内容`."""
    data = c.data
    match c.action:
        case "edit":
            key = "title_body" if "title_to" in data and "body_to" in data else ("title" if "title_to" in data else "body")
            body = T.NF_AGENDA if notice.kind == NoticeKind.MEETING else T.NF_BODY
            what = T.CORRECTION_WHAT[key].format(body=body)
        case "files_add":
            what = T.CORRECTION_WHAT["files_add"].format(files=_files_said(data))
        case "files_remove":
            what = T.CORRECTION_WHAT["files_remove"].format(files=_files_said(data))
        case "move":
            when = fmt_when(datetime.fromisoformat(data["to"]), settings) if data.get("to") else ""
            moved, placed = data.get("from") != data.get("to"), data.get("place_from") != data.get("place_to")
            key = "move_place" if moved and placed else ("move" if moved else "place")
            what = T.CORRECTION_WHAT[key].format(when=when, place=data.get("place_to") or "")
        case "category" if data.get("from") == data.get("to") and data.get("campaign"):
            what = T.CORRECTION_WHAT["campaign"].format(campaign=data["campaign"])
        case "category":
            what = T.CORRECTION_WHAT["category"].format(category=T.NOTICE_CATEGORY_NAMES.get(data.get("to", ""), ""))
        case _:  # withdraw
            reason = T.CORRECTION_REASON.format(reason=c.note) if c.note else ""
            what = T.CORRECTION_WHAT["withdraw"].format(kind=T.NOTICE_KIND_NAMES[notice.kind], reason=reason)
    at = c.at.astimezone(settings.park.tz)
    return T.CORRECTION_LINE.format(when=f"{at:%m-%d %H:%M}", name=c.by or T.CORRECTION_SOMEONE, what=what)


def _files_said(data: dict[str, Any]) -> str:
    """Name the files of a files event: documents by name, photos counted."""
    names = data.get("documents") or ([data["document"]] if data.get("document") else [])
    photos = data.get("photos", 1 if data.get("photo_id") else 0)
    parts = [f"《{n}》" for n in names] + ([T.CORRECTION_PHOTOS.format(count=photos)] if photos else [])
    return "、".join(parts)


async def card_edit(session: AsyncSession, notice: Notice, settings: Settings, now: datetime) -> Reply:
    """Return an in-place edit of every copy of the notice's card."""
    return Reply(card=await build_card(session, notice, settings, now), edit=True)


# --- reading a command ------------------------------------------------------------------------


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
    try:
        day = parse_due(date_text, settings.park.day(now))
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


async def notice_named(
    session: AsyncSession,
    args: str,
    card: str | None,
    usage: str,
    *,
    code_only: bool = False,
    bare_is_usage: bool = False,
) -> tuple[Notice | None, str, Reply | None]:
    """Find the notice a command names: a code first, else the card replied to, else the newest open one.

    With `code_only` (a command that takes nothing but a code) any other word is a notice not found,
    never silently the newest one. With `bare_is_usage` (a command that changes a meeting) the command
    alone, outside a card, is answered with its usage instead.
    """
    if bare_is_usage and not args and card is None:
        return None, args, Reply(text=usage)
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


def refusal_text(exc: Refused, actor: Person | Actor) -> str:
    """Say why a notice operation was refused."""
    code = exc.subject.code if exc.subject is not None else ""
    enterprise = actor.enterprise.name if actor.enterprise is not None else T.NONE
    match exc.reason:
        case Refusal.NO_ENTERPRISE:
            return T.RECEIPT_MANAGER.format(code=code) if is_manager(actor) else T.RECEIPT_NO_ENTERPRISE
        case Refusal.NOT_LISTED:
            return T.RECEIPT_NOT_LISTED.format(enterprise=enterprise)
        case Refusal.CANCELLED:
            return T.RECEIPT_CANCELLED.format(code=code)
        case Refusal.WITHDRAWN:
            return T.RECEIPT_WITHDRAWN.format(code=code)
        case Refusal.CARD_PHOTO:
            return T.NOTICE_CARD_PHOTO.format(code=code)
        case Refusal.NO_CHANGE_ALLOWED:
            return T.NOTICE_NOT_OPEN.format(code=code, status="取消")
        case Refusal.STARTED:
            return T.RECEIPT_STARTED.format(code=code)
        case Refusal.NOT_MEETING:
            return T.NOT_A_MEETING.format(code=code)
        case Refusal.LEAVE_MEETING_ONLY:
            return T.NOTICE_NO_LEAVE.format(code=code)
        case Refusal.ANSWERED if exc.detail.get("receipt") is not None:
            answer = T.RECEIPT_ANSWERS[exc.detail["receipt"].status]
            name = exc.detail.get("answered_by") or T.SOMEONE  # the name of who answered
            return T.RECEIPT_ANSWERED_BY.format(enterprise=enterprise, name=name, answer=answer)
        case _:
            return T.need_role(["admin", "manager"], actor.role)


async def tell_change(
    session: AsyncSession,
    notice: Notice,
    change: Change[Notice],
    text: str,
    settings: Settings,
    now: datetime,
    reach: Reach,
) -> tuple[list[Reply], int]:
    """Edit the card and tell, privately, whom the change names; return the replies and how many are told."""
    told = recipients((person for _, person in change.told()), reach)
    replies = [await card_edit(session, notice, settings, now)]
    if told:
        replies.append(Reply(text=text, people=told, about=card_key_of(notice)))
    return replies, len(told)
