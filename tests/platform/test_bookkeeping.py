"""The per-update bookkeeping (storage/bookkeeping.py) and the sent marks (bot/outcomes.py), on SQLite and
PostgreSQL: rows stored once, keys claimed once, marks written in batches and kept through an outage,
also one that strikes in the middle of a batch; and SQLite's writers taking turns in the loop's thread."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Connection, select, text

from bot.clock import ManualClock
from bot.messages import ChatRef, Reply
from bot.outbox import Queued
from bot.outcomes import Outcomes
from storage import bookkeeping
from storage.db import Database
from storage.enums import OutboxState
from storage.models import CardPost, InboxItem, OutboxItem, ProcessedUpdate

NOW = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)


@pytest.fixture
async def db(any_db_url: str) -> AsyncIterator[Database]:
    database = Database(any_db_url)
    yield database
    await database.dispose()


def _row(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "update_key": f"t:{n}",
        "payload": [{"text": f"第{n}条"}],
        "created_at": NOW,
        "lane": "t:c",
        "platform": "t",
        "chat_id": "c",
        **extra,
    }


async def _add(db: Database, rows: list[dict[str, Any]]) -> list[int]:
    return await db.run(bookkeeping.add_outbox, rows)


def _queued(row_id: int) -> Queued:
    return Queued(
        id=row_id, lane="t:c", platform="t", chat_id="c", is_group=True, user_id=None, batch=None,
        card_key=None, edit=False, reply=Reply(text="x"),
    )  # fmt: skip


async def test_inbox_rows_are_stored_once_and_an_update_is_claimed_once(db: Database) -> None:
    items = [("t:1", "t:c", {"update_id": 1}), ("t:2", "t:c", {"update_id": 2})]
    first = await db.run(bookkeeping.put_inbox, "t", items, NOW, durable=True)
    more = [*items, ("t:3", "t:c", {"update_id": 3})]  # the platform sent the batch again, and one more
    again = await db.run(bookkeeping.put_inbox, "t", more, NOW, durable=True)
    assert sorted(first) == ["t:1", "t:2"] and list(again) == ["t:3"]
    claimed = await db.run(bookkeeping.begin_update, first["t:1"], "t:1", NOW)
    repeated = await db.run(bookkeeping.begin_update, first["t:1"], "t:1", NOW)
    assert (claimed, repeated) == (True, False)
    async with db.reading() as s:
        done = dict((await s.execute(select(InboxItem.key, InboxItem.done_at))).all())
        keys = (await s.scalars(select(ProcessedUpdate.key))).all()
    assert done["t:1"] is not None and done["t:2"] is None and keys == ["t:1"]


async def test_outbox_rows_keep_their_order_and_marks_record_cards(db: Database) -> None:
    ids = await _add(db, [_row(1), _row(2, edit=True, card_key="notice:1"), _row(3, user_id="u", batch="b")])
    assert ids == sorted(ids) and len(set(ids)) == 3
    (one,) = await _add(db, [_row(4)])
    await db.run(
        bookkeeping.record_marks,
        [(ids[:2], OutboxState.SENT, 1, None), ([ids[2]], OutboxState.FAILED, 7, "超时")],
        [("notice:1", "t", "c", "m-9")],
        NOW,
    )
    async with db.reading() as s:
        rows = {r.id: r for r in (await s.scalars(select(OutboxItem))).all()}
        posts = (await s.execute(select(CardPost.card_key, CardPost.message_id))).all()
    assert [rows[i].state for i in (*ids, one)] == [
        OutboxState.SENT, OutboxState.SENT, OutboxState.FAILED, OutboxState.PENDING,
    ]  # fmt: skip
    assert rows[ids[1]].edit and rows[ids[2]].user_id == "u" and rows[ids[2]].attempts == 7
    assert rows[one].sent_at is None and posts == [("notice:1", "m-9")]


async def test_marks_are_kept_through_an_outage_that_strikes_in_the_middle_of_a_batch(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database goes away after the batch's first UPDATE: the whole batch rolls back, is kept with the
    marks that come meanwhile (nothing new is sent: `recorded` is clear), and is written once it is back."""
    ids = await _add(db, [_row(n) for n in range(6)])
    record = bookkeeping.record_marks
    down = True
    tries: list[int] = []

    def flaky(conn: Connection, marks: Any, posts: Any, at: datetime) -> None:
        tries.append(len(marks))
        if down:
            record(conn, marks[:1], posts, at)  # the first statement goes through …
            raise ConnectionResetError("server closed the connection")  # … then the server is gone
        record(conn, marks, posts, at)

    monkeypatch.setattr(bookkeeping, "record_marks", flaky)
    outcomes = Outcomes(db=db, clock=ManualClock(NOW))
    for row_id in ids[:4]:
        await outcomes.finish(
            [_queued(row_id)], OutboxState.SENT, 1, None, [("notice:2", ChatRef("t", "c", True), str(row_id))]
        )
    await outcomes.flushed()
    assert not outcomes.recorded.is_set() and tries == [4]  # one batch, refused whole
    async with db.reading() as s:
        assert (
            await s.scalar(select(OutboxItem.sent_at).where(OutboxItem.id == ids[0]))
        ) is None  # rolled back
    await outcomes.finish([_queued(ids[4])], OutboxState.SENT, 1, None)  # sent on the wire before the gate
    down = False
    await asyncio.wait_for(outcomes.recorded.wait(), 30)
    await outcomes.finish([_queued(ids[5])], OutboxState.REFUSED, 1, "blocked")
    await outcomes.close()
    async with db.reading() as s:
        states = dict((await s.execute(select(OutboxItem.id, OutboxItem.state))).all())
        posts = (await s.scalars(select(CardPost.message_id).order_by(CardPost.id))).all()
    assert [states[i] for i in ids] == [OutboxState.SENT] * 5 + [OutboxState.REFUSED]
    assert posts == [str(i) for i in ids[:4]]  # each card post once, none from the rolled-back try


async def test_sqlite_writers_take_turns_and_readers_do_not_wait(sqlite_url: str) -> None:
    """SQLite runs in the loop's thread: two units of work must never wait for each other inside SQLite
    (that would stall the loop), and a reader goes on while a writer holds its transaction open."""
    db = Database(sqlite_url)
    try:
        inside = asyncio.Event()
        release = asyncio.Event()

        async def long_writer() -> None:
            async with db.unit_of_work() as s:
                await s.execute(
                    text("INSERT INTO processed_updates (key, at) VALUES ('w:1', :at)"), {"at": NOW}
                )
                inside.set()
                await release.wait()

        async def second_writer() -> None:
            async with db.unit_of_work() as s:
                await s.execute(
                    text("INSERT INTO processed_updates (key, at) VALUES ('w:2', :at)"), {"at": NOW}
                )

        first = asyncio.create_task(long_writer())
        await inside.wait()
        second = asyncio.create_task(second_writer())
        async with db.reading() as s:  # not blocked by the open write transaction, and sees none of it
            assert (await s.scalars(select(ProcessedUpdate.key))).all() == []
        assert not second.done()  # waits its turn on the asyncio lock, not inside SQLite
        release.set()
        await asyncio.gather(first, second)
        async with db.reading() as s:
            assert sorted((await s.scalars(select(ProcessedUpdate.key))).all()) == ["w:1", "w:2"]
        async with db.unit_of_work(durable=True) as s:
            full = (await s.execute(text("PRAGMA synchronous"))).scalar()
        async with db.unit_of_work() as s:
            normal = (await s.execute(text("PRAGMA synchronous"))).scalar()
        assert (full, normal) == (2, 1)  # FULL for what a platform will not send again, NORMAL otherwise
    finally:
        await db.dispose()


def test_driver_errors_of_a_broken_connection_count_as_an_outage() -> None:
    import asyncpg

    from storage.db import is_database_outage, is_unavailable

    closed = asyncpg.exceptions.ConnectionDoesNotExistError(
        "connection was closed in the middle of operation"
    )
    assert is_unavailable(closed) and is_database_outage(closed)
    assert is_unavailable(asyncpg.exceptions.InterfaceError("connection is closed"))
    assert not is_unavailable(asyncpg.exceptions.UniqueViolationError("duplicate key"))
    wrapped = RuntimeError("could not roll back")
    wrapped.__cause__ = ConnectionResetError("reset by peer")
    assert is_unavailable(wrapped) and not is_unavailable(ValueError("a bug"))
    assert is_unavailable(ConnectionResetError()) and not is_database_outage(ConnectionResetError())


async def test_a_unit_of_work_inside_another_on_sqlite_is_refused_not_a_hang(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    try:
        async with db.unit_of_work():
            with pytest.raises(RuntimeError, match="wait for itself"):
                async with db.unit_of_work():
                    pass
        async with db.unit_of_work() as s:  # the turn was given back
            await s.execute(text("SELECT 1"))
    finally:
        await db.dispose()


async def test_a_long_read_on_sqlite_leaves_the_loop_free(sqlite_url: str) -> None:
    """Exports and a year's figures read many rows: on SQLite they run on a connection with a thread of its
    own (the bot's own statements run in the loop's thread), so other updates go on meanwhile."""
    db = Database(sqlite_url)
    order: list[str] = []
    count_to = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000) SELECT count(*) FROM c"

    async def long_read() -> None:
        async with db.reading(long=True) as s:
            assert (await s.execute(text(count_to))).scalar() == 300000
            assert (await s.execute(text("PRAGMA foreign_keys"))).scalar() == 1  # the same pragmas
        order.append("read")

    async def other_update() -> None:
        order.append("other")

    try:
        reading = asyncio.create_task(long_read())
        await asyncio.sleep(0)  # the read has begun
        await other_update()
        await reading
        assert order == ["other", "read"]
    finally:
        await db.dispose()
