"""The bookkeeping lane (storage/lane.py) and the light path of the dispatcher (`Route.light`).

The lane runs prebuilt Core statements on the driver's connection (SQLite) or a Connection (PostgreSQL):
the rows it writes must read back through the ORM exactly as the ORM writes them, its errors must be
told apart as outages or bugs as everywhere else, and a `/whoami` of a known person must open no ORM
session at all while saying exactly what the full unit of work says.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from storage import bookkeeping, conversations, identity
from storage.db import Database, is_database_outage, is_unavailable
from storage.enums import OutboxState, Role
from storage.models import InboxItem, OutboxItem, ProcessedUpdate
from tests.harness import ADMIN, GROUP, LI, XIAO, Harness, person_by_id, seed

NOW = datetime(2026, 11, 30, 1, 2, 3, 456789, tzinfo=UTC)


@pytest.fixture
async def db(any_db_url: str) -> AsyncIterator[Database]:
    database = Database(any_db_url)
    yield database
    await database.dispose()


@pytest.fixture
def sessions() -> Iterator[list[object]]:
    """Every ORM transaction begun while the test runs."""
    begun: list[object] = []

    def listener(session: Session, transaction: object, connection: object) -> None:
        begun.append(session)

    event.listen(Session, "after_begin", listener)
    yield begun
    event.remove(Session, "after_begin", listener)


@pytest.mark.storage
async def test_lane_rows_read_back_through_the_orm_as_written(db: Database) -> None:
    payload = {"update_id": 7, "text": "二车间配电室 电线裸露", "nested": [1, None, "甲"]}
    ids = await db.run(bookkeeping.put_inbox, "t", [("t:7", "t:c", payload)], NOW, durable=True)
    assert await db.run(bookkeeping.begin_update, ids["t:7"], "t:7", NOW) is True
    assert await db.run(bookkeeping.begin_update, ids["t:7"], "t:7", NOW) is False  # claimed once
    row = {"payload": [{"text": "收到"}], "created_at": NOW, "lane": "t:c", "platform": "t", "chat_id": "c"}
    out = await db.run(bookkeeping.finish_update, None, "t:8", NOW, [row, {**row, "card_key": "notice:1"}])
    assert out is not None and len(out) == 2 and out[0] < out[1]
    assert await db.run(bookkeeping.finish_update, None, "t:8", NOW, [row]) is None  # a repeat writes nothing

    async with db.reading() as session:
        inbox = (await session.scalars(select(InboxItem))).one()
        assert inbox.payload == payload and inbox.received_at == NOW and inbox.done_at == NOW
        assert inbox.attempts == 2  # marked done twice: `attempts + 1` is the statement's own literal
        keys = set(await session.scalars(select(ProcessedUpdate.key)))
        assert keys == {"t:7", "t:8"}
        rows = (await session.scalars(select(OutboxItem).order_by(OutboxItem.id))).all()
        assert [r.id for r in rows] == out
        assert rows[0].created_at == NOW and rows[0].state == OutboxState.PENDING and rows[0].edit is False
        assert rows[1].card_key == "notice:1" and rows[1].payload == [{"text": "收到"}]


@pytest.mark.storage
async def test_a_unit_that_fails_leaves_nothing_behind(db: Database) -> None:
    def half(lane: object, key: str) -> None:
        bookkeeping.begin_update(lane, None, key, NOW)  # type: ignore[arg-type]
        raise RuntimeError("a bug after the first statement")

    with pytest.raises(RuntimeError):
        await db.run(half, "t:9")
    assert await db.run(bookkeeping.begin_update, None, "t:9", NOW) is True  # the claim was rolled back


async def test_lane_errors_are_sqlalchemy_errors_and_a_locked_database_is_an_outage(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    try:
        with pytest.raises(DBAPIError) as bug:
            await db.run(lambda lane: lane.sql("SELECT * FROM no_such_table"))
        assert not is_unavailable(bug.value)  # a bug, said as one

        path = sqlite_url.split("///", 1)[1]
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process (the CLI) holds the write lock
        db._close_lane()  # a fresh lane connection, with a short wait for the lock
        import storage.db as storage_db

        waited = storage_db.BUSY_TIMEOUT
        storage_db.BUSY_TIMEOUT = 0.05
        try:
            with pytest.raises(DBAPIError) as locked:
                await db.run(bookkeeping.begin_update, None, "t:10", NOW)
        finally:
            storage_db.BUSY_TIMEOUT = waited
            other.execute("ROLLBACK")
            other.close()
        assert is_unavailable(locked.value) and is_database_outage(locked.value)
        # The lane recovers once the lock is gone: the update is claimed on the next try.
        assert await db.run(bookkeeping.begin_update, None, "t:10", NOW) is True
    finally:
        await db.dispose()


@pytest.mark.storage
async def test_glance_reads_person_enterprise_join_request_chat_and_question(any_harness: Harness) -> None:
    h = any_harness
    await seed(h)
    await h.say(XIAO, "/join 华油 负责人", h.private(XIAO))
    db = h.app.db
    person = await person_by_id(h, "zhang")
    async with db.unit_of_work() as session:  # the bot waits for ZHANG's answer in the group
        person = await session.merge(person)
        await conversations.start_conversation(
            session, platform="test", chat_id=GROUP.chat_id, person=person, kind="leave", data={}, at=NOW
        )
    zhang = await db.peek(identity.glance, "test", "zhang", GROUP.chat_id)
    assert zhang.actor is not None and zhang.actor.role == Role.LEAD
    assert zhang.actor.enterprise is not None and zhang.actor.enterprise.name == "华油装备制造有限公司"
    assert zhang.place is not None and zhang.place.is_group and zhang.place.is_park_group
    assert zhang.asking
    xiao = await db.peek(identity.glance, "test", "xiao", h.private(XIAO).chat_id)
    assert xiao.actor is not None and xiao.actor.role is None
    assert xiao.actor.pending_enterprise is not None and xiao.actor.pending_role == Role.LEAD
    assert xiao.place is not None and not xiao.place.is_group
    nobody = await db.peek(identity.glance, "test", "nobody", GROUP.chat_id)
    assert nobody.actor is None and nobody.place is None and not nobody.asking


@pytest.mark.storage
async def test_whoami_of_a_known_person_opens_no_orm_session(any_harness: Harness, sessions: list[object]) -> None:
    h = any_harness
    await seed(h)
    await h.say(XIAO, "/join 华油 负责人", h.private(XIAO))
    slow = await h.say(XIAO, "/whoami", h.private(XIAO))
    sessions.clear()
    fast = await h.say(XIAO, "/whoami", h.private(XIAO))
    assert sessions == []  # the light path: one read and one bookkeeping transaction on the lane
    assert h.texts(fast) == h.texts(slow) and "申请" in h.texts(fast)
    await h.say(LI, "/help", GROUP)  # the seed gave LI no username: the first message writes it
    sessions.clear()
    help_text = h.texts(await h.say(LI, "/help", GROUP))
    assert sessions == [] and "包片干部" in help_text

    # The same update again (the platform sent it twice) is answered once.
    before = len(h.adapter.sent)
    await h.say(XIAO, "/whoami", h.private(XIAO), update_key="test:again")
    await h.say(XIAO, "/whoami", h.private(XIAO), update_key="test:again")
    assert len(h.adapter.sent) == before + 1
    async with h.app.db.reading() as session:
        assert await session.scalar(select(func.count()).where(ProcessedUpdate.key == "test:again")) == 1


@pytest.mark.storage
async def test_whoami_takes_the_full_unit_of_work_when_something_must_be_written(
    any_harness: Harness, sessions: list[object]
) -> None:
    h = any_harness
    await seed(h)
    stranger = Harness.person("newcomer", "新来的")
    first = h.texts(await h.say(stranger, "/whoami", h.private(stranger)))
    assert "新来的" in first and sessions  # a first contact writes the person
    sessions.clear()
    renamed = Harness.person("newcomer", "新名字")
    assert "新名字" in h.texts(await h.say(renamed, "/whoami", h.private(renamed)))
    assert sessions  # a changed name is written
    sessions.clear()
    assert "新名字" in h.texts(await h.say(renamed, "/whoami", h.private(renamed)))
    assert sessions == []  # and then the light path again
    # An admin named in the config is made one on contact, also by a read-only command.
    assert "管理员" in h.texts(await h.say(ADMIN, "/whoami", h.private(ADMIN)))
