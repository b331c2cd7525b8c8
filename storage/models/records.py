"""Records only the reports count: inspections (person-times), drills and trainings."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.enums import (
    ActivityKind,
    DrillKind,
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
    # An inspection opened with `/inspection start` (migration 0020) has a name and stays open until it is
    # ended; hazards its members report meanwhile are linked to it (`hazards.inspection_id`). One recorded
    # after the fact is closed when recorded.
    name: Mapped[str | None] = mapped_column(String(100))
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    # The inspectors listed besides its opener (`@赵工`): what they report while it is open is linked too
    inspector_ids: Mapped[list[int] | None] = mapped_column(JSON, default=list)
    # 补录: when it was entered after the fact (migration 0021); None for one recorded as it happened
    backfilled_at: Mapped[datetime | None] = mapped_column(default=None)


class Drill(Base):
    """An emergency drill (演练) of one enterprise or the whole park, with its kind and place."""

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
    drill_kind: Mapped[DrillKind] = mapped_column(checked(DrillKind, "drill_kind"), default=DrillKind.OTHER)
    place: Mapped[str | None] = mapped_column(String(100))  # 地点 within the enterprise: "二号罐区"
    # 补录: when it was entered after the fact (migration 0021); None for one recorded as it happened
    backfilled_at: Mapped[datetime | None] = mapped_column(default=None)


class Training(Base):
    """A safety training (培训): its organiser, external or internal, days, enterprises, person-times."""

    __tablename__ = "trainings"
    __table_args__ = (Index("ix_trainings_day", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)  # the first day
    title: Mapped[str] = mapped_column(String(100))
    organiser: Mapped[str | None] = mapped_column(String(100))  # 主办单位
    external: Mapped[bool | None] = mapped_column(Boolean)  # 外部 (True), 内部 (False), not said (None)
    days: Mapped[float | None] = mapped_column(Float)  # 1, 2, 0.5 (半天)
    park_wide: Mapped[bool] = mapped_column(Boolean, default=False)
    enterprise_ids: Mapped[list[int]] = mapped_column(JSON, default=list)  # every active one when park-wide
    person_times: Mapped[int | None]  # 人次; None only for a training recorded by /drill without a count
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]
    # 补录: when it was entered after the fact (migration 0021); None for one recorded as it happened
    backfilled_at: Mapped[datetime | None] = mapped_column(default=None)
