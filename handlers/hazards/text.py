"""Read hazard captions the way people in the park write them.

Pure functions only: no I/O, no clock (``today`` is always passed in, already in
the park's time zone), stdlib only. Due dates are read by `handlers/dates.py`.

* :func:`parse_hazard_text` splits a ``/hazard`` caption into description, level,
  rectification mode, due date and category.
* :func:`guess_category` picks a hazard category from keywords.
* :func:`without_enterprise` drops an enterprise's name typed before the description
  (``胜利机械 喷漆车间…`` → ``喷漆车间…``); :func:`implied_location` reads the location (部位)
  from the words before the description, only where they plainly name a place.

The location is read from a label (``位置：二车间配电室``, ``部位：…``, ``地点：…``), which is then
cut from the description; or, without a label, from the first words when they end in a place word
(车间, 配电室, 仓库, 厂房, 罐区, 门口 …) and are set apart by a space or a comma
(``二车间配电室 配电箱门未关闭``): those words stay in the description, as people wrote it. Anything
else (``二车间配电箱门未关闭``) gives no location rather than a guess.

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

from handlers.dates import CN_NUMERALS, FULLWIDTH, GAP, WEEK, DueDateError, normalize, parse_due

__all__ = [
    "CATEGORIES",
    "LOCATION_LIMIT",
    "HazardText",
    "guess_category",
    "implied_location",
    "parse_hazard_text",
    "without_enterprise",
]

CATEGORIES: tuple[str, ...] = (
    "fire",
    "electrical",
    "special_equipment",
    "hazardous_chemicals",
    "machinery",
    "housekeeping",
    "other",
)
for _dash in (0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2212, 0xFE63):
    FULLWIDTH[_dash] = ord("-")


# --------------------------------------------------------------------------- captions

# A date-like token inside a caption. Everything it matches is handed to parse_due,
# which decides whether it is readable.
_DATE_TOKEN = (
    "(?:"
    rf"(?<![0-9])[0-9]{{4}}{GAP}(?P<sep>[-/.]){GAP}[0-9]{{1,2}}{GAP}(?P=sep){GAP}[0-9]{{1,2}}(?![0-9])"
    rf"|(?<![0-9])[0-9]{{4}}{GAP}年{GAP}[0-9]{{1,2}}{GAP}月{GAP}(?:[0-9]{{1,2}}(?![0-9]){GAP}[日号]?|底|末)"
    rf"|(?<![0-9])[0-9]{{4}}{GAP}年{GAP}(?:底|末)"
    rf"|(?<![0-9])[0-9]{{1,2}}{GAP}月{GAP}(?:[0-9]{{1,2}}(?![0-9]){GAP}[日号]?|底|末)"
    rf"|(?<![0-9./-])[0-9]{{1,2}}{GAP}[-/.]{GAP}[0-9]{{1,2}}(?![0-9./-])"
    r"|(?<![每昨])(?:大后天|今天|今日|明天|明日|后天)"
    rf"|(?<![上下个每])(?:(?:本|这|下)个?)?{WEEK}[一二三四五六日天]"
    rf"|(?<![上下个每])(?:本|这|下)个?{WEEK}(?={GAP}(?:之|以)?内)"
    r"|(?<![上下个去明本这今0-9零〇一二两三四五六七八九十])(?:(?:本|这|下)个?)?月(?:底|末)"
    rf"|(?<![上下个去明本这今0-9零〇一二两三四五六七八九十])(?:本|这|下)个?月(?={GAP}(?:之|以)?内)"
    r"|(?<![去前上0-9零〇一二两三四五六七八九十半今本明])(?:(?:本|今|明)年|年)(?:底|末)"
    rf"|(?<![去前上0-9零〇一二两三四五六七八九十半今本明])(?:(?:本|今|明)年|年)(?={GAP}(?:之|以)?内)"
    ")"
)
_REL_TOKEN = (
    rf"(?<![0-9./月年第{CN_NUMERALS}-])"
    rf"(?:[0-9]{{1,4}}|[{CN_NUMERALS}]{{1,3}}){GAP}(?:天|日|个?{GAP}{WEEK})"
)
_DATE_SUFFIX = rf"{GAP}(?:之前|以前|前|之内|以内|内)"
_REL_SUFFIX = rf"{GAP}(?:之|以)?内"
_NOT_COMPOUND = "(?![方面后端部侧门沿排台])"
_ACTION = rf"(?:{GAP}(?:完成整改|整改完成|整改完毕|整改到位|整改|完成|处理完毕|处理))?"
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
LOCATION_LIMIT = 40  # characters of a location (部位); the column holds 100
# 位置：二车间配电室 / 部位: 3号罐区 / 地点：成品库 — the label's words end at a space or a separator.
_RE_LOCATION_LABEL = re.compile(
    rf"(?:位置|部位|地点)\s{{0,2}}:\s{{0,2}}(?P<loc>[^\s，,；;。、:]{{1,{LOCATION_LIMIT}}})"
)
# The first words of a description, up to a space or a comma, when they end in a place word.
_PLACE_WORDS = (
    "车间", "厂房", "仓库", "库房", "罐区", "门口", "食堂", "宿舍", "大厅", "院内", "厂区", "堆场",
    "室", "房", "库", "间", "楼", "层", "区", "棚", "站", "场",
)  # fmt: skip
_RE_LEADING_WORDS = re.compile(r"(?P<head>[^\s，,；;。、:]{2,20})(?:\s+|[，,:])\s*(?=\S)")
_NOT_PLACES = ("时间", "期间", "中间", "空间", "现场")  # end like places, name none
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
    location: str = ""  # 部位, "" when the caption names none


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


def parse_hazard_text(text: str, today: datetime.date, enterprise_names: tuple[str, ...] = ()) -> HazardText:
    """Split a /hazard caption into description, level, mode, due date and location.

    `enterprise_names` (the name and aliases of the enterprise it is reported for): one of them typed
    before the description is not left in it.
    """
    norm = normalize(text)
    level = "major" if "重大" in norm else "general"
    spans = [m.span() for m in _RE_LEVEL_WORDS.finditer(norm) if m.end() > m.start()]
    labelled = _RE_LOCATION_LABEL.search(norm)
    if labelled is not None:
        spans.append(labelled.span())
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
    description = without_enterprise(_cut(text, spans), enterprise_names)
    if labelled is not None:
        location = text[labelled.start("loc") : labelled.end("loc")]
    else:
        location = implied_location(description)
    return HazardText(
        description=description,
        level=level,
        mode=mode,
        due=due,
        due_error=due_error,
        due_text=due_text,
        category=guess_category(description),
        location=location,
    )


def without_enterprise(description: str, names: tuple[str, ...]) -> str:
    """Drop an enterprise's name (or alias) typed before the description and set apart by a space or a
    separator: ``胜利机械 喷漆车间…`` → ``喷漆车间…``. A name run into the words (``华油罐区…``) or
    standing alone is kept: cutting it could cut the description."""
    for name in sorted((n for n in names if n), key=len, reverse=True):
        if not description.startswith(name):
            continue
        rest = description[len(name) :]
        if rest[:1].isspace() or rest[:1] in _SEPARATORS:
            rest = _trim(rest)
            return rest if rest else description
    return description


def implied_location(description: str) -> str:
    """Return the location the first words of a description name (``二车间配电室 配电箱门未关闭`` →
    ``二车间配电室``), or "" unless they are set apart and end in a place word."""
    m = _RE_LEADING_WORDS.match(normalize(description))
    if m is None:
        return ""
    head = m.group("head")
    if any(word in head for word in _NOT_PLACES) or not head.endswith(_PLACE_WORDS):
        return ""
    return description[: m.end("head")]


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
    folded = normalize(text).casefold()
    for groups in (_SPECIFIC_KEYWORDS, _GENERIC_KEYWORDS):
        for category, keywords in groups:
            if any(keyword in folded for keyword in keywords):
                return category
    return "other"
