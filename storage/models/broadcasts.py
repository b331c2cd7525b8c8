"""Notices with receipts and campaigns with tasks: their rows, events, files, and the code counters (YH/HY/TZ/ZX)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.enums import (
    CampaignStatus,
    NoticeCategory,
    NoticeKind,
    NoticeStatus,
    ReceiptStatus,
    TaskStatus,
)
from storage.models.base import Base, checked
from storage.models.hazards import Document, Photo
from storage.models.park import Enterprise, Person


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
    # 例会 / 动员会 / … for a meeting, 通知 / 方案 / 预案 / … for a notice (`domain/notices/rules.infer_category`)
    category: Mapped[NoticeCategory] = mapped_column(checked(NoticeCategory, "category"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))  # a 动员会 for a 专项行动
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")  # the agenda of a meeting, the text of a notice
    place: Mapped[str | None] = mapped_column(String(200))
    starts_at: Mapped[datetime | None]
    status: Mapped[NoticeStatus] = mapped_column(checked(NoticeStatus, "status"), default=NoticeStatus.OPEN)
    author_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    attendance_at: Mapped[datetime | None]  # when attendance was last recorded (a meeting held)
    # 补录 (no receipts, no card, no reminder): when it was entered after the fact (migration 0021); None for one recorded as it happened
    backfilled_at: Mapped[datetime | None] = mapped_column(default=None)

    author: Mapped[Person] = relationship(lazy="raise")


class NoticeReceipt(Base):
    """One enterprise's answer to one notice; a row per enterprise is made with the notice (N is fixed then)."""

    __tablename__ = "notice_receipts"
    __table_args__ = (UniqueConstraint("notice_id", "enterprise_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    status: Mapped[ReceiptStatus] = mapped_column(
        checked(ReceiptStatus, "status"), default=ReceiptStatus.PENDING
    )
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
    # 补录 (closed, without tasks): when it was entered after the fact (migration 0021); None for one recorded as it happened
    backfilled_at: Mapped[datetime | None] = mapped_column(default=None)

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
