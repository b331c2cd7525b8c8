"""我的待办 over Telegram end to end (issue 18, item 14): a lead's /start shows their to-do list first,
its buttons are real inline buttons, and pressing 收到 on it answers the meeting notice."""

from __future__ import annotations

import pytest

from tests.harness import ADMIN_ID, LiveBot

pytestmark = pytest.mark.e2e


async def test_start_shows_the_todo_with_working_buttons(bot: LiveBot) -> None:
    tg = bot.tg
    admin, li, zhang = (
        tg.user(ADMIN_ID, "王主任", "wang"),
        tg.user(2, "李干部", "li"),
        tg.user(3, "张伟", "zhang"),
    )
    group = tg.group()
    for person in (admin, li, zhang):
        await bot.say(person, tg.private(person), "/start")
    await bot.say(admin, group, "/setgroup")
    await bot.say(admin, group, "/enterprise_add 华油装备制造有限公司 华油")
    await bot.say(admin, group, "/role li 干部")
    await bot.say(admin, group, "/role zhang 负责人 华油")
    await bot.say(li, group, "/meeting 2026-12-05 09:00 管委会三楼会议室 12月安全生产例会")

    private = tg.private(zhang)
    first = await bot.say(zhang, private, "/start")
    assert first.startswith("您好，张伟！") and "我的待办（安全负责人，华油装备制造有限公司）" in first
    assert "待回执的通知 1 项" in first and "HY-2026-01 12月安全生产例会" in first
    listed = next(m for m in reversed(tg.sent_messages(private["id"])) if "待回执的通知" in m.get("text", ""))
    assert [label for label, _ in tg.buttons(listed)] == ["HY-2026-01 收到", "请假"]
    data = next(d for label, d in tg.buttons(listed) if label == "HY-2026-01 收到")
    tg.press(zhang, listed, data)
    await tg.wait_for(
        lambda: any(
            "已回执 1/1" in (m.get("text") or m.get("caption") or "") for m in tg.sent_messages(group["id"])
        )
    )
    assert "目前没有等您处理的事项" in await bot.say(zhang, private, "/todo")
