"""Records only the reports count: inspections (person-times) and drills."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.enums import (
    ActivityKind,
)
from storage.models.base import Base, checked


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
