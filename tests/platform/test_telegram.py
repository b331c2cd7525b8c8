"""The Telegram adapter end to end: the real python-telegram-bot client polls the fake Bot API server.

People act through ``FakeTelegram`` (send_text / press / repeat); the bot runs as in production
(`build_app` + `TelegramAdapter` long polling). Every wait is ``tg.wait_for`` on an explicit condition.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.clock import ManualClock
from storage.models import Enterprise, InboxItem, ProcessedUpdate
from tests.fake_telegram import BOT_USERNAME, TOKEN
from tests.harness import ADMIN_ID, LiveBot, running_bot

pytestmark = pytest.mark.e2e  # real HTTP to a fake platform server, or a real bot process

XIAO_ID = 2


async def test_join_scenario_over_telegram(bot: LiveBot) -> None:
    tg = bot.tg
    admin = tg.user(ADMIN_ID, "王主任", "wang")
    xiao = tg.user(XIAO_ID, "小周", "xiaozhou")
    group = tg.group()
    admin_chat = tg.private(admin)

    assert "您好，王主任" in await bot.say(admin, admin_chat, "/start")  # the admin opens a private chat
    added = await bot.say(admin, group, "/enterprise_add 华油装备制造有限公司 华油")
    assert "已添加企业：华油装备制造有限公司" in added

    # The person asks to join in the group; the admin gets the card with buttons in private.
    cards_before = len(tg.sent_messages(ADMIN_ID))
    assert "已提交申请" in await bot.say(xiao, group, "/join 华油 负责人")
    await tg.wait_for(lambda: len(tg.sent_messages(ADMIN_ID)) > cards_before)
    card = tg.sent_messages(ADMIN_ID)[cards_before]
    assert "小周" in card["text"] and "华油装备制造有限公司" in card["text"] and "安全负责人" in card["text"]
    buttons = tg.buttons(card)
    assert [label for label, _ in buttons] == ["批准", "拒绝"]
    approve = buttons[0][1]
    assert approve.startswith("join:") and approve.endswith(":approve")

    # The person forges a press of 批准 on the admin's card: refused, nothing changes.
    forged = tg.press(xiao, card, approve)
    await tg.wait_for(lambda: len(bot.answers()) == 1)
    answer = bot.answers()[0].params
    assert answer["callback_query_id"] == forged["callback_query"]["id"]
    assert "管理员" in answer.get("text", "")
    assert tg.calls_of("editMessageText") == []
    assert [label for label, _ in tg.buttons(card)] == ["批准", "拒绝"]
    whoami = await bot.say(xiao, group, "/whoami")
    assert "身份：未登记" in whoami and "待审批的申请：华油装备制造有限公司（安全负责人）" in whoami

    # The admin approves: the card is edited in place, the person is told, the press is answered.
    group_before = len(bot.texts(group))
    admin_before = len(tg.sent_messages(ADMIN_ID))
    pressed = tg.press(admin, card, approve)
    await tg.wait_for(lambda: len(bot.answers()) == 2)
    answer = bot.answers()[1].params
    assert answer["callback_query_id"] == pressed["callback_query"]["id"]
    assert "已批准" in answer.get("text", "")

    await tg.wait_for(lambda: bool(tg.calls_of("editMessageText")))  # the card is edited after the answer
    await bot.app.sender.settle()
    edits = tg.calls_of("editMessageText")
    assert len(edits) == 1 and edits[0].error is None, tg.summary()
    assert (edits[0].params["chat_id"], edits[0].params["message_id"]) == (ADMIN_ID, card["message_id"])
    assert len(tg.sent_messages(ADMIN_ID)) == admin_before  # edited, not sent anew
    edited = next(m for m in tg.sent_messages(ADMIN_ID) if m["message_id"] == card["message_id"])
    assert "已批准（王主任）" in edited["text"] and "edit_date" in edited
    assert tg.buttons(edited) == []

    # 小周 never wrote to the bot in private, so the notice goes to the group the request came from.
    notices = bot.texts(group)[group_before:]
    assert any("小周 加入华油装备制造有限公司的申请已获批准" in text for text in notices), tg.summary()

    whoami = await bot.say(xiao, group, "/whoami")
    assert "身份：安全负责人" in whoami and "所属企业：华油装备制造有限公司" in whoami


async def test_repeated_update_is_handled_once(bot: LiveBot, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="bot.dispatcher")
    tg = bot.tg
    admin = tg.user(ADMIN_ID, "王主任", "wang")
    group = tg.group()

    update = tg.send_text(admin, group, "/enterprise_add 鲁味食品")
    update_id = update["update_id"]
    await tg.wait_for(lambda: any("已添加企业：鲁味食品" in text for text in bot.texts(group)))
    # PTB has confirmed the update (a later getUpdates asks for newer ones) before it comes again.
    await tg.wait_for(
        lambda: any(int(c.params.get("offset") or 0) > update_id for c in tg.calls_of("getUpdates"))
    )

    tg.repeat(update)

    def deliveries() -> int:  # (a long poll already waiting when repeat() was called may carry it)
        return sum(u["update_id"] == update_id for c in tg.calls_of("getUpdates") for u in c.result or [])

    await tg.wait_for(lambda: deliveries() == 2)
    # Updates of one chat are handled in order: once /whoami is answered the repeat was dealt with.
    whoami = tg.send_text(admin, group, "/whoami")
    await tg.wait_for(lambda: any("身份：管理员" in text for text in bot.texts(group)))

    assert sum("已添加企业" in text for text in bot.texts(group)) == 1, tg.summary()
    async with bot.app.db.unit_of_work() as session:
        # The repeat met the stored one at the inbox's unique key; had it got past, the processed-update
        # key would have stopped it (logged as "already processed").
        stored = (
            await session.scalars(select(InboxItem.key).where(InboxItem.key == f"telegram:{update_id}"))
        ).all()
        assert len(stored) == 1
    assert not [r for r in caplog.records if "already processed" in r.getMessage()]
    async with bot.app.db.unit_of_work() as session:
        keys = set(await session.scalars(select(ProcessedUpdate.key)))
        assert keys == {f"telegram:{update_id}", f"telegram:{whoami['update_id']}"}
        assert await session.scalar(select(func.count()).select_from(Enterprise)) == 1


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Capture every logger at DEBUG, including httpx (which logs each request URL, token and all)."""
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "telegram", "bot"):
        caplog.set_level(logging.DEBUG, logger=name)
    yield caplog


async def test_token_never_logged(
    debug_logs: pytest.LogCaptureFixture, sqlite_url: str, tmp_path: Path, clock: ManualClock
) -> None:
    def httpx_at_debug() -> None:  # the adapter quiets httpx; undo that to prove redaction, not silence
        debug_logs.set_level(logging.DEBUG, logger="httpx")

    async with running_bot(sqlite_url, tmp_path, clock, before_start=httpx_at_debug) as bot:
        tg = bot.tg
        admin = tg.user(ADMIN_ID, "王主任", "wang")
        assert "您好" in await bot.say(admin, tg.private(admin), "/start")
        group = tg.group()
        assert "没有 /frobnicate 这个命令" in await bot.say(admin, group, "/frobnicate")

    messages = [record.getMessage() for record in debug_logs.records]
    secret = TOKEN.split(":", 1)[1]
    leaked = [message for message in messages if secret in message]
    assert leaked == []
    assert secret not in debug_logs.text  # formatted output too, tracebacks included
    # The request URLs were logged, so the checks above mean something, with the token blanked out.
    assert any("<token>/getUpdates" in message for message in messages), messages[:20]
    assert any("<token>/sendMessage" in message for message in messages), messages[:20]


async def test_unknown_command_and_other_bots_commands(bot: LiveBot) -> None:
    tg = bot.tg
    xiao = tg.user(XIAO_ID, "小周", "xiaozhou")
    group = tg.group()

    hint = await bot.say(xiao, group, "/frobnicate now")
    assert "没有 /frobnicate 这个命令" in hint and "/help" in hint
    assert "您的身份" in await bot.say(xiao, group, f"/help@{BOT_USERNAME}")  # addressed to this bot

    # A command for another bot gets nothing; updates are handled in order, so if it had been
    # answered, that answer would come before the answer to the /help that follows it.
    before = len(bot.texts(group))
    tg.send_text(xiao, group, "/start@other_bot")
    tg.send_text(xiao, group, "/help")
    await tg.wait_for(lambda: len(bot.texts(group)) > before)
    assert "您的身份" in bot.texts(group)[before], tg.summary()
    assert len(bot.texts(group)) == before + 1
