"""The hazard closed loop (排查→登记→整改→验收→销号) over Telegram, end to end.

The real python-telegram-bot client polls the fake Bot API server (``tests/fake_telegram.py``) through
`TelegramAdapter`, as in production. People act through ``FakeTelegram``; the test asserts what they see
(messages, captions, keyboards, callback answers) and what the ledger rows hold. Every wait is
``tg.wait_for`` on an explicit condition.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from storage.models import AuditEntry, Hazard, HazardEvent, HazardPhoto, Photo
from tests.fake_telegram import Call, FakeTelegram
from tests.harness import ADMIN_ID, LiveBot, after_photos, jpeg

pytestmark = pytest.mark.e2e  # real HTTP to a fake platform server, or a real bot process

LI_ID = 2  # 李干部, manager
ZHANG_ID = 3  # 张伟, lead of 华油 (never opens a private chat with the bot)
CODE = "YH-2026-0001"
TITLE = f"隐患 {CODE}"
REPORT = "/hazard 二车间配电箱门未关闭，无警示标识 限期 12月10日"


class Park:
    """The people and chats of the story, seeded through the bot's own commands."""

    def __init__(self, tg: FakeTelegram) -> None:
        self.admin = tg.user(ADMIN_ID, "王主任", "wang")
        self.li = tg.user(LI_ID, "李干部", "li")
        self.zhang = tg.user(ZHANG_ID, "张伟", "zhang")
        self.group = tg.group()


async def seed(bot: LiveBot) -> Park:
    """Admin and manager open private chats; the group becomes a park group; roles are given."""
    tg = bot.tg
    park = Park(tg)
    assert "您好，王主任" in await bot.say(park.admin, tg.private(park.admin), "/start")
    assert "设为园区安全群" in await bot.say(park.admin, park.group, "/setgroup")
    added = await bot.say(park.admin, park.group, "/enterprise_add 华油装备制造有限公司 华油")
    assert "已添加企业：华油装备制造有限公司" in added
    assert "您好，李干部" in await bot.say(park.li, tg.private(park.li), "/start")
    assert "身份：未登记" in await bot.say(park.zhang, park.group, "/whoami")  # known to the bot now
    assert "已将 李干部 设为包片干部" in await bot.say(park.admin, park.group, "/role li 干部")
    assert "已将 张伟 设为安全负责人" in await bot.say(park.admin, park.group, "/role zhang 负责人 华油")
    return park


def caption(tg: FakeTelegram, message: dict[str, Any]) -> str:
    """The current caption (or text) of a message the bot sent."""
    current = next(
        m for m in tg.sent_messages(message["chat"]["id"]) if m["message_id"] == message["message_id"]
    )
    return current.get("caption") or current.get("text") or ""


def hazard_cards(tg: FakeTelegram, chat_id: int) -> list[dict[str, Any]]:
    """Photo cards for the hazard the bot sent to a chat, in their current state."""
    return [m for m in tg.sent_messages(chat_id) if "photo" in m and TITLE in (m.get("caption") or "")]


def card_uploads(tg: FakeTelegram, chat_id: int) -> list[Call]:
    """Every sendPhoto of the hazard's card to a chat (an edit is not one)."""
    return [
        c
        for c in tg.calls_of("sendPhoto")
        if c.params.get("chat_id") == chat_id and TITLE in str(c.params.get("caption", ""))
    ]


def button(tg: FakeTelegram, message: dict[str, Any], label: str) -> str:
    """The callback data of the button with ``label`` on a message's current keyboard."""
    found = [data for text, data in tg.buttons(message) if text == label]
    assert found, f"no button {label!r}: {tg.buttons(message)}"
    return found[0]


def answer_to(bot: LiveBot, update: dict[str, Any]) -> dict[str, Any] | None:
    """The answerCallbackQuery params for a pressed button, once the bot has answered it."""
    query_id = update["callback_query"]["id"]
    for call in bot.answers():
        if call.params.get("callback_query_id") == query_id:
            return call.params
    return None


def big_file_id(update: dict[str, Any]) -> str:
    """The file_id of the largest size of the photo a person sent (what the bot downloads)."""
    return str(update["message"]["photo"][-1]["file_id"])


async def press(bot: LiveBot, user: dict[str, Any], message: dict[str, Any], data: str) -> dict[str, Any]:
    """Press a button and wait until the bot answered the callback query (its replies are out by then)."""
    update = bot.tg.press(user, message, data)
    await bot.tg.wait_for(lambda: answer_to(bot, update) is not None)
    answer = answer_to(bot, update)
    assert answer is not None
    return answer


async def test_hazard_loop_over_telegram(bot: LiveBot) -> None:
    tg = bot.tg
    park = await seed(bot)
    group_id = park.group["id"]

    # --- 1. The lead reports with a 3-photo album; the first photo carries the /hazard caption.
    album = [jpeg(i) for i in (1, 2, 3)]
    sent = [tg.send_photo(park.zhang, park.group, album[0], caption=REPORT, media_group_id="album-1")]
    sent += [tg.send_photo(park.zhang, park.group, data, media_group_id="album-1") for data in album[1:]]
    await tg.wait_for(lambda: len(hazard_cards(tg, group_id)) == 1)
    card = hazard_cards(tg, group_id)[0]
    assert tg.buttons(card), "the card carries an inline keyboard"
    await tg.wait_for(lambda: "整改前 3 张" in caption(tg, card))
    text = caption(tg, card)
    assert "企业：华油装备制造有限公司" in text and "类别：用电安全" in text and "等级：一般隐患" in text
    assert "整改期限：2026-12-10（周四）" in text and "状态：整改中" in text
    assert "照片：整改前 3 张，整改后 0 张" in text
    assert [label for label, _ in tg.buttons(card)] == ["提交整改", "设为重大隐患", "更改类别"]

    # --- 2. The bytes on disk are the bytes Telegram served; the card shows the first photo.
    served = [tg.file_bytes(big_file_id(update)) for update in sent]
    assert served == album
    photo_dir = bot.app.settings.storage.photo_dir
    async with bot.app.db.unit_of_work() as session:
        before = (
            await session.scalars(
                select(Photo.path)
                .join(HazardPhoto, HazardPhoto.photo_id == Photo.id)
                .where(HazardPhoto.phase == "before")
                .order_by(HazardPhoto.id)
            )
        ).all()
    assert [(photo_dir / path).read_bytes() for path in before] == served
    uploads = card_uploads(tg, group_id)
    assert len(uploads) == 1 and uploads[0].params["photo"]["bytes"] == album[0]
    assert tg.file_bytes(card["photo"][-1]["file_id"]) == album[0]

    # --- 3. The lead replies to the card with an after-photo and /fix: 待验收, managers get a copy.
    fix_photo = jpeg(4)
    tg.send_photo(
        park.zhang, park.group, fix_photo, caption="/fix 已加锁并张贴警示标识", reply_to=card["message_id"]
    )
    await tg.wait_for(lambda: all(hazard_cards(tg, chat_id) for chat_id in (ADMIN_ID, LI_ID)))
    await tg.wait_for(lambda: "状态：待验收" in caption(tg, card))  # chats are served side by side
    await bot.app.sender.settle()
    text = caption(tg, card)
    assert "状态：待验收" in text and "整改情况：已加锁并张贴警示标识" in text and "整改后 1 张" in text
    assert [label for label, _ in tg.buttons(card)] == ["验收通过", "驳回"]
    assert any(f"{CODE} 已提交整改" in t for t in bot.texts(park.group))
    for chat_id in (ADMIN_ID, LI_ID):
        (copy,) = hazard_cards(tg, chat_id)
        assert "状态：待验收" in copy["caption"]
        assert [label for label, _ in tg.buttons(copy)] == ["验收通过", "驳回"]
    assert hazard_cards(tg, ZHANG_ID) == []  # the lead has no private chat: nothing goes there

    # --- 4. The manager rejects from the group card and answers the bot's question with the reason.
    group_before = len(bot.texts(park.group))
    answer = await press(bot, park.li, card, button(tg, card, "驳回"))
    assert "驳回原因" in answer.get("text", "")
    question = next(
        m for m in tg.sent_messages(group_id)[group_before:] if f"驳回 {CODE} 的原因" in m.get("text", "")
    )
    assert "状态：待验收" in caption(tg, card)  # nothing changes before the reason is given
    group_before = len(bot.texts(park.group))
    tg.send_text(park.li, park.group, "警示标识不清晰", reply_to=question["message_id"])
    await tg.wait_for(
        lambda: any("驳回原因：警示标识不清晰" in t for t in bot.texts(park.group)[group_before:])
    )
    text = caption(tg, card)
    assert "状态：整改中" in text and "驳回原因：警示标识不清晰" in text
    assert [label for label, _ in tg.buttons(card)] == ["提交整改", "设为重大隐患", "更改类别"]
    told = bot.texts(park.group)[group_before:]
    assert any(f"{CODE} 已驳回" in t for t in told)
    # 张伟 never opened a private chat, so the notice for the enterprise lands in the group.
    assert any(f"{CODE}（二车间配电箱门未关闭，无警示标识）验收未通过" in t for t in told), told
    for chat_id in (ADMIN_ID, LI_ID):  # the private copies are kept in step
        assert "状态：整改中" in hazard_cards(tg, chat_id)[0]["caption"]

    # --- 5. The lead presses 提交整改 and answers the bot's question with a new after-photo.
    group_before = len(bot.texts(park.group))
    await press(bot, park.zhang, card, button(tg, card, "提交整改"))
    question = next(
        m for m in tg.sent_messages(group_id)[group_before:] if m.get("text", "").startswith(f"{CODE}：")
    )
    assert "整改后的照片" in question["text"]
    refix_photo = jpeg(5)
    tg.send_photo(park.zhang, park.group, refix_photo, caption="已重新张贴", reply_to=question["message_id"])
    # Managers keep one private copy, edited in place, plus a one-line note that it is back.
    await tg.wait_for(
        lambda: all(
            any("已重新提交整改" in m.get("text", "") for m in tg.sent_messages(chat_id))
            for chat_id in (ADMIN_ID, LI_ID)
        )
    )
    for chat_id in (ADMIN_ID, LI_ID):
        copies = hazard_cards(tg, chat_id)
        assert len(copies) == 1 and "状态：待验收" in copies[0]["caption"]
    text = caption(tg, card)
    assert "状态：待验收" in text and "整改情况：已重新张贴" in text and "整改后 2 张" in text
    assert "驳回原因" not in text

    # --- 6. The admin accepts on the group card: 已销号, the keyboard is gone, the press is answered.
    answer = await press(bot, park.admin, card, button(tg, card, "验收通过"))
    assert answer.get("text") == f"{CODE} 验收通过，已销号。"
    text = caption(tg, card)
    assert "状态：已销号" in text and "验收：王主任 2026-11-30 09:00 验收通过，已销号" in text
    assert tg.buttons(card) == []
    group_edits = [
        c
        for c in tg.calls_of("editMessageCaption") + tg.calls_of("editMessageMedia")
        if (c.params["chat_id"], c.params["message_id"]) == (group_id, card["message_id"])
    ]
    group_edits.sort(key=tg.calls.index)
    # PTB 22 serialises the adapter's empty InlineKeyboardMarkup as "{}" (it drops empty lists); either
    # way the edit carries no inline keyboard, which makes Telegram remove the buttons.
    assert not (group_edits[-1].params.get("reply_markup") or {}).get("inline_keyboard")
    for chat_id in (ADMIN_ID, LI_ID):  # every private copy closes too, with no buttons left
        for copy in hazard_cards(tg, chat_id):
            assert "状态：已销号" in copy["caption"] and tg.buttons(copy) == []

    # --- 7. One card in the group for the whole story, edited in place, never re-sent.
    uploads = card_uploads(tg, group_id)
    assert len(uploads) == 1
    # 2 album photos, fix, reject, fix again, accept; the first fix replaces the picture with before|after.
    assert len(group_edits) == 6 and all(c.error is None for c in group_edits), tg.summary()
    assert [c.method for c in group_edits].count("editMessageMedia") == 1
    assert not [c for c in tg.calls if c.error and c.method.lower() != "getupdates"], tg.summary()

    # --- 8. The ledger: every transition is an event; the hazard is closed; after-photos are stored.
    async with bot.app.db.unit_of_work() as session:
        hazard = await session.scalar(select(Hazard).where(Hazard.code == CODE))
        assert hazard is not None
        assert hazard.status == "closed" and hazard.closed_at == bot.app.clock.now()
        events = (
            await session.execute(
                select(HazardEvent.action, HazardEvent.from_status, HazardEvent.to_status, HazardEvent.note)
                .where(HazardEvent.hazard_id == hazard.id)
                .order_by(HazardEvent.id)
            )
        ).all()
    assert [tuple(e) for e in events] == [
        ("report", None, "rectifying", None),
        ("photos", "rectifying", None, None),
        ("photos", "rectifying", None, None),
        ("fix", "rectifying", "awaiting_verification", "已加锁并张贴警示标识"),
        ("reject", "awaiting_verification", "rectifying", "警示标识不清晰"),
        ("fix", "rectifying", "awaiting_verification", "已重新张贴"),
        ("accept", "awaiting_verification", "closed", None),
    ]
    assert await after_photos(bot.app, hazard.id) == [fix_photo, refix_photo]


async def test_forged_verify_button_over_telegram(bot: LiveBot) -> None:
    tg = bot.tg
    park = await seed(bot)
    group_id = park.group["id"]

    tg.send_photo(park.zhang, park.group, jpeg(1), caption=REPORT)
    await tg.wait_for(lambda: len(hazard_cards(tg, group_id)) == 1)
    card = hazard_cards(tg, group_id)[0]
    tg.send_photo(park.zhang, park.group, jpeg(2), caption="/fix 已加锁", reply_to=card["message_id"])
    await tg.wait_for(lambda: "状态：待验收" in caption(tg, card))
    await tg.wait_for(lambda: all(hazard_cards(tg, chat_id) for chat_id in (ADMIN_ID, LI_ID)))
    await bot.app.sender.settle()
    edits_before = len(tg.calls_of("editMessageCaption"))
    sent_before = len(tg.sent_messages())

    # The lead forges the manager's 验收通过 (hzok) under the card: refused, nothing changes.
    answer = await press(bot, park.zhang, card, "hzok:1")
    assert answer.get("text", "").startswith("这个操作需要以下身份之一：管理员、包片干部")
    assert "您目前的身份是：安全负责人" in answer["text"]
    assert len(tg.calls_of("editMessageCaption")) == edits_before
    assert len(tg.sent_messages()) == sent_before
    assert "状态：待验收" in caption(tg, card)
    assert [label for label, _ in tg.buttons(card)] == ["验收通过", "驳回"]

    async with bot.app.db.unit_of_work() as session:
        hazard = await session.scalar(select(Hazard).where(Hazard.code == CODE))
        assert hazard is not None and hazard.id == 1
        assert hazard.status == "awaiting_verification" and hazard.closed_at is None
        actions = (
            await session.scalars(
                select(HazardEvent.action).where(HazardEvent.hazard_id == 1).order_by(HazardEvent.id)
            )
        ).all()
        assert actions == ["report", "fix"]
        refused = (
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "button.refused"))
        ).all()
        assert len(refused) == 1
        assert refused[0].entity == "button" and refused[0].detail.get("data") == "hzok:1"
        assert refused[0].actor_id == hazard.reporter_id  # the lead who forged it
