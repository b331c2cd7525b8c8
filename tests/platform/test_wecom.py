"""The WeCom adapter end to end: the real adapter on the fake long-connection server (`tests/fake_wecom.py`).

People act through ``FakeWeCom`` (an @-mention in the group, a single-chat message, a card click); the bot
runs as in production (`build_app` + `WeComAdapter`). Every wait is ``wc.wait_for`` on a condition.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from storage.models import Person
from tests.fake_wecom import FakeWeCom
from tests.wecom_live import WC_ADMIN_ID, LiveWeCom, running_wecom_bot

pytestmark = pytest.mark.e2e  # real WebSocket and HTTP to a fake platform server

XIAO_ID = "ZhouXiao"


@pytest.fixture
async def wecom_bot(sqlite_url: str, tmp_path: Path, clock: ManualClock) -> AsyncIterator[LiveWeCom]:
    """Yield a bot on the fake WeCom server, on a migrated SQLite database."""
    async with running_wecom_bot(sqlite_url, tmp_path, clock) as running:
        yield running


async def test_join_by_card_button_and_forged_click_refused(wecom_bot: LiveWeCom) -> None:
    bot = wecom_bot
    wc: FakeWeCom = bot.wc
    admin = wc.user(WC_ADMIN_ID, "王主任")
    xiao = wc.user(XIAO_ID, "小周")
    group = wc.group()

    assert "您好" in await bot.say(admin, None, "/start")  # the admin's single chat: proactive send there
    assert wc.of("aibot_send_msg")[-1].data["body"]["chat_type"] == 1
    assert "已添加企业：华油装备制造有限公司" in await bot.say(admin, group, "/enterprise_add 华油装备制造有限公司 华油")
    assert "已提交申请" in await bot.say(xiao, group, "/join 华油 负责人")
    await wc.wait_for(lambda: len(wc.card_posts(admin)) == 1)
    (card,) = wc.card_posts(admin)
    assert [label for label, _ in card.buttons()] == ["批准", "拒绝"]
    approve = card.buttons()[0][1]
    assert approve.startswith("join:") and approve.endswith(":approve")

    # 小周 forges a click of 批准 on the admin's card: refused, nothing changes.
    wc.press(xiao, card, approve)  # the press names 小周's own single chat: the answer goes there
    await wc.wait_for(lambda: len(bot.texts(xiao)) == 1)
    assert "管理员" in bot.texts(xiao)[0]
    assert card.updates == 0
    assert "身份：未登记" in await bot.say(xiao, group, "/whoami")

    # The admin approves: the card is updated in place (within WeCom's 5 s).
    wc.press_label(admin, card, "批准")
    await wc.wait_for(lambda: card.updates == 1)
    assert "已批准" in card.text(), card.body
    assert [k for _, k in card.buttons()] == ["wecom:none"]
    whoami = await bot.say(xiao, group, "/whoami")
    assert "身份：安全负责人" in whoami
    async with bot.app.db.unit_of_work() as session:
        ids = set(await session.scalars(select(Person.external_id).where(Person.platform == "wecom")))
        assert ids == {WC_ADMIN_ID, XIAO_ID}
