"""Open questions as rows: what the bot waits for from one person in one chat.

The rows are untyped here (a kind and a JSON dict); `bot/questions.py` reads them back into typed
questions and decides whether they have expired.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Conversation, Person


async def get_conversation(
    session: AsyncSession, platform: str, chat_id: str, person: Person
) -> Conversation | None:
    """Return what the bot is waiting for from this person in this chat."""
    return await session.scalar(
        select(Conversation).where(
            Conversation.platform == platform,
            Conversation.chat_id == chat_id,
            Conversation.person_id == person.id,
        )
    )


async def start_conversation(
    session: AsyncSession,
    *,
    platform: str,
    chat_id: str,
    person: Person,
    kind: str,
    data: dict[str, Any],
    at: datetime,
) -> Conversation:
    """Wait for this person's next message in this chat, replacing any earlier question."""
    await end_conversation(session, platform, chat_id, person)
    conv = Conversation(
        platform=platform,
        chat_id=chat_id,
        person_id=person.id,
        kind=kind,
        data=data,
        created_at=at,
        updated_at=at,
    )
    session.add(conv)
    await session.flush()
    return conv


async def end_conversation(session: AsyncSession, platform: str, chat_id: str, person: Person) -> None:
    """Stop waiting for this person in this chat."""
    await session.execute(
        delete(Conversation).where(
            Conversation.platform == platform,
            Conversation.chat_id == chat_id,
            Conversation.person_id == person.id,
        )
    )
