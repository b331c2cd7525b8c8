"""A meeting notice over Telegram, end to end: the real python-telegram-bot client polls the fake Bot API.

Two park groups and five enterprises: three leads confirm, one asks for leave, somebody with no
enterprise presses, a lead presses twice; both groups' cards read the right counts after each edit.
Reminders are driven by the manual clock (no sleeping): only the enterprise that did not answer is
reminded, never in quiet hours, never twice a day.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.clock import ManualClock
from domain.park import operations as park_ops
from storage.enums import Role
from tests.fake_telegram import FakeTelegram
from tests.harness import LiveBot, run_reminders

pytestmark = pytest.mark.e2e  # real HTTP to a fake platform server, or a real bot process

LI_ID = 2  # 李干部, manager
STRANGER_ID = 30  # 小周: no role, no enterprise
LEADS = (
    (11, "张伟", "华油装备"),
    (12, "刘芳", "宏达机械"),
    (13, "王强", "恒通石油"),
    (14, "赵敏", "金禾食品"),
    (15, "孙丽", "鑫源装备"),
)
GROUPS = (-100123, -100456)
MEETING = "/meeting 2026-12-05 09:00 管委会三楼会议室 12月安全生产例会 通报11月隐患整改情况"


async def seed_park(bot: LiveBot) -> dict[str, Any]:
    """Five enterprises with a lead each (all with private chats), a manager, two park groups."""
    tg = bot.tg
    now = bot.app.clock.now()
    park: dict[str, Any] = {
        "li": tg.user(LI_ID, "李干部", "li"),
        "stranger": tg.user(STRANGER_ID, "小周", "xiaozhou"),
    }
    park["groups"] = [tg.group(GROUPS[0], "园区安全生产群"), tg.group(GROUPS[1], "园区安全生产二群")]
    async with bot.app.db.unit_of_work() as s:
        for chat_id, title in ((GROUPS[0], "园区安全生产群"), (GROUPS[1], "园区安全生产二群")):
            chat = await park_ops.upsert_chat(
                s, platform="telegram", chat_id=str(chat_id), title=title, is_group=True, at=now
            )
            chat.is_park_group = True
        li = await park_ops.upsert_person(
            s, platform="telegram", external_id=str(LI_ID), display_name="李干部", username="li", at=now
        )
        await park_ops.set_role(s, li, Role.MANAGER, None, actor=None, at=now)
        li.private_chat_id = str(LI_ID)
        for user_id, name, enterprise in LEADS:
            ent = await park_ops.add_enterprise(
                s, name=f"{enterprise}有限公司", aliases=[enterprise], industry=None, actor=None, at=now
            )
            lead = await park_ops.upsert_person(
                s,
                platform="telegram",
                external_id=str(user_id),
                display_name=name,
                username=f"u{user_id}",
                at=now,
            )
            await park_ops.set_role(s, lead, Role.LEAD, ent, actor=None, at=now)
            lead.private_chat_id = str(user_id)
            park[name] = tg.user(user_id, name, f"u{user_id}")
            tg.private(park[name])
    tg.private(park["li"])
    return park


def cards(tg: FakeTelegram) -> list[dict[str, Any]]:
    """The notice card in each park group, in its current state."""
    found = []
    for chat_id in GROUPS:
        found += [m for m in tg.sent_messages(chat_id) if "会议通知 HY-2026-01" in (m.get("text") or "")]
    return found


def counts(tg: FakeTelegram) -> list[tuple[str, str]]:
    """The receipt lines of both group cards, as people read them."""
    out = []
    for card in cards(tg):
        lines = (card.get("text") or "").split("\n")
        out.append(
            (
                next(x for x in lines if x.startswith("回执：")),
                next(x for x in lines if x.startswith("请假：")),
            )
        )
    return out


def button(tg: FakeTelegram, message: dict[str, Any], label: str) -> str:
    """The callback data of one button on a message's current keyboard."""
    return next(data for text, data in tg.buttons(message) if text == label)


async def press(bot: LiveBot, user: dict[str, Any], message: dict[str, Any], label: str) -> str:
    """Press a button and return the popup text once the bot answered the callback query."""
    update = bot.tg.press(user, message, button(bot.tg, message, label))
    query_id = update["callback_query"]["id"]

    def answered() -> dict[str, Any] | None:
        return next((c.params for c in bot.answers() if c.params.get("callback_query_id") == query_id), None)

    await bot.tg.wait_for(lambda: answered() is not None)
    answer = answered()
    assert answer is not None
    return str(answer.get("text") or "")


async def test_meeting_notice_receipts_and_reminders_over_telegram(bot: LiveBot, clock: ManualClock) -> None:
    tg = bot.tg
    park = await seed_park(bot)
    li_chat = tg.private(park["li"])
    said = await bot.say(park["li"], li_chat, MEETING)
    assert "已发布会议通知 HY-2026-01，共 5 家企业需回执" in said
    await tg.wait_for(lambda: len(cards(tg)) == 2)
    assert counts(tg) == [("回执：已回执 0/5", "请假：0 家")] * 2
    first, second = cards(tg)
    assert [label for label, _ in tg.buttons(first)] == ["收到", "请假"]

    async def expect(answered: int, leave: int) -> None:
        want = [(f"回执：已回执 {answered}/5", f"请假：{leave} 家")] * 2
        await tg.wait_for(lambda: counts(tg) == want)

    # Three leads confirm, in either group; both cards follow each press.
    assert await press(bot, park["张伟"], first, "收到") == "已为华油装备有限公司回执 HY-2026-01：收到。"
    await expect(1, 0)
    await press(bot, park["刘芳"], second, "收到")
    await expect(2, 0)
    await press(bot, park["王强"], first, "收到")
    await expect(3, 0)
    edits = len(tg.calls_of("editMessageText"))

    # A lead presses twice: nothing changes. Somebody with no enterprise: a private hint, no change.
    assert "已经回执过 HY-2026-01（收到）" in await press(bot, park["张伟"], first, "收到")
    assert "还没有绑定企业" in await press(bot, park["stranger"], second, "收到")
    assert len(tg.calls_of("editMessageText")) == edits
    assert counts(tg) == [("回执：已回执 3/5", "请假：0 家")] * 2

    # 赵敏 asks for leave: the reason is asked in her private chat, then both cards count it.
    assert await press(bot, park["赵敏"], first, "请假") == "请在私聊中回复请假原因"
    zhao_chat = tg.private(park["赵敏"])
    await tg.wait_for(lambda: any("请回复请假原因" in t for t in bot.texts(zhao_chat)))
    said = await bot.say(park["赵敏"], zhao_chat, "外出参加培训 代参会：钱七")
    assert "已为金禾食品有限公司登记 HY-2026-01 请假：外出参加培训，代参会：钱七。" in said
    await expect(4, 1)
    # The group never saw who has not answered.
    for chat_id in GROUPS:
        assert not any("鑫源" in (m.get("text") or "") for m in tg.sent_messages(chat_id))

    # Reminders, by the manual clock: only 鑫源 (孙丽) is reminded, privately, outside quiet hours, once a day.
    app = bot.app
    sun_chat = tg.private(park["孙丽"])
    await tg.wait_idle()  # every earlier reply is out before the sweep
    before = {chat_id: len(tg.sent_messages(chat_id)) for chat_id in (*GROUPS, *(u for u, _, _ in LEADS))}

    async def sweep(at: datetime) -> int:
        clock.set(at)
        return await run_reminders(app, at)

    assert await sweep(datetime(2026, 12, 3, 15, 30, tzinfo=UTC)) == 0  # Thursday 23:30 park time: quiet
    assert await sweep(datetime(2026, 12, 4, 1, 0, tzinfo=UTC)) == 1  # Friday 09:00, the day before
    await tg.wait_for(
        lambda: any("鑫源装备有限公司还没有回执会议通知 HY-2026-01" in t for t in bot.texts(sun_chat))
    )
    assert await sweep(datetime(2026, 12, 4, 6, 0, tzinfo=UTC)) == 0  # Friday afternoon: not twice a day
    await tg.wait_idle()
    after = {chat_id: len(tg.sent_messages(chat_id)) for chat_id in before}
    grew = {chat_id for chat_id in before if after[chat_id] != before[chat_id]}
    assert grew == {15}, "only 孙丽's private chat got a message"
    reminder = tg.last_sent(15)
    assert [label for label, _ in tg.buttons(reminder)] == ["收到", "请假"]

    # 孙丽 answers from the reminder itself; the group cards reach 5/5.
    clock.set(datetime(2026, 12, 4, 6, 5, tzinfo=UTC))
    assert await press(bot, park["孙丽"], reminder, "收到") == "已为鑫源装备有限公司回执 HY-2026-01：收到。"
    await expect(5, 1)
    # The hour before the meeting: everyone has answered, nobody is reminded.
    assert await sweep(datetime(2026, 12, 5, 0, 30, tzinfo=UTC)) == 0


async def test_a_corrected_meeting_notice_is_edited_in_place_in_every_group(bot: LiveBot) -> None:
    """Issue #18 item 5: a file added, the place changed, the notice withdrawn: each is an edit of the
    card already in both groups (never a new card), the receipts stand, whoever answered is told."""
    tg = bot.tg
    park = await seed_park(bot)
    li_chat = tg.private(park["li"])
    await bot.say(park["li"], li_chat, MEETING)
    await tg.wait_for(lambda: len(cards(tg)) == 2)
    first, _ = cards(tg)
    await press(bot, park["张伟"], first, "收到")
    await tg.wait_for(lambda: counts(tg) == [("回执：已回执 1/5", "请假：0 家")] * 2)
    posted = len(tg.calls_of("sendMessage"))

    def card_lines() -> list[list[str]]:
        return [(c.get("text") or "").split("\n") for c in cards(tg)]

    # A file, sent with the command as its caption: both cards list it, both groups get the file.
    pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    tg.send_document(
        park["li"], li_chat, pdf, "会议议程.pdf", "application/pdf", caption="/修改通知 HY-2026-01"
    )
    await tg.wait_for(lambda: all("附件：《会议议程.pdf》" in lines for lines in card_lines()))
    await tg.wait_for(
        lambda: all(
            any(m.get("document", {}).get("file_name") == "会议议程.pdf" for m in tg.sent_messages(g))
            for g in GROUPS
        )
    )
    assert counts(tg) == [("回执：已回执 1/5", "请假：0 家")] * 2

    # The place: edited in both cards; 张伟, who answered, hears of it privately.
    zhang_chat = tg.private(park["张伟"])
    said = await bot.say(park["li"], li_chat, "/修改通知 HY-2026-01 地点 管委会二楼会议室")
    assert "地点已改为 管委会二楼会议室" in said
    await tg.wait_for(lambda: all("地点：管委会二楼会议室" in lines for lines in card_lines()))
    await tg.wait_for(lambda: any("地点改为 管委会二楼会议室" in t for t in bot.texts(zhang_chat)))

    # Withdrawn: both cards say so and lose their buttons; 张伟 is told.
    said = await bot.say(park["li"], li_chat, "/撤回 HY-2026-01 时间有误，另行通知")
    assert "已撤回会议通知 HY-2026-01" in said
    await tg.wait_for(lambda: all(any("已撤回" in line for line in lines) for lines in card_lines()))
    await tg.wait_for(lambda: all(tg.buttons(c) == [] for c in cards(tg)))
    await tg.wait_for(lambda: any("已由李干部撤回" in t for t in bot.texts(zhang_chat)))
    await tg.wait_idle()
    # Still one card in each group: every change was an edit of it.
    assert len(cards(tg)) == 2
    new_cards = [
        c
        for c in tg.calls_of("sendMessage")[posted:]
        if "会议通知 HY-2026-01\n" in str(c.params.get("text", ""))
    ]
    assert new_cards == []
