"""The per-update bookkeeping in SQLAlchemy Core: statements built once, each unit run in one hop.

Every update costs a few rows besides what its handler does: the inbox row stored (and later marked
done), its key claimed, its replies' outbox rows, and the marks of what was sent. These are the hottest
statements the bot runs, so they skip the ORM (no session, no identity map, no flush): each unit below
is a plain function of a `Connection`, run whole in one greenlet (one hop for the unit, not one per
statement): by `Database.run` in a transaction of its own, or by `AsyncConnection.run_sync` on the
connection of the update's own session (`await session.connection()`), so it commits with the handler's
work.

The statements are module constants: SQLAlchemy compiles each once per dialect and caches it.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, bindparam, insert, update
from sqlalchemy.sql.dml import Insert

from storage.enums import OutboxState
from storage.models import CardPost, InboxItem, OutboxItem, ProcessedUpdate

_INBOX: Table = InboxItem.__table__  # type: ignore[assignment]  # a declarative class's table is a Table
_OUTBOX: Table = OutboxItem.__table__  # type: ignore[assignment]
_KEYS: Table = ProcessedUpdate.__table__  # type: ignore[assignment]
_POSTS: Table = CardPost.__table__  # type: ignore[assignment]


@functools.cache
def _upserts(dialect: str) -> tuple[Insert, Insert]:
    """INSERT … ON CONFLICT DO NOTHING (inbox rows, update keys), spelt by the database's own construct;
    imported on first use, so a bot on SQLite never loads the PostgreSQL dialect."""
    module = importlib.import_module(f"sqlalchemy.dialects.{dialect}")
    inbox = module.insert(_INBOX).on_conflict_do_nothing(index_elements=["key"]).returning(_INBOX.c.id)
    return inbox, module.insert(_KEYS).on_conflict_do_nothing()


_INBOX_DONE = (
    update(_INBOX)
    .where(_INBOX.c.id == bindparam("row_id"))
    .values(done_at=bindparam("at"), attempts=_INBOX.c.attempts + 1)
)
_MARK = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id.in_(bindparam("ids", expanding=True)))
    .values(
        sent_at=bindparam("at"),
        state=bindparam("state"),
        attempts=bindparam("attempts"),
        error=bindparam("error"),
    )
)
_ADD_POST = insert(_POSTS)
_ADD_OUTBOX = insert(_OUTBOX).returning(_OUTBOX.c.id, sort_by_parameter_order=True)
_ADD_OUTBOX_ONE = insert(_OUTBOX).returning(_OUTBOX.c.id)
_OUTBOX_UNSET = {
    "update_key": None,
    "is_group": False,
    "user_id": None,
    "batch": None,
    "card_key": None,
    "edit": False,
    "state": OutboxState.PENDING,
    "attempts": 0,
}

Mark = tuple[Sequence[int], str, int, str | None]  # row ids, state, attempts, error


def put_inbox(
    conn: Connection, platform: str, items: Sequence[tuple[str, str, dict[str, Any]]], at: datetime
) -> dict[str, int]:
    """Store (key, chat key, payload) updates; return the new rows' ids by key (a repeat is skipped).

    One prebuilt statement per update: a polled batch is a handful of rows, and a statement whose
    VALUES list grows with the batch would be compiled anew each time."""
    statement = _upserts(conn.dialect.name)[0]
    ids: dict[str, int] = {}
    for key, chat_key, payload in items:
        params = {
            "platform": platform,
            "key": key,
            "chat_key": chat_key,
            "payload": payload,
            "received_at": at,
        }
        row_id = conn.execute(statement, params).scalar()
        if row_id is not None:
            ids[key] = row_id
    return ids


def begin_update(conn: Connection, inbox_id: int | None, key: str, at: datetime) -> bool:
    """Mark the update's inbox row done and claim its key, in the update's own transaction; False when
    the key was already claimed (the update was handled before: nothing more to do)."""
    if inbox_id is not None:
        conn.execute(_INBOX_DONE, {"row_id": inbox_id, "at": at})
    result = conn.execute(_upserts(conn.dialect.name)[1], {"key": key, "at": at})
    return bool(result.rowcount == 1)


def add_outbox(conn: Connection, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert outbox rows (column values per row); return their ids in order. One statement for all rows
    (SQLAlchemy's "insertmanyvalues"), so each row is given every column."""
    if not rows:
        return []
    if len(rows) == 1:  # most updates: one answer, one plain INSERT … RETURNING
        return [conn.execute(_ADD_OUTBOX_ONE, {**_OUTBOX_UNSET, **rows[0]}).scalar_one()]
    result = conn.execute(_ADD_OUTBOX, [{**_OUTBOX_UNSET, **row} for row in rows])
    return list(result.scalars().all())


def record_marks(
    conn: Connection, marks: Sequence[Mark], posts: Sequence[tuple[str, str, str, str]], at: datetime
) -> None:
    """Record what became of sent rows (one UPDATE per mark) and where their cards landed
    (card key, platform, chat id, message id)."""
    for ids, state, attempts, error in marks:
        conn.execute(
            _MARK, {"ids": list(ids), "at": at, "state": state, "attempts": attempts, "error": error}
        )
    if posts:
        conn.execute(
            _ADD_POST,
            [
                {
                    "card_key": key,
                    "platform": platform,
                    "chat_id": chat_id,
                    "message_id": message_id,
                    "created_at": at,
                }
                for key, platform, chat_id, message_id in posts
            ],
        )
