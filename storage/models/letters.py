"""Responsibility letters (目标责任状): the year's letter, one signature row per enterprise, and their events.

The letter's document and each enterprise's signed scan are `broadcast_files` rows (owner `letter` and
`signature`), as a notice's and a campaign's files are.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base
from storage.models.park import Enterprise, Person


class Letter(Base):
    """The year's responsibility letter (目标责任状), issued to every enterprise active then; one per year."""

    __tablename__ = "letters"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)
    title: Mapped[str] = mapped_column(String(200))
    author_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    author: Mapped[Person] = relationship(lazy="raise")


class LetterSignature(Base):
    """One enterprise's copy of a letter: signed when its lead returned the signed scan (`signed_at`)."""

    __tablename__ = "letter_signatures"
    __table_args__ = (UniqueConstraint("letter_id", "enterprise_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))  # who returned the scan
    signed_at: Mapped[datetime | None]

    enterprise: Mapped[Enterprise] = relationship(lazy="raise")
    letter: Mapped[Letter] = relationship(lazy="raise")


class LetterEvent(Base):
    """One step of a letter: issued, or one enterprise's signed scan returned."""

    __tablename__ = "letter_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id"), index=True)
    signature_id: Mapped[int | None] = mapped_column(ForeignKey("letter_signatures.id"))
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    action: Mapped[str] = mapped_column(String(30))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
