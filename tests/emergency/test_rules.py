"""The emergency command rules as tables: who keeps, sees and calls; phones; who is called first; minutes to
answer; when a silent member is reminded; a drill's roll call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from domain.emergency.rules import (
    Refusal,
    call_first,
    drill_topic,
    is_drill,
    may_call_roll,
    may_keep_roster,
    may_view_roster,
    minutes_taken,
    phones_refusal,
    reminder_due,
    roll_order,
    valid_phone,
)
from storage.enums import Role

T0 = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)  # 23:00 in the park: quiet hours, which an alert ignores


@dataclass(frozen=True)
class Someone:
    role: Role | None
    enterprise_id: int | None = None


ROLES: dict[str, Role | None] = {"stranger": None, **{r.value: r for r in Role}}


@pytest.mark.parametrize(
    ("rule", "who"),
    [
        (may_keep_roster, {"admin"}),
        (may_view_roster, {"admin", "manager"}),
        (may_call_roll, {"admin", "manager"}),
    ],
    ids=["keep", "view", "call"],
)
def test_who_may(rule: object, who: set[str]) -> None:
    granted = {name for name, role in ROLES.items() if rule(Someone(role))}  # type: ignore[operator]
    assert granted == who


@pytest.mark.parametrize(
    ("phone", "ok"),
    [
        ("13800000001", True),
        ("0546-8888888", True),
        ("+8613800000001", True),
        ("110", False),  # too short: a member's own number, not a public one
        ("138 0000", False),
        ("138-", False),
        ("abc", False),
        ("1" * 21, False),
    ],
)
def test_phones(phone: str, ok: bool) -> None:
    assert valid_phone(phone) is ok


def test_phones_refusals() -> None:
    assert phones_refusal([]) == Refusal.NO_PHONE
    assert phones_refusal(["13800000001"] * 4) == Refusal.TOO_MANY_PHONES
    assert phones_refusal(["13800000001", "12"]) == Refusal.BAD_PHONE
    assert phones_refusal(["13800000001", "0546-8888888"]) is None


@dataclass
class AMember:
    name: str
    office: bool = False
    duty_order: int | None = None
    removed_at: datetime | None = None


def test_the_office_then_the_on_duty_chain_are_called_first() -> None:
    members = [
        AMember("丙", duty_order=2),
        AMember("甲", duty_order=1),
        AMember("办", office=True),
        AMember("主任", office=True, duty_order=1),
        AMember("无序"),  # on neither: not listed to call first
        AMember("走了", duty_order=3, removed_at=T0),
    ]
    office, chain = call_first(members)  # type: ignore[arg-type]
    assert [m.name for m in office] == ["主任", "办"]
    assert [m.name for m in chain] == ["甲", "丙"]
    assert [m.name for m in roll_order(members)] == ["主任", "办", "甲", "丙", "无序"]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("after", "minutes"),
    [(timedelta(seconds=0), 1), (timedelta(seconds=59), 1), (timedelta(seconds=61), 2), (timedelta(minutes=5), 5)],
)
def test_minutes_taken(after: timedelta, minutes: int) -> None:
    assert minutes_taken(T0, T0 + after) == minutes


@dataclass
class AnAnswer:
    person_id: int | None = 7
    answered_at: datetime | None = None
    reminded: int = 0
    reminded_at: datetime | None = None


EVERY = timedelta(minutes=3)


@pytest.mark.parametrize(
    ("answer", "after", "due"),
    [
        (AnAnswer(), timedelta(minutes=2, seconds=59), False),
        (AnAnswer(), timedelta(minutes=3), True),  # quiet hours (23:00 park time) do not hold it back
        (AnAnswer(answered_at=T0), timedelta(minutes=10), False),
        (AnAnswer(person_id=None), timedelta(minutes=10), False),  # no chat account: the card says call them
        (AnAnswer(reminded=1, reminded_at=T0 + EVERY), timedelta(minutes=5), False),
        (AnAnswer(reminded=1, reminded_at=T0 + EVERY), timedelta(minutes=6), True),
        (AnAnswer(reminded=2, reminded_at=T0 + 2 * EVERY), timedelta(minutes=30), False),  # at most 2
    ],
)
def test_reminder_due(answer: AnAnswer, after: timedelta, due: bool) -> None:
    assert reminder_due(answer, T0, T0 + after, EVERY, 2) is due  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("note", "drill"), [("演练 消防疏散", True), ("演习：泄漏", True), ("Drill fire", True), ("2号罐区泄漏", False)]
)
def test_a_drill_roll_call(note: str, drill: bool) -> None:
    assert is_drill(note) is drill


@pytest.mark.parametrize(
    ("note", "topic"), [("演练 消防疏散", "消防疏散"), ("演练：泄漏处置", "泄漏处置"), ("演练", "演练"), ("泄漏", "泄漏")]
)
def test_a_drill_topic(note: str, topic: str) -> None:
    assert drill_topic(note) == topic
