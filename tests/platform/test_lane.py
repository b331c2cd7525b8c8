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

from bot.messages import ButtonPress
from handlers.notices.card import ReceiptButton
from storage import bookkeeping, conversations, identity
from storage.db import Database, is_database_outage, is_unavailable
from storage.enums import OutboxState, Role
from storage.models import (
    AuditEntry,
    CardPost,
    InboxItem,
    NoticeEvent,
    NoticeReceipt,
    OutboxItem,
    Person,
    ProcessedUpdate,
)
from tests.harness import ADMIN, CHEN, GROUP, LI, XIAO, ZHANG, ZHAO, Harness, labels, person_by_id, seed

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
async def test_whoami_of_a_known_person_opens_no_orm_session(
    any_harness: Harness, sessions: list[object]
) -> None:
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


@pytest.mark.storage
async def test_marks_recorded_again_after_a_lost_commit_keep_one_post(db: Database) -> None:
    row = {"payload": [{"text": "卡片"}], "created_at": NOW, "lane": "t:c", "platform": "t", "chat_id": "c"}
    [row_id] = await db.run(bookkeeping.add_outbox, [{**row, "card_key": "notice:1"}])
    marks = [([row_id], OutboxState.SENT, 1, None)]
    posts = [("notice:1", "t", "c", "m1")]
    await db.run(bookkeeping.record_marks, marks, posts, NOW)
    # The same batch again: its commit went through but the answer was lost in an outage, so it is retried.
    await db.run(bookkeeping.record_marks, marks, posts, NOW)
    async with db.reading() as session:
        assert await session.scalar(select(func.count()).select_from(CardPost)) == 1
        sent = await session.scalar(select(OutboxItem).where(OutboxItem.id == row_id))
        assert sent is not None and sent.state == OutboxState.SENT and sent.sent_at == NOW


MEETING = "/meeting 2026-12-05 09:00 管委会三楼会议室 12月安全生产例会 通报11月隐患整改情况"


@pytest.mark.storage
async def test_a_receipt_press_runs_whole_on_the_lane_and_writes_what_the_full_path_writes(
    any_harness: Harness, sessions: list[object]
) -> None:
    h = any_harness
    await seed(h)
    for who in (ZHANG, CHEN, ZHAO):  # the seed gave nobody a username: their first message writes it
        await h.say(who, "/whoami")
    card = next(s for s in await h.say(LI, MEETING) if s.card is not None)
    sessions.clear()
    outcome = await h.press(ZHANG, card, "收到")
    assert sessions == []  # who pressed, the key, the receipt, its event, the card and the outbox: one unit
    assert outcome.toast == "已为华油装备制造有限公司回执 HY-2026-01：收到。"
    shown = next(s for s in h.adapter.sent if s.chat == GROUP and s.card is not None)
    assert labels(shown.card)["回执"] == "已回执 1/2"  # type: ignore[arg-type]
    # A colleague of the same enterprise pressing is told who answered, by name, and nothing changes.
    edits = shown.edits
    outcome = await h.press(CHEN, card, "收到")
    assert "华油装备制造有限公司已经回执过" in (outcome.toast or "") and shown.edits == edits
    # Someone bound to no enterprise is refused on the lane too.
    assert "还没有绑定企业" in ((await h.press(ZHAO, card, "收到")).toast or "")
    assert sessions == []
    # A renamed presser takes the full unit of work (the name is written) and is counted the same.
    renamed = Harness.person("liu", "刘经理")
    outcome = await h.press(renamed, card, "收到")
    assert sessions and outcome.toast == "已为宏达机械有限公司回执 HY-2026-01：收到。"
    assert labels(shown.card)["回执"] == "已回执 2/2"  # type: ignore[arg-type]
    async with h.app.db.reading() as session:
        receipts = (await session.execute(select(NoticeReceipt.status, NoticeReceipt.person_id))).all()
        events = (await session.scalars(select(NoticeEvent.action).order_by(NoticeEvent.id))).all()
        audits = (
            await session.scalars(select(AuditEntry.action).where(AuditEntry.action == "notice.confirm"))
        ).all()
        names = (await session.scalars(select(Person.display_name).where(Person.external_id == "liu"))).all()
    assert sorted(str(s) for s, _ in receipts) == ["confirmed", "confirmed"] and all(p for _, p in receipts)
    assert list(events).count("confirm") == 2 and len(audits) == 2 and names == ["刘经理"]


@pytest.mark.storage
async def test_a_press_the_lane_cannot_take_goes_the_full_path_with_nothing_half_written(
    any_harness: Harness, sessions: list[object]
) -> None:
    h = any_harness
    await seed(h)
    await h.say(ZHANG, "/whoami")  # the seed gave nobody a username: the first message writes it
    card = next(s for s in await h.say(LI, MEETING) if s.card is not None)
    sessions.clear()
    # 请假 asks for the reason (a question: the full path); the lane's unit was rolled back first.
    outcome = await h.press(ZHANG, card, "请假")
    assert sessions and outcome.toast is not None and "原因" in h.texts(h.adapter.sent[-1:])
    # A forged press naming no notice is refused and audited by the full path.
    outcome = await h.press(ZHANG, card, data=ReceiptButton(999, "ok").pack())
    assert outcome.toast is not None and "已失效" in outcome.toast
    async with h.app.db.reading() as session:
        assert await session.scalar(select(func.count()).where(AuditEntry.action == "button.refused")) == 1
    # The same press delivered twice is handled once.
    sessions.clear()
    press = ButtonPress("test:twice", ZHANG, card.chat, ReceiptButton(1, "ok").pack(), card.message_id, NOW)
    first = await h.app.dispatcher.handle(press)
    again = await h.app.dispatcher.handle(press)
    assert first.toast is not None and again.toast is None and sessions == []
    async with h.app.db.reading() as session:
        assert await session.scalar(select(func.count()).where(ProcessedUpdate.key == "test:twice")) == 1
        assert await session.scalar(select(func.count()).where(AuditEntry.action == "notice.confirm")) == 1
