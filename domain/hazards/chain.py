"""The hash chain of the hazard ledger: every event carries the previous event's hash and its own.

An event's hash is SHA-256 over a canonical JSON of its content (the format is versioned, `v1`) and
the previous event's hash, in id order. `seal` is called where events are written
(`domain/hazards/operations.py` `_record`) after locking the chain head (`ledger_head`, one row): writers
then queue, so ids are handed out in chain order even with several processes on one PostgreSQL
database (SQLite has one writer anyway). `verify` recomputes the chain and names the first row that
was altered or is missing; the Excel ledger states the head so a printed copy can be checked later.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Hazard, HazardEvent, LedgerHead

VERSION = "v1"
GENESIS = "0" * 64  # the "previous hash" of the first event
HEAD_ID = 1


def _text(value: Any) -> Any:
    """Return a value as plain JSON data (enums as their value, datetimes as UTC ISO text)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, Mapping):
        return {str(k): _text(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_text(v) for v in value]
    if isinstance(value, str):
        return str(value)  # a StrEnum as its plain value
    return value


def content(row: Mapping[str, Any] | Any) -> dict[str, Any]:
    """Return the content of an event that the hash covers, from its column values."""
    return {
        "v": VERSION,
        "id": row["id"],
        "hazard_id": row["hazard_id"],
        "at": _text(row["at"]),
        "actor_kind": _text(row["actor_kind"]),
        "actor_id": row["actor_id"],
        "action": _text(row["action"]),
        "from_status": _text(row["from_status"]),
        "to_status": _text(row["to_status"]),
        "note": row["note"],
        "data": _text(row["data"] or {}),
    }


def digest(row: Mapping[str, Any] | Any, prev_hash: str) -> str:
    """Return an event's hash: SHA-256 of the previous hash and the event's canonical JSON."""
    body = json.dumps(content(row), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


COLUMNS = ("id", "hazard_id", "at", "actor_kind", "actor_id", "action", "from_status", "to_status", "note", "data")


def _row(event: HazardEvent) -> dict[str, Any]:
    return {c: getattr(event, c) for c in COLUMNS}


async def lock_head(session: AsyncSession) -> LedgerHead:
    """Lock the chain head for this transaction (created on first use); writers of events queue here."""
    head = await session.scalar(select(LedgerHead).where(LedgerHead.id == HEAD_ID).with_for_update())
    if head is None:
        from storage.db import dialect_insert

        await session.execute(
            dialect_insert(session)(LedgerHead).values(id=HEAD_ID, event_id=None, hash=None).on_conflict_do_nothing()
        )
        head = await session.scalar(select(LedgerHead).where(LedgerHead.id == HEAD_ID).with_for_update())
    assert head is not None
    return head


def seal(head: LedgerHead, event: HazardEvent) -> None:
    """Link a flushed event (it has its id) to the chain under the locked head, and move the head."""
    prev = head.hash or GENESIS
    event.prev_hash = prev
    event.hash = digest(_row(event), prev)
    head.event_id = event.id
    head.hash = event.hash


@dataclass(frozen=True)
class Head:
    """The chain head as printed on an export: the newest event's id and hash."""

    event_id: int | None
    hash: str | None


async def head(session: AsyncSession) -> Head:
    """Return the current chain head (no lock)."""
    row = await session.get(LedgerHead, HEAD_ID)
    return Head(row.event_id, row.hash) if row is not None else Head(None, None)


@dataclass(frozen=True)
class Broken:
    """The first place the chain does not hold: the event id, the hazard code, and what is wrong."""

    event_id: int | None
    code: str | None
    problem: str  # "altered", "missing_before", "missing_after", "head"


@dataclass(frozen=True)
class Verified:
    """What `verify` found: how many events it checked, the head, and the first break (None: intact)."""

    events: int
    head: Head
    broken: Broken | None


async def verify(session: AsyncSession, batch: int = 5000) -> Verified:
    """Recompute the whole chain in id order and return the first altered or missing row, if any.

    An event whose own hash does not match its content was altered; one whose `prev_hash` is not the
    hash of the event before it follows a missing (deleted) or altered row. The head must name the
    last event: rows deleted at the end of the chain are found that way.
    """
    prev = GENESIS
    last_id: int | None = None
    count = 0
    cols = [getattr(HazardEvent, c) for c in COLUMNS]
    after = 0
    while True:
        rows = (
            await session.execute(
                select(*cols, HazardEvent.prev_hash, HazardEvent.hash, Hazard.code)
                .join(Hazard, Hazard.id == HazardEvent.hazard_id)
                .where(HazardEvent.id > after)
                .order_by(HazardEvent.id)
                .limit(batch)
            )
        ).all()
        if not rows:
            break
        for r in rows:
            m = r._mapping
            count += 1
            if m["prev_hash"] != prev:
                return Verified(count, await head(session), Broken(m["id"], m["code"], "missing_before"))
            if m["hash"] != digest(m, prev):
                return Verified(count, await head(session), Broken(m["id"], m["code"], "altered"))
            prev = m["hash"]
            last_id = m["id"]
        after = rows[-1]._mapping["id"]
    current = await head(session)
    if current.event_id != last_id or (last_id is not None and current.hash != prev):
        return Verified(count, current, Broken(current.event_id, None, "missing_after"))
    return Verified(count, current, None)
