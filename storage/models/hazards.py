"""The hazard ledger's rows: hazards, their events (the hash chain), photos, documents and their links, the chain
head."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.enums import (
    ActorKind,
    HazardStatus,
    Level,
    Mode,
    Source,
)
from storage.models.base import Base, checked
from storage.models.park import Enterprise, Person


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
    # 部位: where in the enterprise it was found (二车间配电室); "" when nobody said (migration 0018)
    location: Mapped[str] = mapped_column(String(100), default="", server_default="")
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
    # The inspection (检查) it was found on, when its reporter had one open (migration 0020)
    inspection_id: Mapped[int | None] = mapped_column(ForeignKey("inspections.id"), index=True, default=None)
    # 补录: when it was entered from paper records (migration 0021); its events carry the real dates
    backfilled_at: Mapped[datetime | None] = mapped_column(default=None)

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
    # Chain v2: the hazard as the ledger prints it right after this event (fields and file digests), so
    # the chain covers what the ledger shows and a hazard row changed behind the bot's back is found.
    state: Mapped[dict[str, Any] | None] = mapped_column(default=None)
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
    mime_type: Mapped[str] = mapped_column(String(100))  # the Excel type is 65 characters (migration 0024)
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


class HazardGram(Base):
    """One entry of the word index that /search and the desk's `q` read (`domain/hazards/search.py`): a
    character pair of a hazard's lowercased description, or its last character, as one integer.

    Derived rows, rewritten whenever the description is (migration 0026 filled them for older hazards);
    no foreign key: every insert would look the hazard up, and hazards are never deleted. SQLite keeps it
    WITHOUT ROWID, so the primary key is the table (one B-tree, no second copy of each entry).
    """

    __tablename__ = "hazard_grams"
    __table_args__ = {"sqlite_with_rowid": False}

    gram: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hazard_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)


class LedgerAnchor(Base):
    """A chain head posted outside the database (the weekly digest in the park groups): a rewritten
    database cannot rewrite the groups' history, so `ledger verify --head` proves the chain still extends it."""

    __tablename__ = "ledger_anchors"

    id: Mapped[int] = mapped_column(primary_key=True)
    posted_at: Mapped[datetime]
    event_id: Mapped[int]
    events: Mapped[int]  # how many events the chain had up to and including `event_id`
    hash: Mapped[str] = mapped_column(String(64))


class LedgerHead(Base):
    """The newest link of the hazard-event hash chain; its row lock serialises writers of the chain."""

    __tablename__ = "ledger_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # always 1
    event_id: Mapped[int | None]
    hash: Mapped[str | None] = mapped_column(String(64))


# Reports scan hazards by when they were found or closed, overdue sweeps by status and due date, the
# export and the digest read a hazard's newest event of one kind (migration 0010).
# The time indexes cover the columns the figures group by, so counting reads the index alone.
Index("ix_hazards_found_at", Hazard.found_at, Hazard.enterprise_id, Hazard.level, Hazard.mode, Hazard.status)
Index("ix_hazards_closed_at", Hazard.closed_at, Hazard.enterprise_id, Hazard.mode)
Index("ix_hazards_status_due", Hazard.status, Hazard.due_date)
# Open (or withdrawn) hazards found before a moment, per enterprise: the digest's "open at the week's end"
# and the immediate hazards gone overdue read this index alone.
Index(
    "ix_hazards_status_found",
    Hazard.status,
    Hazard.found_at,
    Hazard.enterprise_id,
    Hazard.mode,
    Hazard.updated_at,
)
Index("ix_hazard_events_hazard_action", HazardEvent.hazard_id, HazardEvent.action)
# The web desk's ledger filtered by level and status (重大隐患, open), counted from the index alone
# (migration 0025): without it SQLite scans the found-at index of every hazard.
Index("ix_hazards_status_level", Hazard.status, Hazard.level, Hazard.enterprise_id)
