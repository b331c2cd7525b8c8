"""The hazard closed loop (排查→登记→整改→验收→销号) on DingTalk, end to end through the fake open platform.

With a card template: one interactive card per hazard in the group, updated in place by its outTrackId;
managers get one card instance delivered to their 1:1 chats. Without a template: markdown messages with
the actions spelled out as commands, a short update per state change.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.clock import ManualClock
from storage.models import Hazard, HazardEvent
from tests.fake_dingtalk import FakeDingTalk, Group, User
from tests.harness import DT_ADMIN_ID, LiveDingTalk, after_photos, jpeg, running_dingtalk_bot

pytestmark = pytest.mark.e2e  # real HTTP to a fake platform server, or a real bot process

LI_ID = "0200002"  # 李干部, manager
ZHANG_ID = "0300003"  # 张伟, lead of 华油
CODE = "YH-2026-0001"
REPORT = "/hazard 二车间配电箱门未关闭，无警示标识 限期 12月10日"
CREATE = "/v1.0/card/instances/createAndDeliver"


class Park:
    def __init__(self, dt: FakeDingTalk) -> None:
        self.admin = dt.user(DT_ADMIN_ID, "王主任")
        self.li = dt.user(LI_ID, "李干部")
        self.zhang = dt.user(ZHANG_ID, "张伟")
        self.group = dt.group()


async def seed(bot: LiveDingTalk) -> Park:
    """The admin opens a private chat, makes the group the park group, adds the enterprise, gives roles."""
    park = Park(bot.dt)
    assert "您好，王主任" in await bot.say(park.admin, None, "/start")
    assert "设为园区安全群" in await bot.say(park.admin, park.group, "/setgroup")
    assert "已添加企业" in await bot.say(park.admin, park.group, "/enterprise_add 华油装备制造有限公司 华油")
    assert "身份：未登记" in await bot.say(park.li, park.group, "/whoami")
    assert "身份：未登记" in await bot.say(park.zhang, park.group, "/whoami")
    # People are found by their userId, a string with its leading zero.
    assert "已将 李干部 设为包片干部" in await bot.say(park.admin, park.group, f"/role {LI_ID} 干部")
    assert "已将 张伟 设为安全负责人" in await bot.say(
        park.admin, park.group, f"/role {ZHANG_ID} 负责人 华油"
    )
    return park


async def rich(bot: LiveDingTalk, user: User, group: Group, text: str, picture: bytes) -> None:
    """@-mention the robot with text and a picture, and wait until the frame is acked (stored)."""
    frame = bot.dt.send_rich(user, group, text, [picture])
    await bot.dt.wait_for(lambda: bot.dt.frame(frame).acked)


async def test_hazard_loop_over_dingtalk_cards(sqlite_url: str, tmp_path: Path, clock: ManualClock) -> None:
    async with running_dingtalk_bot(sqlite_url, tmp_path, clock) as bot:
        dt = bot.dt
        park = await seed(bot)

        # --- 1. The lead @-mentions the robot with the report and a picture (rich text): one card in the group.
        await rich(bot, park.zhang, park.group, REPORT, jpeg(1))
        await dt.wait_for(lambda: len(dt.group_cards(park.group)) == 1)
        (card,) = dt.group_cards(park.group)
        p = card.params
        assert p["title"] == f"隐患 {CODE}" and p["status"] == "整改中"
        assert (
            "华油装备制造有限公司" in p["body"]
            and "用电安全" in p["body"]
            and "2026-12-10（周四）" in p["body"]
        )
        assert "整改前 1 张" in p["body"]
        assert dt.media[p["photo"]] == jpeg(1)  # the picture DingTalk served is the one on the card
        assert [label for label, _ in card.buttons()] == ["提交整改", "设为重大隐患", "更改类别"]

        # --- 2. The fix by @-mention with the code and an after-picture: the card changes in place,
        # and each manager gets the card in their 1:1 chat, a copy of their own: a private copy shows
        # only the buttons its person may press, so copies are not shared by a batch.
        await rich(bot, park.zhang, park.group, f"/fix {CODE} 已加锁并张贴警示标识", jpeg(4))
        await dt.wait_for(lambda: card.params["status"] == "待验收" and len(dt.calls_to(CREATE)) == 3)
        assert "已加锁并张贴警示标识" in card.params["body"] and "整改后 1 张" in card.params["body"]
        assert [label for label, _ in card.buttons()] == ["验收通过", "驳回"]
        (managers,) = dt.private_cards(park.li)
        assert managers.users == [LI_ID] and managers.params["status"] == "待验收"
        assert [label for label, _ in managers.buttons()] == ["验收通过", "驳回"]
        await dt.wait_for(lambda: any(f"{CODE} 已提交整改" in t for t in bot.texts(park.group)))

        # --- 3. 李干部 clicks 驳回 on the card in his 1:1 chat and answers there with the reason.
        before = len(bot.texts(park.li))
        dt.press_label(park.li, managers, "驳回")
        await dt.wait_for(lambda: any(f"驳回 {CODE} 的原因" in t for t in bot.texts(park.li)[before:]))
        assert card.params["status"] == "待验收"  # nothing changes before the reason is given
        dt.send_text(park.li, None, "警示标识不清晰")
        await dt.wait_for(lambda: card.params["status"] == "整改中" and managers.params["status"] == "整改中")
        assert "驳回原因**：警示标识不清晰" in card.params["body"]
        assert [label for label, _ in card.buttons()] == ["提交整改", "设为重大隐患", "更改类别"]
        # 张伟 is told privately (the robot may write to any member).
        await dt.wait_for(lambda: any("验收未通过" in t for t in bot.texts(park.zhang)))

        # --- 4. Fixed again: the managers' card is updated, with a one-line note, not sent anew.
        await rich(bot, park.zhang, park.group, f"/fix {CODE} 已重新张贴", jpeg(5))
        await dt.wait_for(
            lambda: all(any("已重新提交整改" in t for t in bot.texts(u)) for u in (park.admin, park.li))
        )
        await dt.wait_for(lambda: card.params["status"] == "待验收" and managers.params["status"] == "待验收")
        assert "整改后 2 张" in card.params["body"] and "驳回原因" not in card.params["body"]

        # --- 5. The admin clicks 验收通过 on the group card: 已销号, no buttons left on any copy.
        dt.press_label(park.admin, card, "验收通过")
        await dt.wait_for(lambda: card.params["status"] == "已销号" and managers.params["status"] == "已销号")
        assert card.buttons() == [] and managers.buttons() == []
        assert "王主任 2026-11-30 09:00 验收通过，已销号" in card.params["body"]

        # --- 6. Three card instances for the whole story (the group's, one per manager), each updated in
        # place; nothing refused.
        assert len(dt.calls_to(CREATE)) == 3
        assert card.updates == len(card.history) - 1 >= 4
        assert [c for c in dt.calls if c.error] == [], dt.summary()
        assert dt.unacked() == []

        async with bot.app.db.unit_of_work() as session:
            hazard = await session.scalar(select(Hazard).where(Hazard.code == CODE))
            assert hazard is not None and hazard.status == "closed"
            events = (
                await session.scalars(
                    select(HazardEvent.action)
                    .where(HazardEvent.hazard_id == hazard.id)
                    .order_by(HazardEvent.id)
                )
            ).all()
        assert list(events) == ["report", "fix", "reject", "fix", "accept"]
        assert await after_photos(bot.app, hazard.id) == [jpeg(4), jpeg(5)]


async def test_hazard_loop_over_dingtalk_without_template(
    sqlite_url: str, tmp_path: Path, clock: ManualClock
) -> None:
    async with running_dingtalk_bot(sqlite_url, tmp_path, clock, template=False) as bot:
        dt = bot.dt
        park = await seed(bot)

        await rich(bot, park.zhang, park.group, REPORT, jpeg(1))
        await dt.wait_for(lambda: any(m.msg_key == "sampleMarkdown" for m in bot.messages(park.group)))
        card = next(m for m in bot.messages(park.group) if m.msg_key == "sampleMarkdown")
        text = card.param["text"]
        assert card.param["title"] == f"隐患 {CODE}" and "**状态**：整改中" in text
        assert "华油装备制造有限公司" in text and "2026-12-10（周四）" in text
        # The actions are spelled out as commands to send with an @-mention.
        assert f"/fix {CODE}" in text
        await dt.wait_for(lambda: any(m.msg_key == "sampleImageMsg" for m in bot.messages(park.group)))
        image = next(m for m in bot.messages(park.group) if m.msg_key == "sampleImageMsg")
        assert dt.media[image.param["photoURL"]] == jpeg(1)

        await rich(bot, park.zhang, park.group, f"/fix {CODE} 已加锁并张贴警示标识", jpeg(4))
        await dt.wait_for(
            lambda: any(
                "待验收" in m.text and m.msg_key == "sampleMarkdown" for m in bot.messages(park.group)
            )
        )
        update = [m for m in bot.messages(park.group) if m.msg_key == "sampleMarkdown"][-1]
        assert "（状态更新）" in update.param["title"] and f"/accept {CODE}" in update.param["text"]
        assert len(update.param["text"]) < len(text)  # a short one: title, status and the actions
        # Managers get the card privately, as markdown too, with the verify commands.
        await dt.wait_for(lambda: any(f"/accept {CODE}" in t for t in bot.texts(park.li)))

        before = len(bot.texts(park.li))
        dt.send_text(park.li, None, f"/accept {CODE}")
        await dt.wait_for(lambda: any(f"{CODE} 验收通过" in t for t in bot.texts(park.li)[before:]))
        await dt.wait_for(
            lambda: any(
                "已销号" in m.text and m.msg_key == "sampleMarkdown" for m in bot.messages(park.group)
            )
        )
        assert dt.calls_to(CREATE) == [] and dt.calls_to("/v1.0/card/instances", "PUT") == []
        assert [c for c in dt.calls if c.error] == [], dt.summary()
        async with bot.app.db.unit_of_work() as session:
            hazard = await session.scalar(select(Hazard).where(Hazard.code == CODE))
            assert hazard is not None and hazard.status == "closed"


async def test_a_question_with_buttons_becomes_a_card_of_its_own(
    sqlite_url: str, tmp_path: Path, clock: ManualClock
) -> None:
    async with running_dingtalk_bot(sqlite_url, tmp_path, clock) as bot:
        dt = bot.dt
        park = await seed(bot)
        # A lone picture in the 1:1 chat: the bot asks whether to register it, with two buttons.
        dt.send_picture(park.zhang, None, jpeg(3))
        await dt.wait_for(lambda: len(dt.private_cards(park.zhang)) == 1)
        (prompt,) = dt.private_cards(park.zhang)
        assert "要把它登记为隐患吗" in prompt.params["body"] and prompt.params["title"] == ""
        labels = [label for label, _ in prompt.buttons()]
        assert "不用了" in labels and len(labels) == 2
        # The click names only the card and the person; the bot finds the chat it was asked in.
        before = len(bot.texts(park.zhang))
        dt.press_label(park.zhang, prompt, "不用了")
        await dt.wait_for(lambda: any("这张照片不登记" in t for t in bot.texts(park.zhang)[before:]))
        async with bot.app.db.unit_of_work() as session:
            assert await session.scalar(select(func.count()).select_from(Hazard)) == 0
