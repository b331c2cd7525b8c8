"""Buttons only for people who may use them, over DingTalk (issue 18, item 15): a lead's private copy of a
find filed for their enterprise carries only 提交整改 (a card from the template) or only its command (a
markdown card), and after the fix neither 验收通过 nor /accept."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.clock import ManualClock
from tests.fake_dingtalk import FakeDingTalk
from tests.harness import DT_ADMIN_ID, LiveDingTalk, jpeg, running_dingtalk_bot

pytestmark = pytest.mark.e2e

LI_ID, ZHANG_ID = "0200002", "0300003"
CODE = "YH-2026-0001"


async def seed(bot: LiveDingTalk) -> tuple[object, object, object]:
    dt: FakeDingTalk = bot.dt
    admin, li, zhang = dt.user(DT_ADMIN_ID, "王主任"), dt.user(LI_ID, "李干部"), dt.user(ZHANG_ID, "张伟")
    group = dt.group()
    await bot.say(admin, None, "/start")
    await bot.say(admin, group, "/setgroup")
    await bot.say(admin, group, "/enterprise_add 华油装备制造有限公司 华油")
    await bot.say(li, group, "/whoami")
    await bot.say(zhang, group, "/whoami")
    await bot.say(admin, group, f"/role {LI_ID} 干部")
    await bot.say(admin, group, f"/role {ZHANG_ID} 负责人 华油")
    return li, zhang, group


@pytest.mark.parametrize("template", [True, False], ids=["card", "markdown"])
async def test_a_leads_private_copy_carries_only_the_leads_buttons(
    sqlite_url: str, tmp_path: Path, clock: ManualClock, template: bool
) -> None:
    async with running_dingtalk_bot(sqlite_url, tmp_path, clock, template=template) as bot:
        dt = bot.dt
        li, zhang, group = await seed(bot)
        frame = dt.send_rich(li, group, "/hazard 华油 二车间配电箱门未关闭 7天内", [jpeg(1)])  # type: ignore[arg-type]
        await dt.wait_for(lambda: dt.frame(frame).acked)
        if template:
            await dt.wait_for(lambda: len(dt.private_cards(zhang)) == 1)  # type: ignore[arg-type]
            (copy,) = dt.private_cards(zhang)  # type: ignore[arg-type]
            assert [label for label, _ in copy.buttons()] == ["提交整改"]
        else:
            await dt.wait_for(lambda: any(f"/fix {CODE}" in t for t in bot.texts(zhang)))  # type: ignore[arg-type]
            shown = next(t for t in bot.texts(zhang) if f"/fix {CODE}" in t)  # type: ignore[arg-type]
            assert "/level" not in shown and "/category" not in shown
        before = len(bot.texts(zhang))  # type: ignore[arg-type]
        frame = dt.send_rich(zhang, group, f"/fix {CODE} 已加锁", [jpeg(2)])  # type: ignore[arg-type]
        await dt.wait_for(lambda: dt.frame(frame).acked)
        await dt.wait_for(
            lambda: (
                any(f"/accept {CODE}" in t for t in bot.texts(li))
                or any(  # type: ignore[arg-type]
                    [label for label, _ in c.buttons()] == ["验收通过", "驳回"]
                    for c in dt.private_cards(li)  # type: ignore[arg-type]
                )
            )
        )
        await bot.app.sender.settle()
        if template:
            await dt.wait_for(lambda: copy.params["status"] == "待验收")
            assert copy.buttons() == []
        else:
            await dt.wait_for(lambda: any("待验收" in t for t in bot.texts(zhang)[before:]))  # type: ignore[arg-type]
            assert not any("/accept" in t for t in bot.texts(zhang))  # type: ignore[arg-type]
