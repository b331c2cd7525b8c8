"""The publicity rules (宣传): what one record says (an item, a count, a unit, a day) read forgivingly from
what a manager writes, the unit an item is counted in when none is written, and who records.

Pure (no session, no SQLAlchemy), so they are tested as a table. `domain/publicity/operations.py` records;
`handlers/supplies/publicity.py` words the answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from domain.park.rules import Perm, role_allows

if TYPE_CHECKING:
    from storage.models import Person

UNITS = ("人次", "份", "本", "册", "幅", "张", "条", "场", "次", "块", "个", "套", "处", "期", "块")
UNIT_RE = "|".join(sorted(set(UNITS), key=len, reverse=True))
# Words an item is counted in when no unit is written: a banner in 幅, an activity in 场, anything else in 份.
DEFAULT_UNITS = (
    (("横幅", "标语", "展板", "挂图", "海报"), "幅"),
    (("活动", "讲座", "咨询", "宣讲", "宣传日", "宣传周"), "场"),
    (("手册", "读本", "书籍", "图书"), "本"),
)
ACTIVITY_WORDS = ("活动", "讲座", "咨询", "宣讲", "宣传日", "宣传周")
MAX_COUNT = 10_000_000
ITEM_LIMIT = 50
SEPARATORS = re.compile(r"[，,、;；]+")
ITEM_COUNT_RE = re.compile(rf"(?P<item>.+?)\s*(?P<count>\d+)\s*(?P<unit>{UNIT_RE})?")
COUNT_ITEM_RE = re.compile(rf"(?P<count>\d+)\s*(?P<unit>{UNIT_RE})\s*(?P<item>.+)")
FULL_DATE_RE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})[日号]?")
SHORT_DATE_RE = re.compile(r"(\d{1,2})月(\d{1,2})[日号]?|(\d{1,2})[-/](\d{1,2})")
DAY_WORDS = {"今天": 0, "昨天": 1, "前天": 2}


class Refusal(StrEnum):
    """Why recording publicity was refused."""

    NOT_ALLOWED = "not_allowed"  # managers and admins record publicity


class Problem(StrEnum):
    """Why what a manager wrote is not a publicity record."""

    EMPTY = "empty"  # nothing after /publicity but a date
    NO_COUNT = "no_count"  # an item without its number (宣传单页 多少份?)
    BAD_COUNT = "bad_count"  # 0, or more than ten million
    BAD_DATE = "bad_date"  # a date that does not exist, or one in the future
    NO_ITEM = "no_item"  # a number without what it counts


@dataclass(frozen=True)
class Entry:
    """One line of a record: 宣传单页 2000 份."""

    item: str
    count: int
    unit: str


@dataclass(frozen=True)
class Parsed:
    """What a manager wrote: the entries and their day (today when none was written)."""

    day: date
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class Unreadable:
    """Why a record could not be read, and the part that was wrong."""

    problem: Problem
    part: str


def may_record(person: Person) -> bool:
    """Tell whether the person may record publicity and see the year's totals: managers and admins."""
    return role_allows(person.role, Perm.PUBLICITY_RECORD)


def default_unit(item: str) -> str:
    """Return the unit an item is counted in when none was written (横幅 → 幅, 活动 → 场, else 份)."""
    for words, unit in DEFAULT_UNITS:
        if any(w in item for w in words):
            return unit
    return "份"


def _day(text: str, today: date) -> date | Problem | None:
    """Read a date written in the record (None: there is none); a bad or future one is a Problem."""
    for word, back in DAY_WORDS.items():
        if word in text:
            return today - timedelta(days=back)
    try:
        if m := FULL_DATE_RE.search(text):
            day = date(int(m[1]), int(m[2]), int(m[3]))
        elif m := SHORT_DATE_RE.search(text):
            month, dom = (int(m[1]), int(m[2])) if m[1] else (int(m[3]), int(m[4]))
            day = date(today.year, month, dom)
            if day > today:
                day = date(today.year - 1, month, dom)
        else:
            return None
    except ValueError:
        return Problem.BAD_DATE
    return Problem.BAD_DATE if day > today else day


def _strip_day(text: str) -> str:
    for word in DAY_WORDS:
        text = text.replace(word, " ")
    text = FULL_DATE_RE.sub(" ", text)
    return SHORT_DATE_RE.sub(" ", text)


def _entry(part: str) -> Entry | Unreadable:
    part = part.strip(" 　。.:：")
    m = COUNT_ITEM_RE.fullmatch(part) or ITEM_COUNT_RE.fullmatch(part)
    if m is None:
        if any(w in part for w in ACTIVITY_WORDS):  # 安全咨询日活动: one activity
            return Entry(part[:ITEM_LIMIT], 1, "场")
        if part.isdigit():
            return Unreadable(Problem.NO_ITEM, part)
        return Unreadable(Problem.NO_COUNT, part)
    item = m["item"].strip(" 　:：")
    if not item or item.isdigit():
        return Unreadable(Problem.NO_ITEM, part)
    count = int(m["count"])
    if not 0 < count <= MAX_COUNT:
        return Unreadable(Problem.BAD_COUNT, part)
    return Entry(item[:ITEM_LIMIT], count, m["unit"] or default_unit(item))


def parse(text: str, today: date) -> Parsed | Unreadable:
    """Read a publicity record as people write it: `宣传单页 2000 份`, `横幅20幅、手册 300 份 6月16日`,
    `2000份宣传单页`, `安全咨询日活动` (one activity); the day is today unless one is written."""
    text = " ".join(text.split())
    day = _day(text, today)
    if isinstance(day, Problem):
        return Unreadable(day, text[:40])
    parts = [p for p in SEPARATORS.split(_strip_day(text)) if p.strip()]
    if not parts:
        return Unreadable(Problem.EMPTY, "")
    entries: list[Entry] = []
    for part in parts:
        entry = _entry(part)
        if isinstance(entry, Unreadable):
            return entry
        entries.append(entry)
    return Parsed(day or today, tuple(entries))
