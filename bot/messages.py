"""Platform-neutral message types: what adapters hand to the core and what the core hands back.

Adapters (`bot/adapters/`) turn platform events into `Incoming` / `ButtonPress` and render
`Reply` / `Card`. Nothing here knows about Telegram, the console or DingTalk.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from storage.photos import StoredDocument, StoredPhoto

# Chinese names of the everyday commands. Telegram's privacy mode hands a bot in a group only real
# bot commands (ASCII `/name`), so these (and the `／` / `、` starts below) work in private chats and
# whenever a message reaches the bot anyway (a reply to it, privacy mode off, other platforms).
COMMAND_ALIASES = {
    "隐患列表": "hazards",
    "隐患": "hazard",
    "整改": "fix",
    "验收": "accept",
    "驳回": "reject",
    "帮助": "help",
    "周报": "week",
    "导出": "export",
    "收到": "confirm",
    "请假": "leave",
    "回执": "receipts",
    "撤销": "withdraw",
    "会议": "meeting",
    "通知": "notice",
    "专项行动": "campaign",
    "自查报告": "report",
    "总结": "summary",
    "修改通知": "notice_edit",
    "修改会议": "notice_edit",
    "更正通知": "notice_edit",
    "撤回通知": "notice_withdraw",
    "撤回": "notice_withdraw",
    "通知类别": "notice_kind",
    "会议类别": "notice_kind",
    "待办": "todo",
    "我的待办": "todo",
    "培训": "training",
    "演练": "drill",
    "开始检查": "inspection_start",
    "结束检查": "inspection_end",
    "培训记录": "trainings",
    "演练记录": "drills",
    "包联": "officer",
    "责任状": "letter",
    "签订责任状": "sign",
    "答题": "quiz",
    "知识答题": "quiz",
    "应急名单": "roster",
    "应急": "emergency",
    "应急电话": "emergency",
    "点名": "alert",
}
# A command starts with `/`, or the full-width `／` or the `、` that Chinese input methods type for the
# `/` key; its name is ASCII, or a Chinese alias (longest first: 隐患列表 before 隐患). Other Chinese after
# `/` or `／` (never `、`, which starts ordinary lists too) is a command name the bot does not know
# (/我的隐患): it is answered as an unknown command, not as text.
_ALIAS_NAMES = "|".join(sorted(COMMAND_ALIASES, key=len, reverse=True))
COMMAND_RE = re.compile(
    rf"[/／、](?:([A-Za-z][A-Za-z0-9_]*)|({_ALIAS_NAMES})|(?<=[/／])([\u4e00-\u9fff]{{1,12}}))(?:@[A-Za-z0-9_]+)?"
)


OFFICE_SUFFIXES = ("docx", "xlsx", "pptx", "doc", "xls", "ppt", "csv")  # csv: a quiz question bank


def clean_text(text: str, limit: int) -> str:
    """Normalise user text (NFC, no control characters, trimmed) and cut it to `limit` characters.

    NFC, not NFKC: Chinese prose keeps its full-width punctuation (，。：).
    """
    text = unicodedata.normalize("NFC", text)
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    return text.strip()[:limit]


class Undeliverable(Exception):
    """A platform refused a message for good (bot removed, chat gone, message invalid): never retried."""


class Unreachable(Undeliverable):
    """The target itself is gone for the bot (removed from the group, blocked by the person, chat not found).

    The sender marks the chat or person unreachable and stops writing to it until they write again.
    """


class RetryLater(Exception):
    """The platform asked to wait (Telegram's 429 `retry_after`) before writing to this chat again.

    Raised only when nothing of the reply went out yet, so sending it again later repeats nothing.
    """

    def __init__(self, after: float, reason: str = "") -> None:
        super().__init__(reason or f"retry after {after:.1f}s")
        self.after = after


@dataclass(frozen=True)
class Capabilities:
    """What a platform can do; the core reads these instead of asking which platform it is.

    `replies`: a person can answer a particular message (Telegram's reply-to); `buttons`: messages
    carry buttons that come back as presses; `edits`: a sent card can be updated in place;
    `private_to_anyone`: the bot may write privately to any known person, even one who never wrote
    to it (DingTalk's robot can; a Telegram bot only to people who started it).
    """

    replies: bool = True
    buttons: bool = True
    edits: bool = True
    private_to_anyone: bool = False


@dataclass(frozen=True)
class Sender:
    """Who sent an update, as the platform knows them."""

    platform: str
    user_id: str
    display_name: str
    username: str | None = None

    @property
    def key(self) -> str:
        """Return the `platform:user_id` identity string used in config and storage."""
        return f"{self.platform}:{self.user_id}"


@dataclass(frozen=True)
class ChatRef:
    """A chat on a platform: a group or a private chat with one person."""

    platform: str
    chat_id: str
    is_group: bool
    title: str | None = None

    @property
    def key(self) -> str:
        """Return the `platform:chat_id` string used in config and storage."""
        return f"{self.platform}:{self.chat_id}"


@dataclass(frozen=True)
class FileRef:
    """A photo or document attached to an incoming message; fetched through the adapter."""

    file_id: str
    kind: Literal["photo", "document"] = "photo"
    size: int | None = None
    mime_type: str | None = None
    file_name: str | None = None

    @property
    def says_pdf(self) -> bool:
        """Tell whether a document says it is a PDF (its type or its name); only its bytes prove it."""
        named = self.mime_type == "application/pdf" or (self.file_name or "").lower().endswith(".pdf")
        return self.kind == "document" and named

    @property
    def says_document(self) -> bool:
        """Tell whether a document says it is a PDF or an office file (Word, Excel, PowerPoint)."""
        mime = self.mime_type or ""
        office = mime.startswith(("application/vnd.openxmlformats-officedocument.", "application/vnd.ms-"))
        office = office or mime in ("application/msword", "text/csv")
        suffix = (self.file_name or "").lower().rsplit(".", 1)[-1]
        return self.says_pdf or (self.kind == "document" and (office or suffix in OFFICE_SUFFIXES))


@dataclass(frozen=True)
class Attachment:
    """An attachment after the dispatcher fetched it: stored on disk, or the reason it was not."""

    ref: FileRef
    stored: StoredPhoto | None
    problem: (
        Literal["too_large", "not_image", "too_many_pixels", "broken", "broken_pdf", "not_saved", "failed"]
        | None
    ) = None
    dimensions: tuple[int, int] | None = None  # (width, height) of an image refused for its pixel count
    document: StoredDocument | None = None  # a PDF kept as evidence (then `stored` is None)


@dataclass(frozen=True)
class Incoming:
    """A message a person sent: text (or caption), attachments and what it replies to."""

    update_key: str
    sender: Sender
    chat: ChatRef
    text: str
    sent_at: datetime
    files: tuple[FileRef, ...] = ()
    message_id: str | None = None
    reply_to_message_id: str | None = None
    # The adapter's answer to "is this for the bot?": a private chat, a command, a reply to one of
    # the bot's messages, an @-mention. Group chatter that is none of these is never an answer.
    addressed: bool = False
    media_group_id: str | None = None

    @property
    def command(self) -> str | None:
        """Return the command name (lower case, no slash or @botname), or None for plain text.

        Only ASCII letters, digits and _ make the name, so `/hazard配电箱…` is /hazard with text; a
        Chinese alias (`/隐患`, `、整改`) gives the command it stands for.
        """
        match = COMMAND_RE.match(self.text)
        if match is None:
            return None
        if match.group(1):
            return match.group(1).lower()
        return COMMAND_ALIASES[match.group(2)] if match.group(2) else match.group(3)

    @property
    def args(self) -> str:
        """Return the text after the command (and @botname), stripped; the whole text for plain text."""
        match = COMMAND_RE.match(self.text)
        return (self.text[match.end() :] if match else self.text).strip()


@dataclass(frozen=True)
class ButtonPress:
    """A press on a button of a card the bot sent; `data` is untrusted client input."""

    update_key: str
    sender: Sender
    chat: ChatRef
    data: str
    message_id: str | None
    sent_at: datetime


@dataclass(frozen=True)
class Button:
    """A button: the label people see, the data that comes back when pressed (packed by
    `bot.buttons`), and the command that does the same where a platform has no buttons."""

    label: str
    data: str
    command: str | None = None


@dataclass(frozen=True)
class CardField:
    """One line of a card: a stable key a platform template can bind, its label and its value."""

    key: str
    label: str
    value: str


@dataclass(frozen=True)
class CardStatus:
    """A card's status: the stable value (e.g. `rectifying`, for colours), its text and its label."""

    value: str
    text: str
    label: str


@dataclass(frozen=True)
class Audience:
    """The buttons one person sees on their own private copy of a card: only those they may press.

    Found by the person's private chat (`chat_id`) or, where a platform writes to people without one
    (DingTalk), by their platform identity (`user_id`).
    """

    platform: str
    user_id: str
    chat_id: str | None
    actions: tuple[tuple[Button, ...], ...]


@dataclass(frozen=True)
class Card:
    """A structured card (hazard, notice, join request) that each adapter renders natively.

    `key` names the thing the card shows (e.g. `hazard:12`); every message showing that card is
    recorded against the key, so a later `Reply(edit=True)` updates all of them in place. `kind`
    names the card's template (`hazard`, `join`) for platforms that render cards from templates.
    `actions` are the buttons of the card in a group (every press is checked anyway); `audience`
    narrows them on people's private copies (`seen_by`).
    """

    key: str
    kind: str
    title: str
    fields: tuple[CardField, ...] = ()
    status: CardStatus | None = None
    photos: tuple[Path, ...] = ()
    actions: tuple[tuple[Button, ...], ...] = ()
    audience: tuple[Audience, ...] = ()

    def field(self, key: str) -> str | None:
        """Return the value of the field with this key, if the card has it."""
        return next((f.value for f in self.fields if f.key == key), None)

    def seen_by(self, platform: str, chat_id: str | None, user_id: str | None = None) -> Card:
        """Return the card as shown in one private chat (or to one person): with that person's buttons
        when the audience names them, else with every button; without the audience either way."""
        if not self.audience:
            return self
        for a in self.audience:
            if a.platform == platform and (
                (chat_id is not None and a.chat_id == chat_id) or (user_id is not None and a.user_id == user_id)
            ):
                return replace(self, actions=a.actions, audience=())
        return replace(self, audience=())

    def in_group(self) -> Card:
        """Return the card as a group shows it: every button, no audience."""
        return replace(self, audience=()) if self.audience else self


@dataclass(frozen=True)
class Recipient:
    """A person to write to privately: their platform identity, and their private chat if known."""

    platform: str
    user_id: str
    chat_id: str | None = None


@dataclass(frozen=True)
class Reply:
    """Something the core wants said: text or a card, or an in-place edit of a card.

    It goes to the chat of the update unless `chat` names another one, to every park group when
    `to_groups` is set, or privately to each of `people` (one reply, many recipients: a platform
    may batch them). `toast` marks a short answer to a button press (a popup on Telegram).
    """

    text: str | None = None
    card: Card | None = None
    buttons: tuple[tuple[Button, ...], ...] = ()
    photos: tuple[Path, ...] = ()
    documents: tuple[Path, ...] = ()
    document_names: tuple[str, ...] = ()  # the names the documents are sent under (else the file's own)
    chat: ChatRef | None = None
    to_groups: bool = False
    people: tuple[Recipient, ...] = ()
    # The card this message is about (e.g. `hazard:12`): a reply to the message counts as a reply to
    # that card, so an answer under a prompt or a notice finds its hazard without a code.
    about: str | None = None
    edit: bool = False
    toast: bool = False


# --- replies as JSON, for the outbox ------------------------------------------------------------


def _button_dict(b: Button) -> dict[str, Any]:
    return {"label": b.label, "data": b.data, "command": b.command}


def _rows(rows: tuple[tuple[Button, ...], ...]) -> list[list[dict[str, Any]]]:
    return [[_button_dict(b) for b in row] for row in rows]


def _unrows(rows: list[list[dict[str, Any]]]) -> tuple[tuple[Button, ...], ...]:
    return tuple(tuple(Button(b["label"], b["data"], b.get("command")) for b in row) for row in rows)


def _chat_dict(chat: ChatRef | None) -> dict[str, Any] | None:
    if chat is None:
        return None
    return {
        "platform": chat.platform,
        "chat_id": chat.chat_id,
        "is_group": chat.is_group,
        "title": chat.title,
    }


def reply_to_dict(reply: Reply) -> dict[str, Any]:
    """Return a reply as plain JSON data (the outbox stores it so it survives a crash)."""
    card = reply.card
    return {
        "text": reply.text,
        "card": None
        if card is None
        else {
            "key": card.key,
            "kind": card.kind,
            "title": card.title,
            "fields": [[f.key, f.label, f.value] for f in card.fields],
            "status": None
            if card.status is None
            else [card.status.value, card.status.text, card.status.label],
            "photos": [str(p) for p in card.photos],
            "actions": _rows(card.actions),
            "audience": [[a.platform, a.user_id, a.chat_id, _rows(a.actions)] for a in card.audience],
        },
        "buttons": _rows(reply.buttons),
        "photos": [str(p) for p in reply.photos],
        "documents": [str(p) for p in reply.documents],
        "document_names": list(reply.document_names),
        "chat": _chat_dict(reply.chat),
        "to_groups": reply.to_groups,
        "people": [[r.platform, r.user_id, r.chat_id] for r in reply.people],
        "edit": reply.edit,
        "toast": reply.toast,
        "about": reply.about,
    }


def reply_from_dict(data: dict[str, Any]) -> Reply:
    """Rebuild a reply stored by `reply_to_dict`."""
    c = data.get("card")
    card = None
    if c is not None:
        card = Card(
            key=c["key"],
            kind=c["kind"],
            title=c["title"],
            fields=tuple(CardField(*f) for f in c["fields"]),
            status=CardStatus(*c["status"]) if c["status"] else None,
            photos=tuple(Path(p) for p in c["photos"]),
            actions=_unrows(c["actions"]),
            audience=tuple(Audience(p, u, ch, _unrows(rows)) for p, u, ch, rows in c.get("audience", [])),
        )
    chat = data.get("chat")
    return Reply(
        text=data.get("text"),
        card=card,
        buttons=_unrows(data.get("buttons", [])),
        photos=tuple(Path(p) for p in data.get("photos", [])),
        documents=tuple(Path(p) for p in data.get("documents", [])),
        document_names=tuple(data.get("document_names", [])),
        chat=ChatRef(chat["platform"], chat["chat_id"], chat["is_group"], chat["title"]) if chat else None,
        to_groups=bool(data.get("to_groups")),
        people=tuple(Recipient(*r) for r in data.get("people", [])),
        edit=bool(data.get("edit")),
        toast=bool(data.get("toast")),
        about=data.get("about"),
    )


@dataclass
class Outcome:
    """What happened to one update: the toast for a button press, and what was delivered."""

    unavailable: bool = False  # the database could not be used; nothing was done or said
    toast: str | None = None
    queued: list[int] = field(default_factory=list)  # outbox rows written for it (the sender has them)
