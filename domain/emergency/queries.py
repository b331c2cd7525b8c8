"""Reading the emergency command (应急救援指挥部): its members, who a person is among them, the open roll call
and its answers. Rows come with what their callers render (`lazy="raise"` everywhere in `storage/models/`)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from domain.park.rules import folded
from storage.models import EmergencyMember, Person, RollCall, RollCallAnswer

WITH_PERSON = joinedload(EmergencyMember.person).joinedload(Person.enterprise)
WITH_CALLER = joinedload(RollCall.caller)
WITH_MEMBER = (joinedload(RollCallAnswer.member), joinedload(RollCallAnswer.person))


async def members(session: AsyncSession) -> Sequence[EmergencyMember]:
    """Return the command's present members, in the on-duty order, then by name (the office first is the
    caller's choice: `rules.call_first`)."""
    rows = await session.scalars(
        select(EmergencyMember)
        .options(WITH_PERSON)
        .where(EmergencyMember.removed_at.is_(None))
        .order_by(EmergencyMember.duty_order.is_(None), EmergencyMember.duty_order, EmergencyMember.id)
    )
    return rows.unique().all()


async def member_named(session: AsyncSession, name: str) -> EmergencyMember | None:
    """Return the member (present or removed) of this exact name."""
    return await session.scalar(select(EmergencyMember).options(WITH_PERSON).where(EmergencyMember.name == name))


async def member_of(session: AsyncSession, person_id: int) -> EmergencyMember | None:
    """Return the member a chat person is linked to, if any (present or removed)."""
    return await session.scalar(
        select(EmergencyMember).options(WITH_PERSON).where(EmergencyMember.person_id == person_id)
    )


async def people_named(session: AsyncSession, name: str) -> list[Person]:
    """Return the chat people whose display name is this name (width and case aside), on any platform."""
    rows = await session.scalars(select(Person).options(joinedload(Person.enterprise)).order_by(Person.id))
    wanted = folded(name).strip()
    return [p for p in rows.unique().all() if folded(p.display_name).strip() == wanted]


async def find_account(session: AsyncSession, text: str) -> list[Person]:
    """Find a chat person by `platform:id`, @username or display name, on any platform."""
    needle = text.strip()[:100]
    platform, _, external_id = needle.partition(":")
    by_name = (Person.username == needle.removeprefix("@")) | (Person.display_name == needle)
    by_key = (Person.platform == platform) & (Person.external_id == external_id) if external_id else None
    query = select(Person).options(joinedload(Person.enterprise))
    rows = await session.scalars(query.where(by_name if by_key is None else by_key | by_name).order_by(Person.id))
    return list(rows.unique().all())


async def open_call(session: AsyncSession) -> RollCall | None:
    """Return the roll call that is open now, if any (there is at most one)."""
    return await session.scalar(
        select(RollCall).options(WITH_CALLER).where(RollCall.ended_at.is_(None)).order_by(RollCall.id.desc())
    )


async def open_calls(session: AsyncSession) -> Sequence[RollCall]:
    """Return every open roll call (the reminders job walks them)."""
    rows = await session.scalars(select(RollCall).options(WITH_CALLER).where(RollCall.ended_at.is_(None)))
    return rows.unique().all()


async def get_call(session: AsyncSession, call_id: int) -> RollCall | None:
    """Return one roll call by id."""
    return await session.scalar(select(RollCall).options(WITH_CALLER).where(RollCall.id == call_id))


async def latest_call(session: AsyncSession) -> RollCall | None:
    """Return the newest roll call, open or ended."""
    return await session.scalar(select(RollCall).options(WITH_CALLER).order_by(RollCall.id.desc()).limit(1))


async def answers(session: AsyncSession, call_id: int) -> Sequence[RollCallAnswer]:
    """Return everyone a roll call asked, in the roster's order, with their member row and chat person."""
    rows = await session.scalars(
        select(RollCallAnswer).options(*WITH_MEMBER).where(RollCallAnswer.roll_call_id == call_id).order_by(RollCallAnswer.id)
    )
    return rows.unique().all()


async def answer_of(session: AsyncSession, call_id: int, person_id: int) -> RollCallAnswer | None:
    """Return the answer row a roll call keeps for one chat person (None: the call did not ask them)."""
    return await session.scalar(
        select(RollCallAnswer)
        .options(*WITH_MEMBER)
        .where(RollCallAnswer.roll_call_id == call_id, RollCallAnswer.person_id == person_id)
    )
