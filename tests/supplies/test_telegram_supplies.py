"""A supplies check over Telegram, end to end: the real python-telegram-bot client polls the fake Bot API
server; a manager adds an item, the enterprise's lead sends a photo captioned `/check …` in the group, the
photo is fetched and stored before the bot answers, and the next due date moves; then the reminders job,
run by the manual clock, tells the responsible person privately before the next check falls due."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from storage.models import BroadcastFile, Photo, SupplyCheck
from tests.harness import ADMIN_ID, LiveBot, jpeg, run_reminders

pytestmark = pytest.mark.e2e  # real HTTP to a fake platform server

LI_ID, ZHANG_ID = 2, 3


async def test_a_check_with_a_photo_over_telegram(bot: LiveBot, clock: ManualClock) -> None:
    tg = bot.tg
    admin, li, zhang = tg.user(ADMIN_ID, "王主任", "wang"), tg.user(LI_ID, "李干部", "li"), tg.user(ZHANG_ID, "张伟", "zhang")
    group = tg.group()
    await bot.say(admin, tg.private(admin), "/start")
    await bot.say(admin, group, "/setgroup")
    await bot.say(admin, group, "/enterprise_add 华油装备制造有限公司 华油")
    await bot.say(li, tg.private(li), "/start")
    await bot.say(zhang, tg.private(zhang), "/start")
    await bot.say(admin, group, "/role li 干部")
    await bot.say(admin, group, "/role zhang 负责人 华油")
    said = await bot.say(li, group, "/supply add 灭火器 20具 华油 二车间 每月 负责人 @zhang")
    assert "已登记应急物资 WZ-001" in said and "下次检查 2026-12-30" in said
    before = len(bot.texts(group))
    tg.send_photo(zhang, group, jpeg(11), caption="/check WZ-001 压力正常")
    await tg.wait_for(lambda: len(bot.texts(group)) > before)
    assert "已记录 WZ-001 灭火器 的检查（照片 1 张）。下次检查 2026-12-30" in bot.texts(group)[before]
    async with bot.app.db.reading() as s:
        check = (await s.scalars(select(SupplyCheck))).one()
        linked = (await s.scalars(select(BroadcastFile).where(BroadcastFile.owner_kind == "supply_check"))).one()
        photo = await s.get(Photo, linked.photo_id)
    assert check.note == "压力正常" and photo is not None
    assert (bot.app.settings.storage.photo_dir / photo.path).read_bytes() == jpeg(11)
    # Seven days before the next check (2026-12-30), 10:00 in the park: 张伟 privately, once.
    at = datetime(2026, 12, 23, 2, 0, tzinfo=UTC)
    clock.set(at)
    private = tg.private(zhang)
    before = len(bot.texts(private))
    await run_reminders(bot.app, at)
    await tg.wait_for(lambda: len(bot.texts(private)) > before)
    assert "WZ-001 灭火器 20具（华油装备制造有限公司 二车间）将于 2026-12-30 检查，还有 7 天" in bot.texts(private)[before]
