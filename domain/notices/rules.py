"""The notice rules: who answers for an enterprise, when a receipt may still change, the tally of answers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from domain.park.rules import Perm, role_allows
from storage.enums import (
    NoticeKind,
    NoticeStatus,
    ReceiptStatus,
    Role,
)
from storage.models import (
    Notice,
    NoticeReceipt,
    Person,
)


def may_answer_for_enterprise(person: Person) -> bool:
    """Tell whether the person's receipt counts for an enterprise: a lead or member bound to one."""
    return role_allows(person.role, Perm.NOTICE_ANSWER) and person.enterprise_id is not None


def may_change_answer(person: Person, enterprise_id: int, answered_by: int | None) -> bool:
    """Tell whether the person may change an enterprise's receipt someone already gave: the one who
    gave it, or a lead of that enterprise (a member may not overwrite the lead's answer, nor another's)."""
    if answered_by is None or answered_by == person.id:
        return True
    return person.role == Role.LEAD and person.enterprise_id == enterprise_id


def may_send_notices(person: Person) -> bool:
    """Tell whether the person may issue, move or cancel notices and record attendance."""
    return role_allows(person.role, Perm.NOTICE_SEND)


class Refusal(StrEnum):
    """Why a notice operation was refused; handlers turn each into a clear answer."""

    NOT_ALLOWED = "not_allowed"
    NO_ENTERPRISE = "no_enterprise"  # the person answers for no enterprise
    NOT_LISTED = "not_listed"  # the enterprise joined the park after the notice was issued
    CANCELLED = "cancelled"  # the meeting was cancelled
    NOT_MEETING = "not_meeting"  # moving or attendance is for meetings only
    NOT_STARTED = "not_started"  # attendance is recorded after the meeting started
    STARTED = "started"  # a meeting that started can no longer be moved or answered
    ANSWERED = "answered"  # someone else answered for the enterprise; only they or its lead may change it
    LEAVE_MEETING_ONLY = "leave_meeting_only"  # a plain notice is answered 收到 only, never 请假


class Refused(Exception):
    """A notice operation the rules do not allow; nothing was changed."""

    def __init__(
        self,
        reason: Refusal,
        notice: Notice | None = None,
        receipt: NoticeReceipt | None = None,
        answered_by: Person | None = None,
    ) -> None:
        super().__init__(f"{reason}: {notice.code if notice else '-'}")
        self.reason = reason
        self.notice = notice
        # With ANSWERED: the receipt as it stands and who gave it.
        self.receipt = receipt
        self.answered_by = answered_by


@dataclass
class Change:
    """What an operation did: the notice, the receipt it touched, whether anything changed, who to tell."""

    notice: Notice
    changed: bool
    receipt: NoticeReceipt | None = None
    tell: list[Person] = field(default_factory=list)
    before: ReceiptStatus | None = None


@dataclass(frozen=True)
class Tally:
    """A notice's receipts counted: `answered` of `total` enterprises, `leave` of them asked for leave."""

    answered: int
    total: int
    confirmed: int
    leave: int
    attended: int = 0


def tally(rows: Iterable[NoticeReceipt]) -> Tally:
    """Count receipts: answered (收到 or 请假), confirmed, on leave, attended."""
    rows = list(rows)
    confirmed = sum(r.status == ReceiptStatus.CONFIRMED for r in rows)
    leave = sum(r.status == ReceiptStatus.LEAVE for r in rows)
    attended = sum(bool(r.attended) for r in rows)
    return Tally(confirmed + leave, len(rows), confirmed, leave, attended)


def _check_answerer(notice: Notice, actor: Person, status: ReceiptStatus) -> None:
    """Refuse an answer from someone who answers for no enterprise, or a 请假 on a plain notice."""
    if not may_answer_for_enterprise(actor):
        raise Refused(Refusal.NO_ENTERPRISE, notice)
    if status == ReceiptStatus.LEAVE and notice.kind != NoticeKind.MEETING:
        raise Refused(Refusal.LEAVE_MEETING_ONLY, notice)


def _check_open(notice: Notice, at: datetime) -> None:
    """Refuse an answer to a cancelled notice or a meeting that has started."""
    if notice.status == NoticeStatus.CANCELLED:
        raise Refused(Refusal.CANCELLED, notice)
    if notice.kind == NoticeKind.MEETING and notice.starts_at is not None and notice.starts_at <= at:
        raise Refused(Refusal.STARTED, notice)
