"""Tests for handlers/hazards/text.py and handlers/dates.py: due dates, captions and categories."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.dates import DueDateError, parse_due
from handlers.hazards.text import CATEGORIES, HazardText, guess_category, parse_hazard_text

SUNDAY = date(2026, 11, 29)
WEDNESDAY = date(2026, 12, 2)
DEC_20 = date(2026, 12, 20)

REASONS = {"unreadable", "past"}
DATE_ALPHABET = [
    *"0123456789-/.年月日号前之以内天周星期礼拜本这下上底末今明后大一二两三五十个 －／",
    "\u3000",
]


def _cap(today: date) -> date:
    """Return the latest accepted due date (three years ahead, 29 Feb falling back to 28 Feb)."""
    try:
        return today.replace(year=today.year + 3)
    except ValueError:
        return today.replace(year=today.year + 3, day=28)


def _reason(text: str, today: date) -> str:
    """Return the DueDateError reason parse_due raises for text."""
    with pytest.raises(DueDateError) as info:
        parse_due(text, today)
    return info.value.reason


# --------------------------------------------------------------------------- parse_due examples


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-10", date(2026, 12, 10)),
        ("2026/12/10", date(2026, 12, 10)),
        ("2026.12.10", date(2026, 12, 10)),
        ("2026年12月10日", date(2026, 12, 10)),
        ("2026 年 12 月 10 日", date(2026, 12, 10)),
        ("2027-1-5", date(2027, 1, 5)),
        ("12-10", date(2026, 12, 10)),
        ("12/10", date(2026, 12, 10)),
        ("12月10日", date(2026, 12, 10)),
        ("12月10号", date(2026, 12, 10)),
        ("12月10日前", date(2026, 12, 10)),
        ("12月10日之前", date(2026, 12, 10)),
        ("12月10日以前", date(2026, 12, 10)),
        ("  12月10日前\n", date(2026, 12, 10)),
        ("２０２６－１２－１０", date(2026, 12, 10)),
        ("２０２６／１２／１０", date(2026, 12, 10)),
        ("１２月１０日", date(2026, 12, 10)),
        ("1月5日", date(2027, 1, 5)),
        ("11月29日", SUNDAY),
        ("3天内", date(2026, 12, 2)),
        ("3日内", date(2026, 12, 2)),
        ("3天", date(2026, 12, 2)),
        ("三天内", date(2026, 12, 2)),
        ("两天内", date(2026, 12, 1)),
        ("十天内", date(2026, 12, 9)),
        ("十五天内", date(2026, 12, 14)),
        ("二十天以内", date(2026, 12, 19)),
        ("0天内", SUNDAY),
        ("两周内", date(2026, 12, 13)),
        ("今天", SUNDAY),
        ("明天", date(2026, 11, 30)),
        ("后天", date(2026, 12, 1)),
        ("周五", date(2026, 12, 4)),
        ("星期五", date(2026, 12, 4)),
        ("礼拜五", date(2026, 12, 4)),
        ("下周五", date(2026, 12, 4)),
        ("下星期五", date(2026, 12, 4)),
        ("下周五前", date(2026, 12, 4)),
        ("周日", SUNDAY),
        ("周天", SUNDAY),
        ("星期天", SUNDAY),
        ("本周日", SUNDAY),
        ("下周日", date(2026, 12, 6)),
        ("本周内", SUNDAY),
        ("本月底", date(2026, 11, 30)),
        ("月底", date(2026, 11, 30)),
        ("本月底前", date(2026, 11, 30)),
        ("下月底", date(2026, 12, 31)),
        ("年底", date(2026, 12, 31)),
        ("本年底", date(2026, 12, 31)),
        ("12月底", date(2026, 12, 31)),
        ("2029-11-29", date(2029, 11, 29)),
        ("1096天内", date(2029, 11, 29)),
    ],
)
def test_parse_due_accepts_written_forms_on_a_sunday(text: str, expected: date) -> None:
    """Resolve every accepted form relative to Sunday 2026-11-29."""
    assert parse_due(text, SUNDAY) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("今天", WEDNESDAY),
        ("本周五", date(2026, 12, 4)),
        ("这周五", date(2026, 12, 4)),
        ("周五", date(2026, 12, 4)),
        ("周三", WEDNESDAY),
        ("周一", date(2026, 12, 7)),
        ("下周五", date(2026, 12, 11)),
        ("下周一", date(2026, 12, 7)),
        ("周日", date(2026, 12, 6)),
        ("下周日", date(2026, 12, 13)),
        ("本月底", date(2026, 12, 31)),
        ("下月底", date(2027, 1, 31)),
        ("3天内", date(2026, 12, 5)),
    ],
)
def test_parse_due_resolves_weekdays_midweek(text: str, expected: date) -> None:
    """Resolve weekday and month phrases relative to Wednesday 2026-12-02."""
    assert parse_due(text, WEDNESDAY) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1月5日", date(2027, 1, 5)),
        ("1-5", date(2027, 1, 5)),
        ("12月10日", date(2027, 12, 10)),
        ("12月25日", date(2026, 12, 25)),
        ("12月20日", DEC_20),
        ("下月底", date(2027, 1, 31)),
        ("年底", date(2026, 12, 31)),
        ("15天内", date(2027, 1, 4)),
    ],
)
def test_parse_due_rolls_dates_without_year_into_next_year(text: str, expected: date) -> None:
    """Roll a month-day that already passed this year into next year."""
    assert parse_due(text, DEC_20) == expected


def test_parse_due_reads_29_february_only_in_leap_years() -> None:
    """Resolve 2月29日 to the next leap day within a year, else refuse it."""
    assert parse_due("2月29日", date(2027, 12, 20)) == date(2028, 2, 29)
    assert _reason("2月29日", DEC_20) == "unreadable"


@pytest.mark.parametrize(
    ("text", "today", "reason"),
    [
        ("2026-11-28", SUNDAY, "past"),
        ("2025年12月10日", SUNDAY, "past"),
        ("本周五", SUNDAY, "past"),
        ("这周一", WEDNESDAY, "past"),
        ("2月30日", SUNDAY, "unreadable"),
        ("2026-02-30", SUNDAY, "unreadable"),
        ("13-01", SUNDAY, "unreadable"),
        ("12月32日", SUNDAY, "unreadable"),
        ("2029-11-30", SUNDAY, "unreadable"),
        ("1097天内", SUNDAY, "unreadable"),
        ("3天前", SUNDAY, "unreadable"),
        ("3日", SUNDAY, "unreadable"),
        ("下下周五", SUNDAY, "unreadable"),
        ("上周五", SUNDAY, "unreadable"),
        ("尽快", SUNDAY, "unreadable"),
        ("", SUNDAY, "unreadable"),
        ("   ", SUNDAY, "unreadable"),
        ("0000-01-01", SUNDAY, "unreadable"),
        ("9" * 5000 + "天内", SUNDAY, "unreadable"),
        ("12月10日" * 10_000, SUNDAY, "unreadable"),
        ("\x00\x1b🔥", SUNDAY, "unreadable"),
    ],
)
def test_parse_due_refuses_past_and_unreadable(text: str, today: date, reason: str) -> None:
    """Raise DueDateError with the right reason for past or unreadable dates."""
    assert _reason(text, today) == reason


def test_due_date_error_is_a_value_error() -> None:
    """Expose the reason on a ValueError subclass."""
    error = DueDateError("past")
    assert isinstance(error, ValueError)
    assert error.reason == "past"


# --------------------------------------------------------------------------- parse_due properties

todays = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))


@settings(max_examples=250)
@given(text=st.text() | st.text(alphabet=DATE_ALPHABET, max_size=14), today=todays)
def test_parse_due_returns_a_date_in_range_or_raises_due_date_error(text: str, today: date) -> None:
    """Return a date within [today, today + 3 years] or raise DueDateError for any text."""
    try:
        due = parse_due(text, today)
    except DueDateError as error:
        assert error.reason in REASONS
    else:
        assert today <= due <= _cap(today)


Formatter = Callable[[date], str]

FULL_FORMATS: list[Formatter] = [
    lambda d: f"{d.year}-{d.month:02d}-{d.day:02d}",
    lambda d: f"{d.year}/{d.month}/{d.day}",
    lambda d: f"{d.year}.{d.month:02d}.{d.day:02d}",
    lambda d: f"{d.year}年{d.month}月{d.day}日",
    lambda d: f"{d.year}年{d.month}月{d.day}日前",
    lambda d: f"{d.year}－{d.month}－{d.day}".translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"}),
]
SHORT_FORMATS: list[Formatter] = [
    lambda d: f"{d.month}-{d.day}",
    lambda d: f"{d.month:02d}/{d.day:02d}",
    lambda d: f"{d.month}月{d.day}日",
    lambda d: f"{d.month}月{d.day}号",
    lambda d: f"{d.month}月{d.day}日之前",
]


@settings(max_examples=250)
@given(today=todays, offset=st.integers(min_value=0, max_value=1096), fmt=st.sampled_from(FULL_FORMATS))
def test_parse_due_round_trips_full_dates(today: date, offset: int, fmt: Formatter) -> None:
    """Parse any full date from today to the cap back to itself, in every format."""
    due = min(today + timedelta(days=offset), _cap(today))
    assert parse_due(fmt(due), today) == due


@settings(max_examples=250)
@given(today=todays, offset=st.integers(min_value=0, max_value=364), fmt=st.sampled_from(SHORT_FORMATS))
def test_parse_due_round_trips_dates_without_year(today: date, offset: int, fmt: Formatter) -> None:
    """Parse a month-day within the coming year back to that date."""
    due = today + timedelta(days=offset)
    assert parse_due(fmt(due), today) == due


@settings(max_examples=200)
@given(
    today=todays, days=st.integers(min_value=0, max_value=1096), unit=st.sampled_from(["天内", "日内", "天"])
)
def test_parse_due_round_trips_day_counts(today: date, days: int, unit: str) -> None:
    """Parse "N天内" as N days from today, refusing counts beyond the cap."""
    text = f"{days}{unit}"
    if today + timedelta(days=days) > _cap(today):
        assert _reason(text, today) == "unreadable"
    else:
        assert parse_due(text, today) == today + timedelta(days=days)


WEEKDAY_NAMES = ["一", "二", "三", "四", "五", "六", "日"]


@settings(max_examples=200)
@given(
    today=todays, weekday=st.integers(min_value=0, max_value=6), word=st.sampled_from(["周", "星期", "礼拜"])
)
def test_parse_due_resolves_weekdays(today: date, weekday: int, word: str) -> None:
    """Resolve bare weekdays forward within a week and 下周X into next calendar week."""
    name = WEEKDAY_NAMES[weekday]
    bare = parse_due(f"{word}{name}", today)
    assert bare.weekday() == weekday
    assert 0 <= (bare - today).days <= 6
    following = parse_due(f"下{word}{name}", today)
    next_monday = today + timedelta(days=7 - today.weekday())
    assert following.weekday() == weekday
    assert next_monday <= following < next_monday + timedelta(days=7)


# --------------------------------------------------------------------------- parse_hazard_text


def test_parse_hazard_text_reads_a_general_hazard_with_deadline() -> None:
    """Split description, level, deadline and category out of a typical caption."""
    result = parse_hazard_text("二车间配电箱门未关闭，无警示标识 限期 12月10日", SUNDAY)
    assert result == HazardText(
        description="二车间配电箱门未关闭，无警示标识",
        level="general",
        mode="deadline",
        due=date(2026, 12, 10),
        due_error=None,
        due_text="12月10日",
        category="electrical",
    )


def test_parse_hazard_text_reads_a_major_hazard_fixed_immediately() -> None:
    """Recognise 重大隐患 and 立即整改 and drop them from the description."""
    result = parse_hazard_text("重大隐患 液氨储罐区压力表失效 立即整改", SUNDAY)
    assert result.level == "major"
    assert result.mode == "immediate"
    assert result.description == "液氨储罐区压力表失效"
    assert result.category == "hazardous_chemicals"
    assert (result.due, result.due_error, result.due_text) == (None, None, None)


@pytest.mark.parametrize(
    ("text", "description", "due", "due_text"),
    [
        ("配电箱漏电 限期 12月10日", "配电箱漏电", date(2026, 12, 10), "12月10日"),
        ("配电箱漏电 限期12月10日前", "配电箱漏电", date(2026, 12, 10), "12月10日前"),
        ("配电箱漏电，期限：2026-12-10", "配电箱漏电", date(2026, 12, 10), "2026-12-10"),
        ("配电箱漏电 整改期限 3天内", "配电箱漏电", date(2026, 12, 2), "3天内"),
        ("配电箱漏电，12月10日前整改", "配电箱漏电", date(2026, 12, 10), "12月10日前"),
        ("配电箱漏电 3天内整改", "配电箱漏电", date(2026, 12, 2), "3天内"),
        ("配电箱漏电 下周五前", "配电箱漏电", date(2026, 12, 4), "下周五前"),
        ("配电箱漏电 本月底前完成", "配电箱漏电", date(2026, 11, 30), "本月底前"),
        ("配电箱漏电 截止12月10日", "配电箱漏电", date(2026, 12, 10), "12月10日"),
        ("配电箱漏电，限期整改，12月10日前完成。", "配电箱漏电", date(2026, 12, 10), "12月10日前"),
        ("限期三天内整改：配电箱漏电", "配电箱漏电", date(2026, 12, 2), "三天内"),
        ("配电箱漏电 限期 １２月１０日", "配电箱漏电", date(2026, 12, 10), "１２月１０日"),
    ],
)
def test_parse_hazard_text_finds_due_phrases(text: str, description: str, due: date, due_text: str) -> None:
    """Find the due phrase, parse it and remove it from the description."""
    result = parse_hazard_text(text, SUNDAY)
    assert result.mode == "deadline"
    assert result.due == due
    assert result.due_error is None
    assert result.due_text == due_text
    assert result.description == description


@pytest.mark.parametrize(
    ("text", "due_error", "due_text", "description"),
    [
        ("配电房积水 限期 下下周五", "unreadable", "下下周五", "配电房积水"),
        ("配电房积水 限期 12月40日", "unreadable", "12月40日", "配电房积水"),
        ("配电房积水 限期 2025-12-10", "past", "2025-12-10", "配电房积水"),
        ("配电房积水，2025年10月1日前整改", "past", "2025年10月1日前", "配电房积水"),
        ("配电房积水 限期整改", "unreadable", "", "配电房积水"),
    ],
)
def test_parse_hazard_text_reports_bad_due_dates(
    text: str, due_error: str, due_text: str, description: str
) -> None:
    """Keep deadline mode but report why the written due date cannot be used."""
    result = parse_hazard_text(text, SUNDAY)
    assert result.mode == "deadline"
    assert result.due is None
    assert result.due_error == due_error
    assert result.due_text == due_text
    assert result.description == description


@pytest.mark.parametrize(
    "text",
    [
        "3天前发现配电箱漏电",
        "上周五前已发现配电箱漏电",
        "灭火器有效期限2025年10月",
        "截止阀泄漏",
        "截止目前仍未修复的消火栓",
        "护栏高度1.5米",
        "",
    ],
)
def test_parse_hazard_text_ignores_dates_that_are_not_deadlines(text: str) -> None:
    """Leave mode unset when nothing in the caption is a deadline."""
    result = parse_hazard_text(text, SUNDAY)
    assert result.mode is None
    assert result.description == text.strip()


@pytest.mark.parametrize(
    ("text", "description"),
    [
        ("行车钢丝绳断股 已当场整改", "行车钢丝绳断股"),
        ("行车钢丝绳断股，当场整改", "行车钢丝绳断股"),
        ("行车钢丝绳断股，立即", "行车钢丝绳断股"),
        ("立即停用断股的行车", "立即停用断股的行车"),
        ("行车钢丝绳断股 立即整改 限期12月10日", "行车钢丝绳断股 限期12月10日"),
    ],
)
def test_parse_hazard_text_prefers_immediate_mode(text: str, description: str) -> None:
    """Use immediate mode whenever 立即/当场整改 appears, ignoring any deadline."""
    result = parse_hazard_text(text, SUNDAY)
    assert result.mode == "immediate"
    assert result.due is None
    assert result.due_error is None
    assert result.description == description


@pytest.mark.parametrize(
    ("text", "level", "description"),
    [
        ("【重大隐患】行车钢丝绳断股", "major", "行车钢丝绳断股"),
        ("重大事故隐患：行车钢丝绳断股", "major", "行车钢丝绳断股"),
        ("(重大) 行车钢丝绳断股", "major", "行车钢丝绳断股"),
        ("重大 行车钢丝绳断股", "major", "行车钢丝绳断股"),
        ("一般隐患 行车钢丝绳断股", "general", "行车钢丝绳断股"),
        ("重大危险源储罐液位计失效", "major", "重大危险源储罐液位计失效"),
    ],
)
def test_parse_hazard_text_reads_level(text: str, level: str, description: str) -> None:
    """Mark captions containing 重大 as major and drop level tags from the description."""
    result = parse_hazard_text(text, SUNDAY)
    assert result.level == level
    assert result.description == description


@settings(max_examples=250)
@given(
    text=st.text()
    | st.text(alphabet=[*DATE_ALPHABET, *"限期截止整改完成立即当场重大隐患配电箱，。：:"], max_size=30),
    today=todays,
)
def test_parse_hazard_text_never_raises_and_stays_consistent(text: str, today: date) -> None:
    """Return a consistent HazardText for any caption."""
    result = parse_hazard_text(text, today)
    assert result.level in {"major", "general"}
    assert result.mode in {None, "immediate", "deadline"}
    assert result.category in CATEGORIES
    assert result.description == result.description.strip()
    if result.due is not None:
        assert today <= result.due <= _cap(today)
    if result.due_error is not None:
        assert result.due_error in REASONS
    assert (result.mode == "deadline") == (result.due is not None or result.due_error is not None)
    assert (result.mode == "deadline") == (result.due_text is not None)
    assert result.due is None or result.due_error is None


@settings(max_examples=200)
@given(
    today=todays,
    offset=st.integers(min_value=0, max_value=364),
    fmt=st.sampled_from(FULL_FORMATS + SHORT_FORMATS),
    keyword=st.sampled_from(["限期 ", "限期", "期限：", "整改期限 ", "截止"]),
)
def test_parse_hazard_text_round_trips_due_dates(
    today: date, offset: int, fmt: Formatter, keyword: str
) -> None:
    """Read back a generated due date written after a deadline keyword."""
    due = today + timedelta(days=offset)
    result = parse_hazard_text(f"二车间配电箱门未关闭 {keyword}{fmt(due)}", today)
    assert result.mode == "deadline"
    assert result.due == due
    assert result.description == "二车间配电箱门未关闭"


@pytest.mark.parametrize(
    ("text", "description"),
    [
        ("配电箱漏电\n限期12月10日\n门未关", "配电箱漏电\n门未关"),
        ("配电箱漏电 立即整改 门未关", "配电箱漏电 门未关"),
        ("配电箱漏电立即整改门未关", "配电箱漏电门未关"),
        ("A，立即整改，B，立即整改，C", "A，B，C"),
        ("A；重大隐患；B", "A；B"),
        ("  重大隐患：\n\n配电箱漏电。限期 3天内。", "配电箱漏电。"),
    ],
)
def test_parse_hazard_text_tidies_seams(text: str, description: str) -> None:
    """Leave readable whitespace and punctuation where words were cut out."""
    assert parse_hazard_text(text, SUNDAY).description == description


def test_parse_hazard_text_handles_huge_input() -> None:
    """Handle very long captions without errors (these once took quadratic time)."""
    huge = (
        "限期" * 50_000,
        "1 " * 50_000,
        "12月10日" * 20_000,
        "重大隐患" + "配" * 100_000,
        "1" + " " * 50_000 + "月",
        "a重大隐患" * 20_000,
        "， " * 50_000 + "立即",
    )
    for text in huge:
        result = parse_hazard_text(text, SUNDAY)
        assert isinstance(result, HazardText)


# --------------------------------------------------------------------------- guess_category


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("灭火器压力不足", "fire"),
        ("消防通道被占用", "fire"),
        ("动火作业无监护", "fire"),
        ("电梯年检过期", "special_equipment"),
        ("叉车无证驾驶", "special_equipment"),
        ("气瓶未固定", "special_equipment"),
        ("吊钩防脱装置损坏", "special_equipment"),
        ("液氨储罐区压力表失效", "hazardous_chemicals"),
        ("油漆桶露天存放", "hazardous_chemicals"),
        ("硫酸桶未加盖", "hazardous_chemicals"),
        ("配电箱门未关闭", "electrical"),
        ("私拉乱接电线", "electrical"),
        ("电机外壳未接地", "electrical"),
        ("机床防护罩缺失", "machinery"),
        ("电机皮带裸露", "machinery"),
        ("设备带病运行", "machinery"),
        ("车间地面积水", "housekeeping"),
        ("物料堆放超高", "housekeeping"),
        ("５Ｓ未落实", "housekeeping"),
        ("员工未戴安全帽", "other"),
        ("", "other"),
    ],
)
def test_guess_category_uses_keywords(text: str, category: str) -> None:
    """Pick the category of the first matching keyword group."""
    assert guess_category(text) == category
