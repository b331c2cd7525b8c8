"""Read hazard captions the way people in the park write them.

Pure functions only: no I/O, no clock (``today`` is always passed in, already in
the park's time zone), stdlib only.

* :func:`parse_due` turns a written due date (``12月10日前``, ``3天内``, ``下周五``,
  ``本月底`` ...) into a :class:`datetime.date`, or raises :class:`DueDateError`.
* :func:`parse_hazard_text` splits a ``/hazard`` caption into description, level,
  rectification mode, due date and category.
* :func:`guess_category` picks a hazard category from keywords.

Category order (first hit wins): a pass over the specific keywords of fire,
special_equipment, hazardous_chemicals, electrical, machinery, housekeeping (in
that order), then a second pass over the generic keywords 吊 (special
equipment), 酸/碱 (hazardous chemicals), 电 (electrical), 设备 (machinery).
So 电梯 is special equipment, 电机皮带 is machinery, and 压力表 alone is not
special equipment (only 压力容器/压力管道 are), which makes
``液氨储罐区压力表失效`` hazardous_chemicals.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

__all__ = [
    "CATEGORIES",
    "DueDateError",
    "HazardText",
    "guess_category",
    "parse_due",
    "parse_hazard_text",
]

UNREADABLE = "unreadable"
PAST = "past"
MAX_YEARS_AHEAD = 3

CATEGORIES: tuple[str, ...] = (
    "fire",
    "electrical",
    "special_equipment",
    "hazardous_chemicals",
    "machinery",
    "housekeeping",
    "other",
)


class DueDateError(ValueError):
    """A due date could not be used; ``reason`` is "unreadable" or "past"."""

    reason: str

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --------------------------------------------------------------------------- normalisation

# One character in, one character out, so spans found in the normalised text are
# valid in the original text too.
_FULLWIDTH: dict[int, int] = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20  # ideographic space
for _dash in (0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2212, 0xFE63):
    _FULLWIDTH[_dash] = ord("-")


def _normalize(text: str) -> str:
    """Map full-width ASCII, ideographic space and dash variants to ASCII, keeping length."""
    return text.translate(_FULLWIDTH)


# --------------------------------------------------------------------------- parse_due

_CN_NUMERALS = "零〇一二两三四五六七八九十"
_CN_DIGIT_VALUES = {
    "零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3,
    "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}  # fmt: skip
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_DAY_WORDS = {"今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2, "大后天": 3}

_S = r"\s{0,2}"
_WEEK = r"(?:周|星期|礼拜)"

_RE_YMD_SEP = re.compile(rf"([0-9]{{4}}){_S}([-/.]){_S}([0-9]{{1,2}}){_S}\2{_S}([0-9]{{1,2}})")
_RE_YMD_CN = re.compile(rf"([0-9]{{4}}){_S}年{_S}([0-9]{{1,2}}){_S}月{_S}([0-9]{{1,2}}){_S}[日号]?")
_RE_MD_CN = re.compile(rf"([0-9]{{1,2}}){_S}月{_S}([0-9]{{1,2}}){_S}[日号]?")
_RE_MD_SEP = re.compile(rf"([0-9]{{1,2}}){_S}[-/.]{_S}([0-9]{{1,2}})")
_RE_RELATIVE = re.compile(rf"([0-9]{{1,4}}|[{_CN_NUMERALS}]{{1,3}}){_S}(天|日|个?{_S}{_WEEK})")
_RE_WEEKDAY = re.compile(rf"(?:(本|这|下){_S}个?{_S})?{_WEEK}{_S}([一二三四五六日天])")
_RE_WEEK_PERIOD = re.compile(rf"(本|这|下){_S}个?{_S}{_WEEK}")
_RE_MONTH_END = re.compile(rf"(?:(本|这|下){_S}个?{_S})?月{_S}(底|末)?")
_RE_NUM_MONTH_END = re.compile(rf"(?:([0-9]{{4}}){_S}年{_S})?([0-9]{{1,2}}){_S}月{_S}(?:底|末)")
_RE_YEAR_END = re.compile(rf"(本|今|明)?{_S}年{_S}(底|末)?")
_RE_NUM_YEAR_END = re.compile(rf"([0-9]{{4}}){_S}年{_S}(?:底|末)")

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
    s = _normalize(text).strip()
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


# --------------------------------------------------------------------------- captions

# A date-like token inside a caption. Everything it matches is handed to parse_due,
# which decides whether it is readable.
_DATE_TOKEN = (
    "(?:"
    rf"(?<![0-9])[0-9]{{4}}{_S}(?P<sep>[-/.]){_S}[0-9]{{1,2}}{_S}(?P=sep){_S}[0-9]{{1,2}}(?![0-9])"
    rf"|(?<![0-9])[0-9]{{4}}{_S}年{_S}[0-9]{{1,2}}{_S}月{_S}(?:[0-9]{{1,2}}(?![0-9]){_S}[日号]?|底|末)"
    rf"|(?<![0-9])[0-9]{{4}}{_S}年{_S}(?:底|末)"
    rf"|(?<![0-9])[0-9]{{1,2}}{_S}月{_S}(?:[0-9]{{1,2}}(?![0-9]){_S}[日号]?|底|末)"
    rf"|(?<![0-9./-])[0-9]{{1,2}}{_S}[-/.]{_S}[0-9]{{1,2}}(?![0-9./-])"
    r"|(?<![每昨])(?:大后天|今天|今日|明天|明日|后天)"
    rf"|(?<![上下个每])(?:(?:本|这|下)个?)?{_WEEK}[一二三四五六日天]"
    rf"|(?<![上下个每])(?:本|这|下)个?{_WEEK}(?={_S}(?:之|以)?内)"
    r"|(?<![上下个去明本这今0-9零〇一二两三四五六七八九十])(?:(?:本|这|下)个?)?月(?:底|末)"
    rf"|(?<![上下个去明本这今0-9零〇一二两三四五六七八九十])(?:本|这|下)个?月(?={_S}(?:之|以)?内)"
    r"|(?<![去前上0-9零〇一二两三四五六七八九十半今本明])(?:(?:本|今|明)年|年)(?:底|末)"
    rf"|(?<![去前上0-9零〇一二两三四五六七八九十半今本明])(?:(?:本|今|明)年|年)(?={_S}(?:之|以)?内)"
    ")"
)
_REL_TOKEN = (
    rf"(?<![0-9./月年第{_CN_NUMERALS}-])"
    rf"(?:[0-9]{{1,4}}|[{_CN_NUMERALS}]{{1,3}}){_S}(?:天|日|个?{_S}{_WEEK})"
)
_DATE_SUFFIX = rf"{_S}(?:之前|以前|前|之内|以内|内)"
_REL_SUFFIX = rf"{_S}(?:之|以)?内"
_NOT_COMPOUND = "(?![方面后端部侧门沿排台])"
_ACTION = rf"(?:{_S}(?:完成整改|整改完成|整改完毕|整改到位|整改|完成|处理完毕|处理))?"
_DEADLINE_KEYWORD = (
    "(?:整改期限|整改时限|限期整改|限期|(?<![效用验质检保])期限|时限|截止日期|截止时间|截止(?!阀))"
)

# 限期 12月10日 / 期限：2026-12-10 / 整改期限 3天内 / 截止12月10日前
_RE_KEYWORD_DUE = re.compile(
    _DEADLINE_KEYWORD
    + r"[\s:：,，]{0,4}(?:为|至|到|于|在)?[\s:：]{0,3}"
    + rf"(?P<tok>{_DATE_TOKEN}(?:{_DATE_SUFFIX}{_NOT_COMPOUND})?|{_REL_TOKEN}(?:{_REL_SUFFIX})?)"
    + _ACTION
)
# 12月10日前整改 / 3天内整改 / 下周五前 / 本月底前完成
_RE_BARE_DUE = re.compile(
    rf"(?P<tok>{_DATE_TOKEN}{_DATE_SUFFIX}{_NOT_COMPOUND}|{_REL_TOKEN}{_REL_SUFFIX}{_NOT_COMPOUND})" + _ACTION
)
# 限期 <something unreadable>
_RE_KEYWORD_ONLY = re.compile(
    r"(?:限期整改|整改期限|整改时限|限期|(?<![效用验质检保])期限)[\s:：]{0,3}(?P<rest>[^\s，。；;,、！!？?]{0,20})"
)
_RE_IMMEDIATE = re.compile(r"立即|当场整改")
_RE_IMMEDIATE_WORDS = re.compile(r"已?(?:当场|立即)整改(?:完毕|完成|到位)?|立即(?=$|[\s，。；;,、！!])")
_RE_LEVEL_WORDS = re.compile(
    r"[【\[(（]?\s{0,2}(?:重大|一般)(?:事故)?隐患\s{0,2}[】\])）]?[:：]?"
    r"|[【\[(（]\s{0,2}(?:重大|一般)\s{0,2}[】\])）][:：]?"
    r"|^\s{0,3}(?:重大|一般)(?=[\s:：，,])[:：，,]?"
)
_SEPARATORS = "，,；;、。：:"
_TRAILING_SEPARATORS = "，,；;、：:"


@dataclass(frozen=True)
class HazardText:
    """A /hazard caption split into its parts."""

    description: str
    level: str
    mode: str | None
    due: datetime.date | None
    due_error: str | None
    due_text: str | None
    category: str


def _trim(text: str) -> str:
    """Strip whitespace and dangling separators from both ends (linear time, unlike a regex)."""
    text = _lstrip_separators(text)
    end = len(text)
    while end > 0 and (text[end - 1].isspace() or text[end - 1] in _TRAILING_SEPARATORS):
        end -= 1
    return text[:end]


def _lstrip_separators(text: str) -> str:
    """Strip leading whitespace and separators."""
    start = 0
    while start < len(text) and (text[start].isspace() or text[start] in _SEPARATORS):
        start += 1
    return text[start:]


def _widest_gap(gap: str, whitespace: str) -> str:
    """Combine a seam gap with more whitespace: a newline beats a space beats nothing."""
    if gap == "\n" or "\n" in whitespace:
        return "\n"
    return " " if gap or whitespace else ""


def _cut(text: str, spans: list[tuple[int, int]]) -> str:
    """Remove the given spans from text, tidy the seams and trim the result."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    if not merged:
        return _trim(text)
    bounds = [0, *(x for span in merged for x in span), len(text)]
    pieces = [text[bounds[i] : bounds[i + 1]] for i in range(0, len(bounds), 2)]
    out: list[str] = []
    tail = ""  # last character emitted ("" before any content)
    gap = ""  # whitespace seen across seams since the last emitted character: "", " " or "\n"
    for piece in pieces:
        body = piece.strip()
        if tail and tail in _SEPARATORS:
            body = _lstrip_separators(body)  # "A，" + "，B" -> "A，B"
        if not body:
            gap = _widest_gap(gap, piece)
            continue
        gap = _widest_gap(gap, piece[: len(piece) - len(piece.lstrip())])
        if tail and tail not in _SEPARATORS and body[0] not in _SEPARATORS:
            out.append(gap)
        out.append(body)
        tail = body[-1]
        gap = _widest_gap("", piece[len(piece.rstrip()) :])
    return _trim("".join(out))


def _find_due(norm: str) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """Return (phrase span, date token span) of the due phrase in a normalised caption."""
    m = _RE_KEYWORD_DUE.search(norm) or _RE_BARE_DUE.search(norm)
    if m is not None:
        return m.span(), m.span("tok")
    m = _RE_KEYWORD_ONLY.search(norm)
    if m is not None:
        return m.span(), m.span("rest")
    return None


def parse_hazard_text(text: str, today: datetime.date) -> HazardText:
    """Split a /hazard caption into description, level, mode and due date."""
    norm = _normalize(text)
    level = "major" if "重大" in norm else "general"
    spans = [m.span() for m in _RE_LEVEL_WORDS.finditer(norm) if m.end() > m.start()]
    mode: str | None = None
    due: datetime.date | None = None
    due_error: str | None = None
    due_text: str | None = None
    if _RE_IMMEDIATE.search(norm):
        mode = "immediate"  # wins over any deadline also written in the caption
        spans += [m.span() for m in _RE_IMMEDIATE_WORDS.finditer(norm)]
    elif (found := _find_due(norm)) is not None:
        mode = "deadline"
        phrase, (tok_start, tok_end) = found
        spans.append(phrase)
        spans += [m.span() for m in re.finditer("限期整改", norm)]
        due_text = text[tok_start:tok_end].strip()
        try:
            due = parse_due(due_text, today)
        except DueDateError as exc:
            due_error = exc.reason
    description = _cut(text, spans)
    return HazardText(
        description=description,
        level=level,
        mode=mode,
        due=due,
        due_error=due_error,
        due_text=due_text,
        category=guess_category(description),
    )


# --------------------------------------------------------------------------- categories

_SPECIFIC_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "fire",
        ("消防", "灭火器", "消火栓", "喷淋", "烟感", "疏散", "安全出口", "应急灯", "动火", "明火", "防火"),
    ),
    ("special_equipment", ("叉车", "起重", "行车", "压力容器", "锅炉", "电梯", "气瓶", "压力管道")),
    ("hazardous_chemicals", ("危化", "危险化学品", "化学品", "易燃", "易爆", "油漆", "液氨", "储罐", "溶剂")),
    ("electrical", ("配电", "电箱", "电线", "电缆", "插座", "漏电", "接地", "线路", "私拉乱接")),
    ("machinery", ("防护罩", "防护栏", "机床", "传动", "皮带", "冲床", "齿轮")),
    ("housekeeping", ("堆放", "杂物", "通道", "占用", "油污", "地面", "积水", "5s")),
)
_GENERIC_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("special_equipment", ("吊",)),
    ("hazardous_chemicals", ("酸", "碱")),
    ("electrical", ("电",)),
    ("machinery", ("设备",)),
)


def guess_category(text: str) -> str:
    """Guess a hazard category from keywords in the description."""
    folded = _normalize(text).casefold()
    for groups in (_SPECIFIC_KEYWORDS, _GENERIC_KEYWORDS):
        for category, keywords in groups:
            if any(keyword in folded for keyword in keywords):
                return category
    return "other"
