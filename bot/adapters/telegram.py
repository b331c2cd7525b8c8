"""Telegram adapter (python-telegram-bot 22): long polling in, inline keyboards and card edits out.

Only this module imports `telegram`. It turns each `Update` into a neutral `Incoming` or
`ButtonPress`, hands it to the dispatcher, and renders the neutral replies it gets back.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import html
import io
import logging
import random
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import httpx
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Message,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning, PTBUserWarning

from bot.adapters import shared
from bot.adapters import telegram_updates as updates
from bot.adapters.shared import Redact, cut, fit_fields
from bot.config import TelegramSettings
from bot.dispatcher import Dispatcher
from bot.inbox import Inbox
from bot.messages import (
    Button,
    ButtonPress,
    Capabilities,
    Card,
    ChatRef,
    FileRef,
    Incoming,
    Outcome,
    Reply,
    RetryLater,
    Undeliverable,
    Unreachable,
)
from storage.photos import pillow

logger = logging.getLogger(__name__)

T = TypeVar("T")

PLATFORM = updates.PLATFORM
SEND_ATTEMPTS = 5  # tries of one Bot API call on 5xx and network errors (429s wait, then try again)
MAX_RETRY_WAIT = 60.0
SHOWN_PHOTOS_KEPT = 5000
ALLOWED_UPDATES = ["message", "callback_query"]
POLL_READ_MARGIN = 10.0  # seconds a long poll may take beyond its own timeout before it counts as lost
CAPTION_LIMIT = 1024
TEXT_LIMIT = 4096
DOWNLOAD_LIMIT = 20 * 1024 * 1024  # the Bot API's getFile limit
PHOTO_UPLOAD_LIMIT = 9 * 1024 * 1024  # sendPhoto takes 10 MB; keep a margin for the form encoding
# Refusals that mean the chat itself is gone for the bot (403s are all of that kind).
GONE = ("chat not found", "bot was kicked", "bot is not a member", "user is deactivated", "peer_id_invalid")


class _Progress:
    """Whether a part of the reply being sent already went out (then retries happen here, not in the sender)."""

    started = False


# Per send (each sender lane is its own task, so concurrent sends never share one).
_PROGRESS: contextvars.ContextVar[_Progress | None] = contextvars.ContextVar("telegram_send", default=None)


class FileTooLarge(ValueError):
    """The attachment exceeds what the Bot API lets a bot download."""


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

    def visible(fields: list[list[str]]) -> int:
        return _utf16_len("\n".join(head + [f"{n}：{v}" for n, v in fields]))

    fields = fit_fields(card, visible, limit)
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
    # Imported on first upload (Pillow is not on the per-update path), with the HEIC opener registered.
    Image = pillow()

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


def _reason(exc: BaseException) -> str:
    """Return an error as one short line (the token filter on the log handlers redacts the rest)."""
    return f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"


def _refusal(exc: TelegramError) -> Undeliverable:
    """Return a Bot API refusal as the core's: the chat gone for the bot, or this message refused."""
    if isinstance(exc, Forbidden) or any(word in str(exc).lower() for word in GONE):
        return Unreachable(_reason(exc))
    return Undeliverable(_reason(exc))


def _retry_after(exc: RetryAfter) -> float:
    """Return a 429's wait in seconds (PTB 22 warns that it becomes a timedelta; both are read)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        wait = exc.retry_after
    return wait.total_seconds() if isinstance(wait, timedelta) else float(wait)


def split_text(text: str, limit: int) -> list[str]:
    """Split text into parts of at most `limit` UTF-16 units (Telegram's measure), at line ends if possible."""
    return shared.split_text(text, limit, _utf16_len)


class StartupError(RuntimeError):
    """The bot cannot start on Telegram for a reason the operator must fix (said in one line)."""


class TelegramAdapter:
    """Polls the configured Bot API server into the inbox and renders the core's replies.

    Updates are stored in the inbox before the next getUpdates confirms them to Telegram (the offset),
    so an update Telegram considers delivered is an update kept. python-telegram-bot's own `Updater`
    confirms a batch as soon as it has queued it in memory, which is why this adapter polls itself.
    """

    platform = PLATFORM
    # A Telegram bot may write privately only to people who started a chat with it.
    capabilities = Capabilities(replies=True, buttons=True, edits=True, private_to_anyone=False)

    def __init__(self, settings: TelegramSettings, dispatcher: Dispatcher, inbox: Inbox) -> None:
        if settings.token is None:
            raise ValueError("telegram.token is not set")
        token = settings.token.get_secret_value()
        self.settings = settings
        self.dispatcher = dispatcher
        self.inbox = inbox
        # Request URLs contain the token: quiet httpx, and redact the token wherever it could surface.
        self._redact = Redact(token, "<token>")
        self._filtered: list[logging.Filterer] = [*logging.getLogger().handlers, logging.getLogger("httpx")]
        for target in self._filtered:
            target.addFilter(self._redact)
        logging.getLogger("httpx").setLevel(logging.WARNING)
        # The two HTTP clients share one TLS context: the CA bundle parsed once (about 0.8 MB less).
        tls = {"verify": httpx.create_ssl_context()}
        self.bot = Bot(
            token,
            base_url=settings.base_url,
            base_file_url=settings.base_file_url,
            request=HTTPXRequest(connection_pool_size=8, httpx_kwargs=tls),
            get_updates_request=HTTPXRequest(
                read_timeout=settings.poll_timeout + POLL_READ_MARGIN, httpx_kwargs=tls
            ),
        )
        self._poller: asyncio.Task[None] | None = None
        self._shown_photos: dict[tuple[int, int], Path] = {}  # (chat, message) -> picture on that card
        self._started = False
        dispatcher.attach(self)
        inbox.attach(self)

    # --- the inbox's side ---------------------------------------------------------------------

    async def decode(self, payload: dict[str, Any]) -> Incoming | ButtonPress | None:
        """Turn a stored raw update back into a neutral one (a chat migration is carried out here)."""
        moved = updates.migration(payload)
        if moved is not None:
            # A group that becomes a supergroup gets a new id; its park-group flag and cards move along.
            await self.dispatcher.migrate_chat(PLATFORM, *moved)
            return None
        return updates.to_neutral(payload, self.bot.username)

    async def finish(self, payload: dict[str, Any], outcome: Outcome) -> None:
        """Answer a button press with its toast (a press answered after a restart may be too old)."""
        query = payload.get("callback_query")
        if query is None:
            return
        try:
            await self.bot.answer_callback_query(
                str(query["id"]), text=outcome.toast and cut(outcome.toast, 200)
            )
        except BadRequest as exc:  # the query is too old to answer; the press was still handled
            logger.info("could not answer callback query: %s", exc)

    # --- polling ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Reach the Bot API (retrying while it is unreachable), start the inbox, then poll into it."""
        delay = 1.0
        while True:
            try:
                await self.bot.initialize()
                break
            except InvalidToken:
                raise StartupError(
                    "Telegram rejected the bot token: check telegram.token (SAFETYBOT_TELEGRAM__TOKEN)"
                ) from None
            except RetryAfter as exc:
                await asyncio.sleep(min(_retry_after(exc), MAX_RETRY_WAIT))
                continue
            except (BadRequest, Conflict) as exc:  # a refusal, not an outage: retrying would not help
                raise StartupError(f"the Telegram Bot API refused to start: {_reason(exc)}") from None
            except (NetworkError, TimedOut) as exc:
                if delay == 1.0:
                    logger.warning(
                        "cannot reach the Telegram Bot API at %s (%s); retrying with backoff. Telegram is "
                        "not reachable from mainland China: there, run the bot on DingTalk, or try it with "
                        "`safetybot console`",
                        self.settings.base_url,
                        _reason(exc),
                    )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60.0)
        await self.inbox.start()
        self._poller = asyncio.create_task(self._poll(), name="telegram-poll")
        self._started = True
        logger.info("polling as @%s", self.bot.username)

    async def _poll(self) -> None:
        """Fetch updates, store them, and only then confirm them with the next offset."""
        offset: int | None = None
        failures = 0
        while True:
            try:
                raw = await self._get_updates(offset)
                if raw:
                    await self.inbox.put(PLATFORM, [updates.stored(u) for u in raw])
                    offset = raw[-1]["update_id"] + 1
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # network, Bot API or database: nothing confirmed, try again
                if isinstance(exc, Conflict) and failures == 0:
                    logger.error(
                        "another process polls this bot, or a webhook is set (%s); stop it or run "
                        "deleteWebhook, polling retries meanwhile",
                        _reason(exc),
                    )
                elif isinstance(exc, InvalidToken) and failures == 0:
                    logger.error("Telegram no longer accepts the bot token; polling retries meanwhile")
                elif failures == 0:
                    logger.warning("polling paused: %s; retrying", _reason(exc))
                failures += 1
                await asyncio.sleep(min(0.5 * 2.0**failures, 30.0))

    async def _get_updates(self, offset: int | None) -> list[dict[str, Any]]:
        """Call getUpdates for the Bot API's JSON as it is (see `telegram_updates.py`), with the read
        timeout python-telegram-bot's own `get_updates` would use."""
        timeout = self.settings.poll_timeout
        data = {"offset": offset, "timeout": timeout, "allowed_updates": ALLOWED_UPDATES}
        read_timeout = timeout + POLL_READ_MARGIN + timeout  # as `Bot.get_updates` adds the poll to it
        with warnings.catch_warnings():  # "use Bot.get_updates": that one builds objects we do not need
            warnings.simplefilter("ignore", PTBUserWarning)
            result = await self.bot.do_api_request("getUpdates", data, read_timeout=read_timeout)
        return list(result) if isinstance(result, list) else []

    async def stop(self) -> None:
        """Stop polling, let the updates in hand finish, and close the client."""
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None
        await self.inbox.stop()
        if self._started:
            await self.bot.shutdown()
            self._started = False
        for target in self._filtered:
            target.removeFilter(self._redact)

    async def _retrying(self, call: Callable[[], Awaitable[T]]) -> T:
        """Make one Bot API call of a send.

        Before any part of the reply went out, a 429 becomes `RetryLater` and a 5xx or network error is
        raised: the sender decides (that chat waits, others go on; backoff, capped). Once a part went
        out, the rest is retried here (a 429's retry_after, 5xx and network errors with backoff), so a
        retried reply never repeats its first part. A refusal (400, 403) is never retried.
        """
        progress = _PROGRESS.get()
        for attempt in range(SEND_ATTEMPTS):
            try:
                result = await call()
                if progress is not None:
                    progress.started = True
                return result
            except RetryAfter as exc:
                if progress is None or not progress.started:
                    raise RetryLater(_retry_after(exc), _reason(exc)) from None
                delay = _retry_after(exc)
            except BadRequest:
                raise
            except (NetworkError, TimedOut) as exc:  # 5xx, connection reset, timeout
                if progress is None or not progress.started or attempt == SEND_ATTEMPTS - 1:
                    raise
                delay = min(0.5 * 2.0**attempt, 10.0) * random.uniform(0.5, 1.0)
                logger.info("Bot API call failed (%s); retrying in %.1fs", _reason(exc), delay)
            await asyncio.sleep(min(delay, MAX_RETRY_WAIT))
        return await call()

    def cost(self, reply: Reply) -> int:
        """Return how many Bot API messages a reply makes (for pacing)."""
        n = 1 if reply.card is not None else 0
        if reply.text:
            n += len(split_text(reply.text, TEXT_LIMIT))
        n += (len(reply.photos) + 9) // 10 + len(reply.documents)
        return max(n, 1)

    # --- rendering ----------------------------------------------------------------------------

    async def send(self, chat: ChatRef, reply: Reply) -> str | None:
        """Send a reply once; the sender retries.

        A chat gone for the bot (blocked, removed, not found) is `Unreachable`, another refusal
        `Undeliverable`, a 429 before anything went out `RetryLater`; 5xx and network errors are raised.
        """
        token = _PROGRESS.set(_Progress())
        try:
            return await self._send(chat, reply)
        except (Forbidden, BadRequest) as exc:
            raise _refusal(exc) from None
        finally:
            _PROGRESS.reset(token)

    async def _send(self, chat: ChatRef, reply: Reply) -> str | None:
        """Send a reply; a card with photos becomes one photo message with caption and keyboard."""
        bot = self.bot
        chat_id = int(chat.chat_id)
        sent: Message | None = None
        if reply.card is not None:
            card = reply.card
            markup = keyboard(card.actions)
            if card.photos:
                try:
                    photo = await asyncio.to_thread(photo_for_upload, card.photos[0])
                    sent = await self._retrying(
                        lambda: bot.send_photo(
                            chat_id,
                            photo=photo,
                            caption=render_card_html(card, CAPTION_LIMIT),
                            parse_mode=ParseMode.HTML,
                            reply_markup=markup,
                        )
                    )
                    self._remember_photo(chat_id, sent.message_id, card.photos[0])
                except (BadRequest, OSError) as exc:  # the card still goes out, as text (edits follow suit)
                    logger.warning("card photo for %s refused (%s); sending the card as text", card.key, exc)
            if sent is None:
                sent = await self._retrying(
                    lambda: bot.send_message(
                        chat_id,
                        render_card_html(card, TEXT_LIMIT),
                        parse_mode=ParseMode.HTML,
                        reply_markup=markup,
                    )
                )
        if reply.text:
            # A long text (a hazard's whole history) goes out as several messages, never cut or dropped;
            # the buttons go with the last part.
            parts = split_text(reply.text, TEXT_LIMIT)
            for i, part in enumerate(parts):
                markup = keyboard(reply.buttons) if i == len(parts) - 1 else None
                message = await self._retrying(partial(bot.send_message, chat_id, part, reply_markup=markup))
                sent = sent or message
        if reply.photos:
            await self._send_photos(chat_id, reply.photos)
        for i, doc in enumerate(reply.documents):
            name = reply.document_names[i] if i < len(reply.document_names) else doc.name
            await self._retrying(
                partial(bot.send_document, chat_id, document=doc.read_bytes(), filename=name)
            )
        return str(sent.message_id) if sent is not None else None

    async def _send_photos(self, chat_id: int, photos: tuple[Path, ...]) -> None:
        """Send photos as albums of 2 to 10 (a lone photo on its own); one failed part skips only itself."""
        bot = self.bot
        for start in range(0, len(photos), 10):
            chunk = photos[start : start + 10]
            try:
                data = [await asyncio.to_thread(photo_for_upload, p) for p in chunk]
                if len(data) == 1:
                    await self._retrying(partial(bot.send_photo, chat_id, photo=data[0]))
                else:
                    media = [InputMediaPhoto(d) for d in data]
                    await self._retrying(partial(bot.send_media_group, chat_id, media=media))
            except (TelegramError, OSError) as exc:
                progress = _PROGRESS.get()
                if (
                    progress is not None
                    and not progress.started
                    and not isinstance(exc, BadRequest | OSError)
                ):
                    raise  # nothing of the reply went out: the sender retries it whole
                logger.warning("sending %d photo(s) to %s failed: %s", len(chunk), chat_id, exc)

    async def edit_card(self, chat_id: str, message_id: str, card: Card) -> None:
        """Re-render a card in place: the caption of a photo card, the text of a text card."""
        token = _PROGRESS.set(_Progress())
        try:
            await self._edit_card(chat_id, message_id, card)
        finally:
            _PROGRESS.reset(token)

    async def _edit_card(self, chat_id: str, message_id: str, card: Card) -> None:
        bot = self.bot
        markup = keyboard(card.actions) or InlineKeyboardMarkup([])
        try:
            shown = self._shown_photos.get((int(chat_id), int(message_id)))
            if card.photos and shown != card.photos[0]:
                # The card's picture changed (before|after once there is a fix), or this process never
                # sent it: replace the photo together with the caption.
                data = await asyncio.to_thread(photo_for_upload, card.photos[0])
                media = InputMediaPhoto(
                    data, caption=render_card_html(card, CAPTION_LIMIT), parse_mode=ParseMode.HTML
                )
                await self._retrying(
                    partial(
                        bot.edit_message_media,
                        chat_id=int(chat_id),
                        message_id=int(message_id),
                        media=media,
                        reply_markup=markup,
                    )
                )
                self._remember_photo(int(chat_id), int(message_id), card.photos[0])
            elif card.photos:
                await self._retrying(
                    lambda: bot.edit_message_caption(
                        chat_id=int(chat_id),
                        message_id=int(message_id),
                        caption=render_card_html(card, CAPTION_LIMIT),
                        parse_mode=ParseMode.HTML,
                        reply_markup=markup,
                    )
                )
            else:
                await self._retrying(
                    lambda: bot.edit_message_text(
                        render_card_html(card, TEXT_LIMIT),
                        chat_id=int(chat_id),
                        message_id=int(message_id),
                        parse_mode=ParseMode.HTML,
                        reply_markup=markup,
                    )
                )
        except BadRequest as exc:
            reason = str(exc).lower()
            if "not modified" in reason:
                return
            if card.photos and "no caption" in reason:  # the card went out as text after all
                await self._edit_card(chat_id, message_id, replace(card, photos=()))
                return
            raise _refusal(exc) from None
        except Forbidden as exc:
            raise _refusal(exc) from None

    def _remember_photo(self, chat_id: int, message_id: int, path: Path) -> None:
        """Remember which picture a card message shows, so an edit replaces it only when it changed."""
        if len(self._shown_photos) >= SHOWN_PHOTOS_KEPT:
            self._shown_photos.pop(next(iter(self._shown_photos)))
        self._shown_photos[(chat_id, message_id)] = path

    async def fetch_file(self, ref: FileRef) -> bytes:
        """Download an attachment through getFile; refuse files over the Bot API's 20 MB limit."""
        if ref.size is not None and ref.size > DOWNLOAD_LIMIT:
            raise FileTooLarge(f"{ref.size} bytes")
        file = await self.bot.get_file(ref.file_id)
        if file.file_size is not None and file.file_size > DOWNLOAD_LIMIT:
            raise FileTooLarge(f"{file.file_size} bytes")
        return bytes(await file.download_as_bytearray())
