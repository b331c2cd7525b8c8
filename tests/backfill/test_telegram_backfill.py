"""补录 end to end over HTTP: the real Telegram adapter against the fake Bot API server. A manager back-fills
a meeting and a closed hazard in the group; the bot answers there only, and a lead is refused."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from storage.models import OutboxItem
from tests.harness import ADMIN_ID, LiveBot

pytestmark = pytest.mark.e2e  # real HTTP to a fake platform server

LI_ID = 2
ZHANG_ID = 3


async def test_a_manager_back_fills_in_the_group_and_nobody_else_hears_of_it(bot: LiveBot) -> None:
    tg = bot.tg
    admin, li, zhang = tg.user(ADMIN_ID, "王主任", "wang"), tg.user(LI_ID, "李干部", "li"), tg.user(ZHANG_ID, "张伟", "zhang")
    group = tg.group()
    assert "您好，王主任" in await bot.say(admin, tg.private(admin), "/start")
    assert "设为园区安全群" in await bot.say(admin, group, "/setgroup")
    assert "已添加企业" in await bot.say(admin, group, "/enterprise_add 华油装备制造有限公司 华油")
    assert "您好，李干部" in await bot.say(li, tg.private(li), "/start")
    assert "您好" in await bot.say(zhang, tg.private(zhang), "/start")
    assert "已将 李干部 设为包片干部" in await bot.say(admin, group, "/role li 干部")
    assert "已将 张伟 设为安全负责人" in await bot.say(admin, group, "/role zhang 负责人 华油")
    def told_role(chat_id: int) -> bool:
        return any("身份设为" in (m.get("text") or "") for m in tg.sent_messages(chat_id))

    await tg.wait_for(lambda: told_role(li["id"]) and told_role(zhang["id"]))  # each hears of the new role first
    before = {chat: len(tg.sent_messages(chat)) for chat in (admin["id"], li["id"], zhang["id"])}
    async with bot.app.db.reading() as s:
        last = await s.scalar(select(func.max(OutboxItem.id)))

    said = await bot.say(li, group, "/backfill 会议 2025-03-05 三月份安全例会")
    assert said.startswith("【补录】会议 HY-2025-01（例会）：2025-03-05 09:00 三月份安全例会。")
    said = await bot.say(li, group, "/backfill 隐患 2025-04-02 华油 二车间配电室 电线裸露 立即整改 2025-04-03 验收 2025-04-05")
    assert "【补录】隐患 YH-2025-0001：华油装备制造有限公司｜二车间配电室 电线裸露" in said
    assert "这个操作需要以下身份之一" in await bot.say(zhang, group, "/backfill 会议 2025-03-06 例会")
    assert "用法：/补录" in await bot.say(li, group, "/backfill")

    # Nothing but the answers in the group: no card, no private notice to the lead or the managers.
    after = {chat: [m.get("text") for m in tg.sent_messages(chat)] for chat in before}
    assert {chat: len(tg.sent_messages(chat)) for chat in before} == before, after
    assert not tg.calls_of("sendPhoto")
    async with bot.app.db.reading() as s:  # and nothing queued for later: every row since is an answer there
        chats = set(await s.scalars(select(OutboxItem.chat_id).where(OutboxItem.id > (last or 0))))
    assert chats == {str(group["id"])}
