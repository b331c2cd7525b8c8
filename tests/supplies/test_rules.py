"""The supplies and publicity rules as tables: due dates for each cycle and for expiry, when the responsible
person is reminded and when an item is overdue, who may check what, and how a publicity record is read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from domain.publicity.rules import Entry, Parsed, Problem, Unreadable, parse
from domain.supplies.rules import (
    Due,
    Refusal,
    add_months,
    check_refusal,
    due_of,
    falls_within,
    next_check_after,
    overdue_days,
    reminder_due,
)
from handlers.supplies.parse import Unreadable as AddUnreadable
from handlers.supplies.parse import parse_add
from storage.enums import Role, SupplyCycle

TODAY = date(2026, 11, 30)


@pytest.mark.parametrize(
    ("cycle", "checked", "due"),
    [
        (SupplyCycle.MONTHLY, date(2026, 11, 30), date(2026, 12, 30)),
        (SupplyCycle.MONTHLY, date(2026, 1, 31), date(2026, 2, 28)),  # no 31st in February
        (SupplyCycle.MONTHLY, date(2026, 12, 15), date(2027, 1, 15)),  # over the year's end
        (SupplyCycle.QUARTERLY, date(2026, 11, 30), date(2027, 2, 28)),
        (SupplyCycle.HALF_YEARLY, date(2026, 8, 31), date(2027, 2, 28)),
        (SupplyCycle.YEARLY, date(2024, 2, 29), date(2025, 2, 28)),  # a leap day
        (None, date(2026, 11, 30), None),  # no cycle: only an expiry date
    ],
)
def test_the_next_check_counts_from_the_last(cycle: SupplyCycle | None, checked: date, due: date | None) -> None:
    assert next_check_after(cycle, checked) == due


@pytest.mark.parametrize(
    ("next_check", "expires_on", "due"),
    [
        (date(2026, 12, 30), None, Due(date(2026, 12, 30), False)),
        (None, date(2027, 6, 30), Due(date(2027, 6, 30), True)),
        (date(2026, 12, 30), date(2026, 12, 10), Due(date(2026, 12, 10), True)),  # expiry first
        (date(2026, 12, 30), date(2027, 6, 30), Due(date(2026, 12, 30), False)),  # check first
        (date(2026, 12, 30), date(2026, 12, 30), Due(date(2026, 12, 30), True)),  # same day: replace it
        (None, None, None),
    ],
)
def test_what_falls_due_first(next_check: date | None, expires_on: date | None, due: Due | None) -> None:
    assert due_of(next_check, expires_on) == due


@pytest.mark.parametrize(
    ("day", "remind", "overdue", "in_digest"),
    [
        (date(2026, 12, 31), False, 0, False),  # 31 days ahead: not in the weekly digest's 30 days
        (date(2026, 12, 30), False, 0, True),  # 30 days ahead: listed in the digest
        (date(2026, 12, 8), False, 0, True),  # 8 days ahead: not yet reminded
        (date(2026, 12, 7), True, 0, True),  # 7 days ahead: reminded
        (date(2026, 11, 30), True, 0, True),  # the due day itself: on time, still reminded
        (date(2026, 11, 29), False, 1, True),  # a day late: overdue, managers told
        (date(2026, 11, 1), False, 29, True),
    ],
)
def test_reminded_before_and_overdue_after(day: date, remind: bool, overdue: int, in_digest: bool) -> None:
    due = Due(day, False)
    assert reminder_due(due, TODAY) is remind
    assert overdue_days(due, TODAY) == overdue
    assert falls_within(due, TODAY) is in_digest


def test_months_are_added_to_the_last_day_of_short_months() -> None:
    assert add_months(date(2026, 3, 31), 1) == date(2026, 4, 30)
    assert add_months(date(2026, 11, 30), 14) == date(2028, 1, 30)


@dataclass(frozen=True)
class Someone:
    id: int
    role: Role | None
    enterprise_id: int | None = None


@dataclass(frozen=True)
class AnItem:
    enterprise_id: int | None


HUAYOU, HONGDA = 1, 2


@pytest.mark.parametrize(
    ("who", "item", "refusal"),
    [
        (Someone(1, Role.ADMIN), AnItem(None), None),
        (Someone(2, Role.MANAGER), AnItem(HUAYOU), None),
        (Someone(3, Role.LEAD, HUAYOU), AnItem(HUAYOU), None),  # their own enterprise's
        (Someone(3, Role.LEAD, HUAYOU), AnItem(HONGDA), Refusal.NOT_YOURS),  # a neighbour's
        (Someone(3, Role.LEAD, HUAYOU), AnItem(None), Refusal.NOT_YOURS),  # the park store's
        (Someone(4, Role.MEMBER, HUAYOU), AnItem(HUAYOU), Refusal.NOT_ALLOWED),
        (Someone(5, Role.INSPECTOR), AnItem(HUAYOU), Refusal.NOT_ALLOWED),
        (Someone(6, None), AnItem(None), Refusal.NOT_ALLOWED),
    ],
)
def test_who_records_a_check(who: Someone, item: AnItem, refusal: Refusal | None) -> None:
    assert check_refusal(who, item) == refusal  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("宣传单页 2000 份", Parsed(TODAY, (Entry("宣传单页", 2000, "份"),))),
        ("宣传单页2000份", Parsed(TODAY, (Entry("宣传单页", 2000, "份"),))),
        ("2000份宣传单页", Parsed(TODAY, (Entry("宣传单页", 2000, "份"),))),
        ("横幅 20", Parsed(TODAY, (Entry("横幅", 20, "幅"),))),  # the unit a banner is counted in
        (
            "横幅 20 幅、手册 300 份 6月16日",
            Parsed(date(2026, 6, 16), (Entry("横幅", 20, "幅"), Entry("手册", 300, "份"))),
        ),
        ("安全咨询日活动", Parsed(TODAY, (Entry("安全咨询日活动", 1, "场"),))),
        ("2026-11-28 安全讲座 2 场", Parsed(date(2026, 11, 28), (Entry("安全讲座", 2, "场"),))),
        ("昨天 宣传单页 500 份", Parsed(date(2026, 11, 29), (Entry("宣传单页", 500, "份"),))),
        ("12月5日 宣传单页 500 份", Parsed(date(2025, 12, 5), (Entry("宣传单页", 500, "份"),))),  # last year's
        ("宣传单页 很多", Unreadable(Problem.NO_COUNT, "宣传单页 很多")),
        ("2000 份", Unreadable(Problem.NO_ITEM, "2000 份")),
        ("宣传单页 0 份", Unreadable(Problem.BAD_COUNT, "宣传单页 0 份")),
        ("2026-02-30 横幅 2 幅", Unreadable(Problem.BAD_DATE, "2026-02-30 横幅 2 幅")),
        ("2027-01-01 横幅 2 幅", Unreadable(Problem.BAD_DATE, "2027-01-01 横幅 2 幅")),  # the future
        ("今天", Unreadable(Problem.EMPTY, "")),
    ],
)
def test_a_publicity_record_is_read_forgivingly(text: str, parsed: Parsed | Unreadable) -> None:
    assert parse(text, TODAY) == parsed


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "no_name"),
        ("灭火器 园区仓库 每月", "no_quantity"),
        ("灭火器 20具 园区仓库", "no_due"),
        ("灭火器 20具 有效期至 2027-02-30", "bad_date"),
    ],
)
def test_supply_add_says_what_is_missing(text: str, reason: str) -> None:
    with pytest.raises(AddUnreadable) as caught:
        parse_add(text)
    assert caught.value.reason == reason


def test_supply_add_reads_the_words_in_any_order() -> None:
    args = parse_add("安全帽 华油 二车间 有效期至 2028年6月30日 50顶 负责人：张伟 每年")
    assert (args.name, args.quantity, args.unit, args.place) == ("安全帽", 50, "顶", "华油 二车间")
    assert args.cycle == SupplyCycle.YEARLY and args.expires_on == date(2028, 6, 30)
    assert args.responsible == "张伟"
