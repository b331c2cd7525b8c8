"""The emergency command roster (应急救援指挥部) and its roll calls (应急点名).

A member is a line of the command: name, role in the command, unit, phones, deputy, whether they sit in
the office that coordinates (应急办), and their place in the on-duty order. A member may be linked to a
chat person (`person_id`), who then gets the roll call privately. A roll call asks every linked member to
answer 到; one `roll_call_answers` row per member it asked, made when it starts. The rules are
`domain/emergency/rules.py`; changes are audit rows (`storage/audit.py`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base
from storage.models.park import Person


class EmergencyMember(Base):
    """One member of the emergency command; removed members keep their row (`removed_at`) for old roll calls."""

    __tablename__ = "emergency_members"
    __table_args__ = (UniqueConstraint("name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    command_role: Mapped[str] = mapped_column(String(50))  # 总指挥, 副总指挥, 办公室主任, 成员…
    unit: Mapped[str] = mapped_column(String(100))  # 管委会, 应急科, an enterprise's name
    phones: Mapped[list[str]] = mapped_column(JSON, default=list)
    deputy: Mapped[str | None] = mapped_column(String(50))  # who stands in when they cannot be reached
    office: Mapped[bool] = mapped_column(Boolean, default=False)  # in the office that coordinates (应急办)
    duty_order: Mapped[int | None] = mapped_column(Integer)  # 1 is called first; None: not on the duty chain
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), unique=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    removed_at: Mapped[datetime | None]

    person: Mapped[Person | None] = relationship(lazy="raise")


class RollCall(Base):
    """A roll call (应急点名) a manager started with `/alert <说明>`, for a drill or a real alert."""

    __tablename__ = "roll_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    note: Mapped[str] = mapped_column(String(200))
    drill: Mapped[bool] = mapped_column(Boolean, default=False)  # a drill's attendance (演练), not a real alert
    caller_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))

    caller: Mapped[Person] = relationship(foreign_keys=[caller_id], lazy="raise")


class RollCallAnswer(Base):
    """One member asked in a roll call: answered 到 when, reminded how often; `person_id` None: no chat account."""

    __tablename__ = "roll_call_answers"
    __table_args__ = (UniqueConstraint("roll_call_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    roll_call_id: Mapped[int] = mapped_column(ForeignKey("roll_calls.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("emergency_members.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    answered_at: Mapped[datetime | None]
    reminded: Mapped[int] = mapped_column(Integer, default=0)
    reminded_at: Mapped[datetime | None]

    member: Mapped[EmergencyMember] = relationship(lazy="raise")
    person: Mapped[Person | None] = relationship(lazy="raise")
