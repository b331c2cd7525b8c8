"""The inbox: raw updates stored before the platform is told they arrived, until they are processed."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InboxItem


async def pending(session: AsyncSession, busy: Collection[str], limit: int = 500) -> Sequence[InboxItem]:
    """Return unprocessed updates, oldest first, leaving out chats being processed right now."""
    query = select(InboxItem).where(InboxItem.done_at.is_(None)).order_by(InboxItem.id).limit(limit)
    if busy:
        query = query.where(InboxItem.chat_key.not_in(list(busy)))
    return (await session.scalars(query)).all()


async def mark_done(session: AsyncSession, item_id: int, at: datetime, error: str | None = None) -> None:
    """Record that an update was processed (with the error that ended it, if one did)."""
    await session.execute(
        update(InboxItem)
        .where(InboxItem.id == item_id)
        .values(done_at=at, error=error, attempts=InboxItem.attempts + 1)
    )


async def count_failure(session: AsyncSession, item_id: int, error: str) -> int:
    """Count one failed try of an update in its row (so the count outlives a restart); return the tries so far."""
    result = await session.execute(
        update(InboxItem)
        .where(InboxItem.id == item_id)
        .values(attempts=InboxItem.attempts + 1, error=error)
        .returning(InboxItem.attempts)
    )
    return int(result.scalar_one_or_none() or 0)


async def count_pending(session: AsyncSession) -> int:
    """Return how many updates wait to be processed."""
    rows = await session.scalars(select(InboxItem.id).where(InboxItem.done_at.is_(None)))
    return len(rows.all())


async def prune(session: AsyncSession, before: datetime) -> int:
    """Delete updates processed before a moment (their effects and the processed-update keys stay)."""
    result = await session.execute(delete(InboxItem).where(InboxItem.done_at < before))
    return int(getattr(result, "rowcount", 0) or 0)
