"""Where each card was posted (chat, message id), so a later change edits it in place."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import CardPost, Chat, Person


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


_POSTS_IN_CHAT = (
    select(CardPost)
    .where(
        CardPost.card_key == bindparam("card_key"),
        CardPost.platform == bindparam("platform"),
        CardPost.chat_id == bindparam("chat_id"),
    )
    .order_by(CardPost.id)
)


async def card_posts(
    session: AsyncSession, card_key: str, platform: str | None, chat_id: str | None = None
) -> Sequence[CardPost]:
    """Return every message showing a card, on one platform or (None) on all of them, or in one chat."""
    if platform is not None and chat_id is not None:  # the sender, at every card edit
        params = {"card_key": card_key, "platform": platform, "chat_id": chat_id}
        return (await session.scalars(_POSTS_IN_CHAT, params)).all()
    query = select(CardPost).where(CardPost.card_key == card_key).order_by(CardPost.id)
    if platform is not None:
        query = query.where(CardPost.platform == platform)
    if chat_id is not None:
        query = query.where(CardPost.chat_id == chat_id)
    return (await session.scalars(query)).all()


async def private_card_posts(session: AsyncSession, card_key: str, platform: str) -> Sequence[CardPost]:
    """Return the messages showing a card in chats that are not known groups (people's private chats)."""
    group = select(Chat.id).where(
        Chat.platform == CardPost.platform, Chat.chat_id == CardPost.chat_id, Chat.is_group
    )
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


async def card_audience(
    session: AsyncSession, card_key: str, enterprise_id: int, park_roles: Sequence[str]
) -> Sequence[Person]:
    """Return everyone who has or may get a card about one enterprise in their private chat: park staff
    (`park_roles`), the enterprise's people, and whoever holds a copy already (whatever their role now).

    Read from roles rather than from the copies recorded so far: a copy still on its way is not recorded yet.
    """
    holds = (
        select(CardPost.id)
        .where(
            CardPost.card_key == card_key,
            CardPost.platform == Person.platform,
            CardPost.chat_id == Person.private_chat_id,
        )
        .exists()
    )
    query = (
        select(Person)
        .where(
            (Person.role.in_(park_roles))
            | ((Person.enterprise_id == enterprise_id) & Person.role.is_not(None))
            | holds
        )
        .order_by(Person.id)
    )
    return (await session.scalars(query)).all()
