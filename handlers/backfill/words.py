"""Read the words of a /补录 command: its kind, its days with a year context, a meeting's time.

Pure functions: no I/O, no clock (`today` is passed in, in the park's time zone). A clerk copying last
year's paper records writes days as 2025-03-05, 2025-3-5, 2025/3/5, 2025年3月5日 or just 3月5日: a day
without its year takes the year said before it (`/补录 2025年 会议 3月5日 …`, or the day found of a
hazard for its fix and acceptance), else it is the latest such day not after today.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time, timedelta

from handlers import texts as T
from handlers.dates import normalize

FULL_DATE_RE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?")
SHORT_DATE_RE = re.compile(r"(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?")
YEAR_RE = re.compile(r"(\d{4})\s*年?")
TIME_RE = re.compile(r"(\d{1,2})\s*[:：点]\s*(\d{2})?分?")
FIRST_YEAR = 2000


@dataclass(frozen=True)
class Kind:
    """What is back-filled: `meeting`, `notice`, `campaign`, `inspection`, `hazard`, `training`, `drill`,
    with the kind of meeting or document the word said (`regular`, `plan`, …; None: read from the title)."""

    subject: str
    category: str | None = None


def read_kind(word: str) -> Kind | None:
    """Return the kind a word names (会议, 例会, 方案, 隐患, …), or None."""
    found = T.BACKFILL_KINDS.get(word.strip())
    if found is None:
        return None
    subject, _, category = found.partition(":")
    return Kind(subject, category or None)


def read_year(word: str) -> int | None:
    """Return the year a word states (2025, 2025年), or None."""
    m = YEAR_RE.fullmatch(normalize(word).strip())
    return int(m[1]) if m and FIRST_YEAR <= int(m[1]) <= 2100 else None


def read_day(word: str, today: date, year: int | None = None, after: date | None = None) -> date | None:
    """Read a day; None when it is no day.

    A day without its year takes `year` when given; else, after `after` (a hazard's day found), the first
    such day on or after it; else the latest such day not after today.
    """
    text = normalize(word).strip()
    if text in T.DATE_WORDS:
        return today - timedelta(days=T.DATE_WORDS[text])
    try:
        if m := FULL_DATE_RE.fullmatch(text):
            return date(int(m[1]), int(m[2]), int(m[3]))
        if m := SHORT_DATE_RE.fullmatch(text):
            month, day = int(m[1]), int(m[2])
            if year is not None:
                return date(year, month, day)
            if after is not None:
                found = date(after.year, month, day)
                return found if found >= after else date(after.year + 1, month, day)
            found = date(today.year, month, day)
            return found if found <= today else date(today.year - 1, month, day)
    except ValueError:
        return None
    return None


def read_time(word: str) -> time | None:
    """Read a time of day (09:00, 9:30, 9点, 14点30), or None."""
    m = TIME_RE.fullmatch(normalize(word).strip())
    if m is None or int(m[1]) > 23 or (m[2] is not None and int(m[2]) > 59):
        return None
    return time(int(m[1]), int(m[2] or 0))


def split_place(words: list[str]) -> tuple[list[str], str | None]:
    """Take a labelled place (地点：管委会三楼) out of the words; return the others and the place."""
    for i, word in enumerate(words):
        for label in T.BACKFILL_PLACE_LABEL:
            if word.startswith(label):
                place = word[len(label) :] or (words[i + 1] if i + 1 < len(words) else "")
                taken = 1 if word[len(label) :] else 2
                return words[:i] + words[i + taken :], place[:200] or None
    return words, None


@dataclass
class HazardWords:
    """The words of a back-filled hazard after its enterprise: description, mode and the days written."""

    description: list[str]
    immediate: bool = False
    deadline: bool = False
    days: dict[str, str] | None = None  # "fixed" / "due" / "accepted" → the word written after its keyword
    inspection: str | None = None  # 检查：<名称>, the inspection it was found on


def read_hazard_words(words: list[str]) -> HazardWords | str:
    """Split the words into the description, the keywords' days (立即整改 [日期], 限期 <日期>, 整改 <日期>,
    验收 <日期>) and the inspection named (检查：<名称>); return them, or the keyword that lacks its word."""
    out = HazardWords(description=[], days={})
    assert out.days is not None
    i = 0
    while i < len(words):
        word, following = words[i], words[i + 1] if i + 1 < len(words) else None
        label = next((x for x in T.BACKFILL_INSPECTION_LABEL if word.startswith(x)), None)
        if label is not None:
            named = word[len(label) :] or following
            if not named:
                return label
            out.inspection = named[:200]
            i += 1 if word[len(label) :] else 2
            continue
        slot = None
        if word in T.BACKFILL_IMMEDIATE_WORDS:
            out.immediate = True
            slot = "fixed"
        elif word in T.BACKFILL_DEADLINE_WORDS:
            out.deadline = True
            slot = "due"
        elif word in T.BACKFILL_FIXED_WORDS:
            slot = "fixed"
        elif word in T.BACKFILL_ACCEPTED_WORDS:
            slot = "accepted"
        if slot is None:
            out.description.append(word)
            i += 1
            continue
        needs_day = slot != "fixed" or word not in T.BACKFILL_IMMEDIATE_WORDS
        if following is not None and _looks_like_day(following):
            out.days[slot] = following
            i += 2
        elif needs_day:
            return word
        else:
            i += 1
    return out


def _looks_like_day(word: str) -> bool:
    text = normalize(word).strip()
    return bool(text in T.DATE_WORDS or re.match(r"\d", text))
