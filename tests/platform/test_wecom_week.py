"""The park's week on WeCom, end to end through the fake long-connection server: a hazard reported by
@-mention with a picture, a fix from another enterprise refused, the fix with a picture to the managers,
self-verification refused, acceptance by a click on the group's card (updated in place), a meeting notice
whose receipts are counted on its card, a message pushed twice handled once, reconnects after a kick and
after a drop answering what was sent meanwhile.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from bot.messages import ChatRef, Reply
from storage.models import Chat, Hazard, HazardPhoto, OutboxItem, Photo
from tests.fake_wecom import RATE_LIMITED, SECRET, Group, User
from tests.harness import after_photos, jpeg, send_proactive
from tests.wecom_live import WC_ADMIN_ID, LiveWeCom, running_wecom_bot

pytestmark = pytest.mark.e2e  # real WebSocket and HTTP to a fake platform server

CODE = "YH-2026-0001"
REPORT = "/hazard 二车间配电箱门未关闭，无警示标识 限期 12月10日"


class Park:
    def __init__(self, bot: LiveWeCom) -> None:
        wc = bot.wc
        self.admin = wc.user(WC_ADMIN_ID, "王主任")
        self.li = wc.user("LiGanBu", "李干部")
        self.zhang = wc.user("ZhangWei", "张伟")
        self.liu = wc.user("LiuFang", "刘芳")
        self.group = wc.group()


async def seed(bot: LiveWeCom) -> Park:
    """Everyone writes to the bot once privately (WeCom writes only where someone talked to it); roles."""
    park = Park(bot)
    for who in (park.admin, park.li, park.zhang, park.liu):
        assert "您好" in await bot.say(who, None, "/start")
    assert "设为园区安全群" in await bot.say(park.admin, park.group, "/setgroup")
    assert "已添加企业" in await bot.say(park.admin, park.group, "/enterprise_add 华油装备制造有限公司 华油")
    assert "已添加企业" in await bot.say(park.admin, park.group, "/enterprise_add 宏达机械有限公司 宏达")
    assert "设为包片干部" in await bot.say(park.admin, park.group, f"/role {park.li.userid} 干部")
    assert "设为安全负责人" in await bot.say(park.admin, park.group, f"/role {park.zhang.userid} 负责人 华油")
    assert "设为安全负责人" in await bot.say(park.admin, park.group, f"/role {park.liu.userid} 负责人 宏达")
    return park


async def _photos(bot: LiveWeCom, phase: str) -> list[bytes]:
    async with bot.app.db.reading() as s:
        paths = await s.scalars(
            select(Photo.path).join(HazardPhoto, HazardPhoto.photo_id == Photo.id).where(HazardPhoto.phase == phase)
        )
        return [(bot.app.settings.storage.photo_dir / p).read_bytes() for p in paths]


async def _status(bot: LiveWeCom) -> str:
    async with bot.app.db.reading() as s:
        hazard = await s.scalar(select(Hazard).where(Hazard.code == CODE))
        assert hazard is not None
        return str(hazard.status)


async def test_hazard_loop_and_meeting_over_wecom(
    sqlite_url: str, tmp_path: Path, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_wecom_bot(sqlite_url, tmp_path, clock) as bot:
        wc = bot.wc
        park = await seed(bot)

        # 1. 张伟 @-mentions the bot with the report and a picture (a mixed message): one card in the group,
        # the picture stored byte-exact after decryption, and sent with the card.
        wc.send_image(park.zhang, park.group, jpeg(1), REPORT)
        await wc.wait_for(lambda: len(wc.card_posts(park.group)) == 1)
        (card,) = wc.card_posts(park.group)
        assert card.body["main_title"]["title"] == f"隐患 {CODE}" and card.body["main_title"]["desc"] == "整改中"
        assert "华油装备制造有限公司" in card.text()
        assert [t for t, _ in card.buttons()] == ["提交整改", "设为重大隐患", "更改类别"]
        assert await _photos(bot, "before") == [jpeg(1)]
        await wc.wait_for(lambda: any(s.msgtype == "image" for s in wc.messages(park.group)))
        image = next(s for s in wc.messages(park.group) if s.msgtype == "image")
        assert wc.uploads[image.body["image"]["media_id"]] == jpeg(1)

        # 2. 刘芳 of 宏达 tries to fix 华油's hazard: refused, nothing changes.
        answer = await bot.say(park.liu, park.group, f"/fix {CODE} 已处理")
        assert "只能处理本企业" in answer, answer
        assert await _status(bot) == "rectifying"

        # 3. 张伟 fixes with a picture: 待验收; 李干部 gets the card in his single chat with the verify buttons.
        wc.send_image(park.zhang, park.group, jpeg(4), f"/fix {CODE} 已加锁并张贴警示标识")
        await wc.wait_for(lambda: any(c.body["main_title"]["desc"] == "待验收" for c in wc.card_posts(park.li)))
        mine = next(c for c in wc.card_posts(park.li) if c.body["main_title"]["desc"] == "待验收")
        assert [t for t, _ in mine.buttons()] == ["验收通过", "驳回"]
        await wc.wait_for(lambda: wc.card_posts(park.group)[-1].body["main_title"]["desc"] == "待验收")

        # 4. 张伟, who fixed it, may not verify it.
        before = len(bot.texts(park.group))
        wc.send_text(park.zhang, park.group, f"/accept {CODE}")
        await wc.wait_for(lambda: any("需要以下身份之一" in t for t in bot.texts(park.group)[before:]))
        assert await _status(bot) == "awaiting_verification"

        # 5. The admin clicks 验收通过 on the group's latest card: it is updated in place to 已销号.
        latest = wc.card_posts(park.group)[-1]
        wc.press_label(park.admin, latest, "验收通过")
        await wc.wait_for(lambda: latest.updates >= 1 and latest.body["main_title"]["desc"] == "已销号")
        assert [k for _, k in latest.buttons()] == ["wecom:none"]
        assert await _status(bot) == "closed"
        async with bot.app.db.reading() as s:
            hazard = await s.scalar(select(Hazard).where(Hazard.code == CODE))
            assert hazard is not None
        assert await after_photos(bot.app, hazard.id) == [jpeg(4)]
        # 李干部's copy was not clicked: it is posted again with the new state.
        await wc.wait_for(lambda: wc.card_posts(park.li)[-1].body["main_title"]["desc"] == "已销号")

        # 6. A meeting notice: its card in the group counts receipts as leads click 收到.
        await bot.say(park.li, park.group, "/meeting 2026-12-05 09:00 管委会三楼会议室 12月安全生产例会")
        await wc.wait_for(lambda: any("例会" in c.text() for c in wc.card_posts(park.group)))
        notice = next(c for c in wc.card_posts(park.group) if "例会" in c.text())
        labels = [t for t, _ in notice.buttons()]
        assert "收到" in labels, labels
        wc.press_label(park.zhang, notice, "收到")
        await wc.wait_for(lambda: notice.updates >= 1)
        first = notice.text()
        assert "已回执 1/2" in first, notice.body
        wc.press_label(park.liu, notice, "收到")
        await wc.wait_for(lambda: notice.updates >= 2 and notice.text() != first)
        assert "已回执 2/2" in notice.text(), notice.body

        assert SECRET not in caplog.text
        assert all(SECRET not in str(f.data) for f in wc.frames if f.cmd != "aibot_subscribe")


async def test_duplicates_reconnects_kick_and_rate_limit(
    sqlite_url: str, tmp_path: Path, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_wecom_bot(sqlite_url, tmp_path, clock) as bot:
        wc = bot.wc
        admin: User = wc.user(WC_ADMIN_ID, "王主任")
        group: Group = wc.group()
        await bot.say(admin, group, "/setgroup")

        # A message pushed twice (same msgid) is handled once.
        msgid = wc.send_text(admin, group, "/enterprise_add 测试企业00")
        await wc.wait_for(lambda: any("测试企业00" in t for t in bot.texts(group)))
        wc.repush(msgid)
        wc.send_text(admin, group, "/enterprise_add 测试企业01")
        await wc.wait_for(lambda: any("测试企业01" in t for t in bot.texts(group)))
        await bot.app.inbox.idle()
        assert sum("已添加企业：测试企业00" in t for t in bot.texts(group)) == 1

        # The network drops; what people send meanwhile is pushed on the next connection and answered.
        await wc.drop()
        for i in range(2, 5):
            wc.send_text(admin, group, f"/enterprise_add 测试企业{i:02d}")
        await wc.wait_for(lambda: wc.connections >= 2 and sum("已添加企业：测试企业" in t for t in bot.texts(group)) == 5)

        # Another connection with the same bot_id takes over: one log line, no fight; back after a wait.
        await wc.kick()
        # The outbox holds what the bot says meanwhile (a schedule's message) until it is back.
        await send_proactive(bot.app, [Reply(text="离线期间的提醒", chat=ChatRef("wecom", group.chatid, True))])
        wc.send_text(admin, group, "/enterprise_add 测试企业05")
        await wc.wait_for(lambda: wc.connections >= 3 and any("测试企业05" in t for t in bot.texts(group)))
        await wc.wait_for(lambda: "离线期间的提醒" in bot.texts(group))
        assert bot.texts(group).count("离线期间的提醒") == 1
        kicked = [r for r in caplog.records if "took over" in r.getMessage()]
        assert len(kicked) == 1 and bot.adapter.link.kicks == 1

        # WeCom says "too fast": the chat waits and the message goes out once, later.
        wc.refusals = [RATE_LIMITED]
        assert "测试企业06" in await bot.say(admin, group, "/enterprise_add 测试企业06")
        await bot.app.inbox.idle()
        added = [t for t in bot.texts(group) if t.startswith("已添加企业：测试企业")]
        assert len(added) == len(set(added)) == 7
        assert SECRET not in caplog.text


async def test_silent_server_reconnects_and_errcodes_are_mapped(
    sqlite_url: str, tmp_path: Path, clock: ManualClock
) -> None:
    async with running_wecom_bot(sqlite_url, tmp_path, clock, heartbeat=0.1) as bot:
        wc = bot.wc
        admin = wc.user(WC_ADMIN_ID, "王主任")
        group = wc.group()
        other = wc.group()
        assert "您好" in await bot.say(admin, None, "/start")
        await bot.say(admin, group, "/setgroup")

        # WeCom stops answering pings: after two unanswered ones the bot opens a new connection.
        await wc.wait_for(lambda: len(wc.of("ping")) >= 2)  # answered: nothing happens
        assert wc.connections == 1
        wc.pings_answered = False
        await wc.wait_for(lambda: wc.connections >= 2)
        wc.pings_answered = True
        assert "测试企业A" in await bot.say(admin, group, "/enterprise_add 测试企业A")

        # A send refused for good (invalid message) is not retried; an unknown chat marks it unreachable.
        sends = len(wc.of("aibot_send_msg"))
        wc.refusals = [40008]
        wc.send_text(admin, other, "/whoami")
        await wc.wait_for(lambda: len(wc.of("aibot_send_msg")) == sends + 1)
        await bot.app.inbox.idle()
        assert len(wc.of("aibot_send_msg")) == sends + 1 and wc.messages(other) == []
        async with bot.app.db.reading() as s:
            states = list(await s.scalars(select(OutboxItem.state).order_by(OutboxItem.id.desc()).limit(1)))
        assert states == ["refused"]
        wc.refusals = [86003]
        wc.send_text(admin, group, "/whoami")

        async def gone() -> bool:
            async with bot.app.db.reading() as s:
                chat = await s.scalar(select(Chat).where(Chat.chat_id == group.chatid))
                return chat is not None and chat.unreachable_at is not None
        for _ in range(500):
            if await gone():
                break
            await asyncio.sleep(0.01)
        assert await gone()
        # The managers (here the admin) hear it privately.
        await wc.wait_for(lambda: any(group.chatid in t or "群" in t for t in bot.texts(admin)[1:]))
