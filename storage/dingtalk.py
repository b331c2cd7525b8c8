"""DingTalk's own rows: the API calls spent each month, and the chat each interactive card went to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import dialect_insert
from storage.models import DingTalkApiMonth, DingTalkCard


@dataclass(frozen=True)
class MonthCount:
    """The calls of one month after an addition, and whether this addition should warn the managers."""

    month: str
    calls: int
    warn: bool


async def add_calls(session: AsyncSession, month: str, calls: int, warn_at: int, at: datetime) -> MonthCount:
    """Add API calls to a month's count; `warn` is True exactly once a month, when the count reaches `warn_at`.

    The warning is claimed by setting `warned_at` in the same transaction (a conditional update), so
    two processes or a retry never warn twice.
    """
    await session.execute(
        dialect_insert(session)(DingTalkApiMonth)
        .values(month=month, calls=0, warned_at=None)
        .on_conflict_do_nothing(index_elements=[DingTalkApiMonth.month])
    )
    await session.execute(
        update(DingTalkApiMonth)
        .where(DingTalkApiMonth.month == month)
        .values(calls=DingTalkApiMonth.calls + calls)
    )
    total = await session.scalar(select(DingTalkApiMonth.calls).where(DingTalkApiMonth.month == month))
    assert total is not None
    warn = False
    if total >= warn_at:
        claimed = await session.execute(
            update(DingTalkApiMonth)
            .where(DingTalkApiMonth.month == month, DingTalkApiMonth.warned_at.is_(None))
            .values(warned_at=at)
        )
        warn = bool(getattr(claimed, "rowcount", 0))
    return MonthCount(month, total, warn)


async def calls_in(session: AsyncSession, month: str) -> int:
    """Return the API calls counted in a month (0 when none)."""
    return await session.scalar(select(DingTalkApiMonth.calls).where(DingTalkApiMonth.month == month)) or 0


async def record_card(session: AsyncSession, out_track_id: str, chat_id: str, at: datetime) -> None:
    """Remember the chat of a card instance (empty for a card delivered privately)."""
    await session.execute(
        dialect_insert(session)(DingTalkCard)
        .values(out_track_id=out_track_id, chat_id=chat_id, created_at=at)
        .on_conflict_do_nothing(index_elements=[DingTalkCard.out_track_id])
    )


async def card_chat(session: AsyncSession, out_track_id: str) -> str | None:
    """Return the chat a card instance was delivered to ('' for a private card), None when unknown."""
    return await session.scalar(select(DingTalkCard.chat_id).where(DingTalkCard.out_track_id == out_track_id))
