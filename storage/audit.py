"""The audit log and the processed-update keys: what changed, by whom, and which updates were handled.

Functions take the unit of work's session and never commit: the dispatcher commits once per update.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import dialect_insert
from storage.lane import Lane, Prepared, lane_of
from storage.models import AuditEntry, Person, ProcessedUpdate


async def audit(
    session: AsyncSession,
    at: datetime,
    actor: Person | None,
    action: str,
    entity: str,
    entity_id: object | None = None,
    **detail: Any,
) -> None:
    """Record one change in the audit log: a Core INSERT on the session's connection, written at once.

    Nothing reads an audit row back as an object, so it skips the ORM's flush (an ORM object costs a
    unit-of-work pass at the next flush: about a millisecond on every 收到 pressed)."""
    conn = await session.connection()
    await conn.run_sync(audit_on, at, actor.id if actor else None, action, entity, entity_id, detail)


def audit_on(
    conn: Lane | Connection,
    at: datetime,
    actor_id: int | None,
    action: str,
    entity: str,
    entity_id: object | None,
    detail: dict[str, Any],
) -> None:
    """Record one change in the audit log on the bookkeeping lane (or a session's connection)."""
    lane_of(conn).count(
        _AUDIT,
        {
            "at": at,
            "actor_id": actor_id,
            "action": action,
            "entity": entity,
            "entity_id": None if entity_id is None else str(entity_id),
            "detail": detail,
        },
    )


_AUDIT = Prepared(insert(AuditEntry), ["at", "actor_id", "action", "entity", "entity_id", "detail"])


async def claim_update(session: AsyncSession, key: str, at: datetime) -> bool:
    """Record an update key; False when it was already processed (the primary key decides).

    One `INSERT … ON CONFLICT DO NOTHING` on both databases: no savepoint, no exception on a repeat.
    """
    result = await session.execute(
        dialect_insert(session)(ProcessedUpdate).values(key=key, at=at).on_conflict_do_nothing()
    )
    return bool(getattr(result, "rowcount", 0) == 1)


async def prune_processed(session: AsyncSession, before: datetime) -> int:
    """Forget processed-update keys older than a moment (platforms do not repeat updates that old)."""
    result = await session.execute(delete(ProcessedUpdate).where(ProcessedUpdate.at < before))
    return int(getattr(result, "rowcount", 0) or 0)
