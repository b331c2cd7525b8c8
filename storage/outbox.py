"""The outbox: one row per outgoing message and target, written in the transaction that caused it.

`bot/outbox.py` decides the targets and writes rows through `add`; `bot/sender.py` sends them and
finishes each row with its state. Rows written before migration 0008 have no lane and hold every reply
of one update; the sender splits them into rows per target.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import Connection, and_, bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.enums import OutboxState
from storage.lane import Lane, Prepared, lane_of
from storage.models import CardPost, Chat, OutboxItem, Person

# Built once: every card edit (each 收到 pressed) runs these, on the bookkeeping lane or on the connection
# of an update's session (`bot/outbox.enqueue_on`).
_DROP_EDIT = Prepared(
    delete(OutboxItem).where(
        OutboxItem.card_key == bindparam("card_key"),
        OutboxItem.lane == bindparam("lane"),
        OutboxItem.edit.is_(True),
        OutboxItem.sent_at.is_(None),
    )
)
_POSTED = Prepared(
    select(CardPost.platform, CardPost.chat_id, Chat.is_group, Chat.unreachable_at)
    .outerjoin(Chat, and_(Chat.platform == CardPost.platform, Chat.chat_id == CardPost.chat_id))
    .where(CardPost.card_key == bindparam("card_key"))
    .order_by(CardPost.id)
)
_POSTING = Prepared(
    select(OutboxItem.platform, OutboxItem.chat_id, OutboxItem.is_group)
    .where(
        OutboxItem.card_key == bindparam("card_key"),
        OutboxItem.edit.is_(False),
        OutboxItem.sent_at.is_(None),
        OutboxItem.chat_id.is_not(None),
    )
    .order_by(OutboxItem.id)
)
_PARK_GROUPS = Prepared(
    select(Chat.chat_id, Chat.title)
    .where(Chat.platform == bindparam("platform"), Chat.is_park_group.is_(True), Chat.unreachable_at.is_(None))
    .order_by(Chat.id)
)


def drop_pending_edits(conn: Lane | Connection, card_key: str, lanes: Collection[str]) -> None:
    """Delete unsent edits of a card in these chats: a newer state replaces them (latest state wins).

    One statement per chat: a card shows in a few chats, and a statement whose IN list grows with them
    would be compiled anew for each length."""
    lane = lane_of(conn)
    for chat_lane in lanes:
        lane.count(_DROP_EDIT, {"card_key": card_key, "lane": chat_lane})


def card_chats(conn: Lane | Connection, card_key: str, platforms: Collection[str]) -> list[tuple[str, str, bool]]:
    """Return (platform, chat id, is group) of every chat that shows a card or has its post on the way.

    Chats the bot cannot write to any more, and platforms not in `platforms`, are left out.
    """
    lane = lane_of(conn)
    found: dict[tuple[str, str], bool] = {}
    for platform, chat_id, is_group, gone in lane.rows(_POSTED, {"card_key": card_key}):
        if gone is None and platform in platforms:
            found.setdefault((platform, chat_id), bool(is_group))
    for platform, chat_id, is_group in lane.rows(_POSTING, {"card_key": card_key}):
        if platform in platforms and chat_id is not None:
            found.setdefault((platform, chat_id), bool(is_group))
    return [(p, c, g) for (p, c), g in found.items()]


def park_groups(conn: Lane | Connection, platform: str) -> list[tuple[str, str | None]]:
    """Return (chat id, title) of the park groups on a platform the bot can still write to."""
    return [(chat_id, title) for chat_id, title in lane_of(conn).rows(_PARK_GROUPS, {"platform": platform})]


async def pending(
    session: AsyncSession, platforms: Collection[str] | None = None, limit: int = 100
) -> Sequence[OutboxItem]:
    """Return unsent rows, oldest first (of these platforms, plus rows from before migration 0008)."""
    query = select(OutboxItem).where(OutboxItem.sent_at.is_(None))
    if platforms is not None:
        query = query.where(OutboxItem.platform.in_(platforms) | OutboxItem.lane.is_(None))
    return (await session.scalars(query.order_by(OutboxItem.id).limit(limit))).all()


async def finish(
    session: AsyncSession,
    row_ids: Collection[int],
    state: OutboxState,
    at: datetime,
    *,
    attempts: int = 1,
    error: str | None = None,
) -> None:
    """Record what became of rows: sent, failed, refused or unreachable."""
    await session.execute(
        update(OutboxItem)
        .where(OutboxItem.id.in_(row_ids))
        .values(sent_at=at, state=state, attempts=attempts, error=error and error[:500])
    )


async def finish_lane(
    session: AsyncSession, lane: str, state: OutboxState, at: datetime, error: str
) -> list[int]:
    """Finish every unsent row of one chat (the chat is gone); return their ids."""
    ids = list(
        (
            await session.scalars(
                select(OutboxItem.id).where(OutboxItem.lane == lane, OutboxItem.sent_at.is_(None))
            )
        ).all()
    )
    if ids:
        await finish(session, ids, state, at, error=error)
    return ids


async def delete_rows(session: AsyncSession, row_ids: Collection[int]) -> None:
    """Delete rows (a superseded card edit, an old row split into rows per target)."""
    await session.execute(delete(OutboxItem).where(OutboxItem.id.in_(row_ids)))


async def failed_unreported(session: AsyncSession) -> Sequence[OutboxItem]:
    """Return failed rows not yet counted in the managers' daily line."""
    rows = await session.scalars(
        select(OutboxItem)
        .where(OutboxItem.state == OutboxState.FAILED, OutboxItem.reported_at.is_(None))
        .order_by(OutboxItem.id)
    )
    return rows.all()


async def any_failed_unreported(session: AsyncSession) -> bool:
    """Tell cheaply whether a failed row waits to be reported."""
    query = select(func.count()).where(
        OutboxItem.state == OutboxState.FAILED, OutboxItem.reported_at.is_(None)
    )
    return bool(await session.scalar(query))


async def mark_reported(session: AsyncSession, row_ids: Collection[int], at: datetime) -> None:
    """Record that failed rows were counted in a daily line."""
    await session.execute(update(OutboxItem).where(OutboxItem.id.in_(row_ids)).values(reported_at=at))


async def mark_chat_unreachable(
    session: AsyncSession, platform: str, chat_id: str, is_group: bool, at: datetime
) -> tuple[Chat | None, list[Person]]:
    """Mark a chat (and, for a private chat, its person) unreachable; return what was newly marked."""
    chat = await session.scalar(select(Chat).where(Chat.platform == platform, Chat.chat_id == chat_id))
    newly_chat = None
    if chat is not None and chat.unreachable_at is None:
        chat.unreachable_at = at
        newly_chat = chat
    people: list[Person] = []
    if not is_group:
        for person in await session.scalars(
            select(Person).where(Person.platform == platform, Person.private_chat_id == chat_id)
        ):
            if person.unreachable_at is None:
                person.unreachable_at = at
                people.append(person)
    return newly_chat, people


async def prune(session: AsyncSession, before: datetime) -> int:
    """Delete rows finished before a moment."""
    result = await session.execute(delete(OutboxItem).where(OutboxItem.sent_at < before))
    return int(getattr(result, "rowcount", 0) or 0)
