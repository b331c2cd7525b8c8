"""Drive the bot like a platform would: people send messages and press buttons.

`RecordingAdapter` is the platform side for core tests: it keeps what was sent and edited, and
serves attachment bytes the test registered. `Harness` speaks as the people of the park (the personas
below, put in their roles by `seed`). `running_bot` runs the real Telegram adapter against the fake Bot
API server for end-to-end tests. Test modules share these helpers from here, never from each other.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.adapters.dingtalk import DingTalkAdapter
from bot.adapters.telegram import TelegramAdapter
from bot.app import App, build_app, jobs
from bot.cli import PlatformAdapter
from bot.clock import ManualClock
from bot.config import Settings, load_settings
from bot.messages import (
    Button,
    ButtonPress,
    Capabilities,
    Card,
    CardField,
    CardStatus,
    ChatRef,
    FileRef,
    Incoming,
    Outcome,
    Reply,
    Sender,
)
from bot.outbox import Queued
from bot.scheduler import Scheduler
from domain.park import operations as park_ops
from storage.enums import Role
from storage.models import Hazard, HazardPhoto, Person, Photo, ReminderSent
from tests.fake_dingtalk import CLIENT_ID, CLIENT_SECRET, TEMPLATE_ID, FakeDingTalk, Group, User
from tests.fake_dingtalk import Message as DingTalkMessage
from tests.fake_telegram import TOKEN, Call, FakeTelegram

PLATFORM = "test"
GROUP = ChatRef(PLATFORM, "group", is_group=True, title="园区安全生产群")
ADMIN_ID = 1  # the Telegram user id that make_settings configures as an admin


def make_settings(db_url: str, tmp_path: Path, **telegram: object) -> Settings:
    """Build settings for a test: its own database and photo directory, one configured admin."""
    return load_settings(
        None,
        {
            "park": {"name": "测试园区"},
            "access": {"admins": [f"telegram:{ADMIN_ID}", f"{PLATFORM}:admin"]},
            "database": {"url": db_url},
            "storage": {"photo_dir": str(tmp_path / "photos")},
            "telegram": telegram,
            # Fast pacing and retries, so tests of other things never wait for the real limits; the
            # outbox tests set Telegram's own limits where pacing is what they check.
            "sending": {
                "retry_base": 0.05,
                "retry_max": 0.5,
                "limits": {
                    "telegram": {
                        "overall_per_second": 1000,
                        "per_group_per_minute": 60000,
                        "private_per_second": 1000,
                        "private_burst": 50,
                    }
                },
            },
        },
    )


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
        self.store_files = itertools.count(1)

    @classmethod
    async def create(cls, settings: Settings, clock: ManualClock) -> Harness:
        """Build, prepare (migrating only if the database needs it) and attach."""
        app = build_app(settings, clock)
        await app.prepare()
        adapter = RecordingAdapter()
        app.dispatcher.attach(adapter)
        return cls(app, adapter, clock)

    @classmethod
    @asynccontextmanager
    async def running(cls, db_url: str, tmp_path: Path, clock: ManualClock) -> AsyncIterator[Harness]:
        """Yield a harness on the migrated database at `db_url` (settings from `make_settings`); close it after."""
        h = await cls.create(make_settings(db_url, tmp_path), clock)
        try:
            yield h
        finally:
            await h.close()

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
        file_id = f"f{next(self.store_files)}"
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
        await self.app.dispatcher.settle_later()  # work handed off by the handler (an export) is done
        await self.app.sender.settle()  # the sender delivers after the commit; wait for it
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
        outcome = await self.app.dispatcher.handle(
            ButtonPress(
                f"{PLATFORM}:{next(self._updates)}", who, sent.chat, data, sent.message_id, self.clock.now()
            )
        )
        await self.app.sender.settle()  # the sender delivers after the commit; wait for it
        return outcome

    async def remind(self, at: datetime) -> list[Sent]:
        """Move the clock to `at`, run the reminders job as the scheduler would, return what the bot sent."""
        self.clock.set(at)
        before = len(self.adapter.sent)
        await run_reminders(self.app, at)
        await self.app.sender.settle()
        return self.adapter.sent[before:]

    def texts(self, sent: list[Sent]) -> str:
        """Join the texts of sent messages, for assertions."""
        return "\n".join(s.reply.text or "" for s in sent)


def hazard_card(
    *fields: CardField, status: CardStatus | None = None, actions: tuple[tuple[Button, ...], ...] = ()
) -> Card:
    """Return a card of hazard YH-2026-0001 with these fields, for tests of how a platform renders it."""
    return Card(
        key="hazard:1",
        kind="hazard",
        title="隐患 YH-2026-0001",
        fields=fields,
        status=status,
        actions=actions,
    )


def labels(card: Card) -> dict[str, str]:
    """Return a card's fields by their display label, as a person reads them."""
    return {f.label: f.value for f in card.fields}


ADMIN = Harness.person("admin", "王主任")  # configured admin in make_settings
LI = Harness.person("li", "李干部")  # manager
MA = Harness.person("ma", "马科长")  # second manager
ZHAO = Harness.person("zhao", "赵工")  # inspector
ZHANG = Harness.person("zhang", "张伟")  # lead of 华油
CHEN = Harness.person("chen", "陈明")  # member of 华油
LIU = Harness.person("liu", "刘芳")  # lead of 宏达
XIAO = Harness.person("xiao", "小周")  # no role

ROLES = {
    "li": ("manager", None),
    "ma": ("manager", None),
    "zhao": ("inspector", None),
    "zhang": ("lead", "华油装备制造有限公司"),
    "chen": ("member", "华油装备制造有限公司"),
    "liu": ("lead", "宏达机械有限公司"),
}


async def seed(h: Harness, private: tuple[str, ...] = ("admin", "li", "ma", "zhang", "liu")) -> None:
    """Seed two enterprises, everyone's role, and private chats for some; make the group a park group."""
    now = h.clock.now()
    async with h.app.db.unit_of_work() as s:
        ents = {}
        for name, aliases in (("华油装备制造有限公司", ["华油"]), ("宏达机械有限公司", ["宏达"])):
            ents[name] = await park_ops.add_enterprise(
                s, name=name, aliases=aliases, industry=None, actor=None, at=now
            )
        for who in (ADMIN, LI, MA, ZHAO, ZHANG, CHEN, LIU, XIAO):
            p = await park_ops.upsert_person(
                s,
                platform=PLATFORM,
                external_id=who.user_id,
                display_name=who.display_name,
                username=None,
                at=now,
            )
            if who.user_id in ROLES:
                role, ent = ROLES[who.user_id]
                await park_ops.set_role(s, p, Role(role), ents[ent] if ent else None, actor=None, at=now)
            if who.user_id == "admin":
                p.role = Role.ADMIN
            if who.user_id in private:
                p.private_chat_id = f"p-{who.user_id}"
        chat = await park_ops.upsert_chat(
            s, platform=PLATFORM, chat_id=GROUP.chat_id, title=GROUP.title, is_group=True, at=now
        )
        chat.is_park_group = True


async def send_proactive(app: App, replies: Sequence[Reply]) -> list[Queued]:
    """Send replies that answer no update as a schedule does: outbox rows in one transaction, then the sender."""
    async with app.db.unit_of_work() as session:
        items = await app.dispatcher.enqueue(session, replies)
    app.dispatcher.queued(items)
    return items


async def hazard_status(h: Harness) -> str:
    """Return the status of the park's one hazard, as the ledger holds it."""
    async with h.app.db.reading() as s:
        hazard = await s.scalar(select(Hazard))
        assert hazard is not None
        return hazard.status


async def insert_old_hazard(conn: AsyncConnection, at: datetime) -> None:
    """Insert raw rows as an older schema holds them: 华油 (id 1), its lead 张伟 (id 1) and his hazard
    YH-2026-0001 (id 1), for a migration to carry forward."""
    await conn.execute(
        text(
            "INSERT INTO enterprises (id, name, aliases, active, created_at) VALUES (1, '华油', '[]', true, :t)"
        ),
        {"t": at},
    )
    await conn.execute(
        text(
            "INSERT INTO people (id, platform, external_id, display_name, role, enterprise_id, created_at, updated_at)"
            " VALUES (1, 'telegram', '7', '张伟', 'lead', 1, :t, :t)"
        ),
        {"t": at},
    )
    await conn.execute(
        text(
            "INSERT INTO hazards (id, code, enterprise_id, description, category, level, mode, status, source,"
            " five_in_place, reporter_id, found_at, created_at, updated_at)"
            " VALUES (1, 'YH-2026-0001', 1, '配电箱', 'electrical', 'general', 'deadline', 'rectifying',"
            " 'snapshot', '{}', 1, :t, :t, :t)"
        ),
        {"t": at},
    )


async def hazard_by_code(h: Harness, code: str) -> Hazard:
    """Load a hazard by its code."""
    async with h.app.db.unit_of_work() as s:
        row = await s.scalar(select(Hazard).where(Hazard.code == code))
        assert row is not None
        return row


async def person_by_id(h: Harness, user_id: str) -> Person:
    """Load a person by their platform id."""
    async with h.app.db.unit_of_work() as s:
        row = await s.scalar(select(Person).where(Person.external_id == user_id))
        assert row is not None
        return row


async def after_photos(app: App, hazard_id: int) -> list[bytes]:
    """Return the stored bytes of a hazard's after-photos (整改后), in the order they were attached."""
    async with app.db.reading() as s:
        paths = await s.scalars(
            select(Photo.path)
            .join(HazardPhoto, HazardPhoto.photo_id == Photo.id)
            .where(HazardPhoto.hazard_id == hazard_id, HazardPhoto.phase == "after")
            .order_by(HazardPhoto.id)
        )
        return [(app.settings.storage.photo_dir / path).read_bytes() for path in paths]


def card_of(sent: list[Sent]) -> Sent:
    """Return the first card among sent messages."""
    return next(s for s in sent if s.card is not None)


async def run_reminders(app: App, at: datetime) -> int:
    """Run the scheduler's `reminders` job at `at`, as its cron trigger would (hazards, notices, campaigns);
    return how many enterprises it reminded of a notice or a campaign (their new `enterprise:` claims)."""
    claims = (
        select(func.count()).select_from(ReminderSent).where(ReminderSent.target.startswith("enterprise:"))
    )
    async with app.db.reading() as s:
        before = await s.scalar(claims) or 0
    scheduler = Scheduler(
        settings=app.settings, clock=app.clock, db=app.db, dispatcher=app.dispatcher, jobs=jobs(app.settings)
    )
    assert await scheduler.run("reminders", at)
    async with app.db.reading() as s:
        return (await s.scalar(claims) or 0) - before


def count_fetches(h: Harness) -> list[str]:
    """Record the id of every attachment the dispatcher downloads from now on."""
    fetched: list[str] = []
    real = h.adapter.fetch_file

    async def counting(ref: FileRef) -> bytes:
        fetched.append(ref.file_id)
        return await real(ref)

    h.adapter.fetch_file = counting  # type: ignore[method-assign]
    return fetched


def jpeg(seed: int, size: tuple[int, int] = (64, 48)) -> bytes:
    """Make a small real JPEG whose bytes differ by seed."""
    import io

    from PIL import Image

    img = Image.new("RGB", size, ((seed * 40) % 256, (seed * 90) % 256, (seed * 10) % 256))
    img.putpixel((seed % size[0], 0), (255, 255, 255))
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=90)
    return buf.getvalue()


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx(seed: int = 1) -> bytes:
    """Make a small Excel workbook (a ZIP with the OOXML parts) whose bytes differ by seed."""
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", f"<workbook seed='{seed}'/>")
    return buf.getvalue()


def pdf(seed: int = 1) -> bytes:
    """Make a small PDF whose bytes differ by seed: the header, an object, the end-of-file marker."""
    return b"%PDF-1.7\n1 0 obj\n<< /Seed " + str(seed).encode() + b" >>\nendobj\ntrailer\n<< >>\n%%EOF\n"


PDF_TYPE = "application/pdf"


def add_document(h: Harness, data: bytes, name: str, mime: str = XLSX_TYPE) -> FileRef:
    """Register a document's bytes (sent as a file, with its name) and return a reference to it."""
    ref = h.add_file(data)
    return FileRef(ref.file_id, "document", len(data), mime, name)


@dataclass
class LiveBot:
    """A running bot and the fake server it talks to."""

    tg: FakeTelegram
    app: App
    adapter: TelegramAdapter

    def texts(self, chat: dict[str, Any]) -> list[str]:
        """Return the text or caption of every message the bot sent to ``chat``, as now, oldest first."""
        return [m.get("text") or m.get("caption") or "" for m in self.tg.sent_messages(chat["id"])]

    async def say(self, user: dict[str, Any], chat: dict[str, Any], text: str) -> str:
        """Send ``text`` as ``user`` and return the bot's next message in that chat."""
        before = len(self.texts(chat))
        self.tg.send_text(user, chat, text)
        await self.tg.wait_for(lambda: len(self.texts(chat)) > before)
        return self.texts(chat)[before]

    def answers(self) -> list[Call]:
        """Return every answerCallbackQuery the bot made."""
        return self.tg.calls_of("answerCallbackQuery")


A = TypeVar("A", bound=PlatformAdapter)


@asynccontextmanager
async def running_app(
    settings: Settings,
    clock: ManualClock,
    adapter: Callable[[App], A],
    before_start: Callable[[], None] | None = None,
) -> AsyncIterator[tuple[App, A]]:
    """Build and prepare the app, start the adapter made for it, and stop both at the end."""
    app = build_app(settings, clock)
    try:
        await app.prepare()
        running = adapter(app)
        if before_start is not None:
            before_start()
        await running.start()
        try:
            yield app, running
        finally:
            await running.stop()
    finally:
        await app.close()


def telegram_adapter(app: App) -> TelegramAdapter:
    """Return the real Telegram adapter for the app, on its settings."""
    return TelegramAdapter(app.settings.telegram, app.dispatcher, app.inbox)


@asynccontextmanager
async def running_bot(
    db_url: str, tmp_path: Path, clock: ManualClock, before_start: Callable[[], None] | None = None
) -> AsyncIterator[LiveBot]:
    """Start the fake server, build and prepare the app, and poll with the real Telegram adapter."""
    async with FakeTelegram() as tg:
        settings = make_settings(
            db_url,
            tmp_path,
            token=TOKEN,
            base_url=tg.base_url,
            base_file_url=tg.base_file_url,
            poll_timeout="1",  # seconds; pydantic turns it into an int
        )
        async with running_app(settings, clock, telegram_adapter, before_start) as (app, adapter):
            yield LiveBot(tg, app, adapter)
    assert not tg.server_errors, tg.summary()


# --- DingTalk: the real adapter against the fake open platform -----------------------------------

DT_ADMIN_ID = "0100001"  # a DingTalk userId is a string; its leading zero must survive


def make_dingtalk_settings(
    db_url: str, tmp_path: Path, dt: FakeDingTalk, *, template: bool = True
) -> Settings:
    """Build settings for a DingTalk test: its own database and photos, the fake's hosts, one admin."""
    return load_settings(
        None,
        {
            "park": {"name": "测试园区"},
            "access": {"admins": [f"dingtalk:{DT_ADMIN_ID}"]},
            "database": {"url": db_url},
            "storage": {"photo_dir": str(tmp_path / "photos")},
            "dingtalk": {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "card_template_id": TEMPLATE_ID if template else "",
                "api_base_url": dt.api_base_url,
                "oapi_base_url": dt.oapi_base_url,
            },
        },
    )


@dataclass
class LiveDingTalk:
    """A bot running on the fake DingTalk open platform."""

    dt: FakeDingTalk
    app: App
    adapter: DingTalkAdapter

    def texts(self, where: Group | User) -> list[str]:
        """Return the text of every robot message in a group, or privately to a person, oldest first."""
        return [m.text for m in self.messages(where)]

    def messages(self, where: Group | User) -> list[DingTalkMessage]:
        """Return the robot messages in a group, or privately to a person, oldest first."""
        if isinstance(where, Group):
            return self.dt.group_messages(where)
        return self.dt.private_messages(where)

    async def say(self, user: User, chat: Group | None, text: str) -> str:
        """Send ``text`` as ``user`` (in a group with an @-mention, or privately) and return the next answer there."""
        where: Group | User = chat if chat is not None else user
        before = len(self.texts(where))
        self.dt.send_text(user, chat, text)
        await self.dt.wait_for(lambda: len(self.texts(where)) > before)
        return self.texts(where)[before]


@asynccontextmanager
async def running_dingtalk_bot(
    db_url: str,
    tmp_path: Path,
    clock: ManualClock,
    *,
    template: bool = True,
    monthly_calls: int = 5000,
    before_start: Callable[[FakeDingTalk], None] | None = None,
) -> AsyncIterator[LiveDingTalk]:
    """Start the fake DingTalk, build and prepare the app, and run the real DingTalk adapter on it."""
    async with FakeDingTalk() as dt:
        settings = make_dingtalk_settings(db_url, tmp_path, dt, template=template)

        def adapter(app: App) -> DingTalkAdapter:
            return DingTalkAdapter(settings.dingtalk, app.dispatcher, app.inbox, monthly_calls=monthly_calls)

        prepared = (lambda: before_start(dt)) if before_start is not None else None
        async with running_app(settings, clock, adapter, prepared) as (app, running):
            await dt.wait_for(lambda: dt.connections > 0)
            yield LiveDingTalk(dt, app, running)
    assert not dt.server_errors, dt.summary()
    assert not dt.ack_errors, dt.summary()


TG_GROUP_ID = -100123
TG_LI_ID, TG_ZHANG_ID = 2, 11


async def seed_telegram_park(bot: LiveBot) -> dict[str, Any]:
    """One park group, a manager and a lead (华油), both with private chats."""
    tg, now = bot.tg, bot.app.clock.now()
    park = {"li": tg.user(TG_LI_ID, "李干部", "li"), "zhang": tg.user(TG_ZHANG_ID, "张伟", "zhang")}
    park["group"] = tg.group(TG_GROUP_ID, "园区安全生产群")
    async with bot.app.db.unit_of_work() as s:
        chat = await park_ops.upsert_chat(s, platform="telegram", chat_id=str(TG_GROUP_ID), title="园区安全生产群", is_group=True, at=now)
        chat.is_park_group = True
        li = await park_ops.upsert_person(s, platform="telegram", external_id=str(TG_LI_ID), display_name="李干部", username="li", at=now)
        await park_ops.set_role(s, li, Role.MANAGER, None, actor=None, at=now)
        li.private_chat_id = str(TG_LI_ID)
        ent = await park_ops.add_enterprise(s, name="华油装备有限公司", aliases=["华油"], industry=None, actor=None, at=now)
        zhang = await park_ops.upsert_person(
            s, platform="telegram", external_id=str(TG_ZHANG_ID), display_name="张伟", username="zhang", at=now
        )
        await park_ops.set_role(s, zhang, Role.LEAD, ent, actor=None, at=now)
        zhang.private_chat_id = str(TG_ZHANG_ID)
    park["li_chat"] = tg.private(park["li"])
    park["zhang_chat"] = tg.private(park["zhang"])
    return park
