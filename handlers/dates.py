"""Read due dates the way people in the park write them: ``12月10日前``, ``3天内``, ``下周五``, ``本月底``.

Pure functions only: no I/O, no clock (``today`` is always passed in, already in the park's time zone),
stdlib only. Hazards, notices and campaigns all read dates through :func:`parse_due`.
"""

from __future__ import annotations

import datetime
import re

UNREADABLE = "unreadable"
PAST = "past"
MAX_YEARS_AHEAD = 3


class DueDateError(ValueError):
    """A due date could not be used; ``reason`` is "unreadable" or "past"."""

    reason: str

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --------------------------------------------------------------------------- normalisation

# One character in, one character out, so spans found in the normalised text are
# valid in the original text too.
FULLWIDTH: dict[int, int] = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
FULLWIDTH[0x3000] = 0x20  # ideographic space


def normalize(text: str) -> str:
    """Map full-width ASCII, ideographic space and dash variants to ASCII, keeping length."""
    return text.translate(FULLWIDTH)


# --------------------------------------------------------------------------- parse_due

CN_NUMERALS = "零〇一二两三四五六七八九十"
_CN_DIGIT_VALUES = {
    "零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3,
    "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}  # fmt: skip
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_DAY_WORDS = {"今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2, "大后天": 3}

GAP = r"\s{0,2}"
WEEK = r"(?:周|星期|礼拜)"

_RE_YMD_SEP = re.compile(rf"([0-9]{{4}}){GAP}([-/.]){GAP}([0-9]{{1,2}}){GAP}\2{GAP}([0-9]{{1,2}})")
_RE_YMD_CN = re.compile(rf"([0-9]{{4}}){GAP}年{GAP}([0-9]{{1,2}}){GAP}月{GAP}([0-9]{{1,2}}){GAP}[日号]?")
_RE_MD_CN = re.compile(rf"([0-9]{{1,2}}){GAP}月{GAP}([0-9]{{1,2}}){GAP}[日号]?")
_RE_MD_SEP = re.compile(rf"([0-9]{{1,2}}){GAP}[-/.]{GAP}([0-9]{{1,2}})")
_RE_RELATIVE = re.compile(rf"([0-9]{{1,4}}|[{CN_NUMERALS}]{{1,3}}){GAP}(天|日|个?{GAP}{WEEK})")
_RE_WEEKDAY = re.compile(rf"(?:(本|这|下){GAP}个?{GAP})?{WEEK}{GAP}([一二三四五六日天])")
_RE_WEEK_PERIOD = re.compile(rf"(本|这|下){GAP}个?{GAP}{WEEK}")
_RE_MONTH_END = re.compile(rf"(?:(本|这|下){GAP}个?{GAP})?月{GAP}(底|末)?")
_RE_NUM_MONTH_END = re.compile(rf"(?:([0-9]{{4}}){GAP}年{GAP})?([0-9]{{1,2}}){GAP}月{GAP}(?:底|末)")
_RE_YEAR_END = re.compile(rf"(本|今|明)?{GAP}年{GAP}(底|末)?")
_RE_NUM_YEAR_END = re.compile(rf"([0-9]{{4}}){GAP}年{GAP}(?:底|末)")

_BEFORE_SUFFIXES = ("之前", "以前", "前")
_WITHIN_SUFFIXES = ("之内", "以内", "内")


def _unreadable() -> DueDateError:
    return DueDateError(UNREADABLE)


def _cn_int(token: str) -> int:
    """Read ASCII digits or a small Chinese numeral (零..九十九, 两)."""
    if token.isascii():
        return int(token)
    if "十" in token:
        head, _, tail = token.partition("十")
        if "十" in tail or len(head) > 1 or len(tail) > 1:
            raise _unreadable()
        tens = _CN_DIGIT_VALUES[head] if head else 1
        ones = _CN_DIGIT_VALUES[tail] if tail else 0
        return tens * 10 + ones
    if len(token) != 1:
        raise _unreadable()
    return _CN_DIGIT_VALUES[token]


def _add_years(day: datetime.date, years: int) -> datetime.date:
    year = day.year + years
    if year > datetime.MAXYEAR:
        return datetime.date.max
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February into a common year
        return day.replace(year=year, day=28)


def _month_end(year: int, month: int) -> datetime.date:
    if month == 12:
        return datetime.date(year, 12, 31)
    return datetime.date(year, month + 1, 1) - datetime.timedelta(days=1)


def _next_month_day(today: datetime.date, month: int, day: int | None) -> datetime.date:
    """Return the first (month, day) on or after today, this year or next; day None = month end."""
    for year in (today.year, today.year + 1):
        try:
            candidate = _month_end(year, month) if day is None else datetime.date(year, month, day)
        except (ValueError, OverflowError):
            continue
        if candidate >= today:
            return candidate
    raise _unreadable()


def _resolve(s: str, kind: str | None, today: datetime.date) -> datetime.date:
    """Resolve a normalised, suffix-free due phrase; ``kind`` is the stripped suffix type."""
    if m := _RE_RELATIVE.fullmatch(s):
        if kind == "before" or (m.group(2) == "日" and kind != "within"):
            raise _unreadable()  # 3天前 means "three days ago"; bare 3日 reads as "the 3rd"
        days = _cn_int(m.group(1)) * (1 if m.group(2) in ("天", "日") else 7)
        if days > 366 * MAX_YEARS_AHEAD + 1:
            raise _unreadable()
        return today + datetime.timedelta(days=days)
    if s in _DAY_WORDS:
        return today + datetime.timedelta(days=_DAY_WORDS[s])
    if m := (_RE_YMD_SEP.fullmatch(s) or _RE_YMD_CN.fullmatch(s)):
        if m.re is _RE_YMD_SEP:
            year, month, day = int(m.group(1)), int(m.group(3)), int(m.group(4))
        else:
            year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
        return datetime.date(year, month, day)
    if m := (_RE_MD_CN.fullmatch(s) or _RE_MD_SEP.fullmatch(s)):
        return _next_month_day(today, int(m.group(1)), int(m.group(2)))
    if m := _RE_WEEKDAY.fullmatch(s):
        weekday = _WEEKDAYS[m.group(2)]
        monday = today - datetime.timedelta(days=today.weekday())
        if m.group(1) is None:  # bare 周五: the next Friday on or after today
            return today + datetime.timedelta(days=(weekday - today.weekday()) % 7)
        offset = 7 if m.group(1) == "下" else 0
        return monday + datetime.timedelta(days=offset + weekday)
    if (m := _RE_WEEK_PERIOD.fullmatch(s)) and kind == "within":  # 本周内 / 下周内
        sunday = today + datetime.timedelta(days=6 - today.weekday())
        return sunday + datetime.timedelta(days=7 if m.group(1) == "下" else 0)
    if (m := _RE_MONTH_END.fullmatch(s)) and (m.group(2) or kind == "within"):
        if m.group(1) == "下":
            year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
            return _month_end(year, month)
        return _month_end(today.year, today.month)
    if m := _RE_NUM_MONTH_END.fullmatch(s):
        if m.group(1) is not None:
            return _month_end(int(m.group(1)), int(m.group(2)))
        return _next_month_day(today, int(m.group(2)), None)
    if m := _RE_NUM_YEAR_END.fullmatch(s):
        return datetime.date(int(m.group(1)), 12, 31)
    if (m := _RE_YEAR_END.fullmatch(s)) and (m.group(2) or kind == "within"):
        return datetime.date(today.year + (1 if m.group(1) == "明" else 0), 12, 31)
    raise _unreadable()


def _parse_due(text: str, today: datetime.date) -> datetime.date:
    s = normalize(text).strip()
    if not s or len(s) > 40:
        raise _unreadable()
    kind: str | None = None
    for suffixes, suffix_kind in ((_BEFORE_SUFFIXES, "before"), (_WITHIN_SUFFIXES, "within")):
        suffix = next((x for x in suffixes if s.endswith(x)), None)
        if suffix is not None:
            s, kind = s[: -len(suffix)].rstrip(), suffix_kind
            break
    due = _resolve(s, kind, today)
    if due < today:
        raise DueDateError(PAST)
    if due > _add_years(today, MAX_YEARS_AHEAD):
        raise _unreadable()
    return due


def parse_due(text: str, today: datetime.date) -> datetime.date:
    """Resolve a due date as people write it, relative to today (already in the park's time zone)."""
    if isinstance(today, datetime.datetime):
        today = today.date()
    try:
        return _parse_due(text, today)
    except DueDateError:
        raise
    except (ValueError, ArithmeticError, KeyError) as exc:
        raise DueDateError(UNREADABLE) from exc
