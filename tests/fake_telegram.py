"""A fake Telegram Bot API server (aiohttp) that the real python-telegram-bot client talks to over HTTP.

Use it as ``async with FakeTelegram() as tg:`` and point PTB at it with
``Application.builder().token(TOKEN).base_url(tg.base_url).base_file_url(tg.base_file_url)``.
Tests act as people with ``send_text`` / ``send_photo`` / ``send_document`` / ``press`` (each queues an
update that the bot fetches with getUpdates) and inspect what the bot did through ``calls``,
``sent_messages`` and ``buttons``.

How PTB 22 talks to the Bot API (what this server parses):

* Every method is a POST to ``{base_url}{token}/{method}``. Without uploads the body is
  ``application/x-www-form-urlencoded``; with uploads it is ``multipart/form-data``. Either way every
  value is a *string*: plain ``str`` values are sent as they are, everything else (ints, bools,
  dicts, lists, ``TelegramObject``s) is ``json.dumps``-ed. So ``chat_id=5`` arrives as ``"5"``, a
  ``reply_markup`` arrives as a JSON string, and ``text="123"`` is indistinguishable from an int on the
  wire, which is why :data:`PLAIN_STRING_FIELDS` are never JSON-decoded.
* Uploaded files are multipart parts with a filename. ``sendPhoto``/``sendDocument`` put the file in a
  part named after the parameter (``photo``/``document``); a ``file_id`` string is a plain field instead.
  ``sendMediaGroup``/``editMessageMedia`` send ``media`` as JSON with ``"media": "attach://<name>"`` and the
  bytes in a part called ``<name>``; this server resolves those references in place.
* ``reply_to_message_id`` is no longer sent by PTB 22: replies (including ``Message.reply_text`` in groups,
  which quotes by default) arrive as ``reply_parameters={"message_id": ..}`` JSON.
* ``File.download_*`` does a GET on ``{base_file_url}{token}/{file_path}``; getFile must return a
  *relative* ``file_path`` (PTB prefixes it with the base file URL).
* Error statuses map to exceptions: 400 -> ``BadRequest``, 401 and 404 -> ``InvalidToken`` (so an unknown
  method surfaces as ``InvalidToken`` in the client, just as with real Telegram), 403 -> ``Forbidden``.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import html
import io
import itertools
import json
import mimetypes
import os
import random
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from aiohttp import web

from tests.fake_server import FakeServer

# The PTB client uses httpx, which honours HTTP(S)_PROXY; never send loopback traffic to a proxy.
for _var in ("NO_PROXY", "no_proxy"):
    os.environ.setdefault(_var, "127.0.0.1,localhost")

TOKEN = "123456:TEST-fake-token-not-real-abcdefghijklmn"
BOT_ID = 999
BOT_USERNAME = "safety_test_bot"
BOT_USER: dict[str, Any] = {
    "id": BOT_ID,
    "is_bot": True,
    "first_name": "Safety Test Bot",
    "username": BOT_USERNAME,
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
    "can_connect_to_business": False,
    "has_main_web_app": False,
}
FIRST_MESSAGE_ID = 1000
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_DOWNLOAD = 20 * 1024 * 1024
DEFAULT_PHOTO_SIZE = (1280, 960)

# Parameters whose value is a plain string on the wire and must never be JSON-decoded.
PLAIN_STRING_FIELDS = frozenset(
    {
        "text", "caption", "photo", "document", "video", "audio", "animation", "voice", "video_note",
        "sticker", "thumbnail", "file_id", "callback_query_id", "inline_message_id", "parse_mode", "url",
        "title", "description", "short_description", "name", "emoji", "question", "explanation",
        "business_connection_id", "message_effect_id", "language_code", "secret_token", "ip_address",
        "first_name", "last_name", "phone_number", "vcard", "address", "foursquare_id", "custom_emoji_id",
    }
)  # fmt: skip

MESSAGE_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


@dataclass
class Call:
    """One request the bot made."""

    method: str
    params: dict[str, Any]
    message: dict[str, Any] | None = None
    result: Any = None  # the raw "result" returned (e.g. the list of Messages of sendMediaGroup)
    error: str | None = None  # the error description if the server answered ok=false


@dataclass
class _StoredFile:
    file_id: str
    file_unique_id: str
    data: bytes
    file_path: str


@dataclass
class _Queued:
    update: dict[str, Any]
    delivered: bool = False


class _ApiError(Exception):
    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after


class _EntityParseError(Exception):
    pass


# --------------------------------------------------------------------------------------------------
# HTML parse_mode, close to what Telegram does: tags become entities, unsupported tags are errors.


_TAG_RE = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>]+))?)*)\s*>"
)
_ATTR_RE = re.compile(r"([a-zA-Z-]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+)))?")
_CHARREF_RE = re.compile(r"&(lt|gt|amp|quot|#[0-9]+|#x[0-9a-fA-F]+);")
_SIMPLE_TAGS = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline", "ins": "underline",
    "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough", "tg-spoiler": "spoiler",
    "code": "code", "pre": "pre", "blockquote": "blockquote",
}  # fmt: skip


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, the unit Telegram uses for entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Turn Telegram-HTML into (plain text, entities); raise _EntityParseError like Telegram would."""
    out: list[str] = []
    length = 0  # UTF-16 length of the text produced so far
    stack: list[tuple[str, dict[str, Any] | None, int]] = []  # (tag, entity, offset)
    entities: list[dict[str, Any]] = []
    entity: dict[str, Any] | None
    pos = 0

    def byte_offset(index: int) -> int:
        return len(source[:index].encode())

    while pos < len(source):
        char = source[pos]
        if char == "<":
            match = _TAG_RE.match(source, pos)
            if not match:
                raise _EntityParseError(f'Unsupported start tag "" at byte offset {byte_offset(pos)}')
            closing, tag, raw_attrs = match.group(1) == "/", match.group(2).lower(), match.group(3)
            if closing:
                if not stack:
                    raise _EntityParseError(f"Unexpected end tag at byte offset {byte_offset(pos)}")
                open_tag, entity, offset = stack.pop()
                if open_tag != tag:
                    raise _EntityParseError(
                        f'Unmatched end tag at byte offset {byte_offset(pos)}, expected "</{open_tag}>", '
                        f'found "</{tag}>"'
                    )
                if entity is not None and length > offset:
                    entity["offset"], entity["length"] = offset, length - offset
                    entities.append(entity)
            else:
                attrs = {
                    m.group(1).lower(): html.unescape(m.group(2) or m.group(3) or m.group(4) or "")
                    for m in _ATTR_RE.finditer(raw_attrs)
                }
                entity = None
                if tag == "a":
                    href = attrs.get("href", "")
                    user_match = re.fullmatch(r"tg://user\?id=(\d+)", href)
                    if user_match:
                        entity = {
                            "type": "text_mention",
                            "user": {"id": int(user_match.group(1)), "is_bot": False, "first_name": ""},
                        }
                    elif href:
                        entity = {"type": "text_link", "url": href}
                elif tag == "span":
                    if attrs.get("class") != "tg-spoiler":
                        raise _EntityParseError(
                            f'Unsupported start tag "span" at byte offset {byte_offset(pos)}'
                        )
                    entity = {"type": "spoiler"}
                elif tag == "tg-emoji":
                    entity = {"type": "custom_emoji", "custom_emoji_id": attrs.get("emoji-id", "")}
                elif tag in _SIMPLE_TAGS:
                    entity = {"type": _SIMPLE_TAGS[tag]}
                    if tag == "blockquote" and "expandable" in attrs:
                        entity = {"type": "expandable_blockquote"}
                    if tag == "code" and stack and stack[-1][0] == "pre":
                        language = attrs.get("class", "").removeprefix("language-")
                        parent = stack[-1][1]
                        if language and parent is not None:
                            parent["language"] = language
                        entity = None
                else:
                    raise _EntityParseError(
                        f'Unsupported start tag "{tag}" at byte offset {byte_offset(pos)}'
                    )
                stack.append((tag, entity, length))
            pos = match.end()
            continue
        if char == "&":
            match = _CHARREF_RE.match(source, pos)
            if match:
                piece = html.unescape(match.group(0))
                out.append(piece)
                length += utf16_len(piece)
                pos = match.end()
                continue
        out.append(char)
        length += utf16_len(char)
        pos += 1
    if stack:
        raise _EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def command_entities(text: str | None) -> list[dict[str, Any]]:
    """A bot_command entity at offset 0 when ``text`` starts with "/" (length up to the first space)."""
    if not text:
        return []
    match = re.match(r"/[^\s]+", text)
    if not match:
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(match.group(0))}]


def image_size(data: bytes) -> tuple[int, int]:
    """(width, height) of an image, via Pillow; falls back to 1280x960 for non-images."""
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            return int(width), int(height)
    except Exception:
        return DEFAULT_PHOTO_SIZE


def _decode_value(name: str, raw: str) -> Any:
    if name in PLAIN_STRING_FIELDS:
        return raw
    stripped = raw.strip()
    if (
        stripped[:1] in ("{", "[", '"')
        or stripped in ("true", "false", "null")
        or re.fullmatch(r"-?\d+(\.\d+)?", stripped)
    ):
        try:
            return json.loads(stripped)
        except ValueError:
            return raw
    return raw


def _resolve_attach(value: Any, files: dict[str, dict[str, Any]]) -> Any:
    if isinstance(value, str) and value.startswith("attach://"):
        return files.get(value.removeprefix("attach://"), value)
    if isinstance(value, list):
        return [_resolve_attach(item, files) for item in value]
    if isinstance(value, dict):
        return {key: _resolve_attach(item, files) for key, item in value.items()}
    return value


def _strip_nested_reply(message: dict[str, Any]) -> dict[str, Any]:
    replied = copy.deepcopy(message)
    replied.pop("reply_to_message", None)
    return replied


class FakeTelegram(FakeServer):
    """In-process fake of the Telegram Bot API plus helpers to act as the people in the chats."""

    def __init__(self) -> None:
        """Create the fake; call start() (or use ``async with``) before pointing a bot at it."""
        super().__init__()
        self.base_url = ""
        self.base_file_url = ""
        self.calls: list[Call] = []
        self.server_errors: list[BaseException] = []  # exceptions inside the fake itself (bugs here)
        self.deleted: list[tuple[int, int]] = []  # (chat_id, message_id) of messages the bot deleted
        self.commands: dict[str, list[dict[str, Any]]] = {}  # setMyCommands, keyed by scope+language
        self.poll_cap = 1.0  # upper bound for getUpdates long polling, so shutdown stays quick
        # Injected failures: method (lower case) -> answers to give instead of handling the next calls.
        self.faults: dict[str, list[tuple[int, int | None, int | None, str | None]]] = {}
        self.faults_served = 0
        self.kicked: dict[int, str] = {}  # chat id -> the 403 every write to it gets
        self._flaky: tuple[int, float, random.Random] | None = None

        self._update_ids = itertools.count(1)
        self._queue: list[_Queued] = []
        self._chats: dict[int, dict[str, Any]] = {}
        self._users: dict[int, dict[str, Any]] = {}
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._bot_sent: list[tuple[int, int]] = []
        self._next_message_id: dict[int, int] = {}
        self.store_files: dict[str, _StoredFile] = {}
        self._paths: dict[str, str] = {}  # file_path -> file_id
        self._file_counter = itertools.count(1)
        self._query_counter = itertools.count(1)
        self._media_groups = itertools.count(1)
        self._queries: dict[str, dict[str, Any]] = {}
        self._last_offset = 0
        self._last_activity = 0.0

        self._updates_event: asyncio.Event | None = None
        self._closing = False

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Bind to 127.0.0.1 on a free port and start serving."""
        self._updates_event = asyncio.Event()
        self._closing = False
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        port = await self._serve(app, shutdown_timeout=2.0)
        self.base_url = f"http://127.0.0.1:{port}/bot"
        self.base_file_url = f"http://127.0.0.1:{port}/file/bot"

    async def stop(self) -> None:
        """Wake pending long polls and shut the server down."""
        self._closing = True
        if self._updates_event is not None:
            self._updates_event.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ------------------------------------------------------------------ people, chats and updates

    def user(self, user_id: int, first_name: str, username: str | None = None) -> dict[str, Any]:
        """A User object (remembered, so the bot's messages to ``user_id`` get a proper private chat)."""
        user: dict[str, Any] = {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name,
            "language_code": "zh-hans",
        }
        if username:
            user["username"] = username
        self._users[user_id] = user
        return copy.deepcopy(user)

    def group(self, chat_id: int = -100123, title: str = "园区安全生产群") -> dict[str, Any]:
        """A supergroup Chat object."""
        chat = {"id": chat_id, "type": "supergroup", "title": title}
        self._chats[chat_id] = chat
        return copy.deepcopy(chat)

    def private(self, user: dict[str, Any]) -> dict[str, Any]:
        """The private Chat object between the bot and ``user`` (chat id = user id)."""
        chat: dict[str, Any] = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        for key in ("last_name", "username"):
            if user.get(key):
                chat[key] = user[key]
        self._chats[user["id"]] = chat
        self._users.setdefault(user["id"], copy.deepcopy(user))
        return copy.deepcopy(chat)

    def send_text(
        self, user: dict[str, Any], chat: dict[str, Any], text: str, reply_to: int | None = None
    ) -> dict[str, Any]:
        """Queue a text message from ``user`` in ``chat``; returns the update."""
        message = self._user_message(user, chat, reply_to)
        message["text"] = text
        if entities := command_entities(text):
            message["entities"] = entities
        return self._queue_update({"message": message})

    def send_photo(
        self,
        user: dict[str, Any],
        chat: dict[str, Any],
        data: bytes,
        caption: str | None = None,
        reply_to: int | None = None,
        media_group_id: str | None = None,
    ) -> dict[str, Any]:
        """Queue a photo message (bytes downloadable via getFile); returns the update."""
        message = self._user_message(user, chat, reply_to)
        message["photo"] = self._photo_sizes(data)
        self._set_caption(message, caption)
        if media_group_id is not None:
            message["media_group_id"] = media_group_id
        return self._queue_update({"message": message})

    def send_document(
        self,
        user: dict[str, Any],
        chat: dict[str, Any],
        data: bytes,
        file_name: str,
        mime_type: str,
        caption: str | None = None,
        reply_to: int | None = None,
    ) -> dict[str, Any]:
        """Queue a document message (bytes downloadable via getFile); returns the update."""
        message = self._user_message(user, chat, reply_to)
        message["document"] = self._document(data, file_name, mime_type)
        self._set_caption(message, caption)
        return self._queue_update({"message": message})

    def press(self, user: dict[str, Any], message: dict[str, Any], data: str) -> dict[str, Any]:
        """Queue a callback_query: ``user`` presses a button carrying ``data`` under the bot's ``message``."""
        key = (message["chat"]["id"], message["message_id"])
        current = self._messages.get(key, message)
        query_id = str(7_000_000_000_000 + next(self._query_counter))
        query = {
            "id": query_id,
            "from": copy.deepcopy(user),
            "message": copy.deepcopy(current),
            "chat_instance": f"ci{abs(key[0])}",
            "data": data,
        }
        self._queries[query_id] = query
        return self._queue_update({"callback_query": query})

    def fail(
        self,
        method: str,
        code: int,
        times: int = 1,
        retry_after: int | None = None,
        chat_id: int | None = None,
        description: str | None = None,
    ) -> None:
        """Answer the next `times` calls of a method with an error (429 with retry_after, 500, 502 …).

        With `chat_id`, only calls for that chat fail (a 429 for one group while the others go on).
        """
        self.faults.setdefault(method.lower(), []).extend([(code, retry_after, chat_id, description)] * times)

    def flaky(self, code: int, probability: float, seed: int = 0) -> None:
        """Answer every sending or editing call with `code` at random, with this probability (seeded)."""
        self._flaky = (code, probability, random.Random(seed))

    def kick(self, chat_id: int, description: str = "Forbidden: bot was kicked from the group chat") -> None:
        """Refuse, from now on, every call that writes to this chat with a 403 (the bot was removed)."""
        self.kicked[chat_id] = description

    def repeat(self, update: dict[str, Any]) -> None:
        """Queue the very same update again (same update_id), to test duplicate delivery."""
        self._queue.append(_Queued(copy.deepcopy(update)))
        self._wake_pollers()

    def file_bytes(self, file_id: str) -> bytes:
        """The bytes stored under ``file_id`` (uploaded by the bot or sent by a person)."""
        return self.store_files[file_id].data

    # ------------------------------------------------------------------ inspection

    def calls_of(self, method: str) -> list[Call]:
        """Calls of one method (case-insensitive)."""
        return [call for call in self.calls if call.method.lower() == method.lower()]

    def sent_messages(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """Messages the bot sent and has not deleted, oldest first, in their current (edited) state."""
        return [
            copy.deepcopy(self._messages[key])
            for key in self._bot_sent
            if key in self._messages and (chat_id is None or key[0] == chat_id)
        ]

    def last_sent(self, chat_id: int | None = None) -> dict[str, Any]:
        """The latest message the bot sent (optionally in one chat)."""
        sent = self.sent_messages(chat_id)
        if not sent:
            raise AssertionError(
                f"the bot sent no message{'' if chat_id is None else f' to {chat_id}'}\n{self.summary()}"
            )
        return sent[-1]

    def buttons(self, message: dict[str, Any]) -> list[tuple[str, str]]:
        """(text, callback_data) of the message's current inline keyboard, row by row."""
        key = (message["chat"]["id"], message["message_id"])
        current = self._messages.get(key, message)
        rows = (current.get("reply_markup") or {}).get("inline_keyboard", [])
        return [(button["text"], button.get("callback_data", "")) for row in rows for button in row]

    def summary(self, last: int = 20) -> str:
        """Human-readable digest of recent non-polling calls, for assertion messages."""
        interesting = [c for c in self.calls if c.method.lower() != "getupdates"][-last:]
        lines = [
            f"pending updates: {[q.update['update_id'] for q in self._queue]}, last offset {self._last_offset}"
        ]
        for call in interesting:
            params = {
                k: (f"<{len(v['bytes'])} bytes>" if isinstance(v, dict) and "bytes" in v else v)
                for k, v in call.params.items()
            }
            lines.append(f"  {call.method} {params}" + (f" -> ERROR {call.error}" if call.error else ""))
        lines += [f"  fake server error: {err!r}" for err in self.server_errors]
        return "\n".join(lines)

    async def wait_idle(self, timeout: float = 10.0, quiet: float = 0.25) -> None:  # noqa: ASYNC109
        """Wait until every queued update is confirmed and the bot then made no API call for ``quiet`` s.

        Confirmation means the bot issued a getUpdates whose offset is past the update, i.e. PTB's polling
        loop came back for more. It does NOT prove the handlers finished: PTB hands updates to the
        Application through a queue and keeps polling while they run. The ``quiet`` period is a
        heuristic on top; a handler that is silent for longer than that is missed, so prefer
        ``wait_for`` with an explicit predicate.
        """
        assert self._cond is not None, "FakeTelegram not started"
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with self._cond:
            while True:
                now = loop.time()
                quiet_left = self._last_activity + quiet - now
                if not self._queue and quiet_left <= 0:
                    return
                remaining = deadline - now
                if remaining <= 0:
                    raise AssertionError(f"bot not idle within {timeout}s\n{self.summary()}")
                wait = min(remaining, quiet_left) if not self._queue and quiet_left > 0 else remaining
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._cond.wait(), wait)

    # ------------------------------------------------------------------ internals: state helpers

    def _new_message_id(self, chat_id: int) -> int:
        message_id = self._next_message_id.get(chat_id, FIRST_MESSAGE_ID)
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    def _chat(self, chat_id: int | str) -> dict[str, Any]:
        if isinstance(chat_id, str):
            raise _ApiError(400, "Bad Request: chat not found")
        if chat_id in self._chats:
            return copy.deepcopy(self._chats[chat_id])
        if chat_id in self._users:
            return self.private(self._users[chat_id])
        if chat_id > 0:
            chat: dict[str, Any] = {"id": chat_id, "type": "private", "first_name": f"User{chat_id}"}
        else:
            chat = {"id": chat_id, "type": "supergroup", "title": f"Chat {chat_id}"}
        self._chats[chat_id] = chat
        return copy.deepcopy(chat)

    def _user_message(
        self, user: dict[str, Any], chat: dict[str, Any], reply_to: int | None
    ) -> dict[str, Any]:
        self._chats.setdefault(chat["id"], copy.deepcopy(chat))
        self._users.setdefault(user["id"], copy.deepcopy(user))
        message: dict[str, Any] = {
            "message_id": self._new_message_id(chat["id"]),
            "from": copy.deepcopy(user),
            "chat": copy.deepcopy(chat),
            "date": int(time.time()),
        }
        if reply_to is not None:
            replied = self._messages.get((chat["id"], reply_to))
            if replied is None:
                raise KeyError(f"no message {reply_to} in chat {chat['id']} to reply to")
            message["reply_to_message"] = _strip_nested_reply(replied)
        return message

    def _queue_update(self, payload: dict[str, Any]) -> dict[str, Any]:
        if "message" in payload:
            message = payload["message"]
            self._messages[(message["chat"]["id"], message["message_id"])] = copy.deepcopy(message)
        update = {"update_id": next(self._update_ids), **payload}
        self._queue.append(_Queued(copy.deepcopy(update)))
        self._wake_pollers()
        return update

    def _wake_pollers(self) -> None:
        if self._updates_event is not None:
            self._updates_event.set()

    def _store_file(
        self, data: bytes, folder: str, prefix: str, suffix: str, file_id: str | None = None
    ) -> _StoredFile:
        number = next(self._file_counter)
        file_id = file_id or f"{prefix}-fake-file-{number:06d}"
        stored = _StoredFile(file_id, f"AQAD{number:06d}", data, f"{folder}/{file_id}{suffix}")
        self.store_files[file_id] = stored
        self._paths[stored.file_path] = file_id
        return stored

    def _photo_sizes(self, data: bytes) -> list[dict[str, Any]]:
        width, height = image_size(data)
        scale = min(1.0, 90 / max(width, height, 1))
        big = self._store_file(data, "photos", "AgAC", ".jpg")
        thumb = self._store_file(data, "photos", "AgAC", ".jpg", file_id=f"{big.file_id}-thumb")
        return [
            {"file_id": thumb.file_id, "file_unique_id": thumb.file_unique_id, "file_size": len(data),
             "width": max(1, round(width * scale)), "height": max(1, round(height * scale))},
            {"file_id": big.file_id, "file_unique_id": big.file_unique_id, "file_size": len(data),
             "width": width, "height": height},
        ]  # fmt: skip

    def _document(self, data: bytes, file_name: str, mime_type: str | None = None) -> dict[str, Any]:
        suffix = PurePosixPath(file_name).suffix
        if not re.fullmatch(r"\.[A-Za-z0-9]{1,8}", suffix):
            suffix = ""
        stored = self._store_file(data, "documents", "BQAC", suffix)
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": file_name,
            "mime_type": mime_type or mimetypes.guess_type(file_name)[0] or "application/octet-stream",
            "file_size": len(data),
        }

    def _set_caption(
        self, message: dict[str, Any], caption: str | None, entities: list[dict[str, Any]] | None = None
    ) -> None:
        message.pop("caption", None)
        message.pop("caption_entities", None)
        if caption:
            message["caption"] = caption
            entities = command_entities(caption) if entities is None else entities
            if entities:
                message["caption_entities"] = entities

    # ------------------------------------------------------------------ internals: HTTP

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path.startswith("/file/bot"):
            return self._serve_file(path.removeprefix("/file/bot"))
        if not path.startswith("/bot") or "/" not in path[4:]:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        token, method = path[4:].split("/", 1)
        call = Call(method=method, params={})
        self.calls.append(call)
        try:
            if token != TOKEN:
                raise _ApiError(401, "Unauthorized")
            call.params = await self._read_params(request)
            self._injected_fault(method.lower(), call.params)
            if method.lower() != "getupdates":
                self._last_activity = asyncio.get_running_loop().time()
            handler = self._handlers().get(method.lower())
            if handler is None:
                raise _ApiError(404, f"Not Found: method {method} not found")
            result = await handler(call.params)
            call.result = result
            if isinstance(result, dict) and "message_id" in result:
                call.message = copy.deepcopy(result)
            body: dict[str, Any] = {"ok": True, "result": result}
            status = 200
        except _ApiError as err:
            call.error = err.description
            body = {"ok": False, "error_code": err.code, "description": err.description}
            if err.retry_after is not None:
                body["parameters"] = {"retry_after": err.retry_after}
            status = err.code
        except ConnectionResetError:  # the client went away mid-request (a bot stopping): not a fake bug
            call.error = "client disconnected"
            return web.Response(status=499)
        except Exception as err:  # a bug in the fake: answer 500 and keep it for the assertion summary
            self.server_errors.append(err)
            call.error = f"fake server error: {err!r}"
            body, status = {"ok": False, "error_code": 500, "description": call.error}, 500
        if method.lower() != "getupdates":
            self._last_activity = asyncio.get_running_loop().time()
        await self._notify()
        return web.json_response(body, status=status, dumps=lambda obj: json.dumps(obj, ensure_ascii=False))

    def _injected_fault(self, method: str, params: dict[str, Any]) -> None:
        """Raise the error a test injected for this call, if any (see `fail`, `flaky`, `kick`)."""
        chat = params.get("chat_id")
        chat_id = int(chat) if isinstance(chat, int | str) and str(chat).lstrip("-").isdigit() else None
        if chat_id is not None and chat_id in self.kicked and method != "getchat":
            raise _ApiError(403, self.kicked[chat_id])
        queue = self.faults.get(method, [])
        for i, (code, retry_after, only, description) in enumerate(queue):
            if only is None or only == chat_id:
                queue.pop(i)
                self.faults_served += 1
                default = "Too Many Requests: retry later" if code == 429 else "Internal Server Error"
                raise _ApiError(code, description or default, retry_after)
        if self._flaky is not None and method.startswith(("send", "edit")):
            code, probability, rng = self._flaky
            if rng.random() < probability:
                self.faults_served += 1
                raise _ApiError(code, "Bad Gateway" if code == 502 else "Internal Server Error")

    def _serve_file(self, rest: str) -> web.StreamResponse:
        token, _, file_path = rest.partition("/")
        if token != TOKEN:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        file_id = self._paths.get(file_path)
        if file_id is None:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        return web.Response(body=self.store_files[file_id].data, content_type="application/octet-stream")

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        raw: dict[str, str] = dict(request.query)
        files: dict[str, dict[str, Any]] = {}
        if request.content_type == "application/json":
            body = await request.json() if request.can_read_body else {}
            return dict(body) if isinstance(body, dict) else {}
        if request.method == "POST" and request.can_read_body:
            form = await request.post()
            for name, value in form.items():
                if isinstance(value, web.FileField):
                    files[name] = {"filename": value.filename, "bytes": value.file.read()}
                else:
                    raw[name] = str(value)
        params: dict[str, Any] = {name: _decode_value(name, value) for name, value in raw.items()}
        for name in ("media", "thumbnail"):
            if name in params:
                params[name] = _resolve_attach(params[name], files)
        params.update(files)
        return params

    def _handlers(self) -> dict[str, Callable[[dict[str, Any]], Awaitable[Any]]]:
        return {
            "getme": self._get_me,
            "getupdates": self._get_updates,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "logout": self._true,
            "close": self._true,
            "sendchataction": self._true,
            "getchat": self._get_chat,
            "sendmessage": self._send_message,
            "sendphoto": self._send_photo,
            "senddocument": self._send_document,
            "sendmediagroup": self._send_media_group,
            "editmessagetext": self._edit_message_text,
            "editmessagecaption": self._edit_message_caption,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "editmessagemedia": self._edit_message_media,
            "deletemessage": self._delete_message,
            "answercallbackquery": self._answer_callback_query,
            "getfile": self._get_file,
        }

    # ------------------------------------------------------------------ internals: API methods

    async def _true(self, params: dict[str, Any]) -> bool:
        return True

    async def _get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        return dict(BOT_USER)

    async def _get_chat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(_require(params, "chat_id"))
        return {**chat, "accent_color_id": 0, "max_reaction_count": 11, "accepted_gift_types": {
            "unlimited_gifts": False, "limited_gifts": False, "unique_gifts": False,
            "premium_subscription": False}}  # fmt: skip

    async def _delete_webhook(self, params: dict[str, Any]) -> bool:
        if params.get("drop_pending_updates") is True:
            self._queue.clear()
        return True

    async def _get_webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"url": "", "has_custom_certificate": False, "pending_update_count": len(self._queue)}

    @staticmethod
    def _commands_key(params: dict[str, Any]) -> str:
        scope = params.get("scope") or {"type": "default"}
        return f"{json.dumps(scope, sort_keys=True)}|{params.get('language_code', '')}"

    async def _set_my_commands(self, params: dict[str, Any]) -> bool:
        self.commands[self._commands_key(params)] = list(_require(params, "commands"))
        return True

    async def _get_my_commands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return self.commands.get(self._commands_key(params), [])

    async def _delete_my_commands(self, params: dict[str, Any]) -> bool:
        self.commands.pop(self._commands_key(params), None)
        return True

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = min(float(params.get("timeout") or 0), self.poll_cap)
        self._last_offset = offset
        # Confirm: an update is forgotten once it was delivered and a later getUpdates has an offset past
        # it. A repeat()-ed update that was not delivered yet survives even though its id is below the
        # current offset, so the bot sees it once more.
        self._queue = [q for q in self._queue if not (q.delivered and q.update["update_id"] < offset)]
        await self._notify()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            batch = self._take_batch(offset, limit)
            if batch or self._closing:
                return batch
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            assert self._updates_event is not None
            self._updates_event.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._updates_event.wait(), remaining)

    def _take_batch(self, offset: int, limit: int) -> list[dict[str, Any]]:
        # Updates go out in queue order, but a batch stops before an update_id that is not larger than
        # the previous one: PTB confirms a batch with offset = last update_id + 1, so a repeated (older)
        # update has to travel in its own batch or it would mask the confirmation of newer ones.
        batch: list[_Queued] = []
        for queued in self._queue:
            update_id = queued.update["update_id"]
            if queued.delivered and update_id < offset:
                continue
            if batch and update_id <= batch[-1].update["update_id"]:
                break
            batch.append(queued)
            if len(batch) >= limit:
                break
        for queued in batch:
            queued.delivered = True
        return [copy.deepcopy(q.update) for q in batch]

    def _text_and_entities(
        self, params: dict[str, Any], text_key: str, entities_key: str
    ) -> tuple[str, list[Any]]:
        text = params.get(text_key)
        text = "" if text is None else str(text)
        entities = params.get(entities_key)
        parse_mode = str(params.get("parse_mode") or "")
        if entities is None and parse_mode.lower() == "html":
            try:
                text, entities = parse_html(text)
            except _EntityParseError as err:
                raise _ApiError(400, f"Bad Request: can't parse entities: {err}") from None
        # MarkdownV2/Markdown are not interpreted: the text is stored as sent.
        return text, list(entities or [])

    def _check_markup(self, params: dict[str, Any]) -> dict[str, Any] | None:
        markup = params.get("reply_markup")
        if not isinstance(markup, dict) or "inline_keyboard" not in markup:
            return None  # reply keyboards etc. are not part of the returned Message
        for row in markup["inline_keyboard"]:
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA:
                    raise _ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                if not button.get("text"):
                    raise _ApiError(400, "Bad Request: text buttons are unallowed in the inline keyboard")
        return markup

    def _bot_message(self, params: dict[str, Any], chat_id: int | str | None = None) -> dict[str, Any]:
        chat = self._chat(_require(params, "chat_id") if chat_id is None else chat_id)
        message: dict[str, Any] = {
            "message_id": self._new_message_id(chat["id"]),
            "from": dict(BOT_USER),
            "chat": chat,
            "date": int(time.time()),
        }
        reply = params.get("reply_parameters")
        if not isinstance(reply, dict) and params.get("reply_to_message_id") is not None:
            reply = {
                "message_id": params["reply_to_message_id"],
                "allow_sending_without_reply": params.get("allow_sending_without_reply", False),
            }
        if isinstance(reply, dict):
            reply_chat = reply.get("chat_id", chat["id"])
            reply_key = _message_key(reply_chat, reply.get("message_id"))
            replied = self._messages.get(reply_key) if reply_key else None
            if replied is not None:
                message["reply_to_message"] = _strip_nested_reply(replied)
            elif not reply.get("allow_sending_without_reply"):
                raise _ApiError(400, "Bad Request: message to be replied not found")
        if markup := self._check_markup(params):
            message["reply_markup"] = markup
        return message

    def _commit(self, message: dict[str, Any]) -> dict[str, Any]:
        key = (message["chat"]["id"], message["message_id"])
        self._messages[key] = message
        self._bot_sent.append(key)
        return copy.deepcopy(message)

    def _caption(self, params: dict[str, Any], message: dict[str, Any]) -> None:
        caption, entities = self._text_and_entities(params, "caption", "caption_entities")
        if utf16_len(caption) > MAX_CAPTION:
            raise _ApiError(400, "Bad Request: message caption is too long")
        self._set_caption(message, caption, entities)

    def _media_content(self, value: Any, kind: str) -> dict[str, Any]:
        """The Message fields for a photo/document given as an upload dict or a file_id string."""
        if isinstance(value, dict) and "bytes" in value:
            data, file_name = value["bytes"], value.get("filename") or "file"
            if kind == "photo":
                return {"photo": self._photo_sizes(data)}
            return {"document": self._document(data, file_name)}
        if isinstance(value, str) and value in self.store_files:
            stored = self.store_files[value]
            if kind == "photo":
                width, height = image_size(stored.data)
                return {
                    "photo": [
                        {
                            "file_id": stored.file_id,
                            "file_unique_id": stored.file_unique_id,
                            "file_size": len(stored.data),
                            "width": width,
                            "height": height,
                        }
                    ]
                }
            name = PurePosixPath(stored.file_path).name
            return {
                "document": {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "file_name": name,
                    "mime_type": mimetypes.guess_type(name)[0] or "application/octet-stream",
                    "file_size": len(stored.data),
                }
            }
        if not value:
            raise _ApiError(400, f"Bad Request: there is no {kind} in the request")
        raise _ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    async def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        text, entities = self._text_and_entities(params, "text", "entities")
        if not text.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        if utf16_len(text) > MAX_TEXT:
            raise _ApiError(400, "Bad Request: message is too long")
        message = self._bot_message(params)
        message["text"] = text
        if entities:
            message["entities"] = entities
        return self._commit(message)

    async def _send_photo(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._bot_message(params)
        message.update(self._media_content(params.get("photo"), "photo"))
        self._caption(params, message)
        return self._commit(message)

    async def _send_document(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._bot_message(params)
        message.update(self._media_content(params.get("document"), "document"))
        self._caption(params, message)
        return self._commit(message)

    async def _send_media_group(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        media = _require(params, "media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise _ApiError(400, "Bad Request: wrong number of media in the album")
        group_id = str(13_000_000_000_000_000 + next(self._media_groups))
        messages = []
        for index, item in enumerate(media):
            item_params = {**params, **item}
            if index:
                item_params.pop("reply_markup", None)
            message = self._bot_message(item_params)
            kind = "photo" if item.get("type") == "photo" else "document"
            message.update(self._media_content(item.get("media"), kind))
            self._caption(item_params if "caption" in item else {}, message)
            message["media_group_id"] = group_id
            messages.append(message)
        return [self._commit(message) for message in messages]

    def _editable(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("inline_message_id"):
            raise _ApiError(400, "Bad Request: inline messages are not supported by the fake")
        chat_id = params.get("chat_id")
        key = _message_key(chat_id, params.get("message_id"))
        message = self._messages.get(key) if key else None
        if message is None:
            raise _ApiError(400, "Bad Request: message to edit not found")
        if message["from"]["id"] != BOT_ID:
            raise _ApiError(400, "Bad Request: message can't be edited")
        return message

    def _apply_edit(self, message: dict[str, Any], edited: dict[str, Any]) -> dict[str, Any]:
        # Like real Telegram, an edit without reply_markup removes the inline keyboard.
        if edited == message:
            raise _ApiError(400, MESSAGE_NOT_MODIFIED)
        edited["edit_date"] = int(time.time())
        self._messages[(message["chat"]["id"], message["message_id"])] = edited
        return copy.deepcopy(edited)

    def _with_markup(self, params: dict[str, Any], message: dict[str, Any]) -> dict[str, Any]:
        edited = copy.deepcopy(message)
        edited.pop("edit_date", None)
        edited.pop("reply_markup", None)
        if markup := self._check_markup(params):
            edited["reply_markup"] = markup
        return edited

    def _unedited(self, message: dict[str, Any]) -> dict[str, Any]:
        original = copy.deepcopy(message)
        original.pop("edit_date", None)
        return original

    async def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._editable(params)
        if "text" not in message:
            raise _ApiError(400, "Bad Request: there is no text in the message to edit")
        text, entities = self._text_and_entities(params, "text", "entities")
        if not text.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        if utf16_len(text) > MAX_TEXT:
            raise _ApiError(400, "Bad Request: message is too long")
        edited = self._with_markup(params, message)
        edited["text"] = text
        edited.pop("entities", None)
        if entities:
            edited["entities"] = entities
        return self._apply_edit(self._unedited(message), edited)

    async def _edit_message_caption(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._editable(params)
        if "text" in message:
            raise _ApiError(400, "Bad Request: there is no caption in the message to edit")
        edited = self._with_markup(params, message)
        self._caption(params, edited)
        return self._apply_edit(self._unedited(message), edited)

    async def _edit_message_reply_markup(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._editable(params)
        return self._apply_edit(self._unedited(message), self._with_markup(params, message))

    async def _edit_message_media(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._editable(params)
        media = _require(params, "media")
        if "text" in message or not isinstance(media, dict):
            raise _ApiError(400, "Bad Request: there is no media in the message to edit")
        edited = self._with_markup(params, message)
        edited.pop("photo", None)
        edited.pop("document", None)
        kind = "photo" if media.get("type") == "photo" else "document"
        edited.update(self._media_content(media.get("media"), kind))
        self._caption(media, edited)
        return self._apply_edit(self._unedited(message), edited)

    async def _delete_message(self, params: dict[str, Any]) -> bool:
        key = _message_key(params.get("chat_id"), params.get("message_id"))
        if key is None or key not in self._messages:
            raise _ApiError(400, "Bad Request: message to delete not found")
        del self._messages[key]
        self.deleted.append(key)
        return True

    async def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        if str(params.get("callback_query_id")) not in self._queries:
            raise _ApiError(
                400, "Bad Request: query is too old and response timeout expired or query ID is invalid"
            )
        return True

    async def _get_file(self, params: dict[str, Any]) -> dict[str, Any]:
        stored = self.store_files.get(str(params.get("file_id", "")))
        if stored is None:
            raise _ApiError(400, "Bad Request: invalid file_id")
        if len(stored.data) > MAX_DOWNLOAD:
            raise _ApiError(400, "Bad Request: file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }


def _require(params: dict[str, Any], name: str) -> Any:
    if params.get(name) in (None, ""):
        raise _ApiError(400, f"Bad Request: {name} is empty")
    return params[name]


def _message_key(chat_id: Any, message_id: Any) -> tuple[int, int] | None:
    if isinstance(chat_id, int) and isinstance(message_id, int):
        return chat_id, message_id
    return None
