"""WeCom (企业微信) adapter: a 智能机器人 in API mode over its long connection.

In: one outbound WebSocket (`bot/adapters/wecom_link.py`; no public address, no callback URL), each pushed
message and card click stored in the inbox before the next frame is read. A group message reaches the
bot when it @-mentions it (the mention is stripped); single-chat messages always. Pictures and files
come as URLs with a per-message aeskey: downloaded, decrypted (AES-256-CBC) and stored byte-exact.

Out: everything is a proactive send (`aibot_send_msg`) from the outbox: markdown for texts, template
cards (`button_interaction`) for cards and questions with buttons, whose button keys are our typed
button data (a press is checked by the core like any other), images and files uploaded in chunks
over the same socket. After a click, the clicked card is updated in place (`aibot_respond_update_msg`,
allowed within 5 s of the click with its req_id); any other change posts the card again. With
`template_cards = false`, cards are markdown with their commands spelled out.

Identity: a group is `wecom:<chatid>`, a person `wecom:<userid>`, a person's single chat with the bot
`wecom:u:<userid>`. WeCom lets the bot write only into chats where someone talked to it, so a person is
written to privately once they wrote to the bot there (`private_to_anyone` is off, as on Telegram).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import uuid
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp

from bot.adapters.shared import Lru, Redact, image_for_upload
from bot.adapters.wecom_link import Link, NotConnected, WeComError
from bot.adapters.wecom_payloads import (
    CHUNK,
    EVENT_CALLBACK,
    INERT_KEY,
    MAX_CHUNKS,
    PLATFORM,
    PRIVATE,
    RESPOND_UPDATE,
    SEND,
    UPLOAD_CHUNK,
    UPLOAD_FINISH,
    UPLOAD_INIT,
    BadMedia,
    card_markdown,
    chat_of,
    click_of,
    decrypt,
    fields_of,
    markdown_parts,
    private_chat,
    prompt_card,
    sender_id,
    target,
    template_card,
    to_incoming,
)
from bot.config import WeComSettings
from bot.dispatcher import Dispatcher
from bot.inbox import Inbox
from bot.messages import (
    ButtonPress,
    Capabilities,
    Card,
    ChatRef,
    FileRef,
    Incoming,
    Outcome,
    Reply,
    RetryLater,
    Sender,
    Undeliverable,
    Unreachable,
)
from domain.park import queries as park_queries
from handlers import texts as T

logger = logging.getLogger(__name__)

UPDATE_WINDOW = 4.5  # seconds after a click in which its card may still be updated in place (WeCom: 5)
IMAGE_LIMIT = 2 * 1024 * 1024  # larger pictures are sent as a JPEG copy (uploads take images up to 2 MB)
# errcodes of a send: wait and try again; the chat or person is gone for the bot; anything else refused.
RETRY_CODES = {-1, 45009, 45033, 45011}  # system busy, frequency limits
UNREACHABLE_CODES = {60111, 81013, 86003, 93008, 846604}  # no such user / chat, bot not in the chat
RATE_WAIT = 20.0  # seconds to wait after WeCom said "too fast"
OFFLINE_WAIT = 30.0  # seconds a chat waits while there is no connection (the sender allows 20 such waits)


class StartupError(RuntimeError):
    """The bot cannot start on WeCom for a reason the operator must fix (said in one line)."""


class WeComAdapter:
    """Reads the long connection into the inbox and renders the core's replies on WeCom."""

    platform = PLATFORM

    def __init__(self, settings: WeComSettings, dispatcher: Dispatcher, inbox: Inbox) -> None:
        if not settings.configured or settings.secret is None:
            raise ValueError("wecom.bot_id and wecom.secret are not set")
        secret = settings.secret.get_secret_value()
        self.settings = settings
        self.dispatcher = dispatcher
        self.inbox = inbox
        cards = settings.template_cards
        # No reply-to on WeCom; buttons on template cards; a card is edited in place right after a click
        # (else posted again); a person can be written to only after they wrote to the bot.
        self.capabilities = Capabilities(replies=False, buttons=cards, edits=True, private_to_anyone=False)
        self._redact = Redact(secret, "<secret>")
        self._filtered: list[logging.Filterer] = [*logging.getLogger().handlers, logging.getLogger("aiohttp")]
        for f in self._filtered:
            f.addFilter(self._redact)
        self._clicks = Lru()  # task_id -> (req_id, loop time) of the latest click on it
        self._latest = Lru()  # task_id -> the task_id of the card that replaced it (posted again)
        self._pushed = Lru()  # task_id or chat/md-id -> what the card showed last
        self._keys = Lru()  # media URL -> its aeskey
        self._media = Lru()  # picture path -> media_id uploaded
        self.rate_wait = RATE_WAIT
        self.offline_wait = OFFLINE_WAIT
        self.link = Link(
            url=settings.ws_url,
            bot_id=settings.bot_id,
            secret=secret,
            inbox=inbox,
            clock=dispatcher.clock,
            on_click=self._clicked,
        )
        self._started = False
        dispatcher.attach(self)
        inbox.attach(self)

    @property
    def connected(self) -> asyncio.Event:
        """Return the event set while a subscribed connection is open."""
        return self.link.connected

    def _clicked(self, task_id: str, rid: str) -> None:
        if task_id and rid:
            self._clicks.put(task_id, (rid, asyncio.get_running_loop().time()))

    # --- starting and stopping ------------------------------------------------------------------

    async def start(self) -> None:
        """Start the inbox and the connection; refuse to start when WeCom rejects the bot_id / secret."""
        await self.inbox.start()
        self._started = True
        self.link.start()
        await self.link.settled.wait()
        if self.link.refused is not None and not self.link.connected.is_set():
            raise StartupError(str(self.link.refused))
        logger.info("WeCom bot %s started (long connection)", self.settings.bot_id)

    async def stop(self) -> None:
        """Stop reading, let the updates in hand finish, close the connection."""
        await self.link.stop()
        if self._started:
            await self.inbox.stop()
            self._started = False
        for f in self._filtered:
            f.removeFilter(self._redact)

    # --- the inbox's side -----------------------------------------------------------------------

    async def decode(self, payload: dict[str, Any]) -> Incoming | ButtonPress | None:
        """Turn a stored frame back into a neutral update (the sender's name from the park's records)."""
        body = payload.get("body") or {}
        received = datetime.fromisoformat(payload["received_at"])
        user = sender_id(body)
        name = user
        async with self.dispatcher.db.reading() as session:
            person = await park_queries.find_person(session, PLATFORM, user)
            if person is not None:
                name = person.display_name
        if payload.get("cmd") == EVENT_CALLBACK:
            task_id, key = click_of(body)
            if not key or key == INERT_KEY:
                return None
            chat = chat_of(body) if body.get("chatid") else private_chat(user)
            return ButtonPress(payload["key"], Sender(PLATFORM, user, name), chat, key, task_id or None, received)
        message = to_incoming(body, payload["key"], received, self._keys)
        return replace(message, sender=Sender(PLATFORM, user, name))

    async def finish(self, payload: dict[str, Any], outcome: Outcome) -> None:
        """Tell the presser the answer to their press (a template card has no popup): in their single chat
        with the bot when they have one, else where the card is."""
        if payload.get("cmd") != EVENT_CALLBACK or not outcome.toast:
            return
        body = payload.get("body") or {}
        user = sender_id(body)
        chat_id = chat_of(body).chat_id if body.get("chatid") else private_chat(user).chat_id
        async with self.dispatcher.db.reading() as session:
            person = await park_queries.find_person(session, PLATFORM, user)
        if person is not None and person.private_chat_id and person.unreachable_at is None:
            chat_id = person.private_chat_id
        try:
            await self._markdown(chat_id, outcome.toast)
        except (WeComError, NotConnected) as exc:
            logger.info("answer to a press not sent: %s", exc)

    # --- rendering ------------------------------------------------------------------------------

    def cost(self, reply: Reply) -> int:
        """Return how many messages a reply makes (the pacing counts each)."""
        n = len(markdown_parts(reply.text)) if reply.text else 0
        return max(1, n + (reply.card is not None) + len(reply.photos) + len(reply.documents))

    async def send(self, chat: ChatRef, reply: Reply) -> str | None:
        """Send a reply to a group or a single chat; return the card's task_id (None for plain messages)."""
        before = self.link.answered
        try:
            return await self._send(chat.chat_id, reply)
        except WeComError as exc:
            raise _mapped(exc, self.rate_wait) from None
        except NotConnected as exc:
            if self.link.answered == before:  # nothing of it went out: wait for the connection, repeat nothing
                raise RetryLater(self.offline_wait, str(exc)) from None
            raise

    async def _send(self, chat_id: str, reply: Reply) -> str | None:
        out: str | None = None
        if reply.card is not None:
            out = await self._card(chat_id, reply.card)
            if reply.card.photos:
                await self._photo(chat_id, reply.card.photos[0])
        if reply.text:
            buttons = [b for row in reply.buttons for b in row]
            if buttons and self.capabilities.buttons:
                await self._send_body(chat_id, {"msgtype": "template_card",
                                                "template_card": prompt_card(reply.text, buttons, _task())})
            else:
                await self._markdown(chat_id, reply.text)
        for path in reply.photos:
            await self._photo(chat_id, path)
        for i, doc in enumerate(reply.documents):
            name = reply.document_names[i] if i < len(reply.document_names) else doc.name
            await self._document(chat_id, doc, name)
        return out

    async def _card(self, chat_id: str, card: Card) -> str:
        card = card.seen_by(PLATFORM, chat_id) if chat_id.startswith(PRIVATE) else card.in_group()
        if self.capabilities.buttons:
            task_id = _task()
            body = template_card(card, task_id)
            await self._send_body(chat_id, {"msgtype": "template_card", "template_card": body})
            self._pushed.put(task_id, body)
            return task_id
        out = f"md-{uuid.uuid4().hex[:16]}"
        await self._markdown(chat_id, card_markdown(card))
        self._pushed.put(f"{chat_id}/{out}", fields_of(card))
        return out

    async def edit_card(self, chat_id: str, message_id: str, card: Card) -> None:
        """Update a card: in place right after a click on it, else post it again (markdown: what changed)."""
        before = self.link.answered
        try:
            await self._edit(chat_id, message_id, card)
        except WeComError as exc:
            raise _mapped(exc, self.rate_wait) from None
        except NotConnected as exc:
            if self.link.answered == before:
                raise RetryLater(self.offline_wait, str(exc)) from None
            raise

    async def _edit(self, chat_id: str, message_id: str, card: Card) -> None:
        card = card.seen_by(PLATFORM, chat_id) if chat_id.startswith(PRIVATE) else card.in_group()
        if message_id.startswith("md-") or not self.capabilities.buttons:
            key = f"{chat_id}/{message_id}"
            shown = self._pushed.get(key)
            if shown == fields_of(card):
                return  # this state is already posted here
            title = f"{card.title}{T.WECOM_CARD_UPDATED}"
            text = card_markdown(card, short=shown is not None, shown=shown)
            await self._markdown(chat_id, text.replace(f"### {card.title}", f"### {title}", 1))
            self._pushed.put(key, fields_of(card))
            return
        task_id = self._latest.get(message_id, message_id)
        clicked = self._clicks.get(task_id)
        body = template_card(card, task_id)
        if self._pushed.get(task_id) == body:
            return  # coalesced: this state is already on the card
        if clicked is not None and asyncio.get_running_loop().time() - clicked[1] < UPDATE_WINDOW:
            self._clicks.pop(task_id, None)
            try:
                await self.link.request(RESPOND_UPDATE, {"response_type": "update_template_card",
                                                         "template_card": body}, rid=clicked[0])
                self._pushed.put(task_id, body)
                return
            except WeComError as exc:  # the window closed meanwhile: post it again
                logger.info("card %s not updated in place (%s); posting it again", task_id, exc)
        new_id = _task()
        body = template_card(card, new_id)
        await self._send_body(chat_id, {"msgtype": "template_card", "template_card": body})
        self._pushed.put(new_id, body)
        self._latest.put(message_id, new_id)
        self._latest.put(task_id, new_id)

    async def _markdown(self, chat_id: str, text: str) -> None:
        for part in markdown_parts(text):
            await self._send_body(chat_id, {"msgtype": "markdown", "markdown": {"content": part}})

    async def _send_body(self, chat_id: str, body: dict[str, Any]) -> None:
        await self.link.request(SEND, {**target(chat_id), **body})

    async def _photo(self, chat_id: str, path: Path) -> None:
        try:
            media_id = await self._upload_picture(path)
        except (OSError, ValueError) as exc:
            logger.warning("picture %s not sent: %s", path.name, exc)
            return
        await self._send_body(chat_id, {"msgtype": "image", "image": {"media_id": media_id}})

    async def _document(self, chat_id: str, path: Path, name: str) -> None:
        data = await asyncio.to_thread(path.read_bytes)
        media_id = await self._upload("file", name, data)
        await self._send_body(chat_id, {"msgtype": "file", "file": {"media_id": media_id}})

    async def _upload_picture(self, path: Path) -> str:
        key = str(path)
        if key in self._media:
            return str(self._media[key])
        data = await asyncio.to_thread(image_for_upload, path, IMAGE_LIMIT)
        media_id = await self._upload("image", f"{path.stem}.jpg", data)
        self._media.put(key, media_id)
        return media_id

    async def _upload(self, kind: str, name: str, data: bytes) -> str:
        """Upload media in 512 KB chunks over the socket (init, chunks, finish); return its media_id."""
        chunks = [data[i : i + CHUNK] for i in range(0, len(data), CHUNK)] or [b""]
        if len(chunks) > MAX_CHUNKS:
            raise Undeliverable(f"{name} is too large to upload ({len(data)} bytes)")
        init = await self.link.request(UPLOAD_INIT, {
            "type": kind, "filename": name, "total_size": len(data), "total_chunks": len(chunks),
            "md5": hashlib.md5(data).hexdigest(),  # WeCom's integrity check, not security
        })
        upload_id = str(init.get("upload_id") or "")
        for i, chunk in enumerate(chunks):
            await self.link.request(UPLOAD_CHUNK, {
                "upload_id": upload_id, "chunk_index": i, "base64_data": base64.b64encode(chunk).decode(),
            })
        done = await self.link.request(UPLOAD_FINISH, {"upload_id": upload_id})
        return str(done.get("media_id") or "")

    async def fetch_file(self, ref: FileRef) -> bytes:
        """Download a picture or file a person sent and decrypt it with its message's aeskey."""
        aeskey = self._keys.get(ref.file_id)
        limit = self.dispatcher.settings.storage.max_photo_bytes + 32  # + the padding
        try:
            async with self.link.http.get(ref.file_id) as response:
                if response.status >= 400:
                    raise Undeliverable(f"media download refused (HTTP {response.status})")
                if response.content_length is not None and response.content_length > limit:
                    raise FileTooLarge(f"{response.content_length} bytes")
                data = await response.content.read(limit + 1)
        except aiohttp.ClientError as exc:
            raise ConnectionError(f"media download failed ({type(exc).__name__})") from None
        if len(data) > limit:
            raise FileTooLarge(f"more than {limit} bytes")
        if not aeskey:
            return data
        try:  # in a worker thread: 20 MB takes tens of milliseconds, other updates go on meanwhile
            return await asyncio.to_thread(decrypt, data, aeskey)
        except BadMedia as exc:
            raise ValueError(f"media not decrypted: {exc}") from None


class FileTooLarge(ValueError):
    """A file over the size limit (the dispatcher reports it as too large)."""


def _task() -> str:
    return f"sb{uuid.uuid4().hex}"


def _mapped(exc: WeComError, wait: float) -> Exception:
    """Map a send's errcode to retry later, unreachable or refused for good."""
    if exc.errcode in RETRY_CODES:
        return RetryLater(wait, str(exc))
    if exc.errcode in UNREACHABLE_CODES:
        return Unreachable(str(exc))
    return Undeliverable(str(exc))


