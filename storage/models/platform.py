"""Rows of the platform's plumbing: the inbox and outbox, reminder caps, job claims, DingTalk's call counter and
cards."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.enums import (
    OutboxState,
)
from storage.models.base import Base, checked


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


class JobRun(Base):
    """One run of a periodic job for one period (e.g. the digest of 2026-W48); the key makes it once."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(40))
    period: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime]
