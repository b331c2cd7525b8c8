"""Open questions as rows: what the bot waits for from one person in one chat.

The rows are untyped here (a kind and a JSON dict); `bot/questions.py` reads them back into typed
questions and decides whether they have expired.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import dialect_insert
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
    """Wait for this person's next message in this chat, replacing any earlier question.

    Two questions asked at once (a button pressed twice) make one row: the later one replaces the other.
    """
    await end_conversation(session, platform, chat_id, person)
    insert = dialect_insert(session)(Conversation).values(
        platform=platform,
        chat_id=chat_id,
        person_id=person.id,
        kind=kind,
        data=data,
        created_at=at,
        updated_at=at,
    )
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=[Conversation.platform, Conversation.chat_id, Conversation.person_id],
            set_={"kind": kind, "data": insert.excluded.data, "created_at": at, "updated_at": at},
        )
    )
    conv = await get_conversation(session, platform, chat_id, person)
    assert conv is not None
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


async def end_about(session: AsyncSession, field: str, value: object) -> int:
    """Stop waiting on every question whose data has `field == value` (e.g. one hazard's); return how many."""
    rows = (await session.execute(select(Conversation.id, Conversation.data))).all()
    ids = [row_id for row_id, data in rows if isinstance(data, dict) and data.get(field) == value]
    if ids:
        await session.execute(delete(Conversation).where(Conversation.id.in_(ids)))
    return len(ids)
