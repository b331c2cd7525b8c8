"""WeCom (企业微信) 智能机器人 payloads both ways, as pure functions: pushed messages and card clicks read
into neutral updates, cards written as template cards (`button_interaction`) or markdown, media decrypted.

The frame shapes follow the official "智能机器人长连接" page (developer.work.weixin.qq.com/document/path/101463)
and the official SDK (`wecom-aibot-python-sdk`): every frame is `{cmd, headers: {req_id}, body}`; an answer
to a request is `{headers: {req_id}, errcode, errmsg, body?}` with no `cmd`.

`bot/adapters/wecom.py` holds the adapter; `bot/adapters/wecom_link.py` the long connection.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bot.adapters.shared import cut, split_text
from bot.messages import Button, Card, ChatRef, FileRef, Incoming, Sender
from handlers import texts as T

PLATFORM = "wecom"
PRIVATE = "u:"  # a person's single chat with the bot: `u:<userid>` (WeCom's own chatid there is the userid)
# Commands of the long connection (developer -> WeCom, then WeCom -> developer).
SUBSCRIBE = "aibot_subscribe"
PING = "ping"
SEND = "aibot_send_msg"
RESPOND_UPDATE = "aibot_respond_update_msg"
UPLOAD_INIT = "aibot_upload_media_init"
UPLOAD_CHUNK = "aibot_upload_media_chunk"
UPLOAD_FINISH = "aibot_upload_media_finish"
MSG_CALLBACK = "aibot_msg_callback"
EVENT_CALLBACK = "aibot_event_callback"
KICKED = "disconnected_event"  # a newer connection with the same bot_id took over this one
CLICK = "template_card_event"

# Template card limits (the docs' 建议 values: the client cuts longer text).
TITLE_LIMIT = 26
DESC_LIMIT = 30
SUBTITLE_LIMIT = 112
PAIRS = 6  # horizontal_content_list entries
KEYNAME_LIMIT = 5
VALUE_LIMIT = 26
BUTTON_SLOTS = 6
BUTTON_TEXT_LIMIT = 10
MARKDOWN_BYTES = 4000  # a markdown message's content is at most 4096 bytes (UTF-8)
CHUNK = 512 * 1024  # media upload chunk size; at most 100 chunks
MAX_CHUNKS = 100
INERT_KEY = "wecom:none"  # the one button of a card with no actions left (a press on it is dropped)
MENTION_RE = re.compile(r"^\s*@\S+\s*")


class BadMedia(ValueError):
    """Downloaded media could not be decrypted with its aeskey (corrupt, or the wrong key)."""


# --- incoming ------------------------------------------------------------------------------------


def private_chat(user_id: str) -> ChatRef:
    """Return a person's single chat with the bot."""
    return ChatRef(PLATFORM, f"{PRIVATE}{user_id}", is_group=False)


def chat_of(body: dict[str, Any]) -> ChatRef:
    """Return the chat of a pushed message or event: the group, or the sender's single chat."""
    if str(body.get("chattype") or "") == "group" and body.get("chatid"):
        return ChatRef(PLATFORM, str(body["chatid"]), True)
    return private_chat(sender_id(body))


def sender_id(body: dict[str, Any]) -> str:
    """Return the userid of whoever sent a message or pressed a button ('' when missing)."""
    sender = body.get("from")
    return str(sender.get("userid") or "") if isinstance(sender, dict) else ""


def malformed(cmd: str, body: Any) -> str | None:
    """Say what is wrong with a pushed frame's body, or None when it has the shape the bot reads.

    A malformed frame is logged and dropped at the connection: it would fail the same way on every try.
    """
    if not isinstance(body, dict):
        return "body is not an object"
    if not isinstance(body.get("msgid"), str | int) or not str(body.get("msgid")):
        return "msgid missing"
    if cmd == MSG_CALLBACK and not sender_id(body):
        return "from.userid missing"
    if str(body.get("chattype") or "") == "group" and not body.get("chatid"):
        return "chatid missing"
    for key in ("text", "image", "file", "mixed", "event"):
        if key in body and not isinstance(body[key], dict):
            return f"{key} is not an object"
    return None


def event_type(body: dict[str, Any]) -> str:
    """Return an event callback's `event.eventtype` ('' when missing)."""
    event = body.get("event")
    return str(event.get("eventtype") or "") if isinstance(event, dict) else ""


def click_of(body: dict[str, Any]) -> tuple[str, str]:
    """Return (task_id, event_key) of a template card click ('' for what is missing)."""
    event = body.get("event") if isinstance(body.get("event"), dict) else {}
    assert isinstance(event, dict)
    inner = event.get(CLICK) if isinstance(event.get(CLICK), dict) else event
    assert isinstance(inner, dict)
    return str(inner.get("task_id") or ""), str(inner.get("event_key") or "")


def strip_mention(text: str) -> str:
    """Remove a leading @-mention (the bot's name, which a group message keeps) and surrounding space."""
    return MENTION_RE.sub("", text, count=1).strip()


def _media_ref(item: dict[str, Any], kind: str, keys: dict[str, str]) -> FileRef | None:
    url = str(item.get("url") or "")
    if not url:
        return None
    keys[url] = str(item.get("aeskey") or "")
    size = item.get("file_size")
    size = int(size) if isinstance(size, int) and size >= 0 else None
    if kind == "image":
        return FileRef(url, "photo", size, "image/jpeg")
    name = str(item.get("filename") or "") or None
    mime = "application/pdf" if (name or "").lower().endswith(".pdf") else None
    return FileRef(url, "document", size, mime, name)


def to_incoming(body: dict[str, Any], update_key: str, received: datetime, keys: dict[str, str]) -> Incoming:
    """Turn a pushed message (text, image, mixed, file, voice transcript) into a neutral message.

    The bot hears a group message only when it is @-mentioned, and every single-chat message, so every
    message is addressed to it. Media are referenced by their URL; their aeskeys go into `keys`.
    """
    kind = str(body.get("msgtype") or "")
    texts: list[str] = []
    files: list[FileRef] = []
    if kind == "text":
        texts.append(str((body.get("text") or {}).get("content") or ""))
    elif kind == "voice":  # WeCom hands the transcript
        texts.append(str((body.get("voice") or {}).get("content") or ""))
    elif kind in ("image", "file"):
        ref = _media_ref(body.get(kind) or {}, kind, keys)
        files += [ref] if ref else []
    elif kind == "mixed":
        for item in (body.get("mixed") or {}).get("msg_item") or []:
            if not isinstance(item, dict):
                continue
            part = str(item.get("msgtype") or "")
            if part == "text":
                texts.append(str((item.get("text") or {}).get("content") or ""))
            elif part == "image" and isinstance(item.get("image"), dict):
                ref = _media_ref(item["image"], "image", keys)
                files += [ref] if ref else []
    if texts:
        texts[0] = strip_mention(texts[0])
    text = "\n".join(t.strip() for t in texts if t.strip())
    created = body.get("create_time")
    sent_at = datetime.fromtimestamp(created, UTC) if isinstance(created, int) and 0 < created < 4e9 else received
    user = sender_id(body)
    return Incoming(
        update_key=update_key,
        sender=Sender(PLATFORM, user, user),
        chat=chat_of(body),
        text=text,
        sent_at=sent_at,
        files=tuple(files),
        message_id=str(body.get("msgid") or "") or None,
        addressed=True,
    )


def decrypt(data: bytes, aeskey: str) -> bytes:
    """Decrypt downloaded media: AES-256-CBC, key = base64(aeskey), IV = the key's first 16 bytes, PKCS#7
    padding to a 32-byte block (as the official SDKs do)."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    try:
        key = base64.b64decode(aeskey + "=" * (-len(aeskey) % 4))
    except ValueError as exc:
        raise BadMedia("aeskey is not base64") from exc
    if len(key) != 32 or not data or len(data) % 16:
        raise BadMedia("media is not AES-256-CBC data of this key")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = decryptor.update(data) + decryptor.finalize()
    pad = plain[-1]
    if not 1 <= pad <= 32 or plain[-pad:] != bytes([pad]) * pad:
        raise BadMedia("bad PKCS#7 padding")
    return plain[:-pad]


def encrypt(data: bytes, aeskey: str) -> bytes:
    """Encrypt as WeCom does (the inverse of `decrypt`; the tests' fake server uses it)."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    key = base64.b64decode(aeskey + "=" * (-len(aeskey) % 4))
    pad = 32 - len(data) % 32
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return encryptor.update(data + bytes([pad]) * pad) + encryptor.finalize()


# --- outgoing ------------------------------------------------------------------------------------


def utf8(text: str) -> int:
    """Return a text's length in UTF-8 bytes (markdown content is measured so)."""
    return len(text.encode())


def markdown_parts(text: str) -> list[str]:
    """Split a text into markdown messages that fit WeCom's byte limit (at line ends where possible)."""
    return split_text(text, MARKDOWN_BYTES, utf8)


def card_markdown(card: Card, *, short: bool = False, shown: dict[str, str] | None = None) -> str:
    """Render a card as markdown: the whole card, or (`short`) title, status, actions and changed fields.

    Actions are spelled out as the commands that do the same (a markdown message has no buttons).
    """
    lines = [f"### {card.title}"]
    if card.status:
        lines.append(f"**{card.status.label}**：{card.status.text}")
    for f in card.fields:
        if short and f.key != "actions" and (shown is None or shown.get(f.key) == f.value):
            continue
        value = f.value.replace("\n", "\n\n") if f.key == "actions" else f.value
        lines.append(f"**{f.label}**：{value}")
    commands = [b.command for row in card.actions for b in row if b.command]
    if commands and card.field("actions") is None:
        lines.append(f"**{T.CARD_COMMANDS_LABEL}**：" + "\n\n".join(commands))
    text = "\n\n".join(lines)
    while utf8(text) > MARKDOWN_BYTES:
        text = text[: len(text) - max(1, (utf8(text) - MARKDOWN_BYTES) // 3)]
    return text


def fields_of(card: Card) -> dict[str, str]:
    """Return a card's field values by key and its status under `:status` (what a post showed)."""
    return {f.key: f.value for f in card.fields} | {":status": card.status.text if card.status else ""}


def _buttons(buttons: Sequence[Button]) -> list[dict[str, Any]]:
    return [
        {"text": cut(b.label, BUTTON_TEXT_LIMIT), "style": 1 if i == 0 else 2, "key": b.data}
        for i, b in enumerate(buttons[:BUTTON_SLOTS])
    ]


def template_card(card: Card, task_id: str) -> dict[str, Any]:
    """Return a card as a `button_interaction` template card whose button keys are our button data.

    Title and status make the main title; the first fields go in the key-value list, the rest (and
    buttons beyond the six slots, as commands) in the sub-title text. A card with no actions left gets
    one inert button showing its status (the card type needs a button; a press on it is dropped).
    """
    buttons = [b for row in card.actions for b in row]
    shown, rest = buttons[:BUTTON_SLOTS], buttons[BUTTON_SLOTS:]
    fields = [f for f in card.fields if f.key != "actions" and f.value]
    pairs = [{"keyname": cut(f.label, KEYNAME_LIMIT), "value": cut(f.value, VALUE_LIMIT)} for f in fields[:PAIRS]]
    extra = [f"{f.label}：{f.value}" for f in fields[PAIRS:]]
    if rest:
        extra.append(T.WECOM_CARD_MORE + " ".join(b.command for b in rest if b.command))
    body: dict[str, Any] = {
        "card_type": "button_interaction",
        "source": {"desc": T.WECOM_CARD_SOURCE},
        "main_title": {
            "title": cut(card.title, TITLE_LIMIT),
            "desc": cut(card.status.text, DESC_LIMIT) if card.status else "",
        },
        "horizontal_content_list": pairs,
        "task_id": task_id,
        "button_list": _buttons(shown)
        or [{"text": cut(card.status.text if card.status else T.WECOM_CARD_DONE, BUTTON_TEXT_LIMIT),
             "style": 2, "key": INERT_KEY}],
    }
    if extra:
        body["sub_title_text"] = cut("\n".join(extra), SUBTITLE_LIMIT)
    return body


def prompt_card(text: str, buttons: Sequence[Button], task_id: str) -> dict[str, Any]:
    """Return a question with buttons (pick an enterprise, 登记隐患 / 不用了) as a template card."""
    first, _, rest = text.partition("\n")
    extra = [b.command for b in buttons[BUTTON_SLOTS:] if b.command]
    sub = "\n".join([rest.strip(), *([T.WECOM_CARD_MORE + " ".join(extra)] if extra else [])]).strip()
    body: dict[str, Any] = {
        "card_type": "button_interaction",
        "source": {"desc": T.WECOM_CARD_SOURCE},
        "main_title": {"title": cut(first, TITLE_LIMIT), "desc": ""},
        "task_id": task_id,
        "button_list": _buttons(buttons),
    }
    if sub:
        body["sub_title_text"] = cut(sub, SUBTITLE_LIMIT)
    return body


def target(chat_id: str) -> dict[str, Any]:
    """Return where a proactive message goes: `chatid` and `chat_type` (1 single chat, 2 group)."""
    if chat_id.startswith(PRIVATE):
        return {"chatid": chat_id.removeprefix(PRIVATE), "chat_type": 1}
    return {"chatid": chat_id, "chat_type": 2}
