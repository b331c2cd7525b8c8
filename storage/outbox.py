"""The outbox: one row per outgoing message and target, written in the transaction that caused it.

`bot/outbox.py` decides the targets and writes rows through `add`; `bot/sender.py` sends them and
finishes each row with its state. Rows written before migration 0008 have no lane and hold every reply
of one update; the sender splits them into rows per target.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import and_, bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.enums import OutboxState
from storage.models import CardPost, Chat, OutboxItem, Person

_DROP_EDITS = delete(OutboxItem).where(
    OutboxItem.card_key == bindparam("card_key"),
    OutboxItem.lane.in_(bindparam("lanes", expanding=True)),
    OutboxItem.edit.is_(True),
    OutboxItem.sent_at.is_(None),
)


async def drop_pending_edits(session: AsyncSession, card_key: str, lanes: Collection[str]) -> None:
    """Delete unsent edits of a card in these chats: a newer state replaces them (latest state wins).

    A Core statement on the session's connection: through `session.execute` an ORM-enabled DELETE
    would first look for the rows among the session's objects (about 1 ms per card edit)."""
    if not lanes:
        return
    conn = await session.connection()
    await conn.execute(_DROP_EDITS, {"card_key": card_key, "lanes": list(lanes)})


# Built once: every card edit (each 收到 pressed) asks these; the values come as parameters.
_POSTED = (
    select(CardPost.platform, CardPost.chat_id, Chat.is_group, Chat.unreachable_at)
    .outerjoin(Chat, and_(Chat.platform == CardPost.platform, Chat.chat_id == CardPost.chat_id))
    .where(CardPost.card_key == bindparam("card_key"), CardPost.platform.in_(bindparam("platforms", expanding=True)))
    .order_by(CardPost.id)
)
_POSTING = (
    select(OutboxItem.platform, OutboxItem.chat_id, OutboxItem.is_group)
    .where(
        OutboxItem.card_key == bindparam("card_key"),
        OutboxItem.edit.is_(False),
        OutboxItem.sent_at.is_(None),
        OutboxItem.chat_id.is_not(None),
        OutboxItem.platform.in_(bindparam("platforms", expanding=True)),
    )
    .order_by(OutboxItem.id)
)


async def card_chats(
    session: AsyncSession, card_key: str, platforms: Collection[str]
) -> list[tuple[str, str, bool]]:
    """Return (platform, chat id, is group) of every chat that shows a card or has its post on the way.

    Chats the bot cannot write to any more are left out.
    """
    params = {"card_key": card_key, "platforms": list(platforms)}
    await session.flush()  # what `session.execute` would do first (autoflush)
    conn = await session.connection()  # plain Core rows: no ORM result machinery for three columns
    posted = await conn.execute(_POSTED, params)
    queued = await conn.execute(_POSTING, params)
    found: dict[tuple[str, str], bool] = {}
    for platform, chat_id, is_group, gone in posted.all():
        if gone is None:
            found.setdefault((platform, chat_id), bool(is_group))
    for q_platform, q_chat_id, q_is_group in queued.all():
        if q_platform is not None and q_chat_id is not None:
            found.setdefault((q_platform, q_chat_id), bool(q_is_group))
    return [(p, c, g) for (p, c), g in found.items()]


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
