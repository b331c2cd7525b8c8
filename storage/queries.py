"""Queries and writes for people, enterprises, chats, cards and conversations.

Every function takes the unit of work's session and never commits: the dispatcher commits once per
update. Every change also writes an audit row through `audit`.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    AuditEntry,
    CardPost,
    Chat,
    Conversation,
    Enterprise,
    JoinRequest,
    Person,
    ProcessedUpdate,
)


async def audit(
    session: AsyncSession,
    at: datetime,
    actor: Person | None,
    action: str,
    entity: str,
    entity_id: object | None = None,
    **detail: Any,
) -> None:
    """Record one change in the audit log."""
    session.add(
        AuditEntry(
            at=at,
            actor_id=actor.id if actor else None,
            action=action,
            entity=entity,
            entity_id=None if entity_id is None else str(entity_id),
            detail=detail,
        )
    )


async def claim_update(session: AsyncSession, key: str, at: datetime) -> bool:
    """Record an update key; False when it was already processed (the primary key decides)."""
    try:
        async with session.begin_nested():
            session.add(ProcessedUpdate(key=key, at=at))
            await session.flush()
    except IntegrityError:
        return False
    return True


async def upsert_person(
    session: AsyncSession,
    *,
    platform: str,
    external_id: str,
    display_name: str,
    username: str | None,
    at: datetime,
) -> Person:
    """Find the person by platform identity, creating them on first contact and refreshing their name."""
    person = await session.scalar(
        select(Person).where(Person.platform == platform, Person.external_id == external_id)
    )
    name = clean_text(display_name, 100) or external_id
    if person is None:
        person = Person(
            platform=platform,
            external_id=external_id,
            display_name=name,
            username=username,
            created_at=at,
            updated_at=at,
        )
        session.add(person)
        await session.flush()
    elif person.display_name != name or person.username != username:
        person.display_name = name
        person.username = username
        person.updated_at = at
    return person


async def find_person(session: AsyncSession, platform: str, external_id: str) -> Person | None:
    """Return a person by platform identity."""
    return await session.scalar(
        select(Person).where(Person.platform == platform, Person.external_id == external_id)
    )


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


async def last_card_message_id(session: AsyncSession, platform: str) -> int:
    """Return the highest numeric message id of any card posted on a platform (0 if none)."""
    ids = await session.scalars(select(CardPost.message_id).where(CardPost.platform == platform))
    return max((int(i) for i in ids if i.isdigit()), default=0)


async def upsert_chat(
    session: AsyncSession, *, platform: str, chat_id: str, title: str | None, is_group: bool, at: datetime
) -> Chat:
    """Find or create the chat row."""
    chat = await session.scalar(select(Chat).where(Chat.platform == platform, Chat.chat_id == chat_id))
    if chat is None:
        chat = Chat(platform=platform, chat_id=chat_id, title=title, is_group=is_group, created_at=at)
        session.add(chat)
        await session.flush()
    elif title and chat.title != title:
        chat.title = title
    return chat


async def park_group_chats(session: AsyncSession, platform: str) -> Sequence[Chat]:
    """Return the park group chats on a platform."""
    rows = await session.scalars(
        select(Chat).where(Chat.platform == platform, Chat.is_park_group.is_(True)).order_by(Chat.id)
    )
    return rows.all()


# --- enterprises -------------------------------------------------------------------------------


def clean_text(text: str, limit: int) -> str:
    """Normalise user text (NFC, no control characters, trimmed) and cut it to `limit` characters.

    NFC, not NFKC: Chinese prose keeps its full-width punctuation (，。：).
    """
    text = unicodedata.normalize("NFC", text)
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    return text.strip()[:limit]


async def list_enterprises(session: AsyncSession, *, active_only: bool = True) -> Sequence[Enterprise]:
    """Return enterprises ordered by name."""
    query = select(Enterprise).order_by(Enterprise.id)
    if active_only:
        query = query.where(Enterprise.active.is_(True))
    return (await session.scalars(query)).all()


async def get_enterprise(session: AsyncSession, enterprise_id: int) -> Enterprise | None:
    """Return one enterprise by id."""
    return await session.get(Enterprise, enterprise_id)


async def match_enterprises(session: AsyncSession, text: str, limit: int = 5) -> list[Enterprise]:
    """Find enterprises by name or alias: an exact hit alone, else containing names, else the closest."""
    needle = unicodedata.normalize("NFKC", clean_text(text, 100)).lower()
    if not needle:
        return []
    enterprises = await list_enterprises(session)

    def names(e: Enterprise) -> list[str]:
        return [unicodedata.normalize("NFKC", n).lower() for n in (e.name, *e.aliases)]

    exact = [e for e in enterprises if needle in names(e)]
    if exact:
        return exact[:1]
    containing = [e for e in enterprises if any(needle in n or n in needle for n in names(e))]
    if containing:
        return containing[:limit]

    def score(e: Enterprise) -> tuple[float, float]:
        # Characters shared with any of its names first (Chinese names share few), then similarity.
        shared = len(set(needle) & set("".join(names(e)))) / len(set(needle))
        return shared, max(difflib.SequenceMatcher(None, needle, n).ratio() for n in names(e))

    scored = sorted(((score(e), e) for e in enterprises), key=lambda pair: pair[0], reverse=True)
    return [e for (shared, ratio), e in scored if ratio >= 0.3 and shared >= 0.5][:limit]


async def add_enterprise(
    session: AsyncSession,
    *,
    name: str,
    aliases: list[str],
    industry: str | None,
    actor: Person | None,
    at: datetime,
) -> Enterprise | None:
    """Create an enterprise; None when the name is already taken."""
    if await session.scalar(select(Enterprise).where(Enterprise.name == name)) is not None:
        return None
    enterprise = Enterprise(name=name, aliases=aliases, industry=industry, active=True, created_at=at)
    session.add(enterprise)
    await session.flush()
    await audit(session, at, actor, "enterprise.add", "enterprise", enterprise.id, name=name, aliases=aliases)
    return enterprise


async def import_enterprises(
    session: AsyncSession, rows: list[dict[str, Any]], at: datetime
) -> tuple[int, int]:
    """Create or update enterprises by name; return (created, updated)."""
    created = updated = 0
    for row in rows:
        existing = await session.scalar(select(Enterprise).where(Enterprise.name == row["name"]))
        if existing is None:
            session.add(
                Enterprise(
                    name=row["name"],
                    aliases=row["aliases"],
                    industry=row["industry"],
                    active=row["active"],
                    created_at=at,
                )
            )
            created += 1
        else:
            existing.aliases = row["aliases"]
            existing.industry = row["industry"]
            existing.active = row["active"]
            updated += 1
    await session.flush()
    await audit(session, at, None, "enterprise.import", "enterprise", None, created=created, updated=updated)
    return created, updated


# --- people ------------------------------------------------------------------------------------


async def find_people(session: AsyncSession, platform: str, text: str) -> list[Person]:
    """Find people on a platform by @username, numeric id or display name (exact, then containing)."""
    needle = clean_text(text, 100).removeprefix("@")
    if not needle:
        return []
    query = select(Person).where(Person.platform == platform)
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
    role: str | None,
    enterprise: Enterprise | None,
    *,
    actor: Person | None,
    at: datetime,
) -> None:
    """Give a person a role (and enterprise for leads and members), with an audit row."""
    before = {"role": person.role, "enterprise_id": person.enterprise_id}
    pending = await pending_join(session, person)
    if pending is not None:  # a role given directly supersedes what the person asked for
        pending.status = "withdrawn"
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


async def people_with_role(session: AsyncSession, platform: str, roles: Sequence[str]) -> Sequence[Person]:
    """Return people on a platform holding any of the roles."""
    rows = await session.scalars(
        select(Person).where(Person.platform == platform, Person.role.in_(roles)).order_by(Person.id)
    )
    return rows.unique().all()


async def people_of_enterprise(
    session: AsyncSession, enterprise_id: int, roles: Sequence[str]
) -> Sequence[Person]:
    """Return an enterprise's people holding any of the roles."""
    rows = await session.scalars(
        select(Person)
        .where(Person.enterprise_id == enterprise_id, Person.role.in_(roles))
        .order_by(Person.id)
    )
    return rows.unique().all()


# --- join requests -----------------------------------------------------------------------------


async def pending_join(session: AsyncSession, person: Person) -> JoinRequest | None:
    """Return the person's open join request, if any."""
    return await session.scalar(
        select(JoinRequest).where(JoinRequest.person_id == person.id, JoinRequest.status == "pending")
    )


async def create_join(
    session: AsyncSession,
    person: Person,
    enterprise: Enterprise,
    role: str,
    *,
    origin_platform: str,
    origin_chat_id: str,
    at: datetime,
) -> JoinRequest:
    """Open a join request, replacing an earlier pending one of the same person."""
    earlier = await pending_join(session, person)
    if earlier is not None:
        earlier.status = "withdrawn"
        earlier.decided_at = at
    request = JoinRequest(
        person_id=person.id,
        enterprise_id=enterprise.id,
        role=role,
        status="pending",
        origin_platform=origin_platform,
        origin_chat_id=origin_chat_id,
        created_at=at,
    )
    session.add(request)
    await session.flush()
    await audit(
        session, at, person, "join.request", "join_request", request.id, enterprise=enterprise.name, role=role
    )
    return request


async def get_join(session: AsyncSession, request_id: int) -> JoinRequest | None:
    """Return one join request."""
    return await session.get(JoinRequest, request_id)


async def decide_join(
    session: AsyncSession, request: JoinRequest, approve: bool, *, actor: Person, at: datetime
) -> None:
    """Approve (and give the role) or reject a pending join request."""
    request.status = "approved" if approve else "rejected"
    request.decided_by_id = actor.id
    request.decided_at = at
    await audit(session, at, actor, "join.approve" if approve else "join.reject", "join_request", request.id)
    if approve:
        await set_role(session, request.person, request.role, request.enterprise, actor=actor, at=at)


# --- cards -------------------------------------------------------------------------------------


async def record_card_post(
    session: AsyncSession, *, card_key: str, platform: str, chat_id: str, message_id: str, at: datetime
) -> None:
    """Remember where a card was posted."""
    session.add(
        CardPost(card_key=card_key, platform=platform, chat_id=chat_id, message_id=message_id, created_at=at)
    )


async def card_posts(session: AsyncSession, card_key: str, platform: str) -> Sequence[CardPost]:
    """Return every message showing a card on a platform."""
    rows = await session.scalars(
        select(CardPost)
        .where(CardPost.card_key == card_key, CardPost.platform == platform)
        .order_by(CardPost.id)
    )
    return rows.all()


async def card_at(session: AsyncSession, platform: str, chat_id: str, message_id: str) -> str | None:
    """Return the key of the card shown by a message, if that message is one of our cards."""
    return await session.scalar(
        select(CardPost.card_key).where(
            CardPost.platform == platform, CardPost.chat_id == chat_id, CardPost.message_id == message_id
        )
    )


# --- conversations -----------------------------------------------------------------------------


async def get_conversation(
    session: AsyncSession, platform: str, chat_id: str, person: Person
) -> Conversation | None:
    """Return what the bot is waiting for from this person in this chat."""
    return await session.scalar(
        select(Conversation).where(
            Conversation.platform == platform,
            Conversation.chat_id == chat_id,
            Conversation.person_id == person.id,
        )
    )


async def start_conversation(
    session: AsyncSession,
    *,
    platform: str,
    chat_id: str,
    person: Person,
    kind: str,
    data: dict[str, Any],
    at: datetime,
) -> Conversation:
    """Wait for this person's next message in this chat, replacing any earlier question."""
    await end_conversation(session, platform, chat_id, person)
    conv = Conversation(
        platform=platform,
        chat_id=chat_id,
        person_id=person.id,
        kind=kind,
        data=data,
        created_at=at,
        updated_at=at,
    )
    session.add(conv)
    await session.flush()
    return conv


async def end_conversation(session: AsyncSession, platform: str, chat_id: str, person: Person) -> None:
    """Stop waiting for this person in this chat."""
    await session.execute(
        delete(Conversation).where(
            Conversation.platform == platform,
            Conversation.chat_id == chat_id,
            Conversation.person_id == person.id,
        )
    )
