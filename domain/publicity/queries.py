"""Reads of publicity (宣传): a period's totals per item and unit, the figures the year-end summary states
(`publicity_totals`), and the latest records."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Publicity


@dataclass(frozen=True)
class Total:
    """One item's total over a period: 宣传单页 5000 份 in 3 records."""

    item: str
    unit: str
    count: int
    records: int


async def publicity_totals(session: AsyncSession, start: date, end: date) -> list[Total]:
    """Return the publicity of the days `start`–`end` (inclusive) totalled per item and unit, largest first.
    The year-end summary calls this with the year's first and last day."""
    rows = await session.execute(
        select(Publicity.item, Publicity.unit, func.sum(Publicity.count), func.count(Publicity.id))
        .where(Publicity.day >= start, Publicity.day <= end)
        .group_by(Publicity.item, Publicity.unit)
    )
    totals = [Total(item, unit, int(count or 0), int(records)) for item, unit, count, records in rows.all()]
    return sorted(totals, key=lambda t: (-t.count, t.item))


async def year_totals(session: AsyncSession, year: int) -> list[Total]:
    """Return a year's publicity totalled per item and unit."""
    return await publicity_totals(session, date(year, 1, 1), date(year, 12, 31))


async def latest(session: AsyncSession, year: int, limit: int = 10) -> Sequence[Publicity]:
    """Return a year's latest records, newest day first."""
    rows = await session.scalars(
        select(Publicity)
        .where(Publicity.day >= date(year, 1, 1), Publicity.day <= date(year, 12, 31))
        .order_by(Publicity.day.desc(), Publicity.id.desc())
        .limit(limit)
    )
    return rows.all()
