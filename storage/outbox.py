"""The outbox: the replies of an update, stored in the transaction that caused them until they are sent."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxItem


async def put(session: AsyncSession, update_key: str | None, replies: list[dict[str, Any]], at: datetime) -> int:
    """Store the replies of one update; return the row's id."""
    row = OutboxItem(update_key=update_key, payload=replies, created_at=at)
    session.add(row)
    await session.flush()
    return row.id


async def pending(session: AsyncSession, limit: int = 100) -> Sequence[OutboxItem]:
    """Return unsent rows, oldest first."""
    rows = await session.scalars(
        select(OutboxItem).where(OutboxItem.sent_at.is_(None)).order_by(OutboxItem.id).limit(limit)
    )
    return rows.all()


async def mark_sent(session: AsyncSession, row_id: int, at: datetime) -> None:
    """Record that a row's replies went out."""
    await session.execute(update(OutboxItem).where(OutboxItem.id == row_id).values(sent_at=at))


async def edited_cards_after(session: AsyncSession, after_id: int) -> dict[str, list[int]]:
    """Return, per card key, the ids of rows after `after_id` that edit that card (sent or not)."""
    rows = await session.execute(select(OutboxItem.id, OutboxItem.payload).where(OutboxItem.id > after_id))
    edits: dict[str, list[int]] = {}
    for row_id, payload in rows.all():
        for reply in payload or []:
            card = reply.get("card") if isinstance(reply, dict) else None
            if reply.get("edit") and card:
                edits.setdefault(card["key"], []).append(row_id)
    return edits


async def prune(session: AsyncSession, before: datetime) -> int:
    """Delete rows sent before a moment."""
    result = await session.execute(delete(OutboxItem).where(OutboxItem.sent_at < before))
    return int(getattr(result, "rowcount", 0) or 0)
