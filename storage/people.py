"""People, their roles, and requests to join an enterprise. Every change writes an audit row."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from storage.audit import audit
from storage.db import dialect_insert
from storage.enums import JoinStatus, Role
from storage.models import Enterprise, JoinRequest, Person

# Relationships are never loaded lazily (`lazy="raise"` in `storage/models.py`): a person read to act
# comes with their enterprise, a join request with its person and enterprise.
WITH_ENTERPRISE = joinedload(Person.enterprise)
WITH_REQUEST = (joinedload(JoinRequest.person), joinedload(JoinRequest.enterprise))


async def upsert_person(
    session: AsyncSession,
    *,
    platform: str,
    external_id: str,
    display_name: str,
    username: str | None,
    at: datetime,
) -> Person:
    """Find the person by platform identity, creating them on first contact and refreshing their name.

    Writes only what changed: a known person with the same name costs one SELECT. A new person's
    first messages arriving at once make one row: each insert yields to the one already made.
    """
    person = await find_person(session, platform, external_id)
    if person is None:
        await session.execute(
            dialect_insert(session)(Person)
            .values(
                platform=platform,
                external_id=external_id,
                display_name=display_name[:100] or external_id,
                username=username,
                created_at=at,
                updated_at=at,
            )
            .on_conflict_do_nothing(index_elements=[Person.platform, Person.external_id])
        )
        person = await find_person(session, platform, external_id)
        assert person is not None
    refresh_person(person, display_name, username, at)
    return person


def refresh_person(person: Person, display_name: str, username: str | None, at: datetime) -> None:
    """Keep the person's platform name current; touch the row only when it changed."""
    name = display_name[:100] or person.external_id
    if person.display_name != name or person.username != username:
        person.display_name = name
        person.username = username
        person.updated_at = at


async def get_person(session: AsyncSession, person_id: int) -> Person | None:
    """Return one person by id, with their enterprise."""
    return await session.scalar(select(Person).options(WITH_ENTERPRISE).where(Person.id == person_id))


async def find_person(session: AsyncSession, platform: str, external_id: str) -> Person | None:
    """Return a person by platform identity."""
    return await session.scalar(
        select(Person)
        .options(WITH_ENTERPRISE)
        .where(Person.platform == platform, Person.external_id == external_id)
    )


async def find_people(session: AsyncSession, platform: str, text: str) -> list[Person]:
    """Find people on a platform by @username, numeric id or display name (exact, then containing)."""
    needle = text.strip()[:100].removeprefix("@")
    if not needle:
        return []
    query = select(Person).options(WITH_ENTERPRISE).where(Person.platform == platform)
    by_key = await session.scalars(
        query.where(
            (Person.username == needle) | (Person.external_id == needle) | (Person.display_name == needle)
        )
    )
    found = list(by_key.unique().all())
    if found:
        return found
    rows = await session.scalars(query.where(Person.display_name.contains(needle, autoescape=True)).limit(5))
    return list(rows.unique().all())


async def set_role(
    session: AsyncSession,
    person: Person,
    role: Role | None,
    enterprise: Enterprise | None,
    *,
    actor: Person | None,
    at: datetime,
) -> None:
    """Give a person a role (and enterprise for leads and members), with an audit row."""
    before = {"role": person.role, "enterprise_id": person.enterprise_id}
    pending = await pending_join(session, person)
    if pending is not None:  # a role given directly supersedes what the person asked for
        pending.status = JoinStatus.WITHDRAWN
        pending.decided_at = at
    person.role = role
    person.enterprise_id = enterprise.id if enterprise else None
    person.enterprise = enterprise
    person.updated_at = at
    await audit(
        session,
        at,
        actor,
        "person.role",
        "person",
        person.id,
        before=before,
        after={"role": role, "enterprise_id": person.enterprise_id},
    )


async def people_with_role(
    session: AsyncSession, platform: str | None, roles: Sequence[Role]
) -> Sequence[Person]:
    """Return people holding any of the roles, on one platform or (None) on every platform."""
    query = select(Person).where(Person.role.in_(roles)).order_by(Person.id)
    if platform is not None:
        query = query.where(Person.platform == platform)
    return (await session.scalars(query)).unique().all()


async def people_of_enterprise(
    session: AsyncSession, enterprise_id: int, roles: Sequence[Role]
) -> Sequence[Person]:
    """Return an enterprise's people holding any of the roles."""
    rows = await session.scalars(
        select(Person)
        .where(Person.enterprise_id == enterprise_id, Person.role.in_(roles))
        .order_by(Person.id)
    )
    return rows.unique().all()


async def people_with_roles(session: AsyncSession, enterprise_id: int | None) -> Sequence[Person]:
    """Return everyone holding a role, with their enterprise: of one enterprise, or (None) of the park."""
    query = select(Person).options(WITH_ENTERPRISE).where(Person.role.is_not(None))
    if enterprise_id is not None:
        query = query.where(Person.enterprise_id == enterprise_id)
    order = (Person.enterprise_id.is_not(None), Person.enterprise_id, Person.id)  # park staff first
    rows = await session.scalars(query.order_by(*order))
    return rows.unique().all()


async def pending_join(session: AsyncSession, person: Person) -> JoinRequest | None:
    """Return the person's open join request, if any."""
    return await session.scalar(
        select(JoinRequest)
        .options(*WITH_REQUEST)
        .where(JoinRequest.person_id == person.id, JoinRequest.status == JoinStatus.PENDING)
    )


async def create_join(
    session: AsyncSession,
    person: Person,
    enterprise: Enterprise,
    role: Role,
    *,
    origin_platform: str,
    origin_chat_id: str,
    at: datetime,
) -> JoinRequest:
    """Open a join request, replacing an earlier pending one of the same person."""
    earlier = await pending_join(session, person)
    if earlier is not None:
        earlier.status = JoinStatus.WITHDRAWN
        earlier.decided_at = at
    request = JoinRequest(
        person_id=person.id,
        enterprise_id=enterprise.id,
        role=role,
        status=JoinStatus.PENDING,
        origin_platform=origin_platform,
        origin_chat_id=origin_chat_id,
        created_at=at,
    )
    session.add(request)
    set_committed_value(request, "person", person)  # loaded, for the card
    set_committed_value(request, "enterprise", enterprise)
    await session.flush()
    await audit(
        session, at, person, "join.request", "join_request", request.id, enterprise=enterprise.name, role=role
    )
    return request


async def get_join(session: AsyncSession, request_id: int) -> JoinRequest | None:
    """Return one join request."""
    return await session.get(JoinRequest, request_id, options=WITH_REQUEST)


async def join_decider(session: AsyncSession, request: JoinRequest) -> Person | None:
    """Load and return who decided a join request (None while it is pending)."""
    if request.decided_by_id is None:
        return None
    await session.refresh(request, ["decided_by"])
    return request.decided_by


async def decide_join(
    session: AsyncSession, request: JoinRequest, approve: bool, *, actor: Person, at: datetime
) -> bool:
    """Approve (and give the role) or reject a pending join request; False when it was decided already.

    The request is re-read under a row lock, so two presses at once decide it once.
    """
    await session.refresh(request, ["status", "decided_by_id", "decided_at"], with_for_update=True)
    if request.status != JoinStatus.PENDING:
        return False
    request.status = JoinStatus.APPROVED if approve else JoinStatus.REJECTED
    request.decided_by_id = actor.id
    request.decided_at = at
    await audit(session, at, actor, "join.approve" if approve else "join.reject", "join_request", request.id)
    if approve:
        await set_role(session, request.person, request.role, request.enterprise, actor=actor, at=at)
    return True
