"""DingTalk adapter: an enterprise internal app's robot (企业内部应用机器人) in Stream mode.

In: the adapter opens an outbound WebSocket (no public address needed: an office PC behind NAT can
run the bot), stores every pushed robot message and card click in the inbox, and only then acks the
frame; a frame not acked (the database was down, the socket dropped) is pushed again by DingTalk,
and the inbox's unique key drops the repeat. Out: group messages, private messages in batches of 20,
interactive cards built from one template and updated in place by their outTrackId (or markdown
messages when no template is configured), pictures and files uploaded as media. Every API call is
counted per month; managers are told at 80 % of the organisation's monthly allowance.

Identity: a group is `dingtalk:<openConversationId>`, a person `dingtalk:<userId>`. A person's 1:1
chat with the robot is `dingtalk:u:<userId>`: DingTalk writes to people by userId (batchSend, a card
to `IM_ROBOT.<userId>`), never to the 1:1 conversationId, and a card click names only the person,
so the private chat is named after them. Ids are strings throughout (leading zeros, `+` and `/`).

What the payloads look like both ways (reading robot messages and clicks, writing card parameters and
markdown) is in `bot/adapters/dingtalk_payloads.py`; the HTTP calls are in `bot/adapters/dingtalk_api.py`;
the Stream socket (reading frames into the inbox, acking, reconnecting) is `bot/adapters/dingtalk_stream.py`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import uuid
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.adapters.dingtalk_api import (
    BadCredentials,
    DingTalkApi,
    DingTalkError,
    Refused,
)
from bot.adapters.dingtalk_payloads import (
    BUTTON_SLOTS,
    IMAGE_UPLOAD_LIMIT,
    PARAM_LIMIT,
    PLATFORM,
    PRIVATE,
    TITLE_LIMIT,
    Target,
    button_params,
    card_markdown,
    card_params,
    fields_of,
    own_copy,
    pressed_value,
    private_chat,
    target_of,
    to_incoming,
)
from bot.adapters.dingtalk_stream import MAX_BACKOFF, TOPIC_CARD, Stream, reason

# Re-exported: where the adapter is, the tests find the topic of the robot frames they push.
from bot.adapters.dingtalk_stream import TOPIC_ROBOT as TOPIC_ROBOT
from bot.adapters.shared import Lru, Redact, cut, image_for_upload, split_text
from bot.config import DingTalkSettings
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
    Recipient,
    Reply,
    Sender,
    Undeliverable,
)
from bot.outbox import Queued
from domain.park import queries as park_queries
from handlers import texts as T
from storage import dingtalk as rows
from storage.db import is_unavailable
from storage.enums import Role

logger = logging.getLogger(__name__)
TICKET_RE = re.compile(r"([?&]ticket=)[^&\s'\")]+")  # the Stream gateway's one-time ticket in a socket URL

BATCH = 20  # people per batchSend (and per private card delivery)
TEXT_LIMIT = 3000  # characters of one text message; longer texts go out in parts
DOWNLOAD_LIMIT = 20 * 1024 * 1024
MONTHLY_CALLS = 5000  # a standard-edition organisation's API calls a month, for all its apps
WARN_SHARE = 0.8


class StartupError(RuntimeError):
    """The bot cannot start on DingTalk for a reason the operator must fix (said in one line)."""


class DingTalkAdapter:
    """Reads the Stream socket into the inbox and renders the core's replies on DingTalk."""

    platform = PLATFORM

    def __init__(
        self,
        settings: DingTalkSettings,
        dispatcher: Dispatcher,
        inbox: Inbox,
        *,
        monthly_calls: int = MONTHLY_CALLS,
    ) -> None:
        if not settings.configured or settings.client_secret is None:
            raise ValueError("dingtalk.client_id and dingtalk.client_secret are not set")
        secret = settings.client_secret.get_secret_value()
        self.settings = settings
        self.dispatcher = dispatcher
        self.inbox = inbox
        self.robot_code = settings.client_id
        self.template = settings.card_template_id
        # No reply-to-message on DingTalk; buttons only on cards (so only with a card template); cards
        # edit in place by outTrackId (markdown cards post a short update); any member can be written to.
        self.capabilities = Capabilities(
            replies=False, buttons=bool(self.template), edits=True, private_to_anyone=True
        )
        self.monthly_calls = monthly_calls
        # The Stream gateway's one-time ticket rides in the socket URL, which connection errors print.
        self._redact = Redact(secret, "<secret>", (TICKET_RE,))
        self._filtered: list[logging.Filterer] = [*logging.getLogger().handlers, logging.getLogger("aiohttp")]
        for target in self._filtered:
            target.addFilter(self._redact)
        self.api = DingTalkApi(
            client_id=settings.client_id,
            client_secret=secret,
            api_base_url=settings.api_base_url,
            oapi_base_url=settings.oapi_base_url,
            on_call=self._count_call,
        )
        self._unflushed = 0  # API calls made and not yet added to the month's row
        self._media = Lru()  # picture path -> media_id already uploaded
        self._pushed = Lru()  # outTrackId (or chat/message) -> the parameters last shown
        self._card_chats = Lru()  # outTrackId -> group id, or '' for a private card
        self.stream = Stream(
            api=self.api,
            inbox=inbox,
            clock=dispatcher.clock,
            card_chats=self._card_chats,
            on_calls=self.flush_calls,
        )
        self._started = False
        dispatcher.attach(self)
        inbox.attach(self)

    @property
    def connected(self) -> asyncio.Event:
        """Return the event set while a Stream socket is open."""
        return self.stream.connected

    @property
    def connections(self) -> int:
        """Return how many Stream sockets were opened so far (for tests and the log)."""
        return self.stream.connections

    def private_chat(self, user_id: str) -> ChatRef:
        """Return a person's 1:1 chat with the robot (it follows from the userId; no first message needed)."""
        return private_chat(user_id)

    # --- the API-call counter -------------------------------------------------------------------

    def _count_call(self) -> None:
        self._unflushed += 1

    async def flush_calls(self) -> None:
        """Add the calls made since the last flush to this month's count; warn the managers at 80 %."""
        n, self._unflushed = self._unflushed, 0
        if n == 0:
            return
        now = self.dispatcher.clock.now()
        month = now.astimezone(self.dispatcher.settings.park.tz).strftime("%Y-%m")
        warn_at = int(self.monthly_calls * WARN_SHARE)
        warning: Reply | None = None
        queued: list[Queued] = []
        try:
            async with self.dispatcher.db.unit_of_work() as session:
                count = await rows.add_calls(session, month, n, warn_at, now)
                if count.warn:
                    staff = await park_queries.people_with_role(session, None, [Role.ADMIN, Role.MANAGER])
                    reach = [p for p in staff if self.dispatcher.reach(p)]
                    text = T.DINGTALK_QUOTA_WARNING.format(
                        calls=count.calls,
                        limit=self.monthly_calls,
                        share=round(100 * count.calls / self.monthly_calls),
                    )
                    warning = Reply(
                        text=text,
                        people=tuple(Recipient(p.platform, p.external_id, p.private_chat_id) for p in reach),
                    )
                    # The warning goes through the outbox like any reply: a crash before it is sent
                    # sends it at the next start.
                    queued = await self.dispatcher.enqueue(session, [warning])
        except Exception as exc:
            self._unflushed += n  # counted at the next flush
            if not is_unavailable(exc):
                logger.exception("counting DingTalk API calls failed")
            return
        if warning is not None:
            logger.warning(
                "DingTalk API calls this month: %s of %s; managers told", warn_at, self.monthly_calls
            )
            self.dispatcher.queued(queued)

    # --- the inbox's side -----------------------------------------------------------------------

    async def decode(self, payload: dict[str, Any]) -> Incoming | ButtonPress | None:
        """Turn a stored frame back into a neutral update (a person outside the organisation is refused)."""
        data = payload.get("data") or {}
        received = datetime.fromisoformat(payload["received_at"])
        if payload.get("topic") == TOPIC_CARD:
            return await self._press(payload, data, received)
        message = to_incoming(data, payload["key"], received)
        if not message.sender.user_id:
            # Someone outside the organisation (an external contact in the group): no userId, no identity.
            if message.chat.is_group and message.chat.chat_id:
                async with self.dispatcher.db.unit_of_work() as session:
                    queued = await self.dispatcher.enqueue(
                        session, [Reply(text=T.DINGTALK_OUTSIDER, chat=message.chat)]
                    )
                self.dispatcher.queued(queued)
            return None
        return message

    async def _press(
        self, payload: dict[str, Any], data: dict[str, Any], received: datetime
    ) -> ButtonPress | None:
        user_id = str(data.get("userId") or "")
        out_track_id = str(data.get("outTrackId") or "")
        if not user_id:
            return None
        chat_id = self._card_chats.get(out_track_id)
        name = user_id
        async with self.dispatcher.db.reading() as session:
            if chat_id is None:
                chat_id = await rows.card_chat(session, out_track_id)
            person = await park_queries.find_person(session, PLATFORM, user_id)
            if person is not None:
                name = person.display_name
        if chat_id is None and str(data.get("spaceType") or "").upper() == "IM_GROUP" and data.get("spaceId"):
            chat_id = str(data["spaceId"])
        chat = ChatRef(PLATFORM, chat_id, True) if chat_id else private_chat(user_id)
        sender = Sender(PLATFORM, user_id, name)
        return ButtonPress(payload["key"], sender, chat, pressed_value(data), out_track_id or None, received)

    async def finish(self, payload: dict[str, Any], outcome: Outcome) -> None:
        """Tell the presser the answer to their press privately (a DingTalk card has no popup)."""
        if payload.get("topic") != TOPIC_CARD or not outcome.toast:
            return
        user_id = str((payload.get("data") or {}).get("userId") or "")
        if user_id:
            try:
                await self._send_text(Target(users=(user_id,)), outcome.toast)
            finally:
                await self.flush_calls()

    # --- starting and stopping ------------------------------------------------------------------

    async def start(self) -> None:
        """Check the credentials (retrying while DingTalk is unreachable), start the inbox, then read the socket."""
        delay = 1.0
        while True:
            try:
                await self.api.token()
                break
            except BadCredentials:
                raise StartupError(
                    "DingTalk rejected the app credentials: check dingtalk.client_id and dingtalk.client_secret "
                    "(SAFETYBOT_DINGTALK__CLIENT_SECRET)"
                ) from None
            except DingTalkError as exc:
                if delay == 1.0:
                    logger.warning(
                        "cannot reach DingTalk at %s (%s); retrying with backoff",
                        self.settings.api_base_url,
                        exc,
                    )
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_BACKOFF)
            finally:
                await self.flush_calls()
        await self.inbox.start()
        self.stream.start()
        self._started = True
        logger.info("DingTalk robot %s started (Stream mode)", self.robot_code)

    async def stop(self) -> None:
        """Stop reading, let the updates in hand finish, count the last calls and close the client."""
        await self.stream.stop()
        if self._started:
            await self.inbox.stop()
            self._started = False
        await self.flush_calls()
        await self.api.close()
        for target in self._filtered:
            target.removeFilter(self._redact)

    # --- rendering ------------------------------------------------------------------------------

    async def send(self, chat: ChatRef, reply: Reply) -> str | None:
        """Send a reply to a group or a person's 1:1 chat; return the card's outTrackId (None for messages)."""
        try:
            return await self._send(target_of(chat), reply)
        except Refused as exc:
            raise Undeliverable(str(exc)) from None
        finally:
            await self.flush_calls()

    async def send_private(self, user_ids: Sequence[str], reply: Reply) -> list[tuple[ChatRef, str]]:
        """Send one reply privately to many people, 20 per call; return the card posts (chat, outTrackId)."""
        posts: list[tuple[ChatRef, str]] = []
        try:
            unique = list(dict.fromkeys(user_ids))
            for start in range(0, len(unique), BATCH):
                chunk = tuple(unique[start : start + BATCH])
                out = await self._send(Target(users=chunk), reply)
                if out is not None:
                    posts += [(private_chat(u), out) for u in chunk]
        except Refused as exc:
            raise Undeliverable(str(exc)) from None
        finally:
            await self.flush_calls()
        return posts

    async def _send(self, target: Target, reply: Reply) -> str | None:
        out: str | None = None
        if reply.card is not None:
            if self.template:
                out = await self._create_card(target, reply.card)
            else:
                out = f"md-{uuid.uuid4().hex}"  # a markdown card: edits post short updates, keyed by this
                shown = fields_of(reply.card)
                for chat_id in [target.group] if target.group else [f"{PRIVATE}{u}" for u in target.users]:
                    self._pushed.put(f"{chat_id}/{out}/fields", shown)
                await self._send_message(
                    target,
                    "sampleMarkdown",
                    {"title": cut(reply.card.title, TITLE_LIMIT), "text": card_markdown(reply.card)},
                )
                if reply.card.photos:
                    await self._send_photos(target, reply.card.photos[:1])
        if reply.text:
            buttons = [b for row in reply.buttons for b in row]
            if buttons and self.template:
                # A question with buttons (pick an enterprise, 登记隐患 / 不用了) becomes a card of its own.
                await self._create_prompt(target, reply.text, buttons)
            else:
                await self._send_text(target, reply.text)
        if reply.photos:
            await self._send_photos(target, reply.photos)
        for i, doc in enumerate(reply.documents):
            name = reply.document_names[i] if i < len(reply.document_names) else doc.name
            await self._send_document(target, doc, name)
        return out

    async def _send_text(self, target: Target, text: str) -> None:
        for part in split_text(text, TEXT_LIMIT):
            await self._send_message(target, "sampleText", {"content": part})

    async def _send_message(self, target: Target, msg_key: str, param: dict[str, Any]) -> None:
        """Send one robot message: to a group, or to people 20 at a time (batchSend)."""
        body: dict[str, Any] = {
            "robotCode": self.robot_code,
            "msgKey": msg_key,
            "msgParam": json.dumps(param, ensure_ascii=False),
        }
        if target.group is not None:
            await self.api.call(
                "POST", "/v1.0/robot/groupMessages/send", {**body, "openConversationId": target.group}
            )
            return
        for start in range(0, len(target.users), BATCH):
            chunk = list(target.users[start : start + BATCH])
            await self.api.call("POST", "/v1.0/robot/oToMessages/batchSend", {**body, "userIds": chunk})

    async def _send_photos(self, target: Target, photos: Sequence[Path]) -> None:
        for path in photos:
            try:
                media_id = await self._upload_picture(path)
            except (OSError, ValueError) as exc:
                logger.warning("picture %s not sent: %s", path.name, exc)
                continue
            await self._send_message(target, "sampleImageMsg", {"photoURL": media_id})

    async def _send_document(self, target: Target, path: Path, name: str) -> None:
        data = await asyncio.to_thread(path.read_bytes)
        media_id = await self.api.upload(
            "file",
            name,
            data,
            "application/pdf" if name.lower().endswith(".pdf") else "application/octet-stream",
        )
        file_type = name.rsplit(".", 1)[-1].lower() if "." in name else "pdf"
        await self._send_message(
            target, "sampleFile", {"mediaId": media_id, "fileName": name, "fileType": file_type}
        )

    async def _upload_picture(self, path: Path) -> str:
        """Upload a picture once per process (its media_id is reused for card edits and later sends)."""
        key = str(path)
        if key in self._media:
            return str(self._media[key])
        data = await asyncio.to_thread(image_for_upload, path, IMAGE_UPLOAD_LIMIT, 82)
        media_id = await self.api.upload("image", f"{path.stem}.jpg", data, "image/jpeg")
        self._media.put(key, media_id)
        return media_id

    async def _card_photo(self, card: Card) -> str:
        if not card.photos:
            return ""
        try:
            return await self._upload_picture(card.photos[0])
        except (OSError, ValueError, Refused) as exc:  # the card still goes out, without its picture
            logger.warning("card picture for %s not uploaded: %s", card.key, exc)
            return ""

    async def _create_card(self, target: Target, card: Card) -> str:
        params = card_params(card, await self._card_photo(card))
        return await self._deliver(target, params)

    async def _create_prompt(self, target: Target, text: str, buttons: Sequence[Button]) -> str:
        rest = [b.command for b in buttons[BUTTON_SLOTS:] if b.command]
        body = "\n".join([text, *([T.DINGTALK_CARD_ACTIONS, *rest] if rest else [])])
        params = {"title": "", "status": "", "body": cut(body, PARAM_LIMIT), "photo": ""}
        params.update(button_params(buttons[:BUTTON_SLOTS]))
        return await self._deliver(target, params)

    async def _deliver(self, target: Target, params: dict[str, str]) -> str:
        """Create a card instance from the template and deliver it to a group or to people's 1:1 chats."""
        out = uuid.uuid4().hex
        body: dict[str, Any] = {
            "cardTemplateId": self.template,
            "outTrackId": out,
            "callbackType": "STREAM",  # without it clicks never arrive
            "cardData": {"cardParamMap": params},
        }
        if target.group is not None:
            body["openSpaceId"] = f"dtv1.card//IM_GROUP.{target.group}"
            body["imGroupOpenSpaceModel"] = {"supportForward": False}
            body["imGroupOpenDeliverModel"] = {"robotCode": self.robot_code}
        else:
            body["openSpaceId"] = "dtv1.card//" + ";".join(f"IM_ROBOT.{u}" for u in target.users)
            body["imRobotOpenSpaceModel"] = {"supportForward": False}
            body["imRobotOpenDeliverModel"] = {"spaceType": "IM_ROBOT", "robotCode": self.robot_code}
        chat_id = target.group or ""
        # Where the card went is written down before it is delivered: a click can come at once.
        self._card_chats.put(out, chat_id)
        try:
            async with self.dispatcher.db.unit_of_work() as session:
                await rows.record_card(session, out, chat_id, self.dispatcher.clock.now())
        except Exception as exc:  # the card still goes out; a click finds its chat in memory meanwhile
            logger.warning("card %s not recorded: %s", out, reason(exc))
        answer = await self.api.call("POST", "/v1.0/card/instances/createAndDeliver", body)
        failed = [
            r for r in (answer.get("result") or {}).get("deliverResults") or [] if not r.get("success", True)
        ]
        if failed:
            logger.warning(
                "card %s not delivered to %d space(s): %s", out, len(failed), failed[0].get("errorMsg")
            )
        self._pushed.put(out, params)
        return out

    async def edit_card(self, chat_id: str, message_id: str, card: Card) -> None:
        """Update a card in place by its outTrackId (a markdown card posts a short update instead).

        A card delivered to several people is one instance with one post per person: the same
        parameters are pushed once, not once per person.
        """
        card = own_copy(card, chat_id)  # a private copy shows its person's buttons only
        try:
            if message_id.startswith("md-") or not self.template:
                key = f"{chat_id}/{message_id}"
                shown = self._pushed.get(f"{key}/fields")
                # What changed since the last post in this chat is shown with the status (a notice's
                # counts); not known (after a restart), the whole card is posted again.
                if shown == fields_of(card):
                    return  # coalesced: this state is already posted here
                text = (
                    card_markdown(card, short=True, shown=shown) if shown is not None else card_markdown(card)
                )
                await self._send_message(
                    target_of(ChatRef(PLATFORM, chat_id, not chat_id.startswith(PRIVATE))),
                    "sampleMarkdown",
                    {"title": cut(f"{card.title}{T.DINGTALK_CARD_UPDATED}", TITLE_LIMIT), "text": text},
                )
                self._pushed.put(f"{key}/fields", fields_of(card))
                return
            params = card_params(card, await self._card_photo(card))
            if self._pushed.get(message_id) == params:
                return  # coalesced: this state is already on the card
            await self.api.call(
                "PUT",
                "/v1.0/card/instances",
                {
                    "outTrackId": message_id,
                    "cardData": {"cardParamMap": params},
                    "cardUpdateOptions": {"updateCardDataByKey": True},
                },
            )
            self._pushed.put(message_id, params)
        except Refused as exc:
            raise Undeliverable(str(exc)) from None
        finally:
            await self.flush_calls()

    async def fetch_file(self, ref: FileRef) -> bytes:
        """Download a picture or file a person sent: ask for its download URL, then fetch it."""
        try:
            answer = await self.api.call(
                "POST",
                "/v1.0/robot/messageFiles/download",
                {"downloadCode": ref.file_id, "robotCode": self.robot_code},
            )
        finally:
            await self.flush_calls()
        url = answer.get("downloadUrl")
        if not url:
            raise Refused(200, "noDownloadUrl", "DingTalk gave no download URL")
        # Not an API call; a file over the limit is `FileTooLarge`, which the dispatcher reports as too large.
        return await self.api.download(str(url), DOWNLOAD_LIMIT)
