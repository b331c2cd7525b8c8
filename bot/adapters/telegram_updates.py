"""Telegram updates as the Bot API sends them (JSON objects), turned into the inbox's rows and neutral updates.

The adapter polls `getUpdates` for plain JSON and reads it here, without building python-telegram-bot's
objects: an update is stored, then decoded once, and parsing it into objects and back to a dict for the
inbox cost more than the rest of the Telegram side of an update. Only the fields below are read; the
Bot API's field names are documented at https://core.telegram.org/bots/api#update.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.adapters.shared import addressed_text
from bot.messages import ButtonPress, ChatRef, FileRef, Incoming, Sender

PLATFORM = "telegram"
GROUP_TYPES = ("group", "supergroup")

JSON = dict[str, Any]


def stored(update: JSON) -> tuple[str, str, JSON]:
    """Return an update as the inbox stores it: key, chat key (ordering), raw payload."""
    chat = _chat(update)
    chat_key = f"{PLATFORM}:{chat['id']}" if chat is not None else f"{PLATFORM}:-"
    return f"{PLATFORM}:{update['update_id']}", chat_key, update


def migration(update: JSON) -> tuple[str, str] | None:
    """Return (old chat id, new chat id) when a group became a supergroup, else None."""
    message = update.get("message")
    if message is None or message.get("migrate_to_chat_id") is None:
        return None
    return str(message["chat"]["id"]), str(message["migrate_to_chat_id"])


def to_neutral(update: JSON, bot_username: str | None = None) -> Incoming | ButtonPress | None:
    """Turn a Telegram update into a neutral message or button press (None for what we ignore)."""
    key = f"{PLATFORM}:{update['update_id']}"
    query = update.get("callback_query")
    if query is not None:
        card = query.get("message")
        sender = _sender(query.get("from"))
        if sender is None or card is None:
            return None  # a press on an inline message (no chat): not ours
        # A press carries no timestamp of its own; the card's date is the best the platform gives.
        sent_at = _date(card.get("date")) if card.get("date") else datetime.now(UTC)
        return ButtonPress(
            key, sender, _chat_ref(card["chat"]), query.get("data") or "", str(card["message_id"]), sent_at
        )
    message = update.get("message")
    if message is None:
        return None  # edits, channel posts, member updates: not for the bot
    sender = _sender(message.get("from"))
    if sender is None:
        return None
    chat = _chat_ref(message["chat"])
    text = addressed_text(message.get("text") or message.get("caption") or "", bot_username)
    if text is None:
        return None  # `/cmd@otherbot` in a group: not for us
    files: list[FileRef] = []
    if photos := message.get("photo"):
        largest = photos[-1]
        files.append(FileRef(largest["file_id"], "photo", largest.get("file_size"), "image/jpeg"))
    if (doc := message.get("document")) is not None:
        files.append(
            FileRef(
                doc["file_id"], "document", doc.get("file_size"), doc.get("mime_type"), doc.get("file_name")
            )
        )
    replied = message.get("reply_to_message")
    return Incoming(
        update_key=key,
        sender=sender,
        chat=chat,
        text=text,
        sent_at=_date(message["date"]),
        files=tuple(files),
        message_id=str(message["message_id"]),
        reply_to_message_id=str(replied["message_id"]) if replied else None,
        addressed=_is_to_bot(replied, text, chat, bot_username),
        media_group_id=message.get("media_group_id"),
    )


def _is_to_bot(replied: JSON | None, text: str, chat: ChatRef, bot_username: str | None) -> bool:
    """Tell whether a message is for the bot: a private chat, a command, a reply to it, an @-mention."""
    if not chat.is_group or text.startswith("/"):
        return True
    author = (replied or {}).get("from")
    if author is not None and author.get("username") == bot_username:
        return True
    return bot_username is not None and f"@{bot_username.lower()}" in text.lower()


def _sender(user: JSON | None) -> Sender | None:
    """A person (None for a missing author or another bot)."""
    if user is None or user.get("is_bot"):
        return None
    first, last = user.get("first_name") or "", user.get("last_name")
    return Sender(PLATFORM, str(user["id"]), f"{first} {last}" if last else first, user.get("username"))


def _chat_ref(chat: JSON) -> ChatRef:
    return ChatRef(PLATFORM, str(chat["id"]), chat.get("type") in GROUP_TYPES, chat.get("title"))


def _chat(update: JSON) -> JSON | None:
    """The chat an update happened in, whatever its kind (for ordering only)."""
    for field, value in update.items():
        if field == "update_id" or not isinstance(value, dict):
            continue
        chat = value.get("chat") or (value.get("message") or {}).get("chat")
        if isinstance(chat, dict):
            return chat
    return None


def _date(stamp: int) -> datetime:
    return datetime.fromtimestamp(stamp, UTC)
