"""Reading the park: people, roles, join requests, enterprises (found by name or alias) and park groups."""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Sequence

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from domain.park.rules import acting_officer, may_be_officer, names_of
from storage.enums import MANAGER_ROLES, JoinStatus, Role
from storage.models import Chat, Enterprise, JoinRequest, Person

# Relationships are never loaded lazily (`lazy="raise"` in `storage/models/`): a person read to act
# comes with their enterprise, a join request with its person and enterprise.
WITH_ENTERPRISE = joinedload(Person.enterprise)
WITH_REQUEST = (joinedload(JoinRequest.person), joinedload(JoinRequest.enterprise))


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


# Built once (`/whoami` asks it at every call): the values come as parameters.
_PENDING_JOIN = (
    select(JoinRequest)
    .options(*WITH_REQUEST)
    .where(JoinRequest.person_id == bindparam("person_id"), JoinRequest.status == JoinStatus.PENDING)
)


async def pending_join(session: AsyncSession, person: Person) -> JoinRequest | None:
    """Return the person's open join request, if any."""
    return await session.scalar(_PENDING_JOIN, {"person_id": person.id})


async def get_join(session: AsyncSession, request_id: int) -> JoinRequest | None:
    """Return one join request."""
    return await session.get(JoinRequest, request_id, options=WITH_REQUEST)


async def join_decider(session: AsyncSession, request: JoinRequest) -> Person | None:
    """Load and return who decided a join request (None while it is pending)."""
    if request.decided_by_id is None:
        return None
    await session.refresh(request, ["decided_by"])
    return request.decided_by


async def list_enterprises(session: AsyncSession, *, active_only: bool = True) -> Sequence[Enterprise]:
    """Return enterprises ordered by name."""
    query = select(Enterprise).order_by(Enterprise.id)
    if active_only:
        query = query.where(Enterprise.active.is_(True))
    return (await session.scalars(query)).all()


async def active_ids(session: AsyncSession) -> Sequence[int]:
    """Return the ids of the active enterprises, in id order (each owes a receipt or a report)."""
    return (await session.scalars(select(Enterprise.id).where(Enterprise.active.is_(True)).order_by(Enterprise.id))).all()


async def get_enterprise(session: AsyncSession, enterprise_id: int) -> Enterprise | None:
    """Return one enterprise by id."""
    return await session.get(Enterprise, enterprise_id)


async def match_enterprises(session: AsyncSession, text: str, limit: int = 5) -> list[Enterprise]:
    """Find enterprises by name or alias: an exact hit alone, else containing names, else the closest.

    Only an exact hit is certain: callers act on it at once and offer anything else for confirmation.
    """
    needle = unicodedata.normalize("NFKC", text).strip()[:100].lower()
    if not needle:
        return []
    enterprises = await list_enterprises(session)
    exact = [e for e in enterprises if needle in names_of(e)]
    if exact:
        return exact[:1]
    containing = [e for e in enterprises if any(needle in n or n in needle for n in names_of(e))]
    if containing:
        return containing[:limit]

    def score(e: Enterprise) -> tuple[float, float]:
        # Characters shared with any of its names first (Chinese names share few), then similarity.
        shared = len(set(needle) & set("".join(names_of(e)))) / len(set(needle))
        return shared, max(difflib.SequenceMatcher(None, needle, n).ratio() for n in names_of(e))

    scored = sorted(((score(e), e) for e in enterprises), key=lambda pair: pair[0], reverse=True)
    return [e for (shared, ratio), e in scored if ratio >= 0.3 and shared >= 0.5][:limit]


async def park_group_chats(session: AsyncSession, platform: str) -> Sequence[Chat]:
    """Return the park group chats on a platform."""
    rows = await session.scalars(
        select(Chat).where(Chat.platform == platform, Chat.is_park_group.is_(True)).order_by(Chat.id)
    )
    return rows.all()


async def park_group_keys(session: AsyncSession) -> set[str]:
    """Return the `platform:chat_id` keys of every park group, on every platform."""
    rows = await session.execute(select(Chat.platform, Chat.chat_id).where(Chat.is_park_group.is_(True)))
    return {f"{platform}:{chat_id}" for platform, chat_id in rows.all()}


# --- officers per enterprise (包片包户) ----------------------------------------------------------------


async def officer_list(session: AsyncSession) -> Sequence[Enterprise]:
    """Return the active enterprises in id order, each with its officer loaded (None: none assigned)."""
    rows = await session.scalars(
        select(Enterprise)
        .options(joinedload(Enterprise.officer))
        .where(Enterprise.active.is_(True))
        .order_by(Enterprise.id)
    )
    return rows.unique().all()


async def officed_by(session: AsyncSession, person: Person) -> Sequence[Enterprise]:
    """Return the active enterprises the person looks after as their officer (none once not a manager)."""
    if not may_be_officer(person):
        return []
    rows = await session.scalars(
        select(Enterprise)
        .where(Enterprise.officer_id == person.id, Enterprise.active.is_(True))
        .order_by(Enterprise.id)
    )
    return rows.all()


async def officers_of(session: AsyncSession, enterprise_ids: Sequence[int]) -> dict[int, Person]:
    """Return the acting officer of each of these enterprises that has one, by enterprise id."""
    if not enterprise_ids:
        return {}
    rows = await session.execute(
        select(Enterprise.id, Person)
        .join(Person, Person.id == Enterprise.officer_id)
        .where(Enterprise.id.in_(set(enterprise_ids)))
    )
    found = {eid: acting_officer(person) for eid, person in rows.all()}
    return {eid: person for eid, person in found.items() if person is not None}


async def officer_counts(session: AsyncSession) -> tuple[int, int]:
    """Return how many officers look after enterprises and how many active enterprises have one."""
    row = (
        await session.execute(
            select(func.count(func.distinct(Enterprise.officer_id)), func.count(Enterprise.id))
            .join(Person, Person.id == Enterprise.officer_id)
            .where(Enterprise.active.is_(True), Person.role.in_(MANAGER_ROLES))
        )
    ).one()
    return int(row[0]), int(row[1])


async def find_officer(session: AsyncSession, text: str) -> list[Person]:
    """Find the person an enterprise import names as officer, on any platform: by `platform:id`, @username
    or display name; when several match, the managers among them."""
    needle = text.strip()[:100]
    platform, _, external_id = needle.partition(":")
    query = select(Person).options(WITH_ENTERPRISE)
    by_key = (Person.platform == platform) & (Person.external_id == external_id) if external_id else None
    by_name = (Person.username == needle.removeprefix("@")) | (Person.display_name == needle)
    rows = await session.scalars(query.where(by_name if by_key is None else by_key | by_name).order_by(Person.id))
    found = list(rows.unique().all())
    managers = [p for p in found if may_be_officer(p)]
    return managers if len(found) > 1 and managers else found
