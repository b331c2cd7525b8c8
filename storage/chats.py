"""Chats the bot is in (park groups, private chats) and where each card was posted."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.audit import audit
from storage.db import dialect_insert
from storage.models import CardPost, Chat, Conversation


async def upsert_chat(
    session: AsyncSession, *, platform: str, chat_id: str, title: str | None, is_group: bool, at: datetime
) -> Chat:
    """Find or create the chat row; two first messages in a new chat at once make one row."""
    query = select(Chat).where(Chat.platform == platform, Chat.chat_id == chat_id)
    chat = await session.scalar(query)
    if chat is None:
        await session.execute(
            dialect_insert(session)(Chat)
            .values(
                platform=platform,
                chat_id=chat_id,
                title=title,
                is_group=is_group,
                is_park_group=False,
                created_at=at,
            )
            .on_conflict_do_nothing(index_elements=[Chat.platform, Chat.chat_id])
        )
        chat = await session.scalar(query)
        assert chat is not None
    if title and chat.title != title:
        chat.title = title
    return chat


async def migrate_chat(session: AsyncSession, platform: str, old: str, new: str, at: datetime) -> None:
    """Move a chat to its new id (a group that became a supergroup).

    Card posts stay under the old id: the old messages stay in the old chat, where the bot can still
    edit them, and message ids in the new chat count afresh. Open questions asked in the old chat
    cannot be answered there any more, so they are dropped.
    """
    chat = await session.scalar(select(Chat).where(Chat.platform == platform, Chat.chat_id == old))
    if chat is None:
        return
    target = await session.scalar(select(Chat).where(Chat.platform == platform, Chat.chat_id == new))
    if target is None:
        chat.chat_id = new
    else:
        target.is_park_group = target.is_park_group or chat.is_park_group
        await session.delete(chat)
    await session.execute(
        delete(Conversation).where(Conversation.platform == platform, Conversation.chat_id == old)
    )
    await audit(session, at, None, "chat.migrate", "chat", new, old=old)


async def park_group_chats(session: AsyncSession, platform: str) -> Sequence[Chat]:
    """Return the park group chats on a platform."""
    rows = await session.scalars(
        select(Chat).where(Chat.platform == platform, Chat.is_park_group.is_(True)).order_by(Chat.id)
    )
    return rows.all()


async def last_card_message_id(session: AsyncSession, platform: str) -> int:
    """Return the highest numeric message id of any card posted on a platform (0 if none)."""
    ids = await session.scalars(select(CardPost.message_id).where(CardPost.platform == platform))
    return max((int(i) for i in ids if i.isdigit()), default=0)


async def record_card_post(
    session: AsyncSession, *, card_key: str, platform: str, chat_id: str, message_id: str, at: datetime
) -> None:
    """Remember where a card was posted."""
    session.add(
        CardPost(card_key=card_key, platform=platform, chat_id=chat_id, message_id=message_id, created_at=at)
    )


async def card_posts(
    session: AsyncSession, card_key: str, platform: str | None, chat_id: str | None = None
) -> Sequence[CardPost]:
    """Return every message showing a card, on one platform or (None) on all of them, or in one chat."""
    query = select(CardPost).where(CardPost.card_key == card_key).order_by(CardPost.id)
    if platform is not None:
        query = query.where(CardPost.platform == platform)
    if chat_id is not None:
        query = query.where(CardPost.chat_id == chat_id)
    return (await session.scalars(query)).all()


async def private_card_posts(session: AsyncSession, card_key: str, platform: str) -> Sequence[CardPost]:
    """Return the messages showing a card in chats that are not known groups (people's private chats)."""
    group = select(Chat.id).where(Chat.platform == CardPost.platform, Chat.chat_id == CardPost.chat_id, Chat.is_group)
    query = (
        select(CardPost)
        .where(CardPost.card_key == card_key, CardPost.platform == platform, ~group.exists())
        .order_by(CardPost.id)
    )
    return (await session.scalars(query)).all()


async def card_at(session: AsyncSession, platform: str, chat_id: str, message_id: str) -> str | None:
    """Return the key of the card shown by a message, if that message is one of our cards."""
    return await session.scalar(
        select(CardPost.card_key).where(
            CardPost.platform == platform, CardPost.chat_id == chat_id, CardPost.message_id == message_id
        )
    )


async def park_group_keys(session: AsyncSession) -> set[str]:
    """Return the `platform:chat_id` keys of every park group, on every platform."""
    rows = await session.execute(select(Chat.platform, Chat.chat_id).where(Chat.is_park_group.is_(True)))
    return {f"{platform}:{chat_id}" for platform, chat_id in rows.all()}
