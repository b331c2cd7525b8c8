"""The DingTalk Stream connection: one outbound WebSocket, its callbacks stored in the inbox and only
then acked, pings echoed, a new socket opened when DingTalk asks or the old one drops.

`bot/adapters/dingtalk.py` (the adapter) owns a `Stream`, starts it after the credentials are checked
and stops it before the inbox; it hands over the API client, the inbox, the clock, where each card went
(`card_chats`: a click is ordered with its chat) and its API-call counter. A collaborator rather than a
mixin: the socket's state (the reader, sockets being drained, `connected`) is its own, and the adapter
reaches it only through `start`, `stop`, `connected` and `connections`. What a frame's payload means is
`bot/adapters/dingtalk_payloads.py`; the HTTP calls (the ticket, the socket's session) are
`bot/adapters/dingtalk_api.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import aiohttp

from bot.adapters.dingtalk_api import DingTalkApi
from bot.adapters.dingtalk_payloads import PLATFORM, PRIVATE, ack, malformed, message_chat
from bot.clock import Clock
from bot.inbox import Inbox

logger = logging.getLogger(__name__)

TOPIC_ROBOT = "/v1.0/im/bot/messages/get"
TOPIC_CARD = "/v1.0/card/instances/callback"
SUBSCRIPTIONS = [{"type": "CALLBACK", "topic": TOPIC_ROBOT}, {"type": "CALLBACK", "topic": TOPIC_CARD}]
DRAIN_AFTER_DISCONNECT = 15.0  # seconds an old socket is still read after a SYSTEM disconnect
MAX_BACKOFF = 60.0


class Stream:
    """Keeps one Stream socket open and stores what it pushes in the inbox before acking it."""

    def __init__(
        self,
        *,
        api: DingTalkApi,
        inbox: Inbox,
        clock: Clock,
        card_chats: Mapping[str, Any],
        on_calls: Callable[[], Awaitable[None]],
    ) -> None:
        self.api = api
        self.inbox = inbox
        self.clock = clock
        self._card_chats = card_chats  # outTrackId -> group id, or '' for a private card
        self._on_calls = on_calls  # adds the API calls made so far to the month's count
        self._reader: asyncio.Task[None] | None = None
        self._drains: set[asyncio.Task[None]] = set()
        self._sockets: set[aiohttp.ClientWebSocketResponse] = set()
        self.connected = asyncio.Event()
        self.connections = 0  # sockets opened so far (for tests and the log)

    def start(self) -> None:
        """Start reading in the background (reconnecting until stopped)."""
        self._reader = asyncio.create_task(self._read_forever(), name="dingtalk-stream")

    async def stop(self) -> None:
        """Stop reading and close every socket (frames not acked yet are pushed again by DingTalk)."""
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
            self._reader = None
        for task in list(self._drains):
            task.cancel()
        for ws in list(self._sockets):
            with contextlib.suppress(Exception):
                await ws.close()
        self._sockets.clear()

    async def _read_forever(self) -> None:
        """Keep one socket open: reconnect with backoff when it drops, at once after a SYSTEM disconnect."""
        failures = 0
        while True:
            try:
                endpoint, ticket = await self.api.open_connection(SUBSCRIPTIONS)
                await self._on_calls()
                ws = await self.api.http.ws_connect(endpoint, params={"ticket": ticket}, heartbeat=30.0)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                await self._on_calls()
                if failures == 0:
                    logger.warning(
                        "DingTalk Stream connection failed (%s); retrying with backoff", reason(exc)
                    )
                failures += 1
                await asyncio.sleep(min(0.5 * 2.0**failures, MAX_BACKOFF))
                continue
            self.connections += 1
            self._sockets.add(ws)
            self.connected.set()
            try:
                ended = await self._serve(ws)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # whatever broke this socket, the reader goes on with a new one
                logger.warning("DingTalk Stream socket failed (%s)", reason(exc))
                ended = "closed"
            self.connected.clear()
            if ended == "disconnect":
                # DingTalk closes this socket about 10 s later; frames still on it are read meanwhile
                # (the inbox's unique key drops any that come again on the new one).
                task = asyncio.create_task(self._drain(ws), name="dingtalk-drain")
                self._drains.add(task)
                task.add_done_callback(self._drains.discard)
                failures = 0
                continue
            self._sockets.discard(ws)
            with contextlib.suppress(Exception):
                await ws.close()
            failures = 0 if ended == "served" else failures + 1
            logger.info("DingTalk Stream socket closed; reconnecting")
            await asyncio.sleep(min(0.2 * 2.0**failures, MAX_BACKOFF))

    async def _serve(self, ws: aiohttp.ClientWebSocketResponse) -> str:
        """Read frames until the socket closes ('served' / 'closed') or DingTalk asks to reconnect ('disconnect')."""
        served = False
        while True:
            msg = await ws.receive()
            if msg.type != aiohttp.WSMsgType.TEXT:
                return "served" if served else "closed"
            try:
                frame = json.loads(msg.data)
            except ValueError:
                logger.warning("DingTalk sent a frame that is not JSON; ignored")
                continue
            served = True
            try:
                if await self._on_frame(ws, frame) == "disconnect":
                    return "disconnect"
            except ConnectionResetError:  # the socket closed under the ack: the frame comes again
                return "served"

    async def _drain(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        try:
            async with asyncio.timeout(DRAIN_AFTER_DISCONNECT):
                await self._serve(ws)
        except TimeoutError:
            pass
        except Exception as exc:  # the old socket failed while draining: DingTalk pushes its frames again
            logger.info("old DingTalk Stream socket ended: %s", reason(exc))
        finally:
            self._sockets.discard(ws)
            with contextlib.suppress(Exception):
                await ws.close()

    async def _on_frame(self, ws: aiohttp.ClientWebSocketResponse, frame: dict[str, Any]) -> str | None:
        """Store a callback in the inbox, then ack it; echo pings; report a disconnect."""
        kind = frame.get("type")
        headers = frame.get("headers") or {}
        topic = headers.get("topic")
        if kind == "SYSTEM":
            if topic == "disconnect":
                logger.info("DingTalk asked to reconnect")
                return "disconnect"
            if topic == "ping":
                await ws.send_json(ack(headers, frame.get("data") or "{}"))
            return None
        if kind == "CALLBACK" and topic in (TOPIC_ROBOT, TOPIC_CARD):
            try:
                data = json.loads(frame.get("data") or "{}")
            except ValueError:
                data = None
            problem = malformed(topic == TOPIC_CARD, data)
            if problem is not None:  # it would fail on every try: logged and acked, never handled
                logger.warning(
                    "DingTalk frame %s is malformed (%s); acked and dropped",
                    headers.get("messageId"),
                    problem,
                )
                await ws.send_json(ack(headers, json.dumps({"response": None})))
                return None
            assert isinstance(data, dict)
            stored = self._stored(topic, headers, data)
            try:
                await self.inbox.put(PLATFORM, [stored])
            except Exception as exc:
                # Not acked: DingTalk pushes it again later, when the database may be back.
                logger.warning(
                    "DingTalk frame %s not stored (%s); not acked", headers.get("messageId"), reason(exc)
                )
                return None
            # A click's answer must come within 2 s: it is acked as soon as it is stored and handled after;
            # the card is updated by its outTrackId once the press is handled.
            response = json.dumps({"response": {}} if topic == TOPIC_CARD else {"response": None})
            await ws.send_json(ack(headers, response))
            return None
        await ws.send_json(ack(headers, json.dumps({"response": None})))  # events we did not subscribe to
        return None

    def _stored(
        self, topic: str, headers: dict[str, Any], data: dict[str, Any]
    ) -> tuple[str, str, dict[str, Any]]:
        """Return a frame as the inbox keeps it: update key, chat key (ordering), payload."""
        received = self.clock.now().isoformat()
        if topic == TOPIC_CARD:
            out = str(data.get("outTrackId") or "")
            user = str(data.get("userId") or "")
            chat_id = self._card_chats.get(out)
            chat = chat_id if chat_id else f"{PRIVATE}{user}"
            key = f"{PLATFORM}:card:{headers.get('messageId') or uuid.uuid4().hex}"
        else:
            msg_id = str(data.get("msgId") or headers.get("messageId") or uuid.uuid4().hex)
            chat = message_chat(data).chat_id
            key = f"{PLATFORM}:{msg_id}"
        return key, f"{PLATFORM}:{chat}", {"key": key, "topic": topic, "data": data, "received_at": received}


def reason(exc: BaseException) -> str:
    """Return an error as one short line (the secret filter on the log handlers redacts the rest)."""
    return f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
