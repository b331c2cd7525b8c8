"""Reminder caps: at most one private reminder about a subject to a target per park day."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import dialect_insert
from storage.models import ReminderSent


async def claim(session: AsyncSession, subject: str, target: str, day: date, at: datetime) -> bool:
    """Claim today's reminder about `subject` to `target`; return False if one was already claimed."""
    insert = dialect_insert(session)
    statement = (
        insert(ReminderSent)
        .values(subject=subject, target=target, day=day, at=at)
        .on_conflict_do_nothing(index_elements=["subject", "target", "day"])
        .returning(ReminderSent.id)
    )
    return (await session.scalar(statement)) is not None


async def last_sent(session: AsyncSession, subject: str, target: str) -> datetime | None:
    """Return when `target` was last reminded about `subject`, if ever."""
    return await session.scalar(
        select(ReminderSent.at)
        .where(ReminderSent.subject == subject, ReminderSent.target == target)
        .order_by(ReminderSent.at.desc())
        .limit(1)
    )
