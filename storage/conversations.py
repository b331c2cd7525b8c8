"""Open questions as rows: what the bot waits for from one person in one chat.

The rows are untyped here (a kind and a JSON dict); `bot/questions.py` reads them back into typed
questions and decides whether they have expired.
"""

from __future__ import annotations

import functools
import importlib
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.lane import Lane, Prepared, lane_of
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
) -> None:
    """Wait for this person's next message in this chat, replacing any earlier question.

    Two questions asked at once (a button pressed twice) make one row: the later one replaces the other.
    Prebuilt statements in one hop on the session's connection (`storage/lane.py`), after what the
    session holds is flushed; a copy of the old row the session holds is forgotten.
    """
    await session.flush()
    conn = await session.connection()
    await conn.run_sync(_start, platform, chat_id, person.id, kind, data, at)
    _forget(session, platform, chat_id, person.id)


async def end_conversation(session: AsyncSession, platform: str, chat_id: str, person: Person) -> None:
    """Stop waiting for this person in this chat."""
    await session.flush()
    conn = await session.connection()
    await conn.run_sync(_end, platform, chat_id, person.id)
    _forget(session, platform, chat_id, person.id)


_TABLE: Table = Conversation.__table__  # type: ignore[assignment]  # a declarative class's table is a Table
_END = Prepared(
    delete(_TABLE).where(
        _TABLE.c.platform == bindparam("platform"),
        _TABLE.c.chat_id == bindparam("chat_id"),
        _TABLE.c.person_id == bindparam("person_id"),
    )
)


@functools.cache
def _upsert(dialect: str) -> Prepared:
    """INSERT … ON CONFLICT DO UPDATE of a question, spelt by the database's own construct."""
    module = importlib.import_module(f"sqlalchemy.dialects.{dialect}")
    insert = module.insert(_TABLE)
    statement = insert.on_conflict_do_update(
        index_elements=[_TABLE.c.platform, _TABLE.c.chat_id, _TABLE.c.person_id],
        set_={
            "kind": insert.excluded.kind,
            "data": insert.excluded.data,
            "created_at": insert.excluded.created_at,
            "updated_at": insert.excluded.updated_at,
        },
    )
    return Prepared(statement, ["platform", "chat_id", "person_id", "kind", "data", "created_at", "updated_at"])


def _end(conn: Lane | Connection, platform: str, chat_id: str, person_id: int) -> None:
    lane_of(conn).count(_END, {"platform": platform, "chat_id": chat_id, "person_id": person_id})


def _start(
    conn: Lane | Connection, platform: str, chat_id: str, person_id: int, kind: str, data: dict[str, Any], at: datetime
) -> None:
    lane = lane_of(conn)
    _end(lane, platform, chat_id, person_id)
    row = {"platform": platform, "chat_id": chat_id, "person_id": person_id, "kind": kind, "data": data}
    lane.count(_upsert(lane.dialect.name), {**row, "created_at": at, "updated_at": at})


def _forget(session: AsyncSession, platform: str, chat_id: str, person_id: int) -> None:
    """Forget the session's copy of a question row written behind its back (as an ORM DELETE would)."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Conversation):
            loaded = obj.__dict__  # its loaded values: reading an expired attribute would query
            if (loaded.get("platform"), loaded.get("chat_id"), loaded.get("person_id")) == (platform, chat_id, person_id):
                session.expunge(obj)


async def end_about(session: AsyncSession, field: str, value: object) -> int:
    """Stop waiting on every question whose data has `field == value` (e.g. one hazard's); return how many."""
    rows = (await session.execute(select(Conversation.id, Conversation.data))).all()
    ids = [row_id for row_id, data in rows if isinstance(data, dict) and data.get(field) == value]
    if ids:
        await session.execute(delete(Conversation).where(Conversation.id.in_(ids)))
    return len(ids)
