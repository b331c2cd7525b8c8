"""Who and where an update comes from, read in one round trip: the person, the chat, the open question.

This is the per-update hot path: a known person in a known chat costs one SELECT here, and the
writes in `domain/park/operations.py` / `domain/park/operations.py` happen only on first contact or when a name changed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from storage.models import Chat, Conversation, Person


@dataclass(frozen=True)
class Seen:
    """What the database knows of an update's sender and chat (None: not yet known)."""

    person: Person | None
    chat: Chat | None
    question: Conversation | None


async def seen(session: AsyncSession, *, platform: str, user_id: str, chat_id: str) -> Seen:
    """Load the person (with their enterprise), the chat and the person's open question in that chat."""
    row = (
        await session.execute(
            select(Person, Chat, Conversation)
            .select_from(Person)
            .options(joinedload(Person.enterprise))
            .outerjoin(Chat, and_(Chat.platform == platform, Chat.chat_id == chat_id))
            .outerjoin(
                Conversation,
                and_(
                    Conversation.person_id == Person.id,
                    Conversation.platform == platform,
                    Conversation.chat_id == chat_id,
                ),
            )
            .where(Person.platform == platform, Person.external_id == user_id)
        )
    ).first()
    if row is None:
        return Seen(None, None, None)
    return Seen(row[0], row[1], row[2])
