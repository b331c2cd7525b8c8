"""Periods and units of the reports: weeks (ISO, Monday first), park-time moments, funds in 10,000 yuan."""

from __future__ import annotations

import enum
import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo


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
