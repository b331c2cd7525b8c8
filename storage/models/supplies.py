"""Emergency supplies (应急物资) with their checks, and publicity counts (宣传): rows only.

A supply item is kept in the park store (`enterprise_id` None: 园区仓库) or at an enterprise, checked every
`cycle` or replaced by `expires_on`; `next_check` is when its next periodic check falls due and moves with
each check (`domain/supplies/rules.py`). Each check is a `supply_checks` row; its photos are
`broadcast_files` rows with owner `supply_check`. A publicity row is one batch of leaflets, manuals,
banners or activities (`domain/publicity/`).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.enums import SupplyCycle
from storage.models.base import Base, checked
from storage.models.park import Enterprise, Person


class Supply(Base):
    """One kind of emergency supply at one place: its quantity, check cycle or expiry, who looks after it."""

    __tablename__ = "supplies"
    __table_args__ = (Index("ix_supplies_enterprise_id", "enterprise_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    quantity: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str | None] = mapped_column(String(10))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))  # None: the park store
    place: Mapped[str | None] = mapped_column(String(100))  # where exactly: 一号仓库, 二车间门口
    cycle: Mapped[SupplyCycle | None] = mapped_column(checked(SupplyCycle, "cycle"))
    expires_on: Mapped[date | None] = mapped_column(Date)
    next_check: Mapped[date | None] = mapped_column(Date)  # the next periodic check (items with a cycle)
    responsible_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    last_checked_at: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    enterprise: Mapped[Enterprise | None] = relationship(lazy="raise")
    responsible: Mapped[Person | None] = relationship(lazy="raise", foreign_keys=[responsible_id])


class SupplyCheck(Base):
    """One check of a supply item (检查), with its photos: who, when, a note, the dates it set."""

    __tablename__ = "supply_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    supply_id: Mapped[int] = mapped_column(ForeignKey("supplies.id"), index=True)
    at: Mapped[datetime]
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    note: Mapped[str | None] = mapped_column(Text)
    next_check: Mapped[date | None] = mapped_column(Date)  # the item's next check after this one
    expires_on: Mapped[date | None] = mapped_column(Date)  # a new expiry date given with the check

    person: Mapped[Person | None] = relationship(lazy="raise")


class Publicity(Base):
    """One batch of safety publicity (宣传): 宣传单页 2000 份, 横幅 20 幅, an activity, on a day."""

    __tablename__ = "publicity"
    __table_args__ = (Index("ix_publicity_day", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    item: Mapped[str] = mapped_column(String(50))
    count: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(String(200))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]
