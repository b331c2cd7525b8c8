"""Typed SQLAlchemy 2 models: every table the bot writes. Migrations in `storage/migrations/` match these."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import DateTime, TypeDecorator

from storage.enums import (
    ActivityKind,
    ActorKind,
    CampaignStatus,
    HazardStatus,
    JoinStatus,
    Level,
    Mode,
    NoticeKind,
    NoticeStatus,
    OutboxState,
    ReceiptStatus,
    Role,
    Source,
    TaskStatus,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}



def checked(enum: type[StrEnum], name: str) -> Enum:
    """Store a StrEnum as its value in a VARCHAR with a CHECK constraint (no native database enum)."""
    return Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=30,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as UTC; SQLite hands back naive values, so re-attach UTC on the way out."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive datetimes and store aware ones in UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a timezone-aware column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return an aware UTC datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# Every relationship is `lazy="raise"`: async code never loads one on attribute access (that would be
# `MissingGreenlet` in production). The reads in `storage/` load what their callers use explicitly
# (`joinedload` options), and new rows get theirs set as loaded; an accidental lazy load raises in tests.


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[str]: JSON}


class Enterprise(Base):
    __tablename__ = "enterprises"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    aliases: Mapped[list[str]] = mapped_column(default=list)
    industry: Mapped[str | None] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]


class Person(Base):
    """A person as one platform knows them; identity is per platform."""

    __tablename__ = "people"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(100))
    username: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[Role | None] = mapped_column(checked(Role, "role"))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))
    private_chat_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # Set when the platform said the person blocked the bot (403); cleared when they write to it again.
    unreachable_at: Mapped[datetime | None]

    enterprise: Mapped[Enterprise | None] = relationship(lazy="raise")


class Chat(Base):
    __tablename__ = "chats"
    __table_args__ = (UniqueConstraint("platform", "chat_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(String(200))
    is_group: Mapped[bool] = mapped_column(default=False)
    is_park_group: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    # Set when the platform said the bot cannot write here (removed from the group, chat not found);
    # cleared when a message arrives from the chat again.
    unreachable_at: Mapped[datetime | None]


class AuditEntry(Base):
    """One change: who did what to which row, when. Never updated."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ProcessedUpdate(Base):
    """Key of an update already handled; the primary key makes a repeat fail inside the same transaction."""

    __tablename__ = "processed_updates"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    at: Mapped[datetime]


class JoinRequest(Base):
    __tablename__ = "join_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    role: Mapped[Role] = mapped_column(checked(Role, "role"))
    status: Mapped[JoinStatus] = mapped_column(checked(JoinStatus, "status"), default=JoinStatus.PENDING)
    origin_platform: Mapped[str] = mapped_column(String(20))
    origin_chat_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    decided_at: Mapped[datetime | None]

    person: Mapped[Person] = relationship(foreign_keys=[person_id], lazy="raise")
    enterprise: Mapped[Enterprise] = relationship(lazy="raise")
    decided_by: Mapped[Person | None] = relationship(foreign_keys=[decided_by_id], lazy="raise")


class CardPost(Base):
    """Where a card was posted, so a state change edits every copy in place."""

    __tablename__ = "card_posts"
    __table_args__ = (
        UniqueConstraint("platform", "chat_id", "message_id"),
        Index("ix_card_posts_card_key", "card_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    card_key: Mapped[str] = mapped_column(String(64))
    platform: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class Conversation(Base):
    """A question the bot is waiting for one person to answer in one chat (a draft, a reason).

    Stored as a row so it survives a restart; the handler named by `kind` gets the next message.
    """

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("platform", "chat_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    kind: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


# --- hazards (the closed loop 排查→登记→整改→验收→销号) ---------------------------------------


class Photo(Base):
    """A stored image file: content-addressed, so the same bytes are one row and one file."""

    __tablename__ = "photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    path: Mapped[str] = mapped_column(String(200))  # relative to storage.photo_dir
    size: Mapped[int] = mapped_column(BigInteger)
    mime_type: Mapped[str] = mapped_column(String(40))
    width: Mapped[int]
    height: Mapped[int]
    created_at: Mapped[datetime]


class Hazard(Base):
    """One hazard in the ledger. Its history lives in `hazard_events`; this row holds the current state."""

    __tablename__ = "hazards"
    __table_args__ = (Index("ix_hazards_enterprise_status", "enterprise_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    description: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(30))
    level: Mapped[Level] = mapped_column(checked(Level, "level"))
    mode: Mapped[Mode | None] = mapped_column(checked(Mode, "mode"))  # None: not chosen yet
    due_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[HazardStatus] = mapped_column(checked(HazardStatus, "status"))
    source: Mapped[Source] = mapped_column(checked(Source, "source"))
    five_in_place: Mapped[dict[str, Any]] = mapped_column(default=dict)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    found_at: Mapped[datetime]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    media_group_id: Mapped[str | None] = mapped_column(String(64))

    enterprise: Mapped[Enterprise] = relationship(lazy="raise")
    reporter: Mapped[Person] = relationship(lazy="raise")


class HazardEvent(Base):
    """One step in a hazard's story: who, when, from which state to which, with a note and photos."""

    __tablename__ = "hazard_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    hazard_id: Mapped[int] = mapped_column(ForeignKey("hazards.id"), index=True)
    at: Mapped[datetime]
    actor_kind: Mapped[ActorKind] = mapped_column(checked(ActorKind, "actor_kind"), default=ActorKind.PERSON)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))  # None: the system
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[HazardStatus | None] = mapped_column(checked(HazardStatus, "from_status"))
    to_status: Mapped[HazardStatus | None] = mapped_column(checked(HazardStatus, "to_status"))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The hash chain of the ledger (`domain/hazards/chain.py`): the previous event's hash and this one's.
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))

    actor: Mapped[Person | None] = relationship(lazy="raise")


class HazardPhoto(Base):
    """A photo attached to a hazard by one event: `before` (found) or `after` (rectified)."""

    __tablename__ = "hazard_photos"
    __table_args__ = (UniqueConstraint("hazard_id", "photo_id", "phase"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hazard_id: Mapped[int] = mapped_column(ForeignKey("hazards.id"), index=True)
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id"))
    event_id: Mapped[int] = mapped_column(ForeignKey("hazard_events.id"))
    phase: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime]

    photo: Mapped[Photo] = relationship(lazy="raise")


class Document(Base):
    """A stored PDF (校验报告, 检测报告): content-addressed like a photo, with the name it was sent under."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    path: Mapped[str] = mapped_column(String(200))  # relative to storage.photo_dir
    size: Mapped[int] = mapped_column(BigInteger)
    mime_type: Mapped[str] = mapped_column(String(40))
    file_name: Mapped[str] = mapped_column(String(200))  # as the sender named it; shown, never a path
    created_at: Mapped[datetime]


class HazardDocument(Base):
    """A document attached to a hazard by one event: `before` (with the report) or `after` (the fix)."""

    __tablename__ = "hazard_documents"
    __table_args__ = (UniqueConstraint("hazard_id", "document_id", "phase"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hazard_id: Mapped[int] = mapped_column(ForeignKey("hazards.id"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    event_id: Mapped[int] = mapped_column(ForeignKey("hazard_events.id"))
    phase: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime]

    document: Mapped[Document] = relationship(lazy="raise")


# --- inbox and outbox: nothing that arrives or leaves is lost ---------------------------------


class InboxItem(Base):
    """A raw update stored before the platform is told it arrived; processed in order per chat.

    `done_at` is set in the same transaction as the update's effects, so after a crash an update is
    either done (with all its effects) or still waiting here.
    """

    __tablename__ = "inbox"
    __table_args__ = (Index("ix_inbox_pending", "done_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(120), unique=True)  # the update key, as the dispatcher claims it
    chat_key: Mapped[str] = mapped_column(String(120))  # updates of one chat are processed in order
    payload: Mapped[dict[str, Any]] = mapped_column()
    received_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)


class OutboxItem(Base):
    """One outgoing message to one target, written in the transaction that caused it, sent after the commit.

    The target is fixed when the row is written: a chat (`platform`, `chat_id`), or a person the platform
    lets the bot write to without a chat (`user_id`, sent in batches). Rows of one `lane` (a chat) go out
    in id order; a card edit (`edit`, `card_key`) finds its message at send time. A row still unsent after
    a crash is sent at the next start; a target gets a message twice only if the crash hit the moment of
    sending. Rows written before migration 0008 have no lane and hold all the replies of one update.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_pending", "sent_at", "id"),
        Index("ix_outbox_card_key", "card_key"),
        # Ids are never reused (SQLite would reuse the highest after a delete): the sender tells rows
        # apart by id, and a superseded edit is deleted.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    update_key: Mapped[str | None] = mapped_column(String(120))
    payload: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [one reply] (older rows: every reply)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]  # when the row was finished: sent, or given up (see `state`)
    lane: Mapped[str | None] = mapped_column(String(160))
    platform: Mapped[str | None] = mapped_column(String(20))
    chat_id: Mapped[str | None] = mapped_column(String(64))
    is_group: Mapped[bool] = mapped_column(default=False)
    user_id: Mapped[str | None] = mapped_column(String(64))
    batch: Mapped[str | None] = mapped_column(String(40))
    card_key: Mapped[str | None] = mapped_column(String(64))
    edit: Mapped[bool] = mapped_column(default=False)
    state: Mapped[OutboxState] = mapped_column(checked(OutboxState, "state"), default=OutboxState.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    reported_at: Mapped[datetime | None]  # a failed row counted in the managers' daily line


class ReminderSent(Base):
    """One private reminder about one subject to one target on one park day; the key caps reminders at one a day.

    `subject` names what is reminded about ("notice:12", "hazard:34", "task:7"); `target` whom
    ("enterprise:5", "person:9"). Claimed in the transaction that writes the reminder to the outbox.
    """

    __tablename__ = "reminders_sent"
    __table_args__ = (UniqueConstraint("subject", "target", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(40))
    day: Mapped[date]
    at: Mapped[datetime]


# --- DingTalk: the monthly API-call count and where each interactive card went ------------------


class DingTalkApiMonth(Base):
    """API calls the DingTalk adapter made in one month (park time), and whether managers were warned.

    A standard-edition organisation has 5,000 calls a month for all its apps; the count is what this
    bot spent, so managers hear at 80 % before sends start failing.
    """

    __tablename__ = "dingtalk_api_months"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # "2026-11"
    calls: Mapped[int] = mapped_column(Integer, default=0)
    warned_at: Mapped[datetime | None]


class DingTalkCard(Base):
    """An interactive card instance the bot created: a press names only its outTrackId, this names the chat.

    `chat_id` is the group's openConversationId, or empty for a card delivered to people privately
    (a press then comes from the presser's own 1:1 chat with the robot).
    """

    __tablename__ = "dingtalk_cards"

    out_track_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


# --- notices with receipts, campaigns (issue #9) -------------------------------------------------


class CodeCounter(Base):
    """The last number issued for one code prefix (YH, HY, TZ, ZX) in a year; incremented under a row lock."""

    __tablename__ = "code_counters"

    prefix: Mapped[str] = mapped_column(String(4), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(default=0)


class Notice(Base):
    """A meeting notice (会议通知) or a plain notice (通知) that every active enterprise answers (回执)."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[NoticeKind] = mapped_column(checked(NoticeKind, "kind"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")  # the agenda of a meeting, the text of a notice
    place: Mapped[str | None] = mapped_column(String(200))
    starts_at: Mapped[datetime | None]
    status: Mapped[NoticeStatus] = mapped_column(checked(NoticeStatus, "status"), default=NoticeStatus.OPEN)
    author_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    attendance_at: Mapped[datetime | None]  # when attendance was last recorded (a meeting held)

    author: Mapped[Person] = relationship(lazy="raise")


class NoticeReceipt(Base):
    """One enterprise's answer to one notice; a row per enterprise is made with the notice (N is fixed then)."""

    __tablename__ = "notice_receipts"
    __table_args__ = (UniqueConstraint("notice_id", "enterprise_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    status: Mapped[ReceiptStatus] = mapped_column(checked(ReceiptStatus, "status"), default=ReceiptStatus.PENDING)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))  # who answered for the enterprise
    reason: Mapped[str | None] = mapped_column(Text)  # 请假 reason
    substitute: Mapped[str | None] = mapped_column(String(100))  # who attends instead
    answered_at: Mapped[datetime | None]
    attended: Mapped[bool | None]  # recorded after the meeting; None: not recorded

    enterprise: Mapped[Enterprise] = relationship(lazy="raise")
    person: Mapped[Person | None] = relationship(lazy="raise")


class NoticeEvent(Base):
    """One step in a notice's story: issued, answered, moved, cancelled, attendance recorded."""

    __tablename__ = "notice_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"), index=True)
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    action: Mapped[str] = mapped_column(String(30))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Campaign(Base):
    """A special action (专项行动) with one task for every enterprise active when it was launched."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    requirements: Mapped[str] = mapped_column(Text, default="")
    due_date: Mapped[date] = mapped_column(Date)
    status: Mapped[CampaignStatus] = mapped_column(
        checked(CampaignStatus, "status"), default=CampaignStatus.OPEN
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    author: Mapped[Person] = relationship(lazy="raise")


class CampaignTask(Base):
    """One enterprise's task in a campaign: its self-inspection report (自查报告) and the review of it."""

    __tablename__ = "campaign_tasks"
    __table_args__ = (UniqueConstraint("campaign_id", "enterprise_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    status: Mapped[TaskStatus] = mapped_column(checked(TaskStatus, "status"), default=TaskStatus.PENDING)
    note: Mapped[str | None] = mapped_column(Text)  # the latest report's text
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    submitted_at: Mapped[datetime | None]
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    reviewed_at: Mapped[datetime | None]
    return_reason: Mapped[str | None] = mapped_column(Text)

    enterprise: Mapped[Enterprise] = relationship(lazy="raise")
    campaign: Mapped[Campaign] = relationship(lazy="raise")


class CampaignEvent(Base):
    """One step in a campaign: launched, a report submitted, accepted or returned, a hazard linked."""

    __tablename__ = "campaign_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("campaign_tasks.id"))
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[TaskStatus | None] = mapped_column(checked(TaskStatus, "from_status"))
    to_status: Mapped[TaskStatus | None] = mapped_column(checked(TaskStatus, "to_status"))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class CampaignHazard(Base):
    """A hazard found while answering a campaign; a hazard belongs to at most one campaign."""

    __tablename__ = "campaign_hazards"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    hazard_id: Mapped[int] = mapped_column(ForeignKey("hazards.id"), unique=True)
    created_at: Mapped[datetime]


class BroadcastFile(Base):
    """A photo or document sent with a notice, a campaign or a campaign report (`owner` names which)."""

    __tablename__ = "broadcast_files"
    __table_args__ = (Index("ix_broadcast_files_owner", "owner_kind", "owner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_kind: Mapped[str] = mapped_column(String(20))  # notice | campaign | task
    owner_id: Mapped[int]
    event_id: Mapped[int | None]  # the event that brought it (a report submitted again brings new files)
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("photos.id"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    created_at: Mapped[datetime]

    photo: Mapped[Photo | None] = relationship(lazy="raise")
    document: Mapped[Document | None] = relationship(lazy="raise")


# --- schedules and reports (#10) ---------------------------------------------------------------


class JobRun(Base):
    """One run of a periodic job for one period (e.g. the digest of 2026-W48); the key makes it once."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(40))
    period: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime]


class LedgerHead(Base):
    """The newest link of the hazard-event hash chain; its row lock serialises writers of the chain."""

    __tablename__ = "ledger_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # always 1
    event_id: Mapped[int | None]
    hash: Mapped[str | None] = mapped_column(String(64))


class Inspection(Base):
    """An inspection visit (检查) of one or more enterprises, counted in person-times (人次)."""

    __tablename__ = "inspections"
    __table_args__ = (Index("ix_inspections_day", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    person_times: Mapped[int]
    enterprise_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    activity: Mapped[str | None] = mapped_column(String(200))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]


class Drill(Base):
    """An emergency drill (演练) or a safety training (培训) of one enterprise or the whole park."""

    __tablename__ = "drills"
    __table_args__ = (Index("ix_drills_day", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[ActivityKind] = mapped_column(checked(ActivityKind, "kind"))
    title: Mapped[str] = mapped_column(String(100))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))  # None: park-wide
    participants: Mapped[int | None]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]


# Reports scan hazards by when they were found or closed, overdue sweeps by status and due date, the
# export and the digest read a hazard's newest event of one kind (migration 0010).
# The time indexes cover the columns the figures group by, so counting reads the index alone.
Index("ix_hazards_found_at", Hazard.found_at, Hazard.enterprise_id, Hazard.level, Hazard.mode, Hazard.status)
Index("ix_hazards_closed_at", Hazard.closed_at, Hazard.enterprise_id, Hazard.mode)
Index("ix_hazards_status_due", Hazard.status, Hazard.due_date)
# Open (or withdrawn) hazards found before a moment, per enterprise: the digest's "open at the week's end"
# and the immediate hazards gone overdue read this index alone.
Index(
    "ix_hazards_status_found", Hazard.status, Hazard.found_at, Hazard.enterprise_id, Hazard.mode, Hazard.updated_at
)
Index("ix_hazard_events_hazard_action", HazardEvent.hazard_id, HazardEvent.action)
