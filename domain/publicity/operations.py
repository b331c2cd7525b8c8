"""Recording publicity (宣传): one row per entry of what a manager wrote, with an audit row each. The rules
(who records, how a record is read) are `domain/publicity/rules.py`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domain.outcome import Change, Refused
from domain.publicity.rules import Parsed, Refusal, may_record
from storage.audit import audit
from storage.models import Person, Publicity


async def record(session: AsyncSession, parsed: Parsed, actor: Person, at: datetime) -> Change[list[Publicity]]:
    """Record each entry of a publicity record on its day; managers and admins only."""
    if not may_record(actor):
        raise Refused(Refusal.NOT_ALLOWED)
    rows = [
        Publicity(
            day=parsed.day,
            item=e.item,
            count=e.count,
            unit=e.unit,
            recorded_by_id=actor.id,
            created_at=at,
        )
        for e in parsed.entries
    ]
    session.add_all(rows)
    await session.flush()
    for row in rows:
        detail = {"day": row.day.isoformat(), "item": row.item, "count": row.count, "unit": row.unit}
        await audit(session, at, actor, "publicity.record", "publicity", row.id, **detail)
    return Change(rows, rows[0] if rows else None)
