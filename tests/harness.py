"""Drive the neutral core like a platform would: people send messages and press buttons.

`RecordingAdapter` is the platform side for core tests: it keeps what was sent and edited, and
serves attachment bytes the test registered. The real adapters (Telegram, console) have their own
end-to-end tests.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from bot.app import App, build_app
from bot.clock import ManualClock
from bot.config import Settings
from bot.dispatcher import Outcome
from bot.messages import ButtonPress, Capabilities, Card, ChatRef, FileRef, Incoming, Reply, Sender

PLATFORM = "test"
GROUP = ChatRef(PLATFORM, "group", is_group=True, title="园区安全生产群")


@dataclass
class Sent:
    """One message the bot sent to the fake platform; `card` is updated on each edit."""

    message_id: str
    chat: ChatRef
    reply: Reply
    card: Card | None
    edits: int = 0


@dataclass
class RecordingAdapter:
    """A platform that records everything."""

    platform: str = PLATFORM
    capabilities: Capabilities = field(default_factory=Capabilities)
    sent: list[Sent] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(100))

    async def send(self, chat: ChatRef, reply: Reply) -> str | None:
        """Record a sent reply."""
        message_id = str(next(self._ids))
        self.sent.append(Sent(message_id, chat, reply, reply.card))
        return message_id

    async def edit_card(self, chat_id: str, message_id: str, card: Card) -> None:
        """Record an in-place card edit."""
        for s in self.sent:
            if s.message_id == message_id and s.chat.chat_id == chat_id:
                s.card = card
                s.edits += 1
                return
        raise AssertionError(f"edit of unknown message {chat_id}/{message_id}")

    async def fetch_file(self, ref: FileRef) -> bytes:
        """Serve registered bytes."""
        return self.files[ref.file_id]


class Harness:
    """An app with a recording adapter; helpers to speak as people."""

    def __init__(self, app: App, adapter: RecordingAdapter, clock: ManualClock) -> None:
        self.app = app
        self.adapter = adapter
        self.clock = clock
        self._updates = itertools.count(1)
        self._files = itertools.count(1)

    @classmethod
    async def create(cls, settings: Settings, clock: ManualClock) -> Harness:
        """Build, migrate and attach."""
        app = build_app(settings, clock)
        await app.prepare()
        adapter = RecordingAdapter()
        app.dispatcher.attach(adapter)
        return cls(app, adapter, clock)

    async def close(self) -> None:
        """Dispose of the database."""
        await self.app.close()

    @staticmethod
    def person(user_id: str, name: str | None = None) -> Sender:
        """Return a sender on the test platform."""
        return Sender(PLATFORM, user_id, name or user_id, user_id)

    @staticmethod
    def private(sender: Sender) -> ChatRef:
        """Return the private chat of a sender."""
        return ChatRef(PLATFORM, f"p-{sender.user_id}", is_group=False)

    def add_file(self, data: bytes) -> FileRef:
        """Register attachment bytes and return a photo reference to them."""
        file_id = f"f{next(self._files)}"
        self.adapter.files[file_id] = data
        return FileRef(file_id, "photo", len(data), "image/jpeg")

    async def say(
        self,
        who: Sender,
        text: str,
        chat: ChatRef = GROUP,
        *,
        files: tuple[FileRef, ...] = (),
        reply_to: str | None = None,
        media_group_id: str | None = None,
        update_key: str | None = None,
        reply_to_bot: bool | None = None,
    ) -> list[Sent]:
        """Send a message as a person; return what the bot sent in answer."""
        before = len(self.adapter.sent)
        n = next(self._updates)
        await self.app.dispatcher.handle(
            Incoming(
                update_key=update_key or f"{PLATFORM}:{n}",
                sender=who,
                chat=chat,
                text=text,
                sent_at=self.clock.now(),
                files=files,
                message_id=f"u{n}",
                reply_to_message_id=reply_to,
                addressed=(
                    not chat.is_group
                    or text.startswith("/")
                    or (reply_to is not None if reply_to_bot is None else reply_to_bot)
                ),
                media_group_id=media_group_id,
            )
        )
        return self.adapter.sent[before:]

    async def press(
        self, who: Sender, sent: Sent, label: str | None = None, *, data: str | None = None
    ) -> Outcome:
        """Press a button (by label) on a message the bot sent, or send forged data."""
        if data is None:
            rows = sent.card.actions if sent.card else sent.reply.buttons
            matches = [b.data for row in rows for b in row if b.label == label]
            assert matches, f"no button {label!r} on message {sent.message_id}"
            data = matches[0]
        return await self.app.dispatcher.handle(
            ButtonPress(
                f"{PLATFORM}:{next(self._updates)}", who, sent.chat, data, sent.message_id, self.clock.now()
            )
        )

    def texts(self, sent: list[Sent]) -> str:
        """Join the texts of sent messages, for assertions."""
        return "\n".join(s.reply.text or "" for s in sent)


def labels(card: Card) -> dict[str, str]:
    """Return a card's fields by their display label, as a person reads them."""
    return {f.label: f.value for f in card.fields}


def jpeg(seed: int, size: tuple[int, int] = (64, 48)) -> bytes:
    """Make a small real JPEG whose bytes differ by seed."""
    import io

    from PIL import Image

    img = Image.new("RGB", size, ((seed * 40) % 256, (seed * 90) % 256, (seed * 10) % 256))
    img.putpixel((seed % size[0], 0), (255, 255, 255))
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=90)
    return buf.getvalue()
