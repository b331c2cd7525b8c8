"""Changes to the park: people and their roles, requests to join, enterprises, the chats the bot is in.

Every change writes an audit row; functions take the unit of work's session and never commit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from domain.outcome import Change, Refused
from domain.park.queries import find_officer, find_person, pending_join
from domain.park.rules import OfficerRefusal, may_be_officer, officer_refusal
from storage.audit import audit
from storage.db import dialect_insert
from storage.enums import JoinStatus, Role
from storage.models import Chat, Conversation, Enterprise, JoinRequest, Person

R = TypeVar("R")


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
    person = await _find_or_insert(
        session,
        lambda: find_person(session, platform, external_id),
        Person,
        [Person.platform, Person.external_id],
        platform=platform,
        external_id=external_id,
        display_name=display_name[:100] or external_id,
        username=username,
        created_at=at,
        updated_at=at,
    )
    refresh_person(person, display_name, username, at)
    return person


async def _find_or_insert(
    session: AsyncSession, find: Callable[[], Awaitable[R | None]], model: type[Any], keys: list[Any], **values: Any
) -> R:
    """Return the row `find` reads, inserting it from `values` first when it is missing.

    The insert yields to a row with the same `keys` made meanwhile (two first messages at once), so
    the second read always finds exactly one row.
    """
    row = await find()
    if row is None:
        await session.execute(dialect_insert(session)(model).values(**values).on_conflict_do_nothing(index_elements=keys))
        row = await find()
        assert row is not None
    return row


def refresh_person(person: Person, display_name: str, username: str | None, at: datetime) -> None:
    """Keep the person's platform name current; touch the row only when it changed."""
    name = display_name[:100] or person.external_id
    if person.display_name != name or person.username != username:
        person.display_name = name
        person.username = username
        person.updated_at = at


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
    if not may_be_officer(person):  # no longer a manager: no longer any enterprise's officer
        await _drop_officer(session, person, actor, at)


async def _drop_officer(session: AsyncSession, person: Person, actor: Person | None, at: datetime) -> None:
    """Remove the person as officer of every enterprise they looked after, with an audit row each."""
    ids = (await session.scalars(select(Enterprise.id).where(Enterprise.officer_id == person.id))).all()
    if not ids:
        return
    await session.execute(update(Enterprise).where(Enterprise.id.in_(ids)).values(officer_id=None))
    for enterprise_id in ids:
        await audit(
            session, at, actor, "enterprise.officer", "enterprise", enterprise_id, before=person.id, after=None
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


async def add_enterprise(
    session: AsyncSession,
    *,
    name: str,
    aliases: list[str],
    industry: str | None,
    actor: Person | None,
    at: datetime,
) -> Enterprise | None:
    """Create an enterprise; None when the name is already taken (also by an add at the same moment)."""
    if await session.scalar(select(Enterprise).where(Enterprise.name == name)) is not None:
        return None
    new_id = await session.scalar(
        dialect_insert(session)(Enterprise)
        .values(name=name, aliases=aliases, industry=industry, active=True, created_at=at)
        .on_conflict_do_nothing(index_elements=[Enterprise.name])
        .returning(Enterprise.id)
    )
    enterprise = await session.get(Enterprise, new_id) if new_id is not None else None
    if enterprise is None:
        return None
    await audit(session, at, actor, "enterprise.add", "enterprise", enterprise.id, name=name, aliases=aliases)
    return enterprise


async def assign_officer(
    session: AsyncSession,
    actor: Person | None,
    enterprises: Sequence[Enterprise],
    officer: Person | None,
    *,
    at: datetime,
) -> list[Change[Enterprise]]:
    """Make `officer` the officer (包片干部) of each enterprise, or (None) remove their officer.

    Raises `Refused` (an `OfficerRefusal`) before changing anything when the actor may not assign, the
    officer is not a manager or an enterprise left the park's list; the system (`actor=None`, the
    enterprise import) passes the permission check only. Each enterprise is re-read under a lock; a
    change whose `event` is None left that enterprise as it was (the same officer again).
    """
    for enterprise in enterprises:
        await session.refresh(enterprise, ["officer_id", "active"], with_for_update=True)
        if actor is None:
            refusal = None if officer is None or may_be_officer(officer) else OfficerRefusal.NOT_MANAGER
        else:
            refusal = officer_refusal(actor, officer, enterprise)
        if refusal is not None:
            raise Refused(refusal, enterprise)
    after = officer.id if officer is not None else None
    changes: list[Change[Enterprise]] = []
    for enterprise in enterprises:
        before = enterprise.officer_id
        if before == after:
            changes.append(Change(enterprise))
            continue
        enterprise.officer_id = after
        detail = {"before": before, "after": after}
        await audit(session, at, actor, "enterprise.officer", "enterprise", enterprise.id, **detail)
        changes.append(Change(enterprise, event=detail))
    return changes


async def import_enterprises(
    session: AsyncSession, rows: list[dict[str, Any]], at: datetime
) -> tuple[int, int]:
    """Create or update enterprises by name; return (created, updated).

    A row with an `officer` key (the file has an officer column) also sets the enterprise's officer,
    found by name (`find_officer`), or removes it when empty; `Refused` (an `OfficerRefusal`, the row's
    `line` in its detail) when that person is unknown, ambiguous or not a manager.
    """
    created = updated = 0
    for row in rows:
        existing = await session.scalar(select(Enterprise).where(Enterprise.name == row["name"]))
        if existing is None:
            existing = Enterprise(
                name=row["name"],
                aliases=row["aliases"],
                industry=row["industry"],
                active=row["active"],
                created_at=at,
            )
            session.add(existing)
            created += 1
        else:
            existing.aliases = row["aliases"]
            existing.industry = row["industry"]
            existing.active = row["active"]
            updated += 1
        if "officer" in row:
            await session.flush()
            officer = None
            if row["officer"]:
                found = await find_officer(session, row["officer"])
                if len(found) != 1:
                    reason = OfficerRefusal.OFFICER_UNKNOWN if not found else OfficerRefusal.OFFICER_AMBIGUOUS
                    raise Refused(reason, existing, line=row.get("line"), officer=row["officer"])
                officer = found[0]
            try:
                await assign_officer(session, None, [existing], officer, at=at)
            except Refused as refused:
                raise Refused(refused.reason, existing, line=row.get("line"), officer=row["officer"]) from None
    await session.flush()
    await audit(session, at, None, "enterprise.import", "enterprise", None, created=created, updated=updated)
    return created, updated


async def upsert_chat(
    session: AsyncSession, *, platform: str, chat_id: str, title: str | None, is_group: bool, at: datetime
) -> Chat:
    """Find or create the chat row; two first messages in a new chat at once make one row."""
    query = select(Chat).where(Chat.platform == platform, Chat.chat_id == chat_id)
    chat = await _find_or_insert(
        session,
        lambda: session.scalar(query),
        Chat,
        [Chat.platform, Chat.chat_id],
        platform=platform,
        chat_id=chat_id,
        title=title,
        is_group=is_group,
        is_park_group=False,
        created_at=at,
    )
    if title and chat.title != title:
        chat.title = title
    return chat


async def migrate_chat(session: AsyncSession, platform: str, old: str, new: str, at: datetime) -> None:
    """Move a chat to its new id (a group that became a supergroup).

    Card posts stay under the old id: the old messages stay in the old chat, where the bot can still
    edit them, and message ids in the new chat count afresh. Open questions asked in the old chat
    cannot be answered there any more, so they are dropped.
    """
    chat = await session.scalar(select(Chat).where(Chat.platform == platform, Chat.chat_id == old))
    if chat is None:
        return
    target = await session.scalar(select(Chat).where(Chat.platform == platform, Chat.chat_id == new))
    if target is None:
        chat.chat_id = new
    else:
        target.is_park_group = target.is_park_group or chat.is_park_group
        await session.delete(chat)
    await session.execute(
        delete(Conversation).where(Conversation.platform == platform, Conversation.chat_id == old)
    )
    await audit(session, at, None, "chat.migrate", "chat", new, old=old)
