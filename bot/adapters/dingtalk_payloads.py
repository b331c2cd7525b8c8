"""DingTalk's payloads both ways, as pure functions: robot messages and card clicks read into neutral
messages, cards written as the template's parameters or as markdown, pictures made uploadable.

`bot/adapters/dingtalk.py` holds the adapter (the inbox's side, the sends); `bot/adapters/dingtalk_stream.py`
the Stream socket; `bot/adapters/dingtalk_api.py` the HTTP calls.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from bot.adapters.shared import cut, fit_fields
from bot.messages import Button, Card, CardField, ChatRef, FileRef, Incoming, Sender
from handlers import texts as T

PLATFORM = "dingtalk"
PRIVATE = "u:"  # a person's 1:1 chat with the robot: `u:<userId>`
BUTTON_SLOTS = 6  # btn1 … btn6 in the card template
PARAM_LIMIT = 1000  # characters of one card parameter value (DingTalk takes about 1 KB each)
TITLE_LIMIT = 100
IMAGE_UPLOAD_LIMIT = 1024 * 1024  # oapi media/upload takes images up to 1 MB
MENTION_RE = re.compile(r"^\s*@\S+\s*")


# --- incoming: DingTalk payloads to neutral messages --------------------------------------------


def private_chat(user_id: str) -> ChatRef:
    """Return a person's 1:1 chat with the robot."""
    return ChatRef(PLATFORM, f"{PRIVATE}{user_id}", is_group=False)


LATEST_MS = 4_102_444_800_000  # 2100-01-01 in ms: a `createAt` beyond it is not a real send time


def malformed(topic_is_card: bool, data: Any) -> str | None:
    """Say what is wrong with a callback's data, or None when it has the shape the bot reads.

    A malformed frame is logged and acked at the adapter, never stored or handled: it would fail the
    same way on every try and hold its chat's later messages behind it.
    """
    if not isinstance(data, dict):
        return "data is not an object"
    if topic_is_card:
        for key in ("outTrackId", "userId"):
            if not isinstance(data.get(key), str) or not data.get(key):
                return f"{key} missing"
        return None
    for key in ("text", "content"):
        if key in data and data[key] is not None and not isinstance(data[key], dict):
            return f"{key} is not an object"
    if not isinstance(
        data.get("senderStaffId"), str | int | None
    ):  # none: a contact outside the organisation
        return "senderStaffId is not an id"
    created = data.get("createAt")
    if created is not None and (not isinstance(created, int | float) or not 0 < created < LATEST_MS):
        return "createAt out of range"
    if str(data.get("conversationType")) == "2" and not data.get("conversationId"):
        return "conversationId missing"
    return None


def strip_mention(text: str) -> str:
    """Remove a leading @-mention (the robot's name, which rich text keeps) and surrounding space."""
    return MENTION_RE.sub("", text, count=1).strip()


def _sent_at(data: dict[str, Any], fallback: datetime) -> datetime:
    created = data.get("createAt")
    if isinstance(created, int | float) and created > 0:
        return datetime.fromtimestamp(created / 1000, UTC)
    return fallback


def message_chat(data: dict[str, Any]) -> ChatRef:
    """Return the chat of a robot message: the group, or the sender's 1:1 chat with the robot."""
    if str(data.get("conversationType")) == "2":
        return ChatRef(
            PLATFORM, str(data.get("conversationId") or ""), True, data.get("conversationTitle") or None
        )
    return private_chat(str(data.get("senderStaffId") or ""))


def to_incoming(data: dict[str, Any], update_key: str, received_at: datetime) -> Incoming:
    """Turn a robot message (text, richText, picture, file) into a neutral message.

    The robot hears a group message only when it is @-mentioned, and every private message, so every
    message is addressed to it. Pictures are referenced by their downloadCode, fetched on demand.
    """
    kind = data.get("msgtype")
    raw = data.get("content")
    content: dict[str, Any] = raw if isinstance(raw, dict) else {}
    texts: list[str] = []
    files: list[FileRef] = []
    if kind == "text":
        texts.append(str((data.get("text") or {}).get("content") or ""))
    elif kind == "richText":
        for segment in content.get("richText") or []:
            if not isinstance(segment, dict):
                continue
            if segment.get("type") == "picture" and segment.get("downloadCode"):
                files.append(FileRef(str(segment["downloadCode"]), "photo", None, "image/jpeg"))
            elif "text" in segment:
                texts.append(str(segment["text"]))
    elif kind == "picture" and content.get("downloadCode"):
        files.append(FileRef(str(content["downloadCode"]), "photo", None, "image/jpeg"))
    elif kind == "file" and content.get("downloadCode"):
        name = str(content.get("fileName") or "")
        mime = "application/pdf" if name.lower().endswith(".pdf") else None
        files.append(FileRef(str(content["downloadCode"]), "document", None, mime, name or None))
    if texts:
        texts[0] = strip_mention(texts[0])
    text = "\n".join(t.strip() for t in texts if t.strip())
    sender = Sender(PLATFORM, str(data.get("senderStaffId") or ""), str(data.get("senderNick") or ""))
    return Incoming(
        update_key=update_key,
        sender=sender,
        chat=message_chat(data),
        text=text,
        sent_at=_sent_at(data, received_at),
        files=tuple(files),
        message_id=str(data.get("msgId") or "") or None,
        addressed=True,
    )


def pressed_value(data: dict[str, Any]) -> str:
    """Return the pressed button's value from a card callback (`cardPrivateData.params.value`), or ''."""
    try:
        content = json.loads(data.get("content") or "{}")
    except (TypeError, ValueError):
        return ""
    private = content.get("cardPrivateData") if isinstance(content, dict) else None
    params = private.get("params") if isinstance(private, dict) else None
    value = params.get("value") if isinstance(params, dict) else None
    return value if isinstance(value, str) else ""


def ack(headers: dict[str, Any], data: str) -> dict[str, Any]:
    """Return the ack DingTalk expects for a pushed frame (the frame is pushed again until acked)."""
    return {
        "code": 200,
        "headers": {"messageId": headers.get("messageId", ""), "contentType": "application/json"},
        "message": "OK",
        "data": data,
    }


# --- outgoing: cards as template parameters or markdown ------------------------------------------


def card_body(card: Card, limit: int = PARAM_LIMIT, extra: Sequence[str] = ()) -> str:
    """Render a card's fields as markdown lines that fit one template parameter.

    The longest values are shortened first (the full text stays in the detail view), then trailing
    fields dropped; `extra` lines (actions spelled out as commands) come last.
    """

    def render(fields: list[list[str]]) -> str:
        return "\n".join([f"**{label}**：{value}" for label, value in fields] + list(extra))

    return cut(render(fit_fields(card, lambda fields: len(render(fields)), limit)), limit)


def own_copy(card: Card, chat_id: str) -> Card:
    """Return a card as one person's private copy shows it: only their buttons (`Card.audience`).

    Where the card came as markdown (no template), its buttons were already spelled out as commands for
    everyone (`可用命令`): they are spelled out again from the person's own buttons.
    """
    mine = next((a for a in card.audience if a.platform == PLATFORM and a.chat_id == chat_id), None)
    own = card.seen_by(PLATFORM, chat_id)
    if mine is None or card.field("actions") is None:
        return own
    commands = [b.command for row in mine.actions for b in row if b.command]
    fields = tuple(f for f in own.fields if f.key != "actions")
    if commands:
        fields += (CardField("actions", T.CARD_COMMANDS_LABEL, "\n".join(commands)),)
    return replace(own, fields=fields, actions=())


def card_params(card: Card, photo: str) -> dict[str, str]:
    """Return the template's parameters for a card: title, status, body, photo, btn1…btn6 (all strings).

    Buttons beyond the six slots are spelled out as their commands in the body.
    """
    buttons = [b for row in card.actions for b in row]
    shown, rest = buttons[:BUTTON_SLOTS], buttons[BUTTON_SLOTS:]
    extra = [T.DINGTALK_CARD_ACTIONS, *(b.command for b in rest if b.command)] if rest else []
    params = {
        "title": cut(card.title, TITLE_LIMIT),
        "status": card.status.text if card.status else "",
        "body": card_body(card, PARAM_LIMIT, extra),
        "photo": photo,
    }
    params.update(button_params(shown))
    return params


def button_params(buttons: Sequence[Button]) -> dict[str, str]:
    """Return the six button slots (a slot with empty text is hidden by the template)."""
    params = {}
    for i in range(BUTTON_SLOTS):
        button = buttons[i] if i < len(buttons) else None
        params[f"btn{i + 1}_text"] = button.label if button else ""
        params[f"btn{i + 1}_value"] = button.data if button else ""
    return params


def card_markdown(card: Card, *, short: bool = False, shown: Mapping[str, str] | None = None) -> str:
    """Render a card as a markdown message: the whole card, or (`short`) title, status and the actions,
    and the fields whose values differ from `shown` (the fields as last posted: a notice's counts)."""
    lines = [f"### {card.title}"]
    if card.status:
        lines.append(f"**{card.status.label}**：{card.status.text}")
    for f in card.fields:
        if short and f.key != "actions" and (shown is None or shown.get(f.key) == f.value):
            continue
        value = f.value.replace("\n", "\n\n") if f.key == "actions" else f.value
        lines.append(f"**{f.label}**：{value}")
    return cut("\n\n".join(lines), 4 * PARAM_LIMIT)


def fields_of(card: Card) -> dict[str, str]:
    """Return a card's field values by key, and its status under `:status` (what a markdown post showed)."""
    return {f.key: f.value for f in card.fields} | {":status": card.status.text if card.status else ""}



@dataclass(frozen=True)
class Target:
    """Where a message goes: one group, or people privately (by userId)."""

    group: str | None = None
    users: tuple[str, ...] = ()


def target_of(chat: ChatRef) -> Target:
    """Return where a message to a chat goes: its group, or the person of a 1:1 chat."""
    if chat.chat_id.startswith(PRIVATE):
        return Target(users=(chat.chat_id.removeprefix(PRIVATE),))
    return Target(group=chat.chat_id)
