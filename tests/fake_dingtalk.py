"""A fake DingTalk open platform (aiohttp on 127.0.0.1) that the real DingTalk adapter talks to.

It serves what an enterprise internal app's robot uses in Stream mode, with DingTalk's shapes:

* ``POST /v1.0/oauth2/accessToken`` and ``POST /v1.0/gateway/connections/open`` (client id and secret);
  the endpoint it hands out is a WebSocket (``/connect?ticket=…``, one ticket one socket) on which the
  fake pushes ``CALLBACK`` frames (robot messages, card clicks) and ``SYSTEM`` pings and disconnects, and
  reads the acks: every frame must be acked ``{code: 200, headers{messageId, contentType}, message, data:
  "<json string>"}``; a frame not acked is pushed again on the next socket, as DingTalk does.
* ``/v1.0/robot/groupMessages/send``, ``/v1.0/robot/oToMessages/batchSend`` (at most 20 userIds),
  ``/v1.0/card/instances/createAndDeliver`` and ``PUT /v1.0/card/instances`` (the template's variables,
  string values of at most 1000 characters, ``callbackType: STREAM``, the deliver model each space needs),
  ``/v1.0/robot/messageFiles/download`` (a download URL, fetched with a plain GET), and the oapi host's
  ``/media/upload?access_token=…&type=image|file`` (multipart; images at most 1 MB).
* Errors as DingTalk gives them: the api host answers 4xx with ``{code, message, requestid}`` (403
  ``Forbidden.AccessDenied.QpsLimitForAppkeyAndApi`` for throttling), the oapi host HTTP 200 with
  ``{errcode, errmsg}``. ``fail`` / ``fail_oapi`` inject them.
* ``counted``: every request to the api and oapi hosts (what the monthly allowance counts); file
  downloads and the socket are not API calls.

People act with ``send_text`` / ``send_rich`` / ``send_picture`` / ``press``; tests read ``messages``
(every robot message, as sent), ``cards`` (every card instance in its current state) and ``calls``.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import io
import itertools
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.fake_server import FakeServer

CLIENT_ID = "dingfake0robot0code"
CLIENT_SECRET = "fake-dingtalk-secret-Zq81-never-log-me"
TEMPLATE_ID = "5f0c3a9e-safety-card.schema"
ROBOT_NAME = "安全助手"
TOPIC_ROBOT = "/v1.0/im/bot/messages/get"
TOPIC_CARD = "/v1.0/card/instances/callback"
TEMPLATE_VARIABLES = frozenset(
    ["title", "status", "body", "photo"]
    + [f"btn{i}_{part}" for i in range(1, 7) for part in ("text", "value")]
)
PARAM_LIMIT = 1000
IMAGE_LIMIT = 1024 * 1024
MSG_KEYS = {
    "sampleText": ("content",),
    "sampleMarkdown": ("title", "text"),
    "sampleImageMsg": ("photoURL",),
    "sampleFile": ("mediaId", "fileName", "fileType"),
}
QPS_LIMIT = "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi"


@dataclass(frozen=True)
class User:
    user_id: str
    nick: str


@dataclass(frozen=True)
class Group:
    cid: str  # the openConversationId
    title: str


@dataclass
class Call:
    """One request the bot made to the api or oapi host."""

    method: str
    path: str
    body: dict[str, Any]
    status: int = 200
    error: str | None = None


@dataclass
class Message:
    """One robot message as a person sees it: in a group (``group`` set) or privately (``user`` set)."""

    msg_key: str
    param: dict[str, Any]
    group: str | None = None
    user: str | None = None

    @property
    def text(self) -> str:
        """The message's text: content, or a markdown message's title and text."""
        if self.msg_key == "sampleText":
            return str(self.param["content"])
        if self.msg_key == "sampleMarkdown":
            return f"{self.param['title']}\n{self.param['text']}"
        return ""


@dataclass
class CardInstance:
    """A card created from the template, with the parameters it shows now."""

    out_track_id: str
    params: dict[str, str]
    groups: list[str]
    users: list[str]
    updates: int = 0
    history: list[dict[str, str]] = field(default_factory=list)

    def buttons(self) -> list[tuple[str, str]]:
        """(text, value) of the buttons shown (a slot with empty text is hidden)."""
        return [
            (self.params.get(f"btn{i}_text", ""), self.params.get(f"btn{i}_value", ""))
            for i in range(1, 7)
            if self.params.get(f"btn{i}_text")
        ]


@dataclass
class _Frame:
    message_id: str
    frame: dict[str, Any]
    pushed_at: float = 0.0
    deliveries: int = 0
    acked: bool = False
    ack: dict[str, Any] | None = None
    ack_delay: float | None = None
    deliveries_before_loss: int = 0


class _ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class FakeDingTalk(FakeServer):
    """In-process fake of DingTalk's open platform plus helpers to act as the people in the chats."""

    recheck = 0.2  # some conditions change inside the bot, with no request to the fake

    def __init__(self) -> None:
        self.expire_in = 7200  # what an access token's `expireIn` says, in seconds
        super().__init__()
        self.api_base_url = ""
        self.oapi_base_url = ""
        self.calls: list[Call] = []
        self.counted = 0
        self.messages: list[Message] = []
        self.cards: dict[str, CardInstance] = {}
        self.media: dict[str, bytes] = {}
        self.server_errors: list[BaseException] = []
        self.ack_errors: list[str] = []
        self.connections = 0
        self.faults: dict[str, list[tuple[int, str]]] = {}
        self.oapi_faults: list[int] = []
        self.lose_acks = 0  # the next N acks are lost on the way (the frames count as unanswered)
        self.disconnect_close_after = 0.5  # DingTalk closes a socket ~10 s after its SYSTEM disconnect
        self._users: dict[str, User] = {}
        self._groups: dict[str, Group] = {}
        self.store_files: dict[str, bytes] = {}
        self._downloads: dict[str, str] = {}
        self._frames: dict[str, _Frame] = {}
        self._order: list[str] = []
        self._tickets: set[str] = set()
        self._tokens: set[str] = set()
        self._ws: web.WebSocketResponse | None = None
        self._ids = itertools.count(1)
        self._port = 0

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Bind to 127.0.0.1 on a free port and start serving."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/connect", self._connect)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._port = await self._serve(app, shutdown_timeout=1.0)
        self.api_base_url = f"http://127.0.0.1:{self._port}"
        self.oapi_base_url = f"http://127.0.0.1:{self._port}/oapi"

    async def stop(self) -> None:
        """Close the socket and shut the server down."""
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ------------------------------------------------------------------ people and chats

    def user(self, user_id: str, nick: str) -> User:
        """A member of the organisation (userId as DingTalk gives it: a string, maybe with leading zeros)."""
        self._users[user_id] = User(user_id, nick)
        return self._users[user_id]

    def group(self, cid: str = "cidQ8w+Zk3/Vn5Ts0aP9x2Lm==", title: str = "园区安全生产群") -> Group:
        """An internal group the robot was added to (its openConversationId holds `+` and `/`)."""
        self._groups[cid] = Group(cid, title)
        return self._groups[cid]

    @staticmethod
    def private_cid(user: User) -> str:
        """The conversationId of a person's 1:1 chat with the robot (not what the robot writes to)."""
        return f"cidP{user.user_id}+1v1/robot=="

    # ------------------------------------------------------------------ people act

    def send_text(self, user: User | None, chat: Group | None, text: str, *, nick: str = "外部联系人") -> str:
        """Push a text message: in a group it @-mentions the robot (the only way the robot hears it)."""
        return self._message(user, chat, "text", {"text": {"content": f" {text}"}}, nick=nick)

    def send_rich(self, user: User, chat: Group | None, text: str, pictures: list[bytes]) -> str:
        """Push a rich-text message: text (still starting with the @-mention in a group) and pictures."""
        segments: list[dict[str, Any]] = [{"text": f"@{ROBOT_NAME} {text}" if chat is not None else text}]
        for data in pictures:
            code = self._file(data)
            segments.append({"type": "picture", "downloadCode": code, "pictureDownloadCode": code})
        return self._message(user, chat, "richText", {"content": {"richText": segments}})

    def send_picture(self, user: User, chat: Group | None, data: bytes) -> str:
        """Push a lone picture (private chats; a group picture comes as rich text with the mention)."""
        code = self._file(data)
        return self._message(
            user, chat, "picture", {"content": {"downloadCode": code, "pictureDownloadCode": code}}
        )

    def press(self, user: User, out_track_id: str, value: str) -> str:
        """Push a card click: the button's callback carries `cardPrivateData.params.value`."""
        data = {
            "type": "actionCallback",
            "outTrackId": out_track_id,
            "userId": user.user_id,
            "corpId": "dingcorpfake",
            "content": json.dumps({"cardPrivateData": {"actionIds": ["click"], "params": {"value": value}}}),
        }
        return self._push("CALLBACK", TOPIC_CARD, data)

    def press_label(self, user: User, card: CardInstance, label: str) -> str:
        """Press the button with this text on a card as it is shown now."""
        values = [v for text, v in self.cards[card.out_track_id].buttons() if text == label]
        assert values, f"no button {label!r} on card {card.out_track_id}: {card.buttons()}"
        return self.press(user, card.out_track_id, values[0])

    def repush(self, frame_id: str) -> str:
        """Push the same message again as a new frame (DingTalk repeats a message it thinks unanswered)."""
        frame = self._frames[frame_id].frame
        return self._push(frame["type"], frame["headers"]["topic"], json.loads(frame["data"]))

    def ping(self) -> str:
        """Push a SYSTEM ping; its ack must echo the data."""
        return self._push("SYSTEM", "ping", {"opaque": uuid.uuid4().hex})

    async def drop(self) -> None:
        """Cut the current socket without a word (a network drop)."""
        ws, self._ws = self._ws, None
        if ws is not None:
            await ws.close(code=1006)

    async def system_disconnect(self) -> None:
        """Tell the bot to reconnect (SYSTEM disconnect); close the socket a little later, as DingTalk does."""
        ws = self._ws
        if ws is None:
            return
        message_id = uuid.uuid4().hex
        frame = {"specVersion": "1.0", "type": "SYSTEM", "headers": {"messageId": message_id, "topic": "disconnect",
                 "contentType": "application/json", "time": str(int(time.time() * 1000))},
                 "data": json.dumps({"reason": "server restart"})}  # fmt: skip
        self._ws = None  # new frames wait for the next socket
        await ws.send_json(frame)

        async def close_later() -> None:
            await asyncio.sleep(self.disconnect_close_after)
            await ws.close()

        asyncio.get_running_loop().create_task(close_later())

    def fail(self, path: str, status: int, code: str, times: int = 1) -> None:
        """Answer the next `times` calls of an api path with an error (403 QpsLimit…, 400 …, 500)."""
        self.faults.setdefault(path, []).extend([(status, code)] * times)

    def fail_oapi(self, errcode: int, times: int = 1) -> None:
        """Answer the next `times` media uploads with HTTP 200 and this errcode."""
        self.oapi_faults.extend([errcode] * times)

    # ------------------------------------------------------------------ inspection

    def group_messages(self, group: Group) -> list[Message]:
        """Robot messages in a group, oldest first."""
        return [m for m in self.messages if m.group == group.cid]

    def private_messages(self, user: User) -> list[Message]:
        """Robot messages to one person privately, oldest first."""
        return [m for m in self.messages if m.user == user.user_id]

    def group_cards(self, group: Group) -> list[CardInstance]:
        """Card instances delivered to a group, in their current state."""
        return [c for c in self.cards.values() if group.cid in c.groups]

    def private_cards(self, user: User) -> list[CardInstance]:
        """Card instances delivered to a person's 1:1 chat with the robot."""
        return [c for c in self.cards.values() if user.user_id in c.users]

    def calls_to(self, path: str, method: str | None = None) -> list[Call]:
        """Calls of one path (and method)."""
        return [c for c in self.calls if c.path == path and (method is None or c.method == method)]

    def frame(self, frame_id: str) -> _Frame:
        """A pushed frame: how often it was delivered and whether (and how fast) it was acked."""
        return self._frames[frame_id]

    def unacked(self) -> list[str]:
        """Frames pushed and not acked yet (SYSTEM disconnects need no ack)."""
        return [i for i in self._order if not self._frames[i].acked]

    def summary(self, last: int = 25) -> str:
        """Recent calls and problems, for assertion messages."""
        lines = [f"unacked frames: {self.unacked()}"]
        for c in self.calls[-last:]:
            lines.append(
                f"  {c.method} {c.path} {json.dumps(c.body, ensure_ascii=False)[:300]}"
                + (f" -> {c.status} {c.error}" if c.error else "")
            )
        lines += [f"  ack error: {e}" for e in self.ack_errors]
        lines += [f"  fake server error: {e!r}" for e in self.server_errors]
        return "\n".join(lines)

    # ------------------------------------------------------------------ internals: frames

    def _file(self, data: bytes) -> str:
        code = f"dlc{next(self._ids):04d}+/{uuid.uuid4().hex[:8]}=="
        self.store_files[code] = data
        return code

    def _message(
        self, user: User | None, chat: Group | None, msgtype: str, body: dict[str, Any], *, nick: str = ""
    ) -> str:
        data: dict[str, Any] = {
            "conversationId": chat.cid if chat is not None else self.private_cid(user) if user else "cidP?",
            "conversationType": "2" if chat is not None else "1",
            "msgId": f"msg{next(self._ids):06d}{uuid.uuid4().hex[:6]}",
            "senderNick": user.nick if user is not None else nick,
            "senderStaffId": user.user_id
            if user is not None
            else "",  # empty for someone outside the organisation
            "senderId": f"$:LWCP_v1:${uuid.uuid4().hex[:16]}",
            "chatbotUserId": "$:LWCP_v1:$robotfake",
            "robotCode": CLIENT_ID,
            "isInAtList": True,
            "isAdmin": False,
            "createAt": int(time.time() * 1000),
            "msgtype": msgtype,
            **body,
        }
        if chat is not None:
            data["conversationTitle"] = chat.title
        return self._push("CALLBACK", TOPIC_ROBOT, data)

    def _push(self, kind: str, topic: str, data: dict[str, Any]) -> str:
        message_id = uuid.uuid4().hex
        frame = {
            "specVersion": "1.0",
            "type": kind,
            "headers": {
                "appId": "fake-app",
                "connectionId": "fake-conn",
                "contentType": "application/json",
                "messageId": message_id,
                "time": str(int(time.time() * 1000)),
                "topic": topic,
            },
            "data": json.dumps(data, ensure_ascii=False),
        }
        self._frames[message_id] = _Frame(message_id, frame)
        self._order.append(message_id)
        if self._ws is not None:
            asyncio.get_running_loop().create_task(self._deliver(self._ws, message_id))
        return message_id

    async def _deliver(self, ws: web.WebSocketResponse, message_id: str) -> None:
        record = self._frames[message_id]
        if record.acked or ws.closed:
            return
        record.deliveries += 1
        record.pushed_at = time.monotonic()
        with contextlib.suppress(ConnectionResetError, RuntimeError):
            await ws.send_json(record.frame)

    async def _connect(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        if ticket not in self._tickets:
            return web.json_response({"code": "invalidTicket", "message": "ticket invalid"}, status=401)
        self._tickets.discard(ticket)  # one ticket, one socket
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        if self._ws is not None and not self._ws.closed:
            await self._ws.close()
        self._ws = ws
        self.connections += 1
        for message_id in list(self._order):  # not acked on an earlier socket: pushed again
            record = self._frames[message_id]
            if not record.acked and record.frame["headers"]["topic"] != "disconnect":
                await self._deliver(ws, message_id)
        await self._notify()
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    self._on_ack(msg.data)
                    await self._notify()
        finally:
            if self._ws is ws:
                self._ws = None
            await self._notify()
        return ws

    def _on_ack(self, raw: str) -> None:
        try:
            ack = json.loads(raw)
            headers = ack["headers"]
            record = self._frames.get(headers["messageId"])
            if record is None:
                raise ValueError(f"ack of unknown messageId {headers['messageId']!r}")
            if (
                ack.get("code") != 200
                or ack.get("message") != "OK"
                or headers.get("contentType") != "application/json"
            ):
                raise ValueError(f"malformed ack {raw}")
            if not isinstance(ack.get("data"), str):
                raise ValueError(f"ack data must be a JSON string: {raw}")
            data = json.loads(ack["data"])
            if record.frame["headers"]["topic"] == "ping" and data != json.loads(record.frame["data"]):
                raise ValueError(f"ping ack does not echo its data: {raw}")
            if self.lose_acks > 0 and record.frame["type"] == "CALLBACK":
                self.lose_acks -= 1
                record.deliveries_before_loss = record.deliveries
                return
            record.acked = True
            record.ack = ack
            record.ack_delay = time.monotonic() - record.pushed_at
            if record.frame["headers"]["topic"] == TOPIC_CARD and record.ack_delay > 2.0:
                self.ack_errors.append(
                    f"card click {record.message_id} acked after {record.ack_delay:.1f}s (limit 2 s)"
                )
        except (ValueError, KeyError, TypeError) as exc:
            self.ack_errors.append(str(exc))

    # ------------------------------------------------------------------ internals: HTTP

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path.startswith("/download/"):
            data = self.store_files.get(self._downloads.get(path.removeprefix("/download/"), ""))
            return web.Response(body=data, status=200) if data is not None else web.Response(status=404)
        oapi = path.startswith("/oapi/")
        call = Call(request.method, path.removeprefix("/oapi") if oapi else path, {})
        self.calls.append(call)
        self.counted += 1
        try:
            if oapi:
                return await self._oapi(request, call)
            try:
                call.body = await request.json() if request.can_read_body else {}
            except ValueError:
                raise _ApiError(400, "InvalidParameter", "body is not JSON") from None
            faults = self.faults.get(call.path)
            if faults:
                status, code = faults.pop(0)
                raise _ApiError(status, code, "injected fault")
            handler = self._routes().get((request.method, call.path))
            if handler is None:
                raise _ApiError(404, "InvalidAction.NotFound", f"no api {request.method} {call.path}")
            if call.path not in ("/v1.0/oauth2/accessToken", "/v1.0/gateway/connections/open"):
                token = request.headers.get("x-acs-dingtalk-access-token", "")
                if token not in self._tokens:
                    raise _ApiError(401, "InvalidAuthentication", "不合法的access_token")
            result = await handler(call.body)
            body, status = result, 200
        except _ApiError as err:
            call.status, call.error = err.status, err.code
            body, status = (
                {"code": err.code, "message": err.message, "requestid": uuid.uuid4().hex},
                err.status,
            )
        except Exception as err:  # a bug in the fake
            self.server_errors.append(err)
            call.status, call.error = 500, repr(err)
            body, status = {"code": "InternalError", "message": repr(err)}, 500
        await self._notify()
        return web.json_response(body, status=status, dumps=lambda o: json.dumps(o, ensure_ascii=False))

    def _routes(self) -> dict[tuple[str, str], Callable[[dict[str, Any]], Any]]:
        return {
            ("POST", "/v1.0/oauth2/accessToken"): self._access_token,
            ("POST", "/v1.0/gateway/connections/open"): self._open,
            ("POST", "/v1.0/robot/groupMessages/send"): self._group_send,
            ("POST", "/v1.0/robot/oToMessages/batchSend"): self._batch_send,
            ("POST", "/v1.0/card/instances/createAndDeliver"): self._create_card,
            ("PUT", "/v1.0/card/instances"): self._update_card,
            ("POST", "/v1.0/robot/messageFiles/download"): self._download_url,
        }

    async def _access_token(self, body: dict[str, Any]) -> dict[str, Any]:
        if body.get("appKey") != CLIENT_ID or body.get("appSecret") != CLIENT_SECRET:
            raise _ApiError(400, "invalidClientIdOrSecret", "无效的clientId或者clientSecret")
        token = uuid.uuid4().hex
        self._tokens.add(token)
        return {"accessToken": token, "expireIn": self.expire_in}

    async def _open(self, body: dict[str, Any]) -> dict[str, Any]:
        if body.get("clientId") != CLIENT_ID or body.get("clientSecret") != CLIENT_SECRET:
            raise _ApiError(401, "InvalidAuthentication", "clientId or clientSecret invalid")
        topics = {(s.get("type"), s.get("topic")) for s in body.get("subscriptions") or []}
        if not {("CALLBACK", TOPIC_ROBOT), ("CALLBACK", TOPIC_CARD)} <= topics:
            raise _ApiError(400, "InvalidParameter.subscriptions", f"subscriptions {sorted(topics)}")
        ticket = f"{uuid.uuid4().hex}+/="
        self._tickets.add(ticket)
        return {"endpoint": f"ws://127.0.0.1:{self._port}/connect", "ticket": ticket}

    def _robot(self, body: dict[str, Any]) -> dict[str, Any]:
        if body.get("robotCode") != CLIENT_ID:
            raise _ApiError(400, "invalidParameter.robotCode", "robotCode 不存在")
        key = body.get("msgKey")
        if key not in MSG_KEYS:
            raise _ApiError(400, "invalidParameter.msgKey", f"msgKey {key!r} 不存在")
        raw = body.get("msgParam")
        if not isinstance(raw, str):
            raise _ApiError(400, "invalidParameter.msgParam", "msgParam 须为 JSON 字符串")
        param = json.loads(raw)
        missing = [k for k in MSG_KEYS[key] if not param.get(k)]
        if missing:
            raise _ApiError(400, "invalidParameter.msgParam", f"msgParam 缺少 {missing}")
        if key == "sampleImageMsg" and param["photoURL"] not in self.media:
            raise _ApiError(400, "invalidParameter.photoURL", "photoURL 无效")
        if key == "sampleFile" and param["mediaId"] not in self.media:
            raise _ApiError(400, "invalidParameter.mediaId", "mediaId 无效")
        return {"msg_key": key, "param": param}

    async def _group_send(self, body: dict[str, Any]) -> dict[str, Any]:
        message = self._robot(body)
        cid = body.get("openConversationId")
        if cid not in self._groups:
            raise _ApiError(400, "resource.not.found", "群会话不存在或机器人不在群内")
        self.messages.append(Message(**message, group=cid))
        return {"processQueryKey": uuid.uuid4().hex}

    async def _batch_send(self, body: dict[str, Any]) -> dict[str, Any]:
        message = self._robot(body)
        users = body.get("userIds")
        if not isinstance(users, list) or not users or not all(isinstance(u, str) for u in users):
            raise _ApiError(400, "invalidParameter.userIds", "userIds 须为字符串数组")
        if len(users) > 20:
            raise _ApiError(400, "invalidParameter.userIds.size", "userIds 最多 20 个")
        invalid = [u for u in users if u not in self._users]
        for u in users:
            if u in self._users:
                self.messages.append(Message(**copy.deepcopy(message), user=u))
        return {
            "processQueryKey": uuid.uuid4().hex,
            "invalidStaffIdList": invalid,
            "flowControlledStaffIdList": [],
        }

    def _check_params(self, params: Any) -> dict[str, str]:
        if not isinstance(params, dict):
            raise _ApiError(400, "invalidParameter.cardData", "cardParamMap 须为对象")
        for key, value in params.items():
            if key not in TEMPLATE_VARIABLES:
                raise _ApiError(400, "invalidParameter.cardParamMap", f"模板没有变量 {key}")
            if not isinstance(value, str):
                raise _ApiError(400, "invalidParameter.cardParamMap", f"{key} 的值须为字符串")
            if len(value) > PARAM_LIMIT:
                raise _ApiError(400, "invalidParameter.cardParamMap", f"{key} 超过 {PARAM_LIMIT} 字")
        photo = params.get("photo")
        if photo and photo not in self.media:
            raise _ApiError(400, "invalidParameter.cardParamMap", f"photo {photo!r} 不是已上传的图片")
        return dict(params)

    async def _create_card(self, body: dict[str, Any]) -> dict[str, Any]:
        if body.get("cardTemplateId") != TEMPLATE_ID:
            raise _ApiError(400, "invalidParameter.cardTemplateId", "卡片模板不存在")
        out = body.get("outTrackId")
        if not isinstance(out, str) or not out or out in self.cards or len(out) > 64:
            raise _ApiError(400, "invalidParameter.outTrackId", "outTrackId 无效或已存在")
        if body.get("callbackType") != "STREAM":
            raise _ApiError(400, "invalidParameter.callbackType", "Stream 模式须设 callbackType=STREAM")
        params = self._check_params((body.get("cardData") or {}).get("cardParamMap"))
        space = str(body.get("openSpaceId") or "")
        if not space.startswith("dtv1.card//"):
            raise _ApiError(400, "invalidParameter.openSpaceId", "openSpaceId 格式错误")
        groups, users, results = [], [], []
        for part in space.removeprefix("dtv1.card//").split(";"):
            kind, _, ident = part.partition(".")
            if kind.upper() == "IM_GROUP":
                if (body.get("imGroupOpenDeliverModel") or {}).get("robotCode") != CLIENT_ID:
                    raise _ApiError(400, "invalidParameter.imGroupOpenDeliverModel", "群聊投放须带 robotCode")
                ok = ident in self._groups
                if ok:
                    groups.append(ident)
            elif kind.upper() == "IM_ROBOT":
                if (body.get("imRobotOpenDeliverModel") or {}).get("spaceType") != "IM_ROBOT":
                    raise _ApiError(400, "invalidParameter.imRobotOpenDeliverModel", "单聊投放须带 spaceType")
                ok = ident in self._users
                if ok:
                    users.append(ident)
            else:
                raise _ApiError(400, "invalidParameter.openSpaceId", f"场域 {kind} 不支持")
            results.append({"spaceType": kind, "spaceId": ident, "success": ok, "carrierId": uuid.uuid4().hex[:12],
                            "errorMsg": None if ok else "场域不存在"})  # fmt: skip
        self.cards[out] = CardInstance(out, params, groups, users, history=[dict(params)])
        return {"success": True, "result": {"outTrackId": out, "deliverResults": results}}

    async def _update_card(self, body: dict[str, Any]) -> dict[str, Any]:
        card = self.cards.get(str(body.get("outTrackId")))
        if card is None:
            raise _ApiError(400, "invalidParameter.outTrackId", "卡片实例不存在")
        params = self._check_params((body.get("cardData") or {}).get("cardParamMap"))
        if (body.get("cardUpdateOptions") or {}).get("updateCardDataByKey"):
            card.params.update(params)
        else:
            card.params = params
        card.updates += 1
        card.history.append(dict(card.params))
        return {"success": True, "result": True}

    async def _download_url(self, body: dict[str, Any]) -> dict[str, Any]:
        if body.get("robotCode") != CLIENT_ID:
            raise _ApiError(400, "invalidParameter.robotCode", "robotCode 不存在")
        code = body.get("downloadCode")
        if code not in self.store_files:
            raise _ApiError(400, "invalidParameter.downloadCode", "downloadCode 无效或已过期")
        ref = uuid.uuid4().hex
        self._downloads[ref] = str(code)
        return {"downloadUrl": f"{self.api_base_url}/download/{ref}"}

    async def _oapi(self, request: web.Request, call: Call) -> web.StreamResponse:
        if call.path != "/media/upload" or request.method != "POST":
            return web.json_response({"errcode": 404, "errmsg": "not found"})
        call.body = {"type": request.query.get("type")}
        if request.query.get("access_token") not in self._tokens:
            return self._oapi_error(call, 40014, "不合法的access_token")
        if self.oapi_faults:
            return self._oapi_error(call, self.oapi_faults.pop(0), "injected fault")
        data = b""
        async for part in await request.multipart():
            if getattr(part, "name", None) == "media":
                data = await part.read()  # type: ignore[union-attr]
        kind = request.query.get("type")
        if not data:
            return self._oapi_error(call, 40004, "不合法的媒体文件类型")
        if kind == "image":
            if len(data) > IMAGE_LIMIT:
                return self._oapi_error(call, 40006, "不合法的文件大小")
            from PIL import Image

            try:
                with Image.open(io.BytesIO(data)) as img:
                    if img.format not in ("JPEG", "PNG"):
                        return self._oapi_error(call, 40004, "图片须为 jpg 或 png")
            except Exception:
                return self._oapi_error(call, 40004, "不合法的媒体文件类型")
        elif kind != "file":
            return self._oapi_error(call, 40004, "不合法的媒体文件类型")
        media_id = f"@lA{next(self._ids):05d}{uuid.uuid4().hex[:10]}"
        self.media[media_id] = bytes(data)
        await self._notify()
        return web.json_response({"errcode": 0, "errmsg": "ok", "type": kind, "media_id": media_id,
                                  "created_at": int(time.time() * 1000)})  # fmt: skip

    def _oapi_error(self, call: Call, code: int, message: str) -> web.StreamResponse:
        call.error = str(code)
        return web.json_response({"errcode": code, "errmsg": message})
