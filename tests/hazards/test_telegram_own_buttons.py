"""Buttons only for people who may use them, over Telegram end to end (issue 18, item 15): the lead's
private copy of an inspector's find has no 设为重大隐患 / 更改类别, and after the fix no 验收通过 / 驳回,
while the manager's copy and the group's card keep theirs."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fake_telegram import FakeTelegram
from tests.harness import ADMIN_ID, LiveBot, jpeg

pytestmark = pytest.mark.e2e

TITLE = "隐患 YH-2026-0001"


def cards(tg: FakeTelegram, chat_id: int) -> list[dict[str, Any]]:
    return [m for m in tg.sent_messages(chat_id) if "photo" in m and TITLE in (m.get("caption") or "")]


def labels(tg: FakeTelegram, chat_id: int) -> list[str]:
    (card,) = cards(tg, chat_id)
    current = next(m for m in tg.sent_messages(chat_id) if m["message_id"] == card["message_id"])
    return [label for label, _ in tg.buttons(current)]


async def test_private_copies_carry_only_their_persons_buttons(bot: LiveBot) -> None:
    tg = bot.tg
    admin, li = tg.user(ADMIN_ID, "王主任", "wang"), tg.user(2, "李干部", "li")
    zhao, zhang = tg.user(4, "赵工", "zhao"), tg.user(3, "张伟", "zhang")
    group = tg.group()
    for person in (admin, li, zhang):
        assert "您好" in await bot.say(person, tg.private(person), "/start")
    await bot.say(admin, group, "/setgroup")
    await bot.say(admin, group, "/enterprise_add 华油装备制造有限公司 华油")
    assert "身份：未登记" in await bot.say(zhao, group, "/whoami")
    assert "李干部" in await bot.say(admin, group, "/role li 干部")
    assert "赵工" in await bot.say(admin, group, "/role zhao inspector")
    assert "张伟" in await bot.say(admin, group, "/role zhang 负责人 华油")

    tg.send_photo(zhao, group, jpeg(1), caption="/hazard 华油 二车间配电箱门未关闭 3天内")
    await tg.wait_for(lambda: bool(cards(tg, group["id"])) and bool(cards(tg, 3)))
    await bot.app.sender.settle()
    assert labels(tg, group["id"]) == ["提交整改", "设为重大隐患", "更改类别"]
    assert labels(tg, 3) == [
        "提交整改"
    ]  # 张伟's copy: an inspector's find is not re-graded by the enterprise

    (card,) = cards(tg, group["id"])
    tg.send_photo(zhang, group, jpeg(2), caption="/fix 已加锁", reply_to=card["message_id"])
    await tg.wait_for(lambda: bool(cards(tg, 2)) and labels(tg, group["id"]) == ["验收通过", "驳回"])
    await bot.app.sender.settle()
    assert labels(tg, 2) == ["验收通过", "驳回"]  # the manager's copy
    await tg.wait_for(lambda: labels(tg, 3) == [])  # the lead's copy: nothing they may press
