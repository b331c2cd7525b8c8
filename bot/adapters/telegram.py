"""Telegram adapter (python-telegram-bot 22): long polling in, inline keyboards and card edits out.

Only this module imports `telegram`. It turns each `Update` into a neutral `Incoming` or
`ButtonPress`, hands it to the dispatcher, and renders the neutral replies it gets back.
"""

from __future__ import annotations

import asyncio
import html
import io
import logging
import re
import signal
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Message,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, ContextTypes, TypeHandler

from bot.config import TelegramSettings
from bot.dispatcher import Dispatcher
from bot.messages import Button, ButtonPress, Capabilities, Card, ChatRef, FileRef, Incoming, Reply, Sender

logger = logging.getLogger(__name__)

PLATFORM = "telegram"
CAPTION_LIMIT = 1024
TEXT_LIMIT = 4096
DOWNLOAD_LIMIT = 20 * 1024 * 1024  # the Bot API's getFile limit
PHOTO_UPLOAD_LIMIT = 9 * 1024 * 1024  # sendPhoto takes 10 MB; keep a margin for the form encoding


class FileTooLarge(ValueError):
    """The attachment exceeds what the Bot API lets a bot download."""


class RedactToken(logging.Filter):
    """Blank the bot token out of every log line (httpx logs request URLs, which contain it)."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message without the token."""
        message = record.getMessage()
        if self.token in message:
            record.msg = message.replace(self.token, "<token>")
            record.args = ()
        return True


def _utf16_len(text: str) -> int:
    """Return a length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def render_card_html(card: Card, limit: int = TEXT_LIMIT) -> str:
    """Render a card as Telegram HTML whose visible text fits `limit`.

    Title and status come first so they always show; when the card is too long, the longest field
    values are shortened (never cut inside a tag), then trailing fields dropped.
    """
    status = card.status
    head = [card.title] + ([f"{status.label}：{status.text}"] if status else [])
    fields = [[f.label, f.value] for f in card.fields]

    def visible() -> int:
        return _utf16_len("\n".join(head + [f"{n}：{v}" for n, v in fields]))

    while visible() > limit and fields:
        longest = max(fields, key=lambda f: len(f[1]))
        keep = max(20, len(longest[1]) - (visible() - limit) - 1)
        if keep >= len(longest[1]) - 1:  # cannot shorten it any further: drop the last field instead
            fields.pop()
            continue
        longest[1] = longest[1][:keep] + "…"
    lines = [f"<b>{html.escape(card.title[:200])}</b>"]
    if status:
        lines.append(f"{html.escape(status.label)}：<b>{html.escape(status.text)}</b>")
    lines += [f"{html.escape(n)}：{html.escape(v)}" for n, v in fields]
    return "\n".join(lines)


def photo_for_upload(path: Path) -> bytes:
    """Return the photo's bytes, or a downscaled JPEG when Telegram would refuse the original.

    sendPhoto takes at most 10 MB and width + height up to 10000; the original stays on disk as the
    ledger's evidence.
    """
    from PIL import Image  # imported on first upload: Pillow is not on the per-update path

    data = path.read_bytes()
    with Image.open(io.BytesIO(data)) as img:
        width, height = img.size
        fits = len(data) <= PHOTO_UPLOAD_LIMIT and width + height <= 9000
        if fits and img.format in ("JPEG", "PNG", "WEBP") and max(width, height) <= 20 * min(width, height):
            return data
        img.thumbnail((2560, 2560))
        picture = img.convert("RGB")
    # Telegram also refuses a side ratio over 20: pad a long strip (a scrolled screenshot) with white.
    w, h = picture.size
    if max(w, h) > 20 * min(w, h):
        canvas = Image.new("RGB", (max(w, h // 20 + 1), max(h, w // 20 + 1)), "white")
        canvas.paste(picture, ((canvas.width - w) // 2, (canvas.height - h) // 2))
        picture = canvas
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=85)
    return out.getvalue()


def keyboard(rows: tuple[tuple[Button, ...], ...]) -> InlineKeyboardMarkup | None:
    """Build an inline keyboard from neutral buttons (None when there are none)."""
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in rows]
    )


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


COMMAND_RE = re.compile(r"(/[A-Za-z0-9_]+)(?:@([A-Za-z0-9_]+))?(.*)\Z", re.DOTALL)


def _addressed_text(text: str, bot_username: str | None) -> str | None:
    """Strip `@ourbot` from a leading command; None when the command is addressed to another bot."""
    match = COMMAND_RE.match(text)
    if match is None or match.group(2) is None:
        return text
    if bot_username is None or match.group(2).lower() != bot_username.lower():
        return None
    return match.group(1) + match.group(3)


def to_neutral(update: Update, bot_username: str | None = None) -> Incoming | ButtonPress | None:
    """Turn a Telegram update into a neutral message or button press (None for what we ignore)."""
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None or user.is_bot:
        return None
    sender = Sender(PLATFORM, str(user.id), user.full_name, user.username)
    chat_ref = ChatRef(PLATFORM, str(chat.id), chat.type in ("group", "supergroup"), chat.title)
    key = f"{PLATFORM}:{update.update_id}"
    if update.callback_query is not None:
        query = update.callback_query
        message_id = str(query.message.message_id) if query.message else None
        # A press carries no timestamp of its own; the card's date is the best the platform gives.
        sent_at = query.message.date if query.message else datetime.now(UTC)
        return ButtonPress(key, sender, chat_ref, query.data or "", message_id, sent_at)
    message = update.message
    if message is None:
        return None  # edits, channel posts, member updates: not for the bot
    text = _addressed_text(message.text or message.caption or "", bot_username)
    if text is None:
        return None  # `/cmd@otherbot` in a group: not for us
    files: list[FileRef] = []
    if message.photo:
        largest = message.photo[-1]
        files.append(FileRef(largest.file_id, "photo", largest.file_size, "image/jpeg"))
    if message.document is not None:
        doc = message.document
        files.append(FileRef(doc.file_id, "document", doc.file_size, doc.mime_type, doc.file_name))
    return Incoming(
        update_key=key,
        sender=sender,
        chat=chat_ref,
        text=text,
        sent_at=message.date,
        files=tuple(files),
        message_id=str(message.message_id),
        reply_to_message_id=str(message.reply_to_message.message_id) if message.reply_to_message else None,
        addressed=_is_to_bot(message, text, chat_ref, bot_username),
        media_group_id=message.media_group_id,
    )


def _is_to_bot(message: Message, text: str, chat: ChatRef, bot_username: str | None) -> bool:
    """Tell whether a message is for the bot: a private chat, a command, a reply to it, an @-mention."""
    if not chat.is_group or text.startswith("/"):
        return True
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.username == bot_username:
        return True
    return bot_username is not None and f"@{bot_username.lower()}" in text.lower()


class TelegramAdapter:
    """Runs python-telegram-bot against the configured Bot API server and renders replies."""

    platform = PLATFORM
    # A Telegram bot may write privately only to people who started a chat with it.
    capabilities = Capabilities(replies=True, buttons=True, edits=True, private_to_anyone=False)

    def __init__(self, settings: TelegramSettings, dispatcher: Dispatcher) -> None:
        if settings.token is None:
            raise ValueError("telegram.token is not set")
        token = settings.token.get_secret_value()
        self.settings = settings
        self.dispatcher = dispatcher
        # Request URLs contain the token: quiet httpx, and redact the token wherever it could surface.
        self._redact = RedactToken(token)
        self._filtered: list[logging.Filterer] = [*logging.getLogger().handlers, logging.getLogger("httpx")]
        for target in self._filtered:
            target.addFilter(self._redact)
        logging.getLogger("httpx").setLevel(logging.WARNING)
        self.application = (
            Application.builder()
            .token(token)
            .base_url(settings.base_url)
            .base_file_url(settings.base_file_url)
            .build()
        )
        self.application.add_handler(TypeHandler(Update, self._on_update))
        self.application.add_error_handler(self._on_error)
        dispatcher.attach(self)

    async def _on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        if message is not None and message.migrate_to_chat_id is not None:
            # A group that becomes a supergroup gets a new id; its park-group flag and cards move along.
            await self.dispatcher.migrate_chat(
                PLATFORM, str(message.chat.id), str(message.migrate_to_chat_id)
            )
            return
        event = to_neutral(update, self.application.bot.username)
        if event is None:
            return
        outcome = await self.dispatcher.handle(event)
        if update.callback_query is not None:
            try:
                await update.callback_query.answer(outcome.toast and _cut(outcome.toast, 200))
            except BadRequest as exc:  # the query is too old to answer; the press was still handled
                logger.info("could not answer callback query: %s", exc)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        logger.error("telegram error: %s", context.error, exc_info=context.error)

    async def start(self) -> None:
        """Initialise the client and start long polling."""
        await self.application.initialize()
        await self.application.start()
        assert self.application.updater is not None
        await self.application.updater.start_polling(
            poll_interval=0.0,
            timeout=self.settings.poll_timeout,
            allowed_updates=["message", "callback_query"],
        )
        me = self.application.bot.bot
        logger.info("polling as @%s", me.username)

    async def stop(self) -> None:
        """Stop polling and close the client."""
        if self.application.updater is not None and self.application.updater.running:
            await self.application.updater.stop()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()
        for target in self._filtered:
            target.removeFilter(self._redact)

    async def run_forever(self) -> None:
        """Poll until SIGINT or SIGTERM."""
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await self.start()
        try:
            await stop.wait()
        finally:
            await self.stop()

    # --- rendering ----------------------------------------------------------------------------

    async def send(self, chat: ChatRef, reply: Reply) -> str | None:
        """Send a reply; a card with photos becomes one photo message with caption and keyboard."""
        bot = self.application.bot
        chat_id = int(chat.chat_id)
        sent: Message | None = None
        if reply.card is not None:
            card = reply.card
            markup = keyboard(card.actions)
            if card.photos:
                try:
                    photo = await asyncio.to_thread(photo_for_upload, card.photos[0])
                    sent = await bot.send_photo(
                        chat_id,
                        photo=photo,
                        caption=render_card_html(card, CAPTION_LIMIT),
                        parse_mode=ParseMode.HTML,
                        reply_markup=markup,
                    )
                except (BadRequest, OSError) as exc:  # the card still goes out, as text (edits follow suit)
                    logger.warning("card photo for %s refused (%s); sending the card as text", card.key, exc)
            if sent is None:
                sent = await bot.send_message(
                    chat_id,
                    render_card_html(card, TEXT_LIMIT),
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                )
        if reply.text:
            message = await bot.send_message(
                chat_id, _cut(reply.text, TEXT_LIMIT), reply_markup=keyboard(reply.buttons)
            )
            sent = sent or message
        if reply.photos:
            await self._send_photos(chat_id, reply.photos)
        for doc in reply.documents:
            await bot.send_document(chat_id, document=doc.read_bytes(), filename=doc.name)
        return str(sent.message_id) if sent is not None else None

    async def _send_photos(self, chat_id: int, photos: tuple[Path, ...]) -> None:
        """Send photos as albums of 2 to 10 (a lone photo on its own); one failed part skips only itself."""
        bot = self.application.bot
        for start in range(0, len(photos), 10):
            chunk = photos[start : start + 10]
            try:
                data = [await asyncio.to_thread(photo_for_upload, p) for p in chunk]
                if len(data) == 1:
                    await bot.send_photo(chat_id, photo=data[0])
                else:
                    await bot.send_media_group(chat_id, media=[InputMediaPhoto(d) for d in data])
            except (TelegramError, OSError) as exc:
                logger.warning("sending %d photo(s) to %s failed: %s", len(chunk), chat_id, exc)

    async def edit_card(self, chat_id: str, message_id: str, card: Card) -> None:
        """Re-render a card in place: the caption of a photo card, the text of a text card."""
        bot = self.application.bot
        markup = keyboard(card.actions) or InlineKeyboardMarkup([])
        try:
            if card.photos:
                await bot.edit_message_caption(
                    chat_id=int(chat_id),
                    message_id=int(message_id),
                    caption=render_card_html(card, CAPTION_LIMIT),
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                )
            else:
                await bot.edit_message_text(
                    render_card_html(card, TEXT_LIMIT),
                    chat_id=int(chat_id),
                    message_id=int(message_id),
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                )
        except BadRequest as exc:
            reason = str(exc).lower()
            if "not modified" in reason:
                return
            if card.photos and "no caption" in reason:  # the card went out as text after all
                await self.edit_card(chat_id, message_id, replace(card, photos=()))
                return
            raise

    async def fetch_file(self, ref: FileRef) -> bytes:
        """Download an attachment through getFile; refuse files over the Bot API's 20 MB limit."""
        if ref.size is not None and ref.size > DOWNLOAD_LIMIT:
            raise FileTooLarge(f"{ref.size} bytes")
        file = await self.application.bot.get_file(ref.file_id)
        if file.file_size is not None and file.file_size > DOWNLOAD_LIMIT:
            raise FileTooLarge(f"{file.file_size} bytes")
        return bytes(await file.download_as_bytearray())
