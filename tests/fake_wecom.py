"""A fake WeCom 智能机器人 long-connection server (aiohttp): the WebSocket the bot subscribes on, and HTTP
for encrypted media, recording every frame both ways.

People act through it: a message in a group (with the @-mention WeCom keeps in the text) or a single
chat, a picture (encrypted with a fresh aeskey, served over HTTP), a card click. It answers subscribe,
ping, proactive sends, card updates (only with a click's req_id, within 5 s) and chunked uploads, and
can kick the connection (`disconnected_event`), drop it, refuse with an errcode or rate-limit sends.
Tests wait with ``wait_for`` on explicit conditions, never on time.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from bot.adapters.wecom_payloads import encrypt

BOT_ID = "aibFAKEbot0001"
SECRET = "wecom-s3cr3t-DO-NOT-LOG-9f8e7d"
BOT_NAME = "安全助手"
RATE_LIMITED = 45009


@dataclass
class User:
    """A WeCom member."""

    userid: str
    name: str


@dataclass
class Group:
    """A group chat the bot is in."""

    chatid: str


@dataclass
class Frame:
    """One frame on the socket: 'in' (bot -> WeCom) or 'out' (WeCom -> bot)."""

    direction: str
    data: dict[str, Any]
    connection: int

    @property
    def cmd(self) -> str:
        """Return the frame's command ('' for an answer)."""
        return str(self.data.get("cmd") or "")


@dataclass
class CardPost:
    """A template card the bot sent, as it stands now (updated in place by `aibot_respond_update_msg`)."""

    chatid: str
    task_id: str
    body: dict[str, Any]
    updates: int = 0

    def buttons(self) -> list[tuple[str, str]]:
        """Return (text, key) of the card's buttons."""
        return [(b["text"], b["key"]) for b in self.body.get("button_list") or []]

    def text(self) -> str:
        """Return everything the card shows, as one string."""
        main = self.body.get("main_title") or {}
        pairs = [f"{p['keyname']}：{p['value']}" for p in self.body.get("horizontal_content_list") or []]
        return "\n".join([main.get("title", ""), main.get("desc", ""), *pairs, self.body.get("sub_title_text", "")])


@dataclass
class Sent:
    """A proactive message the bot sent (`aibot_send_msg`)."""

    chatid: str
    chat_type: int
    msgtype: str
    body: dict[str, Any]

    @property
    def text(self) -> str:
        """Return a markdown message's content ('' for others)."""
        return str((self.body.get("markdown") or {}).get("content") or "")


@dataclass
class FakeWeCom:
    """The fake server; use as ``async with FakeWeCom() as wc``."""

    frames: list[Frame] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    cards: dict[str, CardPost] = field(default_factory=dict)
    uploads: dict[str, bytes] = field(default_factory=dict)
    connections: int = 0
    refusals: list[int] = field(default_factory=list)  # errcodes for the next sends, in order
    pings_answered: bool = True
    server_errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._ids = itertools.count(1)
        self._ws: web.WebSocketResponse | None = None
        self._pending: list[dict[str, Any]] = []  # pushes waiting for a connection
        self._clicks: dict[str, tuple[str, float]] = {}  # req_id -> (task_id, monotonic time)
        self._media: dict[str, bytes] = {}
        self._uploading: dict[str, dict[str, Any]] = {}
        self._seen: set[str] = set()  # chats where someone talked to the bot
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def __aenter__(self) -> FakeWeCom:
        app = web.Application()
        app.router.add_get("/", self._socket)
        app.router.add_get("/media/{name}", self._download)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._ws is not None:
            await self._ws.close()
        assert self._runner is not None
        await self._runner.cleanup()

    @property
    def ws_url(self) -> str:
        """Return the address the bot connects to."""
        return f"ws://127.0.0.1:{self.port}/"

    # --- people act -------------------------------------------------------------------------------

    def user(self, userid: str, name: str) -> User:
        """Return a member of the enterprise."""
        return User(userid, name)

    def group(self) -> Group:
        """Return a new group chat with the bot in it."""
        return Group(f"wrGROUP{next(self._ids):04d}")

    def _body(self, user: User, group: Group | None, msgtype: str, **content: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "msgid": f"msg{next(self._ids):06d}{os.urandom(2).hex()}",
            "aibotid": BOT_ID,
            "chattype": "group" if group else "single",
            "from": {"userid": user.userid},
            "create_time": int(time.time()),
            "msgtype": msgtype,
            **content,
        }
        if group:
            body["chatid"] = group.chatid
        self._seen.add(group.chatid if group else user.userid)
        return body

    def send_text(self, user: User, group: Group | None, text: str) -> str:
        """Post a text (in a group with the @-mention) and return its msgid."""
        content = f"@{BOT_NAME} {text}" if group else text
        return self.push("aibot_msg_callback", self._body(user, group, "text", text={"content": content}))

    def send_image(self, user: User, group: Group | None, data: bytes, text: str = "") -> str:
        """Post a picture (in a group as a mixed message with its @-mention text) and return its msgid."""
        aeskey = base64.b64encode(os.urandom(32)).decode().rstrip("=")
        name = f"img{next(self._ids)}"
        self._media[name] = encrypt(data, aeskey)
        image = {"url": f"http://127.0.0.1:{self.port}/media/{name}", "aeskey": aeskey}
        if group is None and not text:
            return self.push("aibot_msg_callback", self._body(user, None, "image", image=image))
        items = [{"msgtype": "text", "text": {"content": f"@{BOT_NAME} {text}" if group else text}},
                 {"msgtype": "image", "image": image}]
        return self.push("aibot_msg_callback", self._body(user, group, "mixed", mixed={"msg_item": items}))

    def press(self, user: User, card: CardPost, key: str) -> str:
        """Click a button (any key: a forged one too) on a card; return the event's msgid."""
        group = None if card.chatid.startswith("u:") else Group(card.chatid)
        event = {"eventtype": "template_card_event",
                 "template_card_event": {"card_type": "button_interaction", "event_key": key,
                                         "task_id": card.task_id}}
        body = self._body(user, group, "event", event=event)
        rid = self.push("aibot_event_callback", body, kind="click")
        self._clicks[rid] = (card.task_id, time.monotonic())
        return str(body["msgid"])

    def press_label(self, user: User, card: CardPost, label: str) -> str:
        """Click the button with this text."""
        return self.press(user, card, next(k for t, k in card.buttons() if t == label))

    def push(self, cmd: str, body: dict[str, Any], kind: str = "") -> str:
        """Push a frame now (or when the bot next connects); return its req_id (or msgid)."""
        rid = f"{cmd}_{next(self._ids)}"
        frame = {"cmd": cmd, "headers": {"req_id": rid}, "body": body}
        self._pending.append(frame)
        asyncio.get_running_loop().create_task(self._flush())
        return rid if kind == "click" else str(body["msgid"])

    def repush(self, msgid: str) -> None:
        """Push an already pushed message once more (same msgid, new req_id)."""
        old = next(f for f in self.frames if f.direction == "out" and (f.data.get("body") or {}).get("msgid") == msgid)
        self.push(old.cmd, dict(old.data["body"]))

    async def kick(self) -> None:
        """Another connection with the same bot_id takes over: `disconnected_event`, then close."""
        ws, self._ws = self._ws, None
        assert ws is not None
        body = {"msgid": f"kick{next(self._ids)}", "aibotid": BOT_ID, "create_time": int(time.time()),
                "msgtype": "event", "event": {"eventtype": "disconnected_event"}}
        await self._send(ws, {"cmd": "aibot_event_callback", "headers": {"req_id": "kick"}, "body": body})
        await ws.close()

    async def drop(self) -> None:
        """Close the connection without a word (the network dropped)."""
        ws, self._ws = self._ws, None
        if ws is not None:
            await ws.close()

    # --- what the bot did -------------------------------------------------------------------------

    def messages(self, where: Group | User) -> list[Sent]:
        """Return what the bot sent to a group or a person's single chat, oldest first."""
        chatid = where.chatid if isinstance(where, Group) else where.userid
        kind = 2 if isinstance(where, Group) else 1
        return [s for s in self.sent if s.chatid == chatid and s.chat_type == kind]

    def texts(self, where: Group | User) -> list[str]:
        """Return the markdown and card texts the bot sent there, oldest first."""
        return [s.text or self.cards[s.body["template_card"]["task_id"]].text()
                if s.msgtype == "template_card" else s.text for s in self.messages(where)]

    def card_posts(self, where: Group | User) -> list[CardPost]:
        """Return the template cards sent there, oldest first (as they stand now)."""
        return [self.cards[s.body["template_card"]["task_id"]] for s in self.messages(where)
                if s.msgtype == "template_card"]

    def of(self, cmd: str) -> list[Frame]:
        """Return the frames the bot sent with this command."""
        return [f for f in self.frames if f.direction == "in" and f.cmd == cmd]

    async def wait_for(self, condition: Callable[[], bool], timeout: float = 15.0) -> None:  # noqa: ASYNC109
        """Wait until ``condition()`` holds (checked every 10 ms); fail with a summary after ``timeout``."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not met; {self.summary()}")
            await asyncio.sleep(0.01)

    def summary(self) -> str:
        """Return the last frames, for a failing assertion."""
        return "frames: " + "; ".join(json.dumps(f.data, ensure_ascii=False)[:200] for f in self.frames[-12:])

    # --- the server -------------------------------------------------------------------------------

    async def _flush(self) -> None:
        ws = self._ws
        while ws is not None and self._pending and ws is self._ws:
            frame = self._pending.pop(0)
            await self._send(ws, frame)

    async def _send(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> None:
        self.frames.append(Frame("out", data, self.connections))
        await ws.send_str(json.dumps(data, ensure_ascii=False))

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        subscribed = False
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                break
            frame = json.loads(msg.data)
            self.frames.append(Frame("in", frame, self.connections))
            rid = (frame.get("headers") or {}).get("req_id")
            if not rid:
                self.server_errors.append(f"frame without req_id: {frame}")
                continue
            cmd, body = frame.get("cmd"), frame.get("body") or {}
            if cmd == "aibot_subscribe":
                if body.get("bot_id") != BOT_ID or body.get("secret") != SECRET:
                    await self._send(ws, {"headers": {"req_id": rid}, "errcode": 40058, "errmsg": "invalid secret"})
                    continue
                old, self._ws = self._ws, ws
                if old is not None and not old.closed:  # one connection per bot: the newer one wins
                    await self._send(old, {"cmd": "aibot_event_callback", "headers": {"req_id": "kick"}, "body": {
                        "msgid": "kick", "msgtype": "event", "event": {"eventtype": "disconnected_event"}}})
                    await old.close()
                subscribed = True
                self.connections += 1
                await self._send(ws, {"headers": {"req_id": rid}, "errcode": 0, "errmsg": "ok"})
                await self._flush()
                continue
            if not subscribed:
                await self._send(ws, {"headers": {"req_id": rid}, "errcode": 40001, "errmsg": "not subscribed"})
                continue
            if cmd == "ping":
                if self.pings_answered:
                    await self._send(ws, {"headers": {"req_id": rid}, "errcode": 0, "errmsg": "ok"})
                continue
            code, errmsg, answer = self._answer(cmd, body, rid)
            reply: dict[str, Any] = {"headers": {"req_id": rid}, "errcode": code, "errmsg": errmsg}
            if answer is not None:
                reply["body"] = answer
            await self._send(ws, reply)
        if self._ws is ws:
            self._ws = None
        return ws

    def _answer(self, cmd: str, body: dict[str, Any], rid: str) -> tuple[int, str, dict[str, Any] | None]:
        if cmd == "aibot_send_msg":
            if self.refusals:
                code = self.refusals.pop(0)
                return code, "api freq out of limit" if code == RATE_LIMITED else "refused", None
            chatid, chat_type, msgtype = str(body.get("chatid") or ""), body.get("chat_type"), body.get("msgtype")
            if chatid not in self._seen:
                return 86003, "chat not found", None
            if msgtype not in ("markdown", "template_card", "image", "file") or chat_type not in (1, 2):
                self.server_errors.append(f"bad send: {body}")
                return 40008, "invalid message type", None
            if msgtype == "markdown" and len(body["markdown"]["content"].encode()) > 4096:
                self.server_errors.append("markdown over 4096 bytes")
                return 40058, "content too long", None
            if msgtype == "template_card":
                card = body["template_card"]
                if not card.get("button_list") or len(card["button_list"]) > 6:
                    self.server_errors.append(f"bad card: {card}")
                    return 40058, "bad button_list", None
                self.cards[card["task_id"]] = CardPost(chatid if chat_type == 2 else f"u:{chatid}", card["task_id"], card)
            if msgtype in ("image", "file") and body[msgtype]["media_id"] not in self.uploads:
                return 40007, "invalid media_id", None
            self.sent.append(Sent(chatid, int(chat_type), str(msgtype), body))
            return 0, "ok", None
        if cmd == "aibot_respond_update_msg":
            click = self._clicks.get(rid)
            card = body.get("template_card") or {}
            if click is None or time.monotonic() - click[1] > 5.0 or click[0] != card.get("task_id"):
                return 846605, "invalid req_id", None
            post = self.cards[click[0]]
            post.body, post.updates = card, post.updates + 1
            return 0, "ok", None
        if cmd == "aibot_upload_media_init":
            upload_id = f"up{next(self._ids)}"
            self._uploading[upload_id] = {"chunks": {}, **body}
            return 0, "ok", {"upload_id": upload_id}
        if cmd == "aibot_upload_media_chunk":
            up = self._uploading[body["upload_id"]]
            up["chunks"][body["chunk_index"]] = base64.b64decode(body["base64_data"])
            return 0, "ok", None
        if cmd == "aibot_upload_media_finish":
            up = self._uploading.pop(body["upload_id"])
            data = b"".join(up["chunks"][i] for i in range(up["total_chunks"]))
            media_id = f"media{next(self._ids)}"
            self.uploads[media_id] = data
            return 0, "ok", {"media_id": media_id}
        self.server_errors.append(f"unknown cmd {cmd}")
        return 40008, "unknown cmd", None

    async def _download(self, request: web.Request) -> web.Response:
        data = self._media.get(request.match_info["name"])
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data, content_type="application/octet-stream")
