"""The DingTalk adapter end to end: the real adapter talks Stream mode and HTTP to the fake open platform.

People act through ``FakeDingTalk`` (an @-mention in the group, a private message, a card click); the
bot runs as in production (`build_app` + `DingTalkAdapter`). Every wait is ``dt.wait_for`` on an explicit
condition.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

import pytest
from msgspec.structs import replace
from sqlalchemy import func, select

from bot.adapters.dingtalk import DingTalkAdapter, StartupError
from bot.app import build_app
from bot.clock import ManualClock
from bot.config import SecretStr
from storage import dingtalk as dingtalk_rows
from storage.models import Chat, Enterprise, InboxItem, OutboxItem, Person
from tests.fake_dingtalk import CLIENT_ID, CLIENT_SECRET, QPS_LIMIT, TEMPLATE_ID, FakeDingTalk
from tests.fake_telegram import TOKEN, FakeTelegram
from tests.harness import (
    ADMIN_ID,
    DT_ADMIN_ID,
    LiveDingTalk,
    jpeg,
    make_dingtalk_settings,
    running_dingtalk_bot,
)

pytestmark = pytest.mark.e2e  # real HTTP to a fake platform server, or a real bot process

XIAO_ID = "0400004"


async def test_join_scenario_over_dingtalk(dingtalk_bot: LiveDingTalk) -> None:
    bot = dingtalk_bot
    dt: FakeDingTalk = bot.dt
    admin = dt.user(DT_ADMIN_ID, "王主任")
    xiao = dt.user(XIAO_ID, "小周")
    group = dt.group()

    assert "您好，王主任" in await bot.say(admin, None, "/start")  # privately: batchSend to the admin
    assert dt.calls_to("/v1.0/robot/oToMessages/batchSend")[-1].body["userIds"] == [DT_ADMIN_ID]
    added = await bot.say(admin, group, "/enterprise_add 华油装备制造有限公司 华油")
    assert "已添加企业：华油装备制造有限公司" in added

    # 小周 asks in the group; the admin gets the request as a card in their 1:1 chat with the robot.
    assert "已提交申请" in await bot.say(xiao, group, "/join 华油 负责人")
    await dt.wait_for(lambda: len(dt.private_cards(admin)) == 1)
    (card,) = dt.private_cards(admin)
    assert "小周" in card.params["body"] and "华油装备制造有限公司" in card.params["body"]
    assert [label for label, _ in card.buttons()] == ["批准", "拒绝"]
    approve = card.buttons()[0][1]
    assert approve.startswith("join:") and approve.endswith(":approve")

    # 小周 forges a click of 批准 on the admin's card: refused and told privately, nothing changes.
    before = len(bot.texts(xiao))
    forged = dt.press(xiao, card.out_track_id, approve)
    await dt.wait_for(lambda: len(bot.texts(xiao)) > before)
    assert "管理员" in bot.texts(xiao)[before]
    assert dt.frame(forged).acked and card.updates == 0
    assert "身份：未登记" in await bot.say(xiao, group, "/whoami")

    # The admin approves: the card is updated in place (no new card), 小周 is told privately.
    before = len(bot.texts(xiao))
    pressed = dt.press_label(admin, card, "批准")
    await dt.wait_for(lambda: card.updates == 1 and len(bot.texts(xiao)) > before)
    assert dt.frame(pressed).ack_delay is not None and dt.frame(pressed).ack_delay < 2.0
    assert "已批准（王主任）" in card.params["body"] or "已批准（王主任）" in card.params["status"]
    assert card.buttons() == []
    assert (
        len(dt.private_cards(admin)) == 1 and len(dt.calls_to("/v1.0/card/instances/createAndDeliver")) == 1
    )
    # DingTalk lets the robot write to any member, so 小周 hears it privately, not in the group.
    assert any("您加入华油装备制造有限公司的申请已获批准" in t for t in bot.texts(xiao)[before:]), (
        dt.summary()
    )
    whoami = await bot.say(xiao, group, "/whoami")
    assert "身份：安全负责人" in whoami and "所属企业：华油装备制造有限公司" in whoami

    async with bot.app.db.unit_of_work() as session:
        ids = set(await session.scalars(select(Person.external_id).where(Person.platform == "dingtalk")))
        assert ids == {DT_ADMIN_ID, XIAO_ID}  # strings, leading zeros kept
        assert await session.scalar(select(func.count()).select_from(Enterprise)) == 1


async def test_reconnect_loses_nothing_and_handles_nothing_twice(dingtalk_bot: LiveDingTalk) -> None:
    bot = dingtalk_bot
    dt = bot.dt
    admin = dt.user(DT_ADMIN_ID, "王主任")
    group = dt.group()
    dt.lose_acks = 2  # the bot stores and acks the first two, but the acks never reach DingTalk
    frames = [dt.send_text(admin, group, f"/enterprise_add 测试企业{i:02d}") for i in range(5)]
    await dt.wait_for(lambda: dt.lose_acks == 0 and sum(dt.frame(f).acked for f in frames) >= 2)

    # The network drops mid-run: frames pushed and not acked come again on the next socket.
    await dt.drop()
    frames += [dt.send_text(admin, group, f"/enterprise_add 测试企业{i:02d}") for i in range(5, 10)]
    await dt.wait_for(lambda: dt.connections >= 2 and all(dt.frame(f).acked for f in frames))

    # DingTalk asks to reconnect: a new socket opens at once, the old one closes a little later.
    ping = dt.ping()
    await dt.wait_for(lambda: dt.frame(ping).acked)
    await dt.system_disconnect()
    frames += [dt.send_text(admin, group, f"/enterprise_add 测试企业{i:02d}") for i in range(10, 15)]
    # And DingTalk pushes two handled messages once more (same msgId, new frames): dropped by msgId.
    frames += [dt.repush(frames[0]), dt.repush(frames[7])]
    await dt.wait_for(lambda: dt.connections >= 3 and all(dt.frame(f).acked for f in frames))
    await bot.app.inbox.idle()

    assert sum(dt.frame(f).deliveries > 1 for f in frames) >= 2  # pushed again after the drop
    added = [t for t in bot.texts(group) if t.startswith("已添加企业：测试企业")]
    assert sorted(added) == sorted(set(added)) and len(added) == 15, dt.summary()
    assert bot.adapter.connections == dt.connections >= 3
    assert dt.frame(ping).ack is not None
    async with bot.app.db.unit_of_work() as session:
        assert await session.scalar(select(func.count()).select_from(Enterprise)) == 15
        keys = list(await session.scalars(select(InboxItem.key).where(InboxItem.platform == "dingtalk")))
        assert len(keys) == len(set(keys)) == 15
        chat_ids = set(await session.scalars(select(Chat.chat_id).where(Chat.platform == "dingtalk")))
        assert group.cid in chat_ids  # `+` and `/` kept as they are


async def test_throttling_is_retried_and_refusals_are_not(dingtalk_bot: LiveDingTalk) -> None:
    bot = dingtalk_bot
    dt = bot.dt
    admin = dt.user(DT_ADMIN_ID, "王主任")
    group = dt.group()
    send = "/v1.0/robot/groupMessages/send"

    # 403 QpsLimit three times: the adapter waits and tries again; the message arrives once.
    dt.fail(send, 403, QPS_LIMIT, times=3)
    assert "已添加企业：鲁味食品" in await bot.say(admin, group, "/enterprise_add 鲁味食品")
    throttled = [c for c in dt.calls_to(send) if c.status == 403]
    assert len(throttled) == 3 and bot.adapter.api.retries >= 3
    assert sum("鲁味食品" in t for t in bot.texts(group)) == 1

    # A 400 is a refusal for good: not retried; the next message goes out as usual.
    calls = len(dt.calls_to(send))
    dt.fail(send, 400, "invalidParameter.openConversationId", times=1)
    dt.send_text(admin, group, "/enterprise_add 宏达机械")
    await dt.wait_for(lambda: len(dt.calls_to(send)) == calls + 1)
    assert "已添加企业：华油" in await bot.say(admin, group, "/enterprise_add 华油")
    assert len(dt.calls_to(send)) == calls + 2

    # The oapi host says "system busy" (errcode -1) with HTTP 200: the upload is tried again.
    dt.fail_oapi(-1, times=1)
    frame = dt.send_rich(admin, group, "/hazard 仓库消防通道堆放杂物 鲁味食品 3天内", [jpeg(7)])
    await dt.wait_for(lambda: dt.frame(frame).acked and len(dt.group_cards(group)) == 1)
    (card,) = dt.group_cards(group)
    assert dt.media[card.params["photo"]] == jpeg(7)
    assert [c.error for c in dt.calls_to("/media/upload")] == ["-1", None]


async def test_api_calls_counted_and_managers_warned_at_80_percent(
    sqlite_url: str, tmp_path: Path, clock: ManualClock
) -> None:
    async with running_dingtalk_bot(sqlite_url, tmp_path, clock, monthly_calls=10) as bot:
        dt = bot.dt
        admin = dt.user(DT_ADMIN_ID, "王主任")
        group = dt.group()
        assert "您好" in await bot.say(admin, None, "/start")
        for i in range(8):
            await bot.say(admin, group, f"/enterprise_add 计数企业{i}")
        await bot.app.inbox.idle()
        await bot.adapter.flush_calls()

        # Every request to the api and oapi hosts is counted: token, gateway, sends, and the warning itself.
        async with bot.app.db.unit_of_work() as session:
            assert await dingtalk_rows.calls_in(session, "2026-11") == dt.counted > 8
            unsent = await session.scalar(
                select(func.count()).select_from(OutboxItem).where(OutboxItem.sent_at.is_(None))
            )
            assert unsent == 0
        warnings = [t for t in bot.texts(admin) if "接口调用已达" in t]
        assert len(warnings) == 1, bot.texts(admin)  # once a month, however far past 80 %
        assert "每月额度 10 次" in warnings[0]


async def test_secret_never_logged_and_bad_credentials_refused(
    caplog: pytest.LogCaptureFixture, sqlite_url: str, tmp_path: Path, clock: ManualClock
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("aiohttp", "bot", "asyncio"):
        caplog.set_level(logging.DEBUG, logger=name)
    async with running_dingtalk_bot(sqlite_url, tmp_path, clock) as bot:
        admin = bot.dt.user(DT_ADMIN_ID, "王主任")
        assert "您好" in await bot.say(admin, None, "/start")
        logging.getLogger("bot.test").info("echo %s", CLIENT_SECRET)  # a careless log line is redacted too
        # Someone outside the organisation (no userId) is refused politely and never becomes a person.
        group = bot.dt.group()
        bot.dt.send_text(None, group, "/whoami")
        await bot.dt.wait_for(lambda: any("只有本组织" in t for t in bot.texts(group)))
        async with bot.app.db.unit_of_work() as session:
            assert (
                await session.scalar(select(func.count()).select_from(Person).where(Person.external_id == ""))
                == 0
            )
    assert CLIENT_SECRET not in caplog.text
    assert any("<secret>" in r.getMessage() for r in caplog.records)

    async with FakeDingTalk() as dt:
        settings = make_dingtalk_settings(sqlite_url, tmp_path, dt)
        wrong = replace(settings.dingtalk, client_secret=SecretStr("not-the-secret"))
        app = build_app(settings, clock)
        adapter = DingTalkAdapter(wrong, app.dispatcher, app.inbox)
        with pytest.raises(StartupError, match=r"dingtalk\.client_secret") as err:
            await adapter.start()
        assert "not-the-secret" not in str(err.value)
        await adapter.stop()
        await app.close()


async def test_run_starts_telegram_and_dingtalk_together(sqlite_url: str, tmp_path: Path) -> None:
    """`safetybot run` with both platforms configured answers on both, and stops cleanly on SIGTERM."""
    async with FakeTelegram() as tg, FakeDingTalk() as dt:
        cfg = tmp_path / "config.toml"
        cfg.write_text(
            f'[database]\nurl = "{sqlite_url}"\n'
            f'[storage]\nphoto_dir = "{tmp_path / "photos"}"\n'
            f'[access]\nadmins = ["telegram:{ADMIN_ID}", "dingtalk:{DT_ADMIN_ID}"]\n'
            f'[telegram]\ntoken = "{TOKEN}"\nbase_url = "{tg.base_url}"\nbase_file_url = "{tg.base_file_url}"\n'
            "poll_timeout = 1\n"
            f'[dingtalk]\nclient_id = "{CLIENT_ID}"\ncard_template_id = "{TEMPLATE_ID}"\n'
            f'api_base_url = "{dt.api_base_url}"\noapi_base_url = "{dt.oapi_base_url}"\n',
            encoding="utf-8",
        )
        env = {
            **os.environ,
            "SAFETYBOT_DINGTALK__CLIENT_SECRET": CLIENT_SECRET,
            "NO_PROXY": "127.0.0.1,localhost",
        }
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", "--config", str(cfg),
            env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            admin_tg = tg.user(ADMIN_ID, "王主任", "wang")
            chat = tg.private(admin_tg)
            tg.send_text(admin_tg, chat, "/whoami")
            await tg.wait_for(
                lambda: any("身份：管理员" in (m.get("text") or "") for m in tg.sent_messages(ADMIN_ID)), 30
            )
            admin_dt = dt.user(DT_ADMIN_ID, "王主任")
            dt.send_text(admin_dt, None, "/whoami")
            await dt.wait_for(
                lambda: any("身份：管理员" in m.text for m in dt.private_messages(admin_dt)), 30
            )
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(proc.communicate(), 30)
        assert proc.returncode == 0, err.decode()
        assert CLIENT_SECRET not in err.decode() and TOKEN.split(":")[1] not in err.decode()
