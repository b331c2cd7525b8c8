"""A roll call (应急点名) through the neutral core: a manager calls it at night, every linked member is asked
privately with a 到 button, the group card counts who answered within how many minutes (edited in place),
the silent ones are reminded by the scheduler's job on the manual clock (quiet hours do not apply), a forged
or foreign press is refused, a second press is harmless, and /alert end closes it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.app import jobs
from bot.clock import ManualClock
from bot.scheduler import Scheduler
from storage.models import AuditEntry
from tests.harness import ADMIN, CHEN, GROUP, LI, LIU, XIAO, ZHANG, ZHAO, Harness, Sent, labels, seed

PHONE = re.compile(r"\d{5,}")
START = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)  # 23:00 in the park: quiet hours, which an alert ignores
ROSTER = (
    "/roster add 王主任 办公室主任 管委会应急科 13800000001 办公室",
    "/roster add 张伟 总指挥 华油 13800000002 值班：1",
    "/roster add 刘芳 副总指挥 宏达 13800000003 值班：2",
    "/roster add 陈明 成员 华油 13800000006",  # linked by name, but the bot cannot write to him privately
    "/roster add 钱七 成员 管委会 13800000004",  # no chat account
)


async def run_alerts(h: Harness, at: datetime) -> list[Sent]:
    """Move the clock to `at` and run the scheduler's `alerts` job as its cron trigger would."""
    h.clock.set(at)
    before = len(h.adapter.sent)
    scheduler = Scheduler(
        settings=h.app.settings, clock=h.app.clock, db=h.app.db, dispatcher=h.app.dispatcher, jobs=jobs(h.app.settings)
    )
    assert await scheduler.run("alerts", at)
    await h.app.sender.settle()
    return h.adapter.sent[before:]


def call_card(h: Harness) -> Sent:
    """Return the roll call card in the park group, as it is now."""
    return next(s for s in h.adapter.sent if s.chat == GROUP and s.card and s.card.key.startswith("rollcall:"))


def no_phones_in_groups(h: Harness) -> None:
    """Assert that nothing the bot ever sent to a group carries a phone number."""
    for s in h.adapter.sent:
        if s.chat.is_group:
            shown = [s.reply.text or ""] + ([s.card.title, *(f.value for f in s.card.fields)] if s.card else [])
            assert not PHONE.search(" ".join(shown)), shown


def private_to(sent: list[Sent], user: str) -> list[Sent]:
    return [s for s in sent if s.chat.chat_id == f"p-{user}"]


async def test_a_roll_call_answered_reminded_and_ended(any_harness: Harness, clock: ManualClock) -> None:
    h = any_harness  # on SQLite and PostgreSQL: the answer rows are re-read under a lock there
    await seed(h)
    assert "名单还没有成员" in h.texts(await h.say(LI, "/alert 2号罐区泄漏"))
    for line in ROSTER:
        await h.say(ADMIN, line, Harness.private(ADMIN))
    clock.set(START)
    # Only managers call the roll; a bare /alert says how.
    assert "这个操作需要以下身份之一" in h.texts(await h.say(ZHANG, "/alert 泄漏"))
    assert "/alert <说明>" in h.texts(await h.say(LI, "/alert"))

    out = await h.say(LI, "/点名 2号罐区泄漏，请指挥部成员立即应答")
    # Linked members the bot can write to are asked privately, with the 到 button.
    for user in ("admin", "zhang", "liu"):
        ask = private_to(out, user)
        assert ask and "请立即按「到」应答" in ask[0].reply.text  # type: ignore[operator]
        assert ask[0].reply.buttons[0][0].label == "到"
    assert not private_to(out, "chen")
    # The caller is told privately whom to phone (with the numbers); the group only their names.
    told = h.texts(private_to(out, "li"))
    assert "陈明（成员）：13800000006" in told and "钱七（成员）：13800000004" in told
    assert "已发起点名：私聊通知 3 人" in h.texts([s for s in out if s.chat == GROUP])
    card = call_card(h)
    assert card.card is not None and card.card.title == "应急点名：2号罐区泄漏，请指挥部成员立即应答"
    fields = labels(card.card)
    assert fields["应答"] == "0/5" and fields["未到"] == "王主任、张伟、刘芳、陈明"
    assert fields["无聊天账号"] == "钱七（请电话联系）"

    # It is first in 我的待办 of whoever was asked, with the button; not for someone not asked.
    todo = (await h.say(LIU, "/todo", Harness.private(LIU)))[0]
    assert "应急点名待应答：2号罐区泄漏" in (todo.reply.text or "") and todo.reply.buttons[0][0].label == "到"
    assert "应急点名待应答" not in h.texts(await h.say(LI, "/todo", Harness.private(LI)))

    # A second roll call waits for this one to end.
    assert "已有一次点名正在进行" in h.texts(await h.say(LI, "/alert 再来一次"))

    # 张伟 answers after 90 seconds from his private chat: the group card says 2 minutes, in place.
    clock.set(START + timedelta(seconds=90))
    zhang_ask = private_to(out, "zhang")[0]
    outcome = await h.press(ZHANG, zhang_ask, "到")
    assert outcome.toast == "已应答「到」（2 分钟）。"
    fields = labels(call_card(h).card)  # type: ignore[arg-type]
    assert fields["应答"] == "1/5" and fields["已到"] == "张伟 2分钟" and call_card(h).edits == 1
    # A second press changes nothing.
    again = await h.press(ZHANG, zhang_ask, "到")
    assert again.toast is not None and "无需重复" in again.toast and call_card(h).edits == 1

    # A press by someone the call did not ask (a stranger, an inspector on the group card) or with forged
    # data is refused and changes nothing.
    for who in (XIAO, ZHAO):
        refused = await h.press(who, call_card(h), "到")
        assert refused.toast is not None and "不在这次点名的名单里" in refused.toast
    forged = await h.press(LIU, zhang_ask, data="rchere:999")
    assert forged.toast is not None and "不在这次点名的名单里" in forged.toast
    assert (await h.press(LIU, zhang_ask, data="rchere:x")).toast  # not even a number: refused, no exception
    async with h.app.db.reading() as s:
        assert (await s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "button.refused"))) >= 3
    assert labels(call_card(h).card)["应答"] == "1/5"  # type: ignore[arg-type]

    # Before 3 minutes nobody is reminded; at 3 minutes (23:03, quiet hours) the silent ones the bot can
    # write to are, privately, with the button; 陈明 and 钱七 stay for a phone call.
    assert await run_alerts(h, START + timedelta(minutes=2, seconds=59)) == []
    reminded = await run_alerts(h, START + timedelta(minutes=3))
    assert {s.chat.chat_id for s in reminded if not s.chat.is_group and s.reply.text} == {"p-admin", "p-liu"}
    assert "您还没有应答" in h.texts(private_to(reminded, "liu"))
    fields = labels(call_card(h).card)  # type: ignore[arg-type]
    assert fields["未到"] == "王主任（已提醒1次）、刘芳（已提醒1次）、陈明"
    assert await run_alerts(h, START + timedelta(minutes=4)) == []  # not again within 3 minutes

    # 刘芳 answers the reminder after 4.5 minutes: 5 minutes on the card, after 张伟.
    clock.set(START + timedelta(minutes=4, seconds=30))
    assert (await h.press(LIU, private_to(reminded, "liu")[0], "到")).toast == "已应答「到」（5 分钟）。"
    assert labels(call_card(h).card)["已到"] == "张伟 2分钟、刘芳 5分钟"  # type: ignore[arg-type]
    # 王主任 is reminded a second time, and then no more.
    second = await run_alerts(h, START + timedelta(minutes=6))
    assert {s.chat.chat_id for s in second if not s.chat.is_group and s.reply.text} == {"p-admin"}
    assert await run_alerts(h, START + timedelta(minutes=30)) == []

    # /alert end closes it; a late press is told so and not counted.
    clock.set(START + timedelta(minutes=31))
    assert "点名已结束：已到 2/5" in h.texts(await h.say(LI, "/alert end"))
    card = call_card(h)
    assert card.card is not None and card.card.status is not None and card.card.status.text == "已结束（历时 31 分钟）"
    assert card.card.actions == ()
    late = await h.press(ADMIN, private_to(out, "admin")[0], "到")
    assert late.toast == "这次点名已经结束，没有再记录应答。"
    assert labels(call_card(h).card)["应答"] == "2/5"  # type: ignore[arg-type]
    assert await run_alerts(h, START + timedelta(minutes=40)) == []
    assert "现在没有进行中的点名" in h.texts(await h.say(LI, "/alert end"))
    no_phones_in_groups(h)




async def test_a_drill_takes_attendance_and_here_answers_by_command(harness: Harness, clock: ManualClock) -> None:
    h = harness
    await seed(h)
    for line in ROSTER[:3]:
        await h.say(ADMIN, line, Harness.private(ADMIN))
    clock.set(START)
    out = await h.say(ADMIN, "/alert 演练 消防疏散演练", Harness.private(ADMIN))
    card = next(s for s in out if s.card is not None and s.chat == GROUP)
    assert card.card is not None and card.card.title == "演练点名：消防疏散演练"
    assert "【演练点名】" in h.texts(private_to(out, "zhang"))
    # The caller wrote privately: their copy of the card is edited too.
    assert any(s.card is not None for s in private_to(out, "admin"))
    clock.set(START + timedelta(minutes=1))
    assert "已应答「到」（1 分钟）" in h.texts(await h.say(ZHANG, "/here", Harness.private(ZHANG)))
    assert "不在这次点名的名单里" in h.texts(await h.say(CHEN, "/here", Harness.private(CHEN)))
    assert all(labels(s.card)["应答"] == "1/3" for s in h.adapter.sent if s.card and s.card.key == card.card.key)
    ended = h.texts(await h.say(ADMIN, "/alert 结束", Harness.private(ADMIN)))
    assert "已到 1/3；可用 /drill 登记本次演练（参加 1 人）" in ended
    no_phones_in_groups(h)


async def test_a_caller_the_bot_cannot_write_to_gets_names_not_phones_in_the_group(harness: Harness) -> None:
    h = harness
    await seed(h, private=("admin", "zhang"))  # 李干部 never wrote to the bot privately
    for line in ROSTER[:3]:
        await h.say(ADMIN, line, Harness.private(ADMIN))
    out = await h.say(LI, "/alert 2号罐区泄漏")
    said = h.texts([s for s in out if s.chat == GROUP])
    assert "已发起点名：私聊通知 2 人" in said
    assert "以下成员无法私聊通知，请电话联系（电话见私聊 /roster 或 /emergency）：刘芳" in said
    assert not [s for s in out if s.chat.chat_id == "p-li"]
    no_phones_in_groups(h)
