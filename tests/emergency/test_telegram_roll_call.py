"""A roll call over Telegram end to end: the roster kept in a private chat, /alert in the group, the member's
private 到 pressed, the group card edited in place with the minutes, a foreign press refused; no phone number
ever reaches the group."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from bot.clock import ManualClock
from tests.harness import ADMIN_ID, LiveBot

pytestmark = pytest.mark.e2e

PHONE = re.compile(r"\d{5,}")


def card_text(bot: LiveBot, chat: dict[str, Any]) -> str:
    """Return the roll call card's current text in a chat."""
    return next(t for t in bot.texts(chat) if "点名：" in t and "应答" in t)


def answer_to(bot: LiveBot, update: dict[str, Any]) -> dict[str, Any] | None:
    query_id = update["callback_query"]["id"]
    return next((c.params for c in bot.answers() if c.params.get("callback_query_id") == query_id), None)


async def test_a_roll_call_over_telegram(bot: LiveBot, clock: ManualClock) -> None:
    tg = bot.tg
    admin, li, zhang, zhao = (
        tg.user(ADMIN_ID, "王主任", "wang"),
        tg.user(2, "李干部", "li"),
        tg.user(3, "张伟", "zhang"),
        tg.user(4, "赵工", "zhao"),
    )
    group = tg.group()
    for person in (admin, li, zhang):
        assert "您好" in await bot.say(person, tg.private(person), "/start")
    await bot.say(admin, group, "/setgroup")
    assert "李干部" in await bot.say(admin, group, "/role li 干部")
    said = await bot.say(admin, tg.private(admin), "/roster add 张伟 总指挥 管委会 13800000002 值班：1")
    assert "已关联聊天账号：张伟" in said
    await bot.say(admin, tg.private(admin), "/roster add 钱七 成员 管委会 13800000004")

    start = clock.now()
    tg.send_text(li, group, "/alert 演练 消防疏散演练")
    await tg.wait_for(lambda: any("已发起点名：私聊通知 1 人" in t for t in bot.texts(group)))
    await tg.wait_for(lambda: any("请立即按「到」" in t for t in bot.texts(tg.private(zhang))))
    await bot.app.sender.settle()
    assert "应答：0/2" in card_text(bot, group)
    ask = next(m for m in tg.sent_messages(zhang["id"]) if "请立即按「到」" in (m.get("text") or ""))
    (label, data), = tg.buttons(ask)
    assert label == "到"

    # An inspector who was not asked presses 到 on the group card: refused, nothing counted.
    card = next(m for m in tg.sent_messages(group["id"]) if "点名：" in (m.get("text") or ""))
    foreign = tg.press(zhao, card, data)
    await tg.wait_for(lambda: answer_to(bot, foreign) is not None)
    assert "不在这次点名的名单里" in (answer_to(bot, foreign) or {}).get("text", "")

    clock.set(start + timedelta(seconds=100))
    pressed = tg.press(zhang, ask, data)
    await tg.wait_for(lambda: "张伟 2分钟" in card_text(bot, group) and answer_to(bot, pressed) is not None)
    assert (answer_to(bot, pressed) or {}).get("text") == "已应答「到」（2 分钟）。"
    assert "应答：1/2" in card_text(bot, group) and "钱七（请电话联系）" in card_text(bot, group)

    assert "已到 1/2" in await bot.say(li, group, "/alert end")
    await tg.wait_for(lambda: "已结束" in card_text(bot, group))
    assert not [t for t in bot.texts(group) if PHONE.search(t)]
