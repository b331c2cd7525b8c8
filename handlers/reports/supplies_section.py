"""The weekly digest's section on emergency supplies (应急物资): what falls due within the next 30 days (and
what is overdue already), soonest first. Kept apart from `digest.py`, which appends it."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from domain.supplies import queries as supply_queries
from domain.supplies.rules import DIGEST_AHEAD_DAYS, code_of
from handlers import texts as T

LIST_LIMIT = 10


async def supplies_section(session: AsyncSession, today: date) -> str:
    """Return the lines on supplies falling due within 30 days of `today`, or nothing when none does."""
    due = await supply_queries.due_by(session, today + timedelta(days=DIGEST_AHEAD_DAYS))
    if not due:
        return ""
    lines = [T.DIGEST_SUPPLIES.format(count=len(due))]
    for supply, d in due[:LIST_LIMIT]:
        where = supply.enterprise.name if supply.enterprise is not None else T.SUPPLY_PARK_STORE
        lines.append(
            T.DIGEST_SUPPLIES_LINE.format(
                code=code_of(supply.id),
                name=supply.name,
                place=where,
                what=T.SUPPLY_WHAT_EXPIRY if d.expiry else T.SUPPLY_WHAT_CHECK,
                day=d.day.isoformat(),
                late=T.DIGEST_SUPPLIES_LATE if d.day < today else "",
            )
        )
    if len(due) > LIST_LIMIT:
        lines.append(T.DIGEST_SUPPLIES_MORE.format(count=len(due) - LIST_LIMIT))
    return "\n".join(lines)
