"""The park's rows: enterprises, people, chats, join requests, the audit log, processed updates, card posts,
open questions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.enums import (
    JoinStatus,
    Role,
)
from storage.models.base import Base, checked


class Enterprise(Base):
    __tablename__ = "enterprises"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    aliases: Mapped[list[str]] = mapped_column(default=list)
    industry: Mapped[str | None] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    # The committee officer (包片/包户干部, a manager) who looks after the enterprise (migration 0017).
    # `use_alter`: people also point at enterprises, and this breaks the cycle for table ordering.
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", use_alter=True))

    officer: Mapped[Person | None] = relationship(foreign_keys=[officer_id], lazy="raise")


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

    enterprise: Mapped[Enterprise | None] = relationship(foreign_keys=[enterprise_id], lazy="raise")


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
