"""Periods and units of the reports: weeks (ISO, Monday first), park-time moments, funds in 10,000 yuan;
the kind of a drill by its words."""

from __future__ import annotations

import enum
import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING

from domain.park.rules import Perm, role_allows
from storage.enums import DrillKind

if TYPE_CHECKING:  # rules read rows' attributes; they never load SQLAlchemy themselves
    from storage.models import Person


def moment(day: date, tz: tzinfo) -> datetime:
    """Return the start of a park day as an aware UTC datetime."""
    return datetime.combine(day, time(), tz).astimezone(UTC)


def week_start(day: date) -> date:
    """Return the Monday of the week a day falls in."""
    return day - timedelta(days=day.weekday())


def last_week(day: date) -> date:
    """Return the Monday of the week before the one a day falls in (the week a digest reports on)."""
    return week_start(day) - timedelta(days=7)


def week_label(monday: date) -> str:
    """Return the ISO week of a Monday as `2026-W48`."""
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


class FoundBy(enum.StrEnum):
    """How the ledger's 来源 column names where a hazard came from."""

    SNAPSHOT = "snapshot"  # 随手拍: the enterprise reported it itself
    EXPERT = "expert"  # 专家: a hired inspector found it
    INSPECTION = "inspection"  # 检查: a committee officer (manager, admin) found it on an inspection


def found_by(source: str, reporter_role: str | None) -> FoundBy:
    """Return the ledger's source of a hazard from what is stored: its source as reported (the
    enterprise's own, or not) and the reporter's role (an inspector is an expert)."""
    if source == "snapshot":
        return FoundBy.SNAPSHOT
    return FoundBy.EXPERT if reporter_role == "inspector" else FoundBy.INSPECTION


FUNDS_RE = re.compile(r"(\d+(?:\.\d+)?)\s*(万元|万|元)?")


def funds_in_10k(text: str | None) -> float:
    """Read funds written as `5万元`, `3000元` or a bare number (taken as 万元) into 万元; 0 when unreadable."""
    if not text:
        return 0.0
    match = FUNDS_RE.search(text.replace(",", "").replace("，", ""))
    if match is None:
        return 0.0
    value = float(match.group(1))
    return value / 10000 if match.group(2) == "元" else value


# The words that give a drill its kind, checked in this order (危化品泄漏引发火灾 is a leak drill); a
# frozen copy lives in migration 0016, which gave the drills recorded before it their kind.
DRILL_KIND_WORDS: tuple[tuple[DrillKind, tuple[str, ...]], ...] = (
    (DrillKind.CHEMICAL_LEAK, ("危化", "泄漏", "泄露")),
    (DrillKind.FLOOD, ("防汛", "汛", "防洪", "洪")),
    (DrillKind.FIRE, ("消防", "火灾", "灭火", "火")),
)


def drill_kind(text: str) -> DrillKind:
    """Return the kind of a drill from its words (消防演练 → fire); other drills are `other`."""
    return next((kind for kind, words in DRILL_KIND_WORDS if any(w in text for w in words)), DrillKind.OTHER)


def is_training(text: str) -> bool:
    """Tell whether a `/drill` type word names a training (安全培训) rather than a drill."""
    return "培训" in text


def is_drill(text: str) -> bool:
    """Tell whether a `/drill` type word names a drill: 演练, or a drill kind's word (消防, 防汛…)."""
    return "演练" in text or "演习" in text or drill_kind(text) != DrillKind.OTHER


# --- inspections opened and closed (/inspection start, /inspection end) ------------------------------


class InspectionRefusal(enum.StrEnum):
    """Why opening or closing an inspection was refused."""

    NOT_ALLOWED = "not_allowed"  # enterprise staff (or nobody) do not run the park's inspections
    ALREADY_OPEN = "already_open"  # the person has an inspection open: end it first
    NONE_OPEN = "none_open"  # nothing to end
    MEMBER_NOT_ALLOWED = "member_not_allowed"  # a listed inspector who may not run inspections (enterprise staff)


def may_run_inspection(person: Person) -> bool:
    """Tell whether the person may open and close an inspection (检查): committee officers and the hired
    experts (`Perm.INSPECTION_RUN`), not enterprise staff."""
    return role_allows(person.role, Perm.INSPECTION_RUN)


def may_record_inspection(person: Person) -> bool:
    """Tell whether the person may record a past inspection for the summary (`/inspection <日期> …`)."""
    return role_allows(person.role, Perm.REPORTS)


def inspection_refusal(person: Person, open_now: bool, starting: bool) -> InspectionRefusal | None:
    """Return why the person may not open (`starting`) or close an inspection now, or None when they may;
    `open_now` says whether they have one open."""
    if not may_run_inspection(person):
        return InspectionRefusal.NOT_ALLOWED
    if starting and open_now:
        return InspectionRefusal.ALREADY_OPEN
    if not starting and not open_now:
        return InspectionRefusal.NONE_OPEN
    return None


RECHECK_WORDS = ("复查", "回头看")


def is_recheck(name: str) -> bool:
    """Tell whether an inspection's name says it is a 复查 (re-inspection): opening one lists the open
    hazards of its enterprises, to be checked one by one."""
    return any(word in name for word in RECHECK_WORDS)


# --- the year-end summary, month by month ------------------------------------------------------------


def month_edges(start: date, end: date) -> list[date]:
    """Return the park days that cut the days `start` to `end` (inclusive) into calendar months: `start`,
    the first day of each later month, then the day after `end` (n months: n + 1 edges)."""
    if end < start:
        return [start, start]
    edges = [start]
    first = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    while first <= end:
        edges.append(first)
        first = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    edges.append(end + timedelta(days=1))
    return edges


def trend_weeks(start: date, end: date) -> tuple[date, int]:
    """Return the Monday of the last week of a period and how many weeks (Monday first) it touches: the
    weekly trend of a year-end summary."""
    last = week_start(end)
    return last, (last - week_start(start)).days // 7 + 1


def share(part: int, whole: int) -> float | None:
    """Return part / whole, or None when there is nothing to divide (a rate said as —)."""
    return part / whole if whole else None
