"""The notice rules as a table: when a reminder is due, when a notice takes answers, who may change one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.notices import rules
from domain.notices.rules import Refusal
from domain.outcome import Refused
from storage.enums import NoticeKind, NoticeStatus, ReceiptStatus, Role
from storage.models import Notice, NoticeReceipt, Person

PARK = ZoneInfo("Asia/Shanghai")
ISSUED = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # Tuesday 09:00 park time
STARTS = datetime(2026, 12, 3, 7, 0, tzinfo=UTC)  # Thursday 15:00 park time


def notice(kind: NoticeKind = NoticeKind.MEETING, status: NoticeStatus = NoticeStatus.OPEN) -> Notice:
    starts = STARTS if kind == NoticeKind.MEETING else None
    return Notice(id=1, code="HY-2026-01", kind=kind, status=status, starts_at=starts, created_at=ISSUED)


def due(n: Notice, now: datetime) -> bool:
    return rules.reminder_due(n, now, PARK, delay=timedelta(hours=24), days=3)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (ISSUED + timedelta(minutes=30), False),  # issued the same day, and in its first hour
        (datetime(2026, 12, 1, 15, 59, tzinfo=UTC), False),  # Tuesday 23:59 park time is not the day before…
        (datetime(2026, 12, 1, 16, 0, tzinfo=UTC), True),  # …Wednesday 00:00 park time is (quiet hours aside)
        (datetime(2026, 12, 2, 1, 0, tzinfo=UTC), True),  # Wednesday 09:00 park time: the day before
        (STARTS - timedelta(hours=2), False),  # Thursday, two hours before
        (STARTS - timedelta(minutes=30), True),  # within the last hour
        (STARTS, False),  # started
    ],
)
def test_a_meeting_is_reminded_the_day_before_and_in_its_last_hour(now: datetime, expected: bool) -> None:
    assert due(notice(), now) is expected


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (timedelta(hours=2), False),
        (timedelta(hours=24), True),
        (timedelta(days=3, hours=23), True),
        (timedelta(days=4), False),
    ],
)
def test_a_notice_is_reminded_after_its_delay_for_some_days(after: timedelta, expected: bool) -> None:
    assert due(notice(NoticeKind.NOTICE), ISSUED + after) is expected


def test_a_cancelled_notice_is_never_reminded_nor_answered() -> None:
    cancelled = notice(status=NoticeStatus.CANCELLED)
    assert not due(cancelled, datetime(2026, 12, 2, 1, 0, tzinfo=UTC))
    with pytest.raises(Refused) as refused:
        rules.check_open(cancelled, ISSUED)
    assert refused.value.reason == Refusal.CANCELLED and refused.value.subject is cancelled


def test_a_started_meeting_takes_no_answers_and_a_notice_no_leave() -> None:
    lead = Person(id=7, role=Role.LEAD, enterprise_id=3)
    with pytest.raises(Refused) as refused:
        rules.check_open(notice(), STARTS)
    assert refused.value.reason == Refusal.STARTED
    with pytest.raises(Refused) as refused:
        rules.check_answerer(notice(NoticeKind.NOTICE), lead, ReceiptStatus.LEAVE)
    assert refused.value.reason == Refusal.LEAVE_MEETING_ONLY
    with pytest.raises(Refused) as refused:
        rules.check_answerer(notice(), Person(id=8, role=Role.MANAGER), ReceiptStatus.CONFIRMED)
    assert refused.value.reason == Refusal.NO_ENTERPRISE


@pytest.mark.parametrize(
    ("role", "enterprise_id", "answered_by", "expected"),
    [
        (Role.MEMBER, 3, None, True),  # nobody answered yet
        (Role.MEMBER, 3, 7, True),  # the one who answered
        (Role.MEMBER, 3, 9, False),  # a member never overwrites another's answer
        (Role.LEAD, 3, 9, True),  # the enterprise's lead may
        (Role.LEAD, 4, 9, False),  # another enterprise's lead may not
    ],
)
def test_who_may_change_an_answer(
    role: Role, enterprise_id: int, answered_by: int | None, expected: bool
) -> None:
    assert (
        rules.may_change_answer(Person(id=7, role=role, enterprise_id=enterprise_id), 3, answered_by)
        is expected
    )


def test_a_repeated_answer_is_the_same_answer() -> None:
    leave = NoticeReceipt(status=ReceiptStatus.LEAVE, reason="出差", substitute=None)
    assert rules.same_answer(leave, ReceiptStatus.LEAVE, "出差", None)
    assert not rules.same_answer(leave, ReceiptStatus.LEAVE, "培训", None)
    assert not rules.same_answer(leave, ReceiptStatus.CONFIRMED, None, None)
    assert rules.same_answer(NoticeReceipt(status=ReceiptStatus.CONFIRMED), ReceiptStatus.CONFIRMED, "x", "y")


@pytest.mark.parametrize(
    ("text", "confirms"),
    [
        ("收到", True),
        ("收到了，准时参加", True),
        ("好的，收到！", True),
        ("已收到。", True),
        ("收到，但我们无法参加", False),
        ("收到，请假", False),
        ("收到 参加不了", False),
        ("会议几点？", False),
        ("请假 出差在外", False),
    ],
)
def test_a_reply_reads_as_confirmation_as_people_write_it(text: str, confirms: bool) -> None:
    from handlers.notices.answers import reads_as_confirmation

    assert reads_as_confirmation(text) is confirms
