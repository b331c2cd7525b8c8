"""The DingTalk adapter end to end: the real adapter talks Stream mode and HTTP to the fake open platform.

People act through ``FakeDingTalk`` (an @-mention in the group, a private message, a card click); the
bot runs as in production (`build_app` + `DingTalkAdapter`). Every wait is ``dt.wait_for`` on an explicit
condition.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from bot.clock import ManualClock
from storage.models import Enterprise, Person
from tests.fake_dingtalk import FakeDingTalk
from tests.harness import DT_ADMIN_ID, running_dingtalk_bot

XIAO_ID = "0400004"


async def test_join_scenario_over_dingtalk(sqlite_url: str, tmp_path: Path, clock: ManualClock) -> None:
    async with running_dingtalk_bot(sqlite_url, tmp_path, clock) as bot:
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
        assert len(dt.private_cards(admin)) == 1 and len(dt.calls_to("/v1.0/card/instances/createAndDeliver")) == 1
        # DingTalk lets the robot write to any member, so 小周 hears it privately, not in the group.
        assert any("您加入华油装备制造有限公司的申请已获批准" in t for t in bot.texts(xiao)[before:]), dt.summary()
        whoami = await bot.say(xiao, group, "/whoami")
        assert "身份：安全负责人" in whoami and "所属企业：华油装备制造有限公司" in whoami

        async with bot.app.db.unit_of_work() as session:
            ids = set(await session.scalars(select(Person.external_id).where(Person.platform == "dingtalk")))
            assert ids == {DT_ADMIN_ID, XIAO_ID}  # strings, leading zeros kept
            assert await session.scalar(select(func.count()).select_from(Enterprise)) == 1
