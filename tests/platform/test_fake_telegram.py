"""The fake Telegram server, exercised through the real python-telegram-bot client over HTTP."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import AsyncIterator

import pytest
from PIL import Image
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputMediaPhoto, Message, Update
from telegram.error import BadRequest, EndPointNotFound, InvalidToken
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from tests.fake_telegram import TOKEN, FakeTelegram  # also sets NO_PROXY for 127.0.0.1 at import

pytestmark = pytest.mark.e2e  # real HTTP to a fake platform server, or a real bot process


def png_bytes(width: int = 64, height: int = 48) -> bytes:
    """A small real PNG image."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "red").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    """A running fake server."""
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
async def client(tg: FakeTelegram) -> AsyncIterator[Bot]:
    """A bare PTB Bot pointed at the fake (no polling)."""
    async with Bot(TOKEN, base_url=tg.base_url, base_file_url=tg.base_file_url) as client:
        yield client


async def test_real_application_round_trip(tg: FakeTelegram) -> None:
    """Echo, photo download + re-send with a keyboard, button press editing in place, duplicate delivery."""
    seen_update_ids: list[int] = []
    downloads: list[bytes] = []

    async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.text is not None
        seen_update_ids.append(update.update_id)
        await update.message.reply_text(f"echo: {update.message.text}")

    async def on_photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        assert message is not None
        seen_update_ids.append(update.update_id)
        data = bytes(await (await message.photo[-1].get_file()).download_as_bytearray())
        downloads.append(data)
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("确认", callback_data="ok:1")]])
        await context.bot.send_photo(message.chat_id, photo=data, caption="收到", reply_markup=keyboard)

    async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        seen_update_ids.append(update.update_id)
        await query.edit_message_caption(caption=f"已确认 {query.data}")
        await query.answer("好")

    app = Application.builder().token(TOKEN).base_url(tg.base_url).base_file_url(tg.base_file_url).build()
    app.add_handler(MessageHandler(filters.TEXT, on_text))
    app.add_handler(MessageHandler(filters.PHOTO, on_photo))
    app.add_handler(CallbackQueryHandler(on_press))

    zhang = tg.user(101, "张伟", "zhangwei")
    group = tg.group()
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0.0, timeout=1)
    try:
        # 1. text echo; PTB 22 quotes the message it replies to in groups (reply_parameters)
        text_update = tg.send_text(zhang, group, "/start hello")
        await tg.wait_for(lambda: len(tg.calls_of("sendMessage")) == 1)
        echo = tg.last_sent(group["id"])
        assert echo["text"] == "echo: /start hello"
        assert echo["chat"]["id"] == group["id"] and echo["from"]["id"] == 999
        assert echo["reply_to_message"]["message_id"] == text_update["message"]["message_id"]
        assert tg.calls_of("sendmessage")[0].params["chat_id"] == group["id"]  # decoded as int

        # 2. photo: the bot downloads it and sends it back with a keyboard
        photo = png_bytes()
        tg.send_photo(zhang, group, photo, caption="隐患照片")
        await tg.wait_for(lambda: len(tg.calls_of("sendPhoto")) == 1)
        assert downloads == [photo]
        send_photo = tg.calls_of("sendPhoto")[0]
        assert send_photo.params["photo"]["bytes"] == photo  # uploaded as multipart
        assert send_photo.params["reply_markup"] == {
            "inline_keyboard": [[{"text": "确认", "callback_data": "ok:1"}]]
        }
        sent = tg.last_sent(group["id"])
        assert send_photo.message is not None and send_photo.message["message_id"] == sent["message_id"]
        assert tg.file_bytes(sent["photo"][-1]["file_id"]) == photo
        assert (sent["photo"][-1]["width"], sent["photo"][-1]["height"]) == (64, 48)
        assert tg.buttons(sent) == [("确认", "ok:1")]

        # 3. press: caption edited in place, query answered
        tg.press(zhang, sent, "ok:1")
        await tg.wait_for(lambda: len(tg.calls_of("answerCallbackQuery")) == 1)
        edited = tg.last_sent(group["id"])
        assert edited["message_id"] == sent["message_id"]
        assert edited["caption"] == "已确认 ok:1"
        assert edited["photo"] == sent["photo"]
        # like real Telegram, an edit that does not pass reply_markup drops the inline keyboard
        assert tg.buttons(edited) == []
        assert tg.calls_of("answerCallbackQuery")[0].params["text"] == "好"
        assert [m["message_id"] for m in tg.sent_messages(group["id"])] == [
            echo["message_id"],
            sent["message_id"],
        ]

        # 4. duplicate delivery: the same update (same update_id) reaches the handlers a second time.
        # PTB itself does not deduplicate; its offset simply moves back to update_id + 1 for one round.
        tg.repeat(text_update)
        await tg.wait_for(lambda: seen_update_ids.count(text_update["update_id"]) == 2)
        later = tg.send_text(zhang, group, "之后")
        await tg.wait_for(lambda: later["update_id"] in seen_update_ids)
        await tg.wait_idle()
        assert seen_update_ids.count(later["update_id"]) == 1
        assert [c.params["text"] for c in tg.calls_of("sendMessage")] == [
            "echo: /start hello",
            "echo: /start hello",
            "echo: 之后",
        ]
        assert not tg.server_errors
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


async def test_get_updates_offset_limit_and_long_poll(tg: FakeTelegram, client: Bot) -> None:
    """Offsets confirm updates, unconfirmed ones come again, repeat() re-delivers, long polls wake early."""
    li = tg.user(102, "李娜")
    chat = tg.private(li)
    first, second, third = (tg.send_text(li, chat, f"m{i}") for i in range(3))
    assert [first["update_id"], second["update_id"], third["update_id"]] == [1, 2, 3]

    batch = await client.get_updates(limit=2)
    assert [u.update_id for u in batch] == [1, 2]
    assert [u.update_id for u in await client.get_updates(limit=2)] == [1, 2]  # not confirmed yet
    assert [u.update_id for u in await client.get_updates(offset=3)] == [3]
    assert await client.get_updates(offset=4, timeout=0) == ()

    tg.repeat(first)
    again = await client.get_updates(offset=4)
    assert [u.update_id for u in again] == [1]
    assert again[0].message is not None and again[0].message.text == "m0"
    assert await client.get_updates(offset=2, timeout=0) == ()  # confirmed now

    waiting = asyncio.create_task(client.get_updates(offset=4, timeout=5))
    await asyncio.sleep(0.05)
    started = time.monotonic()
    tg.send_text(li, chat, "wake up")
    woke = await waiting
    assert [u.update_id for u in woke] == [4]
    assert time.monotonic() - started < 0.5


async def test_user_messages_deserialize_completely(tg: FakeTelegram, client: Bot) -> None:
    """Commands, replies, photos, documents and callback queries come out as full PTB objects."""
    wang = tg.user(103, "王强", "wangqiang")
    group = tg.group()
    read_button = InlineKeyboardMarkup([[InlineKeyboardButton("已读", callback_data="read")]])
    notice = await client.send_message(group["id"], "通知", reply_markup=read_button)
    assert (
        notice.message_id == 1000
        and notice.chat.type == "supergroup"
        and notice.chat.title == "园区安全生产群"
    )

    tg.send_text(wang, group, "/report@safety_test_bot 三号车间", reply_to=notice.message_id)
    image = png_bytes(32, 20)
    photo_update = tg.send_photo(wang, group, image, caption="/photo 漏油", media_group_id="g1")
    tg.send_document(wang, group, b"a,b\n1,2\n", "台账.csv", "text/csv", caption="台账")
    tg.press(wang, notice.to_dict(), "read")

    updates = await client.get_updates()
    text_msg, photo_msg, doc_msg = (u.message for u in updates[:3])
    assert text_msg is not None and photo_msg is not None and doc_msg is not None
    assert text_msg.from_user is not None and text_msg.from_user.username == "wangqiang"
    assert text_msg.parse_entities(["bot_command"]).popitem()[1] == "/report@safety_test_bot"
    assert text_msg.reply_to_message is not None and text_msg.reply_to_message.text == "通知"
    assert text_msg.reply_to_message.from_user is not None and text_msg.reply_to_message.from_user.is_bot
    assert photo_msg.caption == "/photo 漏油" and photo_msg.media_group_id == "g1"
    assert photo_msg.caption_entities[0].type == "bot_command" and photo_msg.caption_entities[0].length == 6
    assert (photo_msg.photo[-1].width, photo_msg.photo[-1].height) == (32, 20)
    assert len(photo_msg.photo) == 2 and photo_msg.photo[0].width <= photo_msg.photo[-1].width
    assert photo_update["message"]["photo"][-1]["file_id"] == photo_msg.photo[-1].file_id
    assert doc_msg.document is not None and doc_msg.document.file_name == "台账.csv"
    assert bytes(await (await doc_msg.document.get_file()).download_as_bytearray()) == b"a,b\n1,2\n"
    assert bytes(await (await photo_msg.photo[0].get_file()).download_as_bytearray()) == image
    query = updates[3].callback_query
    assert query is not None and query.data == "read" and query.message is not None
    assert query.message.message_id == notice.message_id
    await query.answer()
    assert tg.calls_of("answerCallbackQuery")[0].params == {"callback_query_id": query.id}


async def test_bot_side_requests_are_decoded(tg: FakeTelegram, client: Bot) -> None:
    """HTML parse_mode, replies, document upload, file_id reuse and media groups."""
    zhao = tg.user(104, "赵敏")
    chat_id = zhao["id"]

    html_msg = await client.send_message(
        chat_id, "<b>注意</b> &amp; <a href='https://x.org'>链接</a>", parse_mode="HTML"
    )
    assert html_msg.text == "注意 & 链接"
    assert [(e.type, e.offset, e.length) for e in html_msg.entities] == [("bold", 0, 2), ("text_link", 5, 2)]
    assert html_msg.chat.type == "private" and html_msg.chat.first_name == "赵敏"
    with pytest.raises(BadRequest, match=r"(?i)parse entities"):
        await client.send_message(chat_id, "温度 <30 度", parse_mode="HTML")

    reply = await client.send_message(chat_id, "回复", reply_to_message_id=html_msg.message_id)
    assert tg.calls_of("sendMessage")[-1].params["reply_parameters"] == {"message_id": html_msg.message_id}
    assert reply.reply_to_message is not None and reply.reply_to_message.message_id == html_msg.message_id

    doc = await client.send_document(chat_id, document=b"xlsx-bytes", filename="台账.xlsx", caption="导出")
    assert tg.calls_of("sendDocument")[0].params["document"] == {
        "filename": "台账.xlsx",
        "bytes": b"xlsx-bytes",
    }
    assert doc.document is not None and tg.file_bytes(doc.document.file_id) == b"xlsx-bytes"

    first = await client.send_photo(chat_id, photo=png_bytes())
    again = await client.send_photo(chat_id, photo=first.photo[-1].file_id)
    assert tg.calls_of("sendPhoto")[1].params["photo"] == first.photo[-1].file_id  # plain field
    assert again.photo[-1].file_id == first.photo[-1].file_id

    album = await client.send_media_group(
        chat_id, [InputMediaPhoto(png_bytes(10, 10), caption="一"), InputMediaPhoto(png_bytes(20, 20))]
    )
    media = tg.calls_of("sendMediaGroup")[0].params["media"]
    assert media[0]["caption"] == "一" and media[0]["media"]["bytes"] == png_bytes(10, 10)
    assert (
        len({m.media_group_id for m in album}) == 1 and album[0].caption == "一" and album[1].caption is None
    )
    assert [m["message_id"] for m in tg.sent_messages(chat_id)][-2:] == [
        album[0].message_id,
        album[1].message_id,
    ]


async def test_errors_like_telegram(tg: FakeTelegram, client: Bot) -> None:
    """Not-modified and missing edits, bad file ids, unknown methods and wrong tokens fail like Telegram."""
    sun = tg.user(105, "孙丽")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]])
    sent = await client.send_message(sun["id"], "原文", reply_markup=keyboard)
    with pytest.raises(BadRequest, match=r"(?i)not modified"):
        await client.edit_message_text(
            "原文", chat_id=sun["id"], message_id=sent.message_id, reply_markup=keyboard
        )
    edited = await client.edit_message_text(
        "新文", chat_id=sun["id"], message_id=sent.message_id, reply_markup=keyboard
    )
    assert isinstance(edited, Message)
    assert edited.text == "新文" and edited.message_id == sent.message_id and edited.edit_date is not None
    assert tg.buttons(tg.last_sent()) == [("A", "a")]
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await client.edit_message_text("x", chat_id=sun["id"], message_id=4242)
    with pytest.raises(BadRequest, match=r"(?i)no caption"):
        await client.edit_message_caption(chat_id=sun["id"], message_id=sent.message_id, caption="c")
    with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
        await client.get_file("nope")
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        too_long = InlineKeyboardMarkup([[InlineKeyboardButton("长", callback_data="x" * 65)]])
        await client.send_message(sun["id"], "x", reply_markup=too_long)
    assert await client.delete_message(sun["id"], sent.message_id) is True
    assert tg.sent_messages(sun["id"]) == [] and tg.deleted == [(sun["id"], sent.message_id)]
    with pytest.raises(EndPointNotFound):  # Telegram answers 404; do_api_request turns that into this
        await client.do_api_request("frobnicate")
    assert tg.calls_of("frobnicate")[0].error == "Not Found: method frobnicate not found"

    wrong = Bot("42:wrong", base_url=tg.base_url, base_file_url=tg.base_file_url)
    try:
        with pytest.raises(InvalidToken, match="rejected by the server"):
            await wrong.initialize()  # getMe answered 401 Unauthorized
    finally:
        await wrong.shutdown()
    assert tg.calls_of("getMe")[-1].error == "Unauthorized"
    assert not tg.server_errors
    with pytest.raises(AssertionError, match="condition not met"):
        await tg.wait_for(lambda: False, timeout=0.05)
