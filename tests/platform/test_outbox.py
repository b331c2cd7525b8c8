"""The outbox and its sender: every target gets its message once, in order, paced, whatever the platform says."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from msgspec.structs import replace
from sqlalchemy import select

from bot.app import App
from bot.clock import ManualClock
from bot.config import Settings
from bot.messages import Card, CardField, ChatRef, Recipient, Reply, Unreachable
from domain.park import operations as park_ops
from handlers import texts as T
from storage.enums import OutboxState, Role
from storage.models import Chat, OutboxItem, Person
from tests.fake_telegram import TOKEN, FakeTelegram
from tests.harness import (
    GROUP,
    LI,
    MA,
    Harness,
    make_settings,
    running_app,
    send_proactive,
    telegram_adapter,
)

# Marked per test: `e2e` where a real process runs or real HTTP goes to a fake platform server, so the
# tests through the neutral core stay in `-m "not e2e"`.

MANAGER_ID = 77  # a manager with a private chat with the bot


def live_settings(db_url: str, tmp_path: Path, tg: FakeTelegram, **limits: float) -> Settings:
    """Settings for the real Telegram adapter against the fake Bot API, with Telegram's limits unless given."""
    settings = make_settings(
        db_url, tmp_path, token=TOKEN, base_url=tg.base_url, base_file_url=tg.base_file_url, poll_timeout="1"
    )
    telegram = settings.sending.limits["telegram"]
    for name, value in {"overall_per_second": 30, "per_group_per_minute": 20, "private_per_second": 1,
                        "private_burst": 3, **limits}.items():  # fmt: skip
        setattr(telegram, name, value)
    settings.sending.retries = 8
    return settings


@asynccontextmanager
async def live_app(settings: Settings, clock: ManualClock) -> AsyncIterator[App]:
    """Build, prepare and start the app on the real Telegram adapter; stop it at the end."""
    async with running_app(settings, clock, telegram_adapter) as (app, _):
        yield app


@asynccontextmanager
async def live_telegram(
    sqlite_url: str, tmp_path: Path, clock: ManualClock
) -> AsyncIterator[tuple[FakeTelegram, App]]:
    """Run the app on the real Telegram adapter against a fresh fake Bot API, with Telegram's limits
    except 200 messages a second overall."""
    async with (
        FakeTelegram() as tg,
        live_app(live_settings(sqlite_url, tmp_path, tg, overall_per_second=200), clock) as app,
    ):
        yield tg, app


async def seed_groups(app: App, tg: FakeTelegram, n: int, first: int = -5000) -> list[dict[str, Any]]:
    """Make n park groups known to the bot (as /setgroup would) and to the fake server; plus a manager."""
    groups = [tg.group(first - i, f"园区群{i}") for i in range(n)]
    now = app.clock.now()
    async with app.db.unit_of_work() as s:
        for g in groups:
            chat = await park_ops.upsert_chat(
                s, platform="telegram", chat_id=str(g["id"]), title=g["title"], is_group=True, at=now
            )
            chat.is_park_group = True
        manager = await park_ops.upsert_person(
            s, platform="telegram", external_id=str(MANAGER_ID), display_name="李干部", username=None, at=now
        )
        await park_ops.set_role(s, manager, Role.MANAGER, None, actor=None, at=now)
        manager.private_chat_id = str(MANAGER_ID)
    return groups


def texts_in(tg: FakeTelegram, chat_id: int, needle: str) -> list[str]:
    """Return what the bot shows in a chat that contains a phrase."""
    return [t for m in tg.sent_messages(chat_id) if needle in (t := m.get("text") or m.get("caption") or "")]


@pytest.mark.e2e
async def test_429_and_random_502s_still_give_every_group_exactly_one_message(
    sqlite_url: str, tmp_path: Path, clock: ManualClock
) -> None:
    async with live_telegram(sqlite_url, tmp_path, clock) as (tg, app):
        groups = await seed_groups(app, tg, 20)
        tg.fail("sendMessage", 429, times=2, retry_after=1, chat_id=groups[3]["id"])
        tg.fail("sendMessage", 429, times=1, retry_after=1, chat_id=groups[7]["id"])
        tg.flaky(502, 0.3, seed=3)
        await send_proactive(app, [Reply(text="12月安全生产例会通知", to_groups=True)])
        await tg.wait_for(lambda: all(texts_in(tg, g["id"], "例会通知") for g in groups), 30)
        await app.sender.settle()
        tg.flaky(502, 0.0)
        async with app.db.reading() as s:
            states = Counter((await s.scalars(select(OutboxItem.state))).all())
    assert tg.faults_served >= 3 + 2  # the three 429s and some 502s were answered
    assert [len(texts_in(tg, g["id"], "例会通知")) for g in groups] == [1] * 20
    assert states == {OutboxState.SENT: 20}


@pytest.mark.e2e
async def test_a_group_that_removed_the_bot_is_marked_and_managers_are_told_once(
    sqlite_url: str, tmp_path: Path, clock: ManualClock
) -> None:
    async with live_telegram(sqlite_url, tmp_path, clock) as (tg, app):
        groups = await seed_groups(app, tg, 3)
        gone = groups[1]["id"]
        tg.kick(gone)
        for n in (1, 2):
            await send_proactive(app, [Reply(text=f"第{n}次通知", to_groups=True)])
            await app.sender.settle()
        await tg.wait_for(lambda: bool(texts_in(tg, MANAGER_ID, "无法在群")), 10)
        async with app.db.reading() as s:
            chat = await s.scalar(select(Chat).where(Chat.chat_id == str(gone)))
            states = Counter((await s.scalars(select(OutboxItem.state))).all())
        assert chat is not None and chat.unreachable_at is not None
        assert states[OutboxState.UNREACHABLE] == 1  # the second notice was not even tried there
        tried = [c for c in tg.calls_of("sendMessage") if str(c.params.get("chat_id")) == str(gone)]
        assert len(tried) == 1
        told = texts_in(tg, MANAGER_ID, "无法在群")
        assert told == [T.OUTBOX_GROUP_UNREACHABLE.format(group="园区群1")]  # once, by the group's name
        for g in (groups[0], groups[2]):
            assert [len(texts_in(tg, g["id"], f"第{n}次通知")) for n in (1, 2)] == [1, 1]

        # The bot is added back and someone writes there: the group gets broadcasts again.
        del tg.kicked[gone]
        admin = tg.user(1, "王主任", "wang")
        tg.send_text(admin, groups[1], "/help")
        await tg.wait_for(lambda: len(tg.sent_messages(gone)) >= 1, 20)
        await send_proactive(app, [Reply(text="第3次通知", to_groups=True)])
        await tg.wait_for(lambda: bool(texts_in(tg, gone, "第3次通知")), 10)


@pytest.mark.e2e
async def test_stopping_halfway_through_a_200_group_broadcast_sends_the_rest_after_a_restart(
    sqlite_url: str, tmp_path: Path, clock: ManualClock
) -> None:
    async with FakeTelegram() as tg:
        settings = live_settings(sqlite_url, tmp_path, tg, overall_per_second=80)
        async with live_app(settings, clock) as app:
            groups = await seed_groups(app, tg, 200)
            await send_proactive(app, [Reply(text="消防安全百日攻坚行动通知", to_groups=True)])
            await tg.wait_for(lambda: len(tg.calls_of("sendMessage")) >= 60, 30)
        # stopped: the messages on the wire finished, the rest wait in the table
        first_run = sum(bool(texts_in(tg, g["id"], "百日攻坚")) for g in groups)
        assert 60 <= first_run < 200
        async with live_app(settings, clock) as app:
            await tg.wait_for(lambda: all(texts_in(tg, g["id"], "百日攻坚") for g in groups), 30)
            await app.sender.settle()
            async with app.db.reading() as s:
                unsent = (await s.scalars(select(OutboxItem.id).where(OutboxItem.sent_at.is_(None)))).all()
        assert [len(texts_in(tg, g["id"], "百日攻坚")) for g in groups] == [
            1
        ] * 200  # none skipped, none twice
        assert unsent == []


def notice_card(n: int) -> Card:
    return Card(
        key="notice:1",
        kind="notice",
        title="12月安全生产例会",
        fields=(CardField("receipts", "已回执", f"{n}/17"),),
    )


@pytest.mark.e2e
async def test_ten_edits_while_the_chat_must_wait_show_the_last_state_in_one_or_two_edits(
    sqlite_url: str, tmp_path: Path, clock: ManualClock
) -> None:
    async with live_telegram(sqlite_url, tmp_path, clock) as (tg, app):
        group = (await seed_groups(app, tg, 1))[0]
        await send_proactive(app, [Reply(card=notice_card(0), to_groups=True)])
        await app.sender.settle()
        tg.fail("editMessageText", 429, times=1, retry_after=2, chat_id=group["id"])
        for n in range(1, 11):
            await send_proactive(app, [Reply(card=notice_card(n), edit=True)])
            await asyncio.sleep(0.05)
        await app.sender.settle()
    edits = [c for c in tg.calls_of("editMessageText") if c.error is None]
    assert len(edits) in (1, 2)
    assert "已回执：10/17" in tg.sent_messages(group["id"])[-1]["text"]


# --- through the neutral core -------------------------------------------------------------------


async def test_an_edit_written_before_its_card_was_posted_still_lands(seeded: Harness) -> None:
    h = seeded
    first = Card(
        key="notice:9", kind="notice", title="通知", fields=(CardField("receipts", "已回执", "0/2"),)
    )
    later = Card(
        key="notice:9", kind="notice", title="通知", fields=(CardField("receipts", "已回执", "1/2"),)
    )
    async with h.app.db.unit_of_work() as s:  # written, not handed to the sender (as after a crash)
        await h.app.dispatcher.enqueue(s, [Reply(card=first, to_groups=True)])
    async with h.app.db.unit_of_work() as s:
        await h.app.dispatcher.enqueue(s, [Reply(card=later, edit=True)])
    await h.app.sender.start()
    try:
        await wait_until(lambda: bool(h.adapter.sent) and h.adapter.sent[0].edits == 1)
    finally:
        await h.app.sender.stop()
    (post,) = h.adapter.sent
    assert post.chat.chat_id == GROUP.chat_id and post.card == later


async def test_edits_written_together_coalesce_to_the_latest_state(seeded: Harness) -> None:
    h = seeded
    cards = [
        Card(key="notice:3", kind="notice", title="通知", fields=(CardField("n", "已回执", str(n)),))
        for n in range(4)
    ]
    replies = [Reply(card=cards[0], to_groups=True), *(Reply(card=c, edit=True) for c in cards[1:])]
    async with h.app.db.unit_of_work() as s:
        items = await h.app.dispatcher.enqueue(s, replies)
    assert [(i.edit, i.reply.card.field("n") if i.reply.card else None) for i in items] == [
        (False, "0"),
        (True, "3"),
    ]
    h.app.sender.queued(items)
    await h.app.sender.settle()
    assert h.adapter.sent[0].edits == 1 and h.adapter.sent[0].card == cards[3]


async def test_failed_deliveries_are_one_line_to_managers_a_park_day(seeded: Harness) -> None:
    h = seeded
    h.app.settings.sending.retries = 1
    h.app.settings.sending.retry_base = 0.01

    async def down(chat: ChatRef, reply: Reply) -> str | None:
        raise ConnectionError("Bot API down")

    real = h.adapter.send
    h.adapter.send = down  # type: ignore[method-assign]
    for n in range(3):
        await send_proactive(h.app, [Reply(text=f"通知{n}", to_groups=True)])
    await h.app.sender.settle()
    h.adapter.send = real  # type: ignore[method-assign]
    assert await h.app.sender.report_failures()
    await h.app.sender.settle()
    told = [s for s in h.adapter.sent if "未能发出" in (s.reply.text or "")]
    assert sorted(s.chat.chat_id for s in told) == ["p-admin", "p-li", "p-ma"]  # the managers and the admin
    assert T.OUTBOX_FAILED_DAILY.format(count=3, chats=1) == told[0].reply.text

    h.adapter.send = down  # type: ignore[method-assign]
    await send_proactive(h.app, [Reply(text="通知3", to_groups=True)])
    await h.app.sender.settle()
    h.adapter.send = real  # type: ignore[method-assign]
    assert not await h.app.sender.report_failures()  # the same park day: no second line
    h.clock.advance(timedelta(days=1))
    assert await h.app.sender.report_failures()  # the next day, the failure of yesterday evening
    await h.app.sender.settle()
    assert sum("未能发出" in (s.reply.text or "") for s in h.adapter.sent) == 6


async def test_a_person_who_blocked_the_bot_is_not_written_to_privately_until_they_write_again(
    seeded: Harness,
) -> None:
    h = seeded
    real = h.adapter.send

    async def blocked(chat: ChatRef, reply: Reply) -> str | None:
        if chat.chat_id == "p-ma":
            raise Unreachable("Forbidden: bot was blocked by the user")
        return await real(chat, reply)

    h.adapter.send = blocked  # type: ignore[method-assign]
    li, ma = Recipient("test", "li", "p-li"), Recipient("test", "ma", "p-ma")
    await send_proactive(h.app, [Reply(text="请注意", people=(li, ma))])
    await h.app.sender.settle()
    async with h.app.db.reading() as s:
        person = await s.scalar(select(Person).where(Person.external_id == "ma"))
    assert person is not None and person.unreachable_at is not None
    assert not h.app.dispatcher.reach(person)  # handlers fall back to the group where they may
    told = [s for s in h.adapter.sent if "无法私聊" in (s.reply.text or "")]
    assert {s.chat.chat_id for s in told} == {"p-admin", "p-li"}  # not to 马科长 himself
    assert told[0].reply.text == T.OUTBOX_PERSON_UNREACHABLE.format(name=MA.display_name)

    h.adapter.send = real  # type: ignore[method-assign]
    await h.say(MA, "/whoami", Harness.private(MA))  # he unblocked the bot and wrote to it
    async with h.app.db.reading() as s:
        person = await s.scalar(select(Person).where(Person.external_id == "ma"))
    assert person is not None and person.unreachable_at is None and h.app.dispatcher.reach(person)
    assert LI.user_id == "li"


async def test_replies_of_one_chat_go_out_in_order_with_pacing(seeded: Harness) -> None:
    h = seeded
    h.app.settings.sending.limits["test"] = replace(
        h.app.settings.sending.limits["telegram"], overall_per_second=50, per_group_per_minute=600
    )
    replies = [Reply(text=f"第{n}条", chat=GROUP) for n in range(15)]
    await send_proactive(h.app, replies)
    await h.app.sender.settle()
    assert [s.reply.text for s in h.adapter.sent] == [f"第{n}条" for n in range(15)]


async def test_a_backlog_beyond_the_rows_in_hand_waits_in_the_table_and_keeps_its_order(
    seeded: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Memory stays flat under a backlog: beyond `SCAN_LIMIT` rows in hand, rows wait in the table (also
    those committed later) and a scan takes them in id order once the rows in hand drop."""
    from bot import sender as sender_module

    h = seeded
    monkeypatch.setattr(sender_module, "SCAN_LIMIT", 4)
    real, peak = h.adapter.send, 0

    async def counting(chat: ChatRef, reply: Reply) -> str | None:
        nonlocal peak
        peak = max(peak, len(h.app.sender._known))
        return await real(chat, reply)

    h.adapter.send = counting  # type: ignore[method-assign]
    await h.app.sender.start()  # the scanner that reads the table (the harness drives the sender by hand)
    try:
        await send_proactive(h.app, [Reply(text=f"第{n}条", chat=GROUP) for n in range(10)])
        await send_proactive(h.app, [Reply(text=f"第{n}条", chat=GROUP) for n in range(10, 15)])
        await wait_until(lambda: len(h.adapter.sent) == 15)
    finally:
        await h.app.sender.stop()
    assert [s.reply.text for s in h.adapter.sent] == [f"第{n}条" for n in range(15)]
    assert peak <= 4


async def wait_until(predicate: Any, timeout: float = 10.0) -> None:  # noqa: ASYNC109
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.02)


@pytest.mark.e2e
async def test_sends_are_recorded_after_a_database_outage_and_never_repeated(
    sqlite_url: str, tmp_path: Path, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database stops taking outcomes in the middle of a 200-group broadcast: the outcomes are kept
    and recorded once it is back, nothing new goes out meanwhile, and a restart sends nothing twice."""
    from storage import bookkeeping

    record = bookkeeping.record_marks
    outage = asyncio.Event()
    refused: Counter[tuple[int, ...]] = Counter()  # ids of a batch of marks -> times the database refused it

    def flaky_record(conn: Any, marks: Any, *args: Any) -> Any:
        if outage.is_set():
            refused[tuple(i for ids, *_ in marks for i in ids)] += 1
            raise ConnectionRefusedError("database unavailable")
        return record(conn, marks, *args)

    monkeypatch.setattr(bookkeeping, "record_marks", flaky_record)
    # Kept outcomes are written again after 0.1, 0.2, 0.4 ... s instead of 0.5, 1, 2 ... s: the same
    # retries, and still long enough to see that nothing new goes out between two of them (at 80 a second).
    from bot import outcomes

    monkeypatch.setattr(outcomes, "MARK_RETRY_FIRST", 0.1)
    async with FakeTelegram() as tg:
        settings = live_settings(sqlite_url, tmp_path, tg, overall_per_second=80)
        async with live_app(settings, clock) as app:
            groups = await seed_groups(app, tg, 200)
            await send_proactive(app, [Reply(text="冬季消防检查通知", to_groups=True)])
            await tg.wait_for(lambda: len(tg.calls_of("sendMessage")) >= 40, 30)
            outage.set()
            # Sends already on the wire when the outage began finish (and are refused too); once a kept
            # outcome was tried again and refused, nothing is on the wire any more.
            await tg.wait_for(lambda: max(refused.values(), default=0) >= 2, 30)
            during = len(tg.calls_of("sendMessage"))
            await tg.wait_for(lambda: max(refused.values(), default=0) >= 3, 30)
            assert len(tg.calls_of("sendMessage")) == during  # nothing new went out while outcomes waited
            outage.clear()
            await tg.wait_for(lambda: all(texts_in(tg, g["id"], "冬季消防") for g in groups), 60)
            await app.sender.settle()
        async with live_app(settings, clock) as app:  # a restart: every outcome is in the table
            await app.sender.settle()
            async with app.db.reading() as s:
                unsent = (await s.scalars(select(OutboxItem.id).where(OutboxItem.sent_at.is_(None)))).all()
    assert unsent == []
    assert [len(texts_in(tg, g["id"], "冬季消防")) for g in groups] == [1] * 200  # none twice, none lost
