"""The notice rules: who answers for an enterprise and who may change an answer, when a notice takes answers
and when its reminder is due, the tally of answers, why an operation is refused and why people are told.

Pure (no session, no SQLAlchemy; rows only in annotations), so they are tested as a table.
`domain/notices/operations.py` checks them under its locks, `handlers/notices/` words them and
`schedules/notices.py` asks `reminder_due`; the park-wide permission table is `domain/park/rules.py`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from domain.outcome import Refused
from domain.park.rules import Perm, Someone, is_manager, role_allows
from storage.enums import (
    DOCUMENT_CATEGORIES,
    MEETING_CATEGORIES,
    NoticeCategory,
    NoticeKind,
    NoticeStatus,
    ReceiptStatus,
    Role,
)

if TYPE_CHECKING:
    from storage.models import Notice, NoticeReceipt, Person


class Refusal(StrEnum):
    """Why a notice operation was refused; handlers turn each into a clear answer."""

    NOT_ALLOWED = "not_allowed"
    NO_ENTERPRISE = "no_enterprise"  # the person answers for no enterprise
    NOT_LISTED = "not_listed"  # the enterprise joined the park after the notice was issued
    CANCELLED = "cancelled"  # the meeting was cancelled
    NOT_MEETING = "not_meeting"  # moving or attendance is for meetings only
    NOT_STARTED = "not_started"  # attendance is recorded after the meeting started
    STARTED = "started"  # a meeting that started can no longer be moved or answered
    ANSWERED = "answered"  # someone else answered for the enterprise (detail: receipt, answered_by)
    LEAVE_MEETING_ONLY = "leave_meeting_only"  # a plain notice is answered 收到 only, never 请假
    WITHDRAWN = "withdrawn"  # the notice was taken back (撤回)
    CARD_PHOTO = "card_photo"  # the picture a card went out with cannot be taken off it (withdraw instead)
    NO_CHANGE_ALLOWED = "no_change_allowed"  # a cancelled notice is not corrected (detail: status)
    WRONG_CATEGORY = "wrong_category"  # a meeting kind for a notice, or a document kind for a meeting
    CAMPAIGN_MOBILISATION = "campaign_mobilisation"  # only a 动员会（专题会） is linked to a campaign


class Tell(StrEnum):
    """Why people must be told about a change to a notice."""

    CANCELLED = "cancelled"  # whoever confirmed, and the leads of their enterprises: the meeting is off
    MOVED = "moved"  # whoever confirmed, and the leads of their enterprises: new time (and place)
    WITHDRAWN = "withdrawn"  # whoever answered, and the leads of their enterprises: the notice was taken back


# --- who may ----------------------------------------------------------------------------------


def may_answer_for_enterprise(person: Someone) -> bool:
    """Tell whether the person's receipt counts for an enterprise: a lead or member bound to one."""
    return role_allows(person.role, Perm.NOTICE_ANSWER) and person.enterprise_id is not None


def may_change_answer(person: Someone, enterprise_id: int, answered_by: int | None) -> bool:
    """Tell whether the person may change an enterprise's receipt someone already gave: the one who
    gave it, or a lead of that enterprise (a member may not overwrite the lead's answer, nor another's)."""
    if answered_by is None or answered_by == person.id:
        return True
    return person.role == Role.LEAD and person.enterprise_id == enterprise_id


def may_send_notices(person: Person) -> bool:
    """Tell whether the person may issue, move or cancel notices and record attendance."""
    return role_allows(person.role, Perm.NOTICE_SEND)


def may_correct(person: Person, notice: Notice) -> bool:
    """Tell whether the person may correct a notice (its text, place, files) or withdraw it: its issuer,
    while they may still send notices, or any manager."""
    if not may_send_notices(person):
        return False
    return notice.author_id == person.id or is_manager(person)


# --- when -------------------------------------------------------------------------------------


def started(notice: Notice, now: datetime) -> bool:
    """Tell whether a meeting has started (its receipts close then)."""
    return notice.kind == NoticeKind.MEETING and notice.starts_at is not None and notice.starts_at <= now


def reminder_due(notice: Notice, now: datetime, tz: tzinfo, *, delay: timedelta, days: int) -> bool:
    """Tell whether a notice's scheduled reminder is due now (quiet hours and the daily cap are checked apart).

    A meeting: on the park day (`tz`) before it, and within the hour before it starts (never in its first
    hour, so people can answer first). A notice: from `delay` after it was issued, for `days` days.
    """
    if notice.status != NoticeStatus.OPEN:
        return False
    if notice.kind == NoticeKind.MEETING:
        if notice.starts_at is None or notice.starts_at <= now or now - notice.created_at < timedelta(hours=1):
            return False
        day_before = notice.starts_at.astimezone(tz).date() - timedelta(days=1)
        return now.astimezone(tz).date() == day_before or notice.starts_at - now <= timedelta(hours=1)
    first = notice.created_at + delay
    return first <= now < first + timedelta(days=days)


# --- kinds (例会 / 动员会 / … and 通知 / 方案 / 预案 / …) ----------------------------------------------

C = NoticeCategory

# The words that name a meeting's kind in its title, most telling first; a meeting naming none is a 例会.
MEETING_WORDS: tuple[tuple[str, NoticeCategory], ...] = (
    ("例会", C.REGULAR),
    ("动员", C.MOBILISATION),
    ("专题会", C.MOBILISATION),
    ("部署会", C.MOBILISATION),
    ("推进会", C.MOBILISATION),
    ("培训", C.TRAINING),
)
# The words that name a document's kind; 通知 is what a notice is when it names none of these (a title
# like 关于印发《…方案》的通知 is a 方案: the cover letter is not what the park counts).
DOCUMENT_WORDS: tuple[tuple[str, NoticeCategory], ...] = (
    ("预案", C.EMERGENCY_PLAN),
    ("方案", C.PLAN),
    ("制度", C.REGULATION),
    ("办法", C.REGULATION),
    ("规定", C.REGULATION),
    ("细则", C.REGULATION),
    ("规程", C.REGULATION),
    ("通报", C.BULLETIN),
)
BOOK_TITLE = re.compile(r"《([^》]+)》")
FILE_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,5}$")


def default_category(kind: NoticeKind) -> NoticeCategory:
    """Return the kind a meeting or notice has when nothing names one: 例会 or 通知."""
    return C.REGULAR if kind == NoticeKind.MEETING else C.PLAIN


def categories_of(kind: NoticeKind) -> tuple[NoticeCategory, ...]:
    """Return the kinds a meeting (例会, 动员会, 培训会, 其他) or a notice (通知, 方案, …) may have."""
    return MEETING_CATEGORIES if kind == NoticeKind.MEETING else DOCUMENT_CATEGORIES


def _named_in(text: str, words: tuple[tuple[str, NoticeCategory], ...]) -> NoticeCategory | None:
    """Return the kind whose word ends last in the text (the noun a Chinese title ends on), or None."""
    found: tuple[int, NoticeCategory] | None = None
    for word, category in words:
        at = text.rfind(word)
        if at >= 0 and (found is None or at + len(word) > found[0]):
            found = (at + len(word), category)
    return found[1] if found else None


def infer_category(kind: NoticeKind, title: str, file_names: Iterable[str] = ()) -> NoticeCategory:
    """Infer a meeting's or a notice's kind from its title (and a notice's attached files' names).

    A meeting: the first of its words the title has: 例会, 动员会/专题会 (动员, 专题会, 部署会, 推进会), 培训会, else 例会.
    A notice: the name in 《…》 in its title first, then each file's name, then the whole title; the first
    naming a kind (预案, 方案, 制度/办法/规定/细则/规程, 通报; the one ending last) gives it, else 通知.
    """
    if kind == NoticeKind.MEETING:
        return next((category for word, category in MEETING_WORDS if word in title), C.REGULAR)
    texts = [*BOOK_TITLE.findall(title), *(FILE_SUFFIX.sub("", n) for n in file_names), title]
    for text in texts:
        found = _named_in(text, DOCUMENT_WORDS)
        if found is not None:
            return found
    return C.PLAIN


def check_category(notice: Notice, category: NoticeCategory, *, campaign: bool = False) -> None:
    """Refuse a meeting kind for a notice or a document kind for a meeting, a campaign for anything but a
    动员会（专题会）, or a withdrawn notice."""
    if category not in categories_of(notice.kind):
        raise Refused(Refusal.WRONG_CATEGORY, notice, category=category)
    if campaign and category != C.MOBILISATION:
        raise Refused(Refusal.CAMPAIGN_MOBILISATION, notice, category=category)
    if notice.status == NoticeStatus.WITHDRAWN:
        raise Refused(Refusal.WITHDRAWN, notice)


# --- checks the operations make -----------------------------------------------------------------


def check_answerer(notice: Notice, actor: Someone, status: ReceiptStatus) -> None:
    """Refuse an answer from someone who answers for no enterprise, or a 请假 on a plain notice."""
    if not may_answer_for_enterprise(actor):
        raise Refused(Refusal.NO_ENTERPRISE, notice)
    if status == ReceiptStatus.LEAVE and notice.kind != NoticeKind.MEETING:
        raise Refused(Refusal.LEAVE_MEETING_ONLY, notice)


def check_open(notice: Notice, at: datetime) -> None:
    """Refuse an answer to a cancelled or withdrawn notice, or a meeting that has started."""
    if notice.status == NoticeStatus.WITHDRAWN:
        raise Refused(Refusal.WITHDRAWN, notice)
    if notice.status == NoticeStatus.CANCELLED:
        raise Refused(Refusal.CANCELLED, notice)
    if started(notice, at):
        raise Refused(Refusal.STARTED, notice)


def check_sender(notice: Notice | None, actor: Person) -> None:
    """Refuse issuing, moving, cancelling or attendance to someone who may not send notices."""
    if not may_send_notices(actor):
        raise Refused(Refusal.NOT_ALLOWED, notice)


def check_meeting(notice: Notice) -> None:
    """Refuse moving a plain notice or a cancelled meeting, or recording its attendance."""
    if notice.kind != NoticeKind.MEETING:
        raise Refused(Refusal.NOT_MEETING, notice)
    if notice.status == NoticeStatus.WITHDRAWN:
        raise Refused(Refusal.WITHDRAWN, notice)
    if notice.status == NoticeStatus.CANCELLED:
        raise Refused(Refusal.CANCELLED, notice)


def check_corrector(notice: Notice, actor: Person) -> None:
    """Refuse a correction or a withdrawal by someone who is neither the notice's issuer nor a manager."""
    if not may_correct(actor, notice):
        raise Refused(Refusal.NOT_ALLOWED, notice)


def check_correctable(notice: Notice) -> None:
    """Refuse correcting the text, place or files of a withdrawn or cancelled notice (nobody reads it any more)."""
    if notice.status == NoticeStatus.WITHDRAWN:
        raise Refused(Refusal.WITHDRAWN, notice)
    if notice.status != NoticeStatus.OPEN:
        raise Refused(Refusal.NO_CHANGE_ALLOWED, notice)


def same_answer(receipt: NoticeReceipt, status: ReceiptStatus, reason: str | None, substitute: str | None) -> bool:
    """Tell whether an answer repeats the receipt as it stands (a 请假 with the same reason and stand-in)."""
    if receipt.status != status:
        return False
    return status == ReceiptStatus.CONFIRMED or (receipt.reason == reason and receipt.substitute == substitute)


# --- the tally --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    """A notice's receipts counted: `answered` of `total` enterprises, `leave` of them asked for leave."""

    answered: int
    total: int
    leave: int
    attended: int


class ReceiptState(Protocol):
    """What the tally reads of a receipt (a row, or just its two columns)."""

    @property
    def status(self) -> str: ...

    @property
    def attended(self) -> bool | None: ...


def tally(rows: Iterable[ReceiptState]) -> Tally:
    """Count receipts: answered (收到 or 请假) of all, on leave, attended."""
    rows = list(rows)
    answered = sum(r.status != ReceiptStatus.PENDING for r in rows)
    leave = sum(r.status == ReceiptStatus.LEAVE for r in rows)
    attended = sum(bool(r.attended) for r in rows)
    return Tally(answered, len(rows), leave, attended)
