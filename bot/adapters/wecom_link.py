"""The WeCom long connection: one outbound WebSocket, subscribed with bot_id + secret, kept alive by `ping`,
reopened with backoff when it drops; pushed messages and events stored in the inbox as they are read.

WeCom does not ask for an acknowledgement of a push (`aibot_msg_callback`, `aibot_event_callback`): the
link stores each pushed frame before it reads the next one, so nothing the bot answers was not stored
first, and the inbox's unique key (`wecom:<msgid>`) drops a frame that comes twice. While the database
cannot take a frame, reading stops (frames wait in the socket) and storing is retried.

Requests (sends, card updates, uploads) go out as `{cmd, headers: {req_id}, body}` and are answered by a
frame with the same `req_id`, `errcode` and `errmsg`; `request` waits for that answer.

One connection per bot: a second connection with the same bot_id makes WeCom send `disconnected_event`
to the first and close it. The link says so in one log line and does not fight back: it waits
`KICKED_WAIT` (doubling up to an hour) before it tries once more, in case the other one is gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import os
import time
from collections.abc import Callable
from typing import Any

import aiohttp

from bot.adapters.wecom_payloads import (
    CLICK,
    EVENT_CALLBACK,
    KICKED,
    MSG_CALLBACK,
    PING,
    PLATFORM,
    PRIVATE,
    SUBSCRIBE,
    chat_of,
    click_of,
    event_type,
    malformed,
    sender_id,
)
from bot.clock import Clock
from bot.inbox import Inbox
from storage.db import is_unavailable

logger = logging.getLogger(__name__)

HEARTBEAT = 30.0  # seconds between pings (the docs' interval)
MISSED_PINGS = 2  # unanswered pings before the connection counts as dead
ANSWER_TIMEOUT = 10.0  # seconds to wait for the answer to a request
MAX_BACKOFF = 60.0
KICKED_WAIT = 300.0  # seconds before trying again after another connection took over; doubles
KICKED_MAX = 3600.0
AUTH_CODES = {40001, 40014, 40056, 40058, 60020, 93000, 93004}  # refusals of bot_id / secret


class NotConnected(ConnectionError):
    """No subscribed connection to WeCom right now (the request can be made again later)."""


class AuthRefused(RuntimeError):
    """WeCom refused the bot_id and secret (errcode only; the secret is never in the message)."""


class WeComError(Exception):
    """WeCom answered a request with a non-zero errcode."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"errcode {errcode}: {' '.join(errmsg.split())[:200]}")
        self.errcode = errcode


_ids = itertools.count(1)


def req_id(prefix: str) -> str:
    """Return a request id unique in this process: `<prefix>_<ms>_<counter><random>`."""
    return f"{prefix}_{int(time.time() * 1000)}_{next(_ids)}{os.urandom(3).hex()}"


class Link:
    """Keeps one subscribed WebSocket open; stores what it pushes; sends requests and waits for answers."""

    def __init__(
        self,
        *,
        url: str,
        bot_id: str,
        secret: str,
        inbox: Inbox,
        clock: Clock,
        on_click: Callable[[str, str], None],
    ) -> None:
        self.url = url
        self.bot_id = bot_id
        self._secret = secret
        self.inbox = inbox
        self.clock = clock
        self._on_click = on_click  # (task_id, req_id) of a click: its card may be updated in place
        self._http: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.connected = asyncio.Event()  # set while a subscribed connection is open
        self.settled = asyncio.Event()  # set once the first subscription was answered (either way)
        self.refused: AuthRefused | None = None
        self.connections = 0  # subscribed connections so far (tests, the log)
        self.kicks = 0
        self.answered = 0  # requests WeCom answered (either way): a send that raised after one went out
        self._holding = False  # the reader waits for the database with a frame in hand: pings wait too
        self.heartbeat = HEARTBEAT
        self.kicked_wait = KICKED_WAIT

    @property
    def http(self) -> aiohttp.ClientSession:
        """Return the HTTP session (the socket's, and media downloads')."""
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60, connect=10))
        return self._http

    def start(self) -> None:
        """Start reading in the background (reconnecting until stopped)."""
        self._reader = asyncio.create_task(self._read_forever(), name="wecom-link")

    async def stop(self) -> None:
        """Stop reading, close the socket and the HTTP session."""
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
            self._reader = None
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def request(self, cmd: str, body: dict[str, Any], rid: str | None = None) -> dict[str, Any]:
        """Send one request and return its answer's body; `WeComError` for a non-zero errcode."""
        ws = self._ws
        if ws is None or ws.closed or not self.connected.is_set():
            raise NotConnected("not connected to WeCom")
        rid = rid or req_id(cmd)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[rid] = future
        try:
            await ws.send_json({"cmd": cmd, "headers": {"req_id": rid}, "body": body})
            async with asyncio.timeout(ANSWER_TIMEOUT):
                answer = await future
        except (ConnectionResetError, aiohttp.ClientError) as exc:
            raise NotConnected(f"connection to WeCom lost ({type(exc).__name__})") from None
        finally:
            self._waiting.pop(rid, None)
        self.answered += 1
        code = answer.get("errcode") or 0
        if code != 0:
            raise WeComError(int(code), str(answer.get("errmsg") or ""))
        result = answer.get("body")
        return result if isinstance(result, dict) else {}

    async def _read_forever(self) -> None:
        failures = 0
        kicked_wait = self.kicked_wait
        while True:
            ended = "failed"
            try:
                ended = await self._connect_and_serve()
            except asyncio.CancelledError:
                raise
            except AuthRefused as exc:
                if self.refused is None:
                    logger.error("%s", exc)
                self.refused = exc
            except Exception as exc:
                if failures == 0:
                    logger.warning("WeCom connection failed (%s); retrying with backoff", reason(exc))
            finally:
                self.connected.clear()
                self.settled.set()
                for future in self._waiting.values():
                    if not future.done():
                        future.set_exception(NotConnected("connection to WeCom closed"))
                if self._ws is not None:
                    with contextlib.suppress(Exception):
                        await self._ws.close()
                    self._ws = None
            if ended == "kicked":
                await asyncio.sleep(kicked_wait)
                kicked_wait = min(kicked_wait * 2, KICKED_MAX)
                continue
            if ended == "served":
                failures = 0
                kicked_wait = self.kicked_wait
                logger.info("WeCom connection closed; reconnecting")
            failures += 1
            await asyncio.sleep(min(0.25 * 2.0**failures, MAX_BACKOFF))

    async def _connect_and_serve(self) -> str:
        """Open, subscribe, then read until the socket ends: 'served', 'kicked' or 'failed'."""
        ws = await self.http.ws_connect(self.url, heartbeat=None, autoping=True, max_msg_size=0)
        self._ws = ws
        rid = req_id(SUBSCRIBE)
        await ws.send_json(
            {"cmd": SUBSCRIBE, "headers": {"req_id": rid}, "body": {"bot_id": self.bot_id, "secret": self._secret}}
        )
        async with asyncio.timeout(ANSWER_TIMEOUT):
            while True:
                msg = await ws.receive()
                if msg.type != aiohttp.WSMsgType.TEXT:
                    return "failed"
                frame = _json(msg.data)
                if frame is not None and (frame.get("headers") or {}).get("req_id") == rid:
                    break
        code = int(frame.get("errcode") or 0)
        if code != 0:
            text = f"WeCom refused wecom.bot_id / wecom.secret (errcode {code}); check them (SAFETYBOT_WECOM__SECRET)"
            if code in AUTH_CODES:
                raise AuthRefused(text)
            raise WeComError(code, str(frame.get("errmsg") or ""))
        self.refused = None
        self.connections += 1
        self.connected.set()
        self.settled.set()
        pinger = asyncio.create_task(self._ping(ws), name="wecom-ping")
        try:
            return await self._serve(ws)
        finally:
            pinger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pinger

    async def _ping(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Send `ping` every `heartbeat` seconds; close the socket after `MISSED_PINGS` unanswered."""
        missed = 0
        while True:
            await asyncio.sleep(self.heartbeat)
            rid = req_id(PING)
            future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
            self._waiting[rid] = future
            try:
                await ws.send_json({"cmd": PING, "headers": {"req_id": rid}})
                async with asyncio.timeout(self.heartbeat):
                    await future
                missed = 0
            except (TimeoutError, NotConnected, ConnectionResetError):
                if self._holding:  # the answer waits unread behind a frame being stored: not a dead socket
                    continue  # (closing it would drop the frames still unread in it)
                missed += 1
                if missed >= MISSED_PINGS:
                    logger.warning("WeCom answered no ping for %d rounds; reconnecting", missed)
                    await ws.close()
                    return
            finally:
                self._waiting.pop(rid, None)

    async def _serve(self, ws: aiohttp.ClientWebSocketResponse) -> str:
        while True:
            msg = await ws.receive()
            if msg.type != aiohttp.WSMsgType.TEXT:
                return "served"
            frame = _json(msg.data)
            if frame is None:
                logger.warning("WeCom sent a frame that is not a JSON object; ignored")
                continue
            cmd = str(frame.get("cmd") or "")
            rid = str((frame.get("headers") or {}).get("req_id") or "")
            if cmd in (MSG_CALLBACK, EVENT_CALLBACK):
                if await self._pushed(cmd, rid, frame.get("body")) == "kicked":
                    return "kicked"
                continue
            future = self._waiting.get(rid)
            if future is not None and not future.done():
                future.set_result(frame)

    async def _pushed(self, cmd: str, rid: str, body: Any) -> str | None:
        """Store a pushed message or event in the inbox (retrying while the database is away)."""
        problem = malformed(cmd, body)
        if problem is not None:
            logger.warning("WeCom frame %s is malformed (%s); dropped", rid, problem)
            return None
        assert isinstance(body, dict)
        kind = event_type(body) if cmd == EVENT_CALLBACK else ""
        if kind == KICKED:
            self.kicks += 1
            logger.warning(
                "another connection with this WeCom bot_id took over (disconnected_event); "
                "this one steps back and tries again in %.0f s",
                self.kicked_wait,
            )
            return "kicked"
        if cmd == EVENT_CALLBACK and kind != CLICK:
            return None  # enter_chat, feedback: nothing for the park
        msgid = str(body["msgid"])
        key = f"{PLATFORM}:{'ev:' if cmd == EVENT_CALLBACK else ''}{msgid}"
        chat = chat_of(body) if body.get("chatid") or cmd == MSG_CALLBACK else None
        chat_key = chat.key if chat else f"{PLATFORM}:{PRIVATE}{sender_id(body)}"
        payload = {"key": key, "cmd": cmd, "body": body, "received_at": self.clock.now().isoformat()}
        if kind == CLICK:
            task_id, _ = click_of(body)
            self._on_click(task_id, rid)  # before storing: the answer may come at once
        delay = 0.5
        try:
            while True:
                try:
                    await self.inbox.put(PLATFORM, [(key, chat_key, payload)])
                    return None
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    if not is_unavailable(exc):
                        logger.exception("WeCom frame %s not stored; dropped", rid)
                        return None
                    if not self._holding:
                        logger.warning("WeCom frames wait for the database (%s)", reason(exc))
                    self._holding = True
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 10.0)
        finally:
            self._holding = False


def _json(data: Any) -> dict[str, Any] | None:
    try:
        frame = json.loads(data)
    except (TypeError, ValueError):
        return None
    return frame if isinstance(frame, dict) else None


def reason(exc: BaseException) -> str:
    """Return an error as one short line (the secret filter on the log handlers redacts the rest)."""
    return f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
