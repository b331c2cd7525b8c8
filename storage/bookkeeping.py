"""The per-update bookkeeping: statements built once, each unit run in one hop on the bookkeeping lane.

Every update costs a few rows besides what its handler does: the inbox row stored (and later marked
done), its key claimed, its replies' outbox rows, and the marks of what was sent. These are the hottest
statements the bot runs, so they skip the ORM (no session, no identity map, no flush) and, on SQLite,
SQLAlchemy's execution machinery too: each unit below is a plain function of a `Lane`
(`storage/lane.py`), run whole by `Database.run` in a transaction of its own (on SQLite on the driver's
connection, on PostgreSQL in one greenlet), or by `AsyncConnection.run_sync` on the connection of the
update's own session (`await session.connection()`), so it commits with the handler's work.

The statements are module constants (`Prepared`): each is compiled once per dialect.
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
from storage.lane import Lane, Prepared, lane_of
from storage.models import CardPost, InboxItem, OutboxItem, ProcessedUpdate

_INBOX: Table = InboxItem.__table__  # type: ignore[assignment]  # a declarative class's table is a Table
_OUTBOX: Table = OutboxItem.__table__  # type: ignore[assignment]
_KEYS: Table = ProcessedUpdate.__table__  # type: ignore[assignment]
_POSTS: Table = CardPost.__table__  # type: ignore[assignment]


@functools.cache
def _upserts(dialect: str) -> tuple[Prepared, Prepared]:
    """INSERT … ON CONFLICT DO NOTHING (inbox rows, update keys), spelt by the database's own construct;
    imported on first use, so a bot on SQLite never loads the PostgreSQL dialect."""
    module = importlib.import_module(f"sqlalchemy.dialects.{dialect}")
    inbox: Insert = module.insert(_INBOX).on_conflict_do_nothing(index_elements=["key"]).returning(_INBOX.c.id)
    keys: Insert = module.insert(_KEYS).on_conflict_do_nothing()
    return (
        Prepared(inbox, ["platform", "key", "chat_key", "payload", "received_at", "attempts"]),
        Prepared(keys, ["key", "at"]),
    )


_INBOX_DONE = Prepared(
    update(_INBOX)
    .where(_INBOX.c.id == bindparam("row_id"))
    .values(done_at=bindparam("at"), attempts=_INBOX.c.attempts + 1)
)
# One row at a time: a batch of marks is a few rows, and a statement whose IN list grows with the
# batch would be compiled anew for each length.
_MARK = Prepared(
    update(_OUTBOX)
    .where(_OUTBOX.c.id == bindparam("row_id"))
    .values(
        sent_at=bindparam("at"),
        state=bindparam("state"),
        attempts=bindparam("attempts"),
        error=bindparam("error"),
    )
)
_ADD_POST = Prepared(insert(_POSTS), ["card_key", "platform", "chat_id", "message_id", "created_at"])
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

_OUTBOX_KEYS = ["payload", "created_at", "lane", "platform", "chat_id", *_OUTBOX_UNSET]
_ADD_OUTBOX = Prepared(
    insert(_OUTBOX).returning(_OUTBOX.c.id),
    _OUTBOX_KEYS,
    many=insert(_OUTBOX).returning(_OUTBOX.c.id, sort_by_parameter_order=True),
)

Mark = tuple[Sequence[int], str, int, str | None]  # row ids, state, attempts, error


def put_inbox(
    conn: Lane | Connection, platform: str, items: Sequence[tuple[str, str, dict[str, Any]]], at: datetime
) -> dict[str, int]:
    """Store (key, chat key, payload) updates; return the new rows' ids by key (a repeat is skipped).

    One prebuilt statement per update: a polled batch is a handful of rows, and a statement whose
    VALUES list grows with the batch would be compiled anew each time."""
    lane = lane_of(conn)
    statement = _upserts(lane.dialect.name)[0]
    ids: dict[str, int] = {}
    for key, chat_key, payload in items:
        params = {
            "platform": platform,
            "key": key,
            "chat_key": chat_key,
            "payload": payload,
            "received_at": at,
            "attempts": 0,
        }
        found = lane.rows(statement, params)
        if found:
            ids[key] = found[0][0]
    return ids


def begin_update(conn: Lane | Connection, inbox_id: int | None, key: str, at: datetime) -> bool:
    """Mark the update's inbox row done and claim its key, in the update's own transaction; False when
    the key was already claimed (the update was handled before: nothing more to do)."""
    lane = lane_of(conn)
    if inbox_id is not None:
        lane.count(_INBOX_DONE, {"row_id": inbox_id, "at": at})
    return lane.count(_upserts(lane.dialect.name)[1], {"key": key, "at": at}) == 1


def finish_update(
    conn: Lane | Connection, inbox_id: int | None, key: str, at: datetime, rows: Sequence[dict[str, Any]]
) -> list[int] | None:
    """The whole bookkeeping of an update whose handler wrote nothing (`/whoami`): mark its inbox row
    done, claim its key and write its replies' outbox rows; None when the key was claimed before."""
    if not begin_update(conn, inbox_id, key, at):
        return None
    return add_outbox(conn, rows)


def add_outbox(conn: Lane | Connection, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert outbox rows (column values per row); return their ids in order."""
    return lane_of(conn).ids(_ADD_OUTBOX, [{**_OUTBOX_UNSET, **row} for row in rows])


def record_marks(
    conn: Lane | Connection, marks: Sequence[Mark], posts: Sequence[tuple[str, str, str, str]], at: datetime
) -> None:
    """Record what became of sent rows and where their cards landed (card key, platform, chat id,
    message id)."""
    lane = lane_of(conn)
    for ids, state, attempts, error in marks:
        for row_id in ids:
            lane.count(_MARK, {"row_id": row_id, "at": at, "state": state, "attempts": attempts, "error": error})
    for key, platform, chat_id, message_id in posts:
        lane.count(
            _ADD_POST,
            {"card_key": key, "platform": platform, "chat_id": chat_id, "message_id": message_id, "created_at": at},
        )
