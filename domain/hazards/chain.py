"""The hash chain of the hazard ledger: every event carries the previous event's hash and its own.

An event's hash is SHA-256 over a canonical JSON of its content and the previous event's hash, in id
order. Since format `v2` (migration 0013) the content includes the hazard's *state* right after the
event: every field the ledger and the export print (description, enterprise, reporter, level, mode,
status, dates, category, five-in-place) and the SHA-256 of each photo and document linked to it, so
the chain covers what the ledger shows, not only what happened. Events written before keep their `v1`
hashes; the migration sealed every hazard's state then with one system event `seal`. `seal` is called where events are written
(`domain/hazards/operations.py` `_record`) after locking the chain head (`ledger_head`, one row): writers
then queue, so ids are handed out in chain order even with several processes on one PostgreSQL
database (SQLite has one writer anyway). `verify` recomputes the chain and names the first row that
was altered or is missing, then checks that every hazard row equals the state its last event sealed
and that every hazard has events. The weekly digest posts the head to the park groups
(`LedgerAnchor`): `verify_head` proves the ledger still extends a head posted outside the database.

A printed field added later (the location 部位, migration 0018; the inspection it was found on, whose
name the export's 来源 prints, migration 0020; 补录, when a hazard was entered from paper records,
migration 0023) joins the sealed state from then on;
states sealed before it lack the key and are read with the field's value for those rows
(`LATER_FIELDS`), so old events keep their hashes and old rows still verify, while a location written
into an old row behind the bot's back is found like any other change.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import PurePosixPath
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Document,
    Hazard,
    HazardDocument,
    HazardEvent,
    HazardPhoto,
    LedgerAnchor,
    LedgerHead,
    Photo,
)

VERSION = "v2"
GENESIS = "0" * 64  # the "previous hash" of the first event
HEAD_ID = 1


def _text(value: Any) -> Any:
    """Return a value as plain JSON data (enums as their value, datetimes as UTC ISO text)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _text(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_text(v) for v in value]
    if isinstance(value, str):
        return str(value)  # a StrEnum as its plain value
    return value


def content(row: Mapping[str, Any] | Any) -> dict[str, Any]:
    """Return the content of an event that the hash covers, from its column values (v2 with a state)."""
    state = row.get("state")
    return {
        **({"v": "v1"} if state is None else {"v": VERSION, "state": _text(state)}),
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


COLUMNS = (
    "id", "hazard_id", "at", "actor_kind", "actor_id", "action", "from_status", "to_status", "note", "data", "state",
)  # fmt: skip

# What a hazard's sealed state holds besides its files: every field the ledger and the export print.
STATE_FIELDS = (
    "code", "enterprise_id", "reporter_id", "description", "category", "level", "mode", "due_date",
    "status", "source", "five_in_place", "found_at", "closed_at", "location", "inspection_id", "backfilled_at",
)  # fmt: skip
# Fields added to the state after events were sealed without them, with the value every hazard had
# then: a state sealed before a field existed is compared as if it held that value.
LATER_FIELDS: dict[str, Any] = {"location": "", "inspection_id": None, "backfilled_at": None}


def state_of(hazard: Mapping[str, Any] | Any, photos: list[list[str]], documents: list[list[str]]) -> dict[str, Any]:
    """Return a hazard's state as the chain seals it: its printed fields and its files' [phase, sha256]."""
    get = hazard.__getitem__ if isinstance(hazard, Mapping) else lambda f: getattr(hazard, f)
    state = {f: _text(get(f)) for f in STATE_FIELDS}
    state["five_in_place"] = _text(get("five_in_place") or {})
    state["photos"] = sorted(photos)
    state["documents"] = sorted(documents)
    return state


async def files_of(session: AsyncSession, hazard_ids: list[int]) -> tuple[dict[int, list[list[str]]], dict[int, list[list[str]]]]:
    """Return the hazards' linked photos and documents as [phase, sha256] pairs, two queries in all."""
    out: list[dict[int, list[list[str]]]] = []
    for link, file, column in (
        (HazardPhoto, Photo, HazardPhoto.photo_id),
        (HazardDocument, Document, HazardDocument.document_id),
    ):
        found: dict[int, list[list[str]]] = {}
        rows = await session.execute(
            select(link.hazard_id, link.phase, file.sha256).join(file, file.id == column).where(link.hazard_id.in_(hazard_ids))
        )
        for hazard_id, phase, sha in rows.all():
            found.setdefault(hazard_id, []).append([phase, sha])
        out.append(found)
    return out[0], out[1]


async def current_state(session: AsyncSession, hazard: Hazard) -> dict[str, Any]:
    """Return the state of a hazard as its row and file links hold it now (flushed changes included)."""
    photos, documents = await files_of(session, [hazard.id])
    return state_of(hazard, photos.get(hazard.id, []), documents.get(hazard.id, []))


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


def seal(head: LedgerHead, event: HazardEvent, state: dict[str, Any]) -> None:
    """Link a flushed event (it has its id) with the hazard's state after it to the chain under the
    locked head, and move the head."""
    event.state = state
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
    """The first place the ledger does not hold: the event id, the hazard code, and what is wrong.

    `problem`: "altered" (an event's content), "missing_before" / "missing_after" (events deleted or
    reordered), "row_changed" (a hazard row or its file links differ from the state its last event
    sealed; `fields` names them), "no_events" (a hazard without its history), "file_moved" (a photo
    or document row that points at a file other than its own digest).
    """

    event_id: int | None
    code: str | None
    problem: str
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class Verified:
    """What `verify` found: how many events it checked, the head, and the first break (None: intact)."""

    events: int
    head: Head
    broken: Broken | None


async def verify(session: AsyncSession, batch: int = 5000) -> Verified:
    """Recompute the whole chain in id order, then check every hazard against its last sealed state.

    An event whose own hash does not match its content was altered; one whose `prev_hash` is not the
    hash of the event before it follows a missing (deleted) or altered row. The head must name the
    last event: rows deleted at the end of the chain are found that way. Then each hazard row (and its
    photo and document links) must equal the state its newest event sealed, and have events at all.
    """
    count = 0
    broken: Broken | None = None
    prev = GENESIS
    last_id: int | None = None
    async for m in _chain_rows(session, batch):
        count += 1
        if m["prev_hash"] != prev:
            broken = Broken(m["id"], m["code"], "missing_before")
            break
        if m["hash"] != digest(m, prev):
            broken = Broken(m["id"], m["code"], "altered")
            break
        prev = m["hash"]
        last_id = m["id"]
    current = await head(session)
    if broken is None and (current.event_id != last_id or (last_id is not None and current.hash != prev)):
        broken = Broken(current.event_id, None, "missing_after")
    if broken is None:
        broken = await _check_rows(session, batch)
    return Verified(count, current, broken)


async def _chain_rows(session: AsyncSession, batch: int) -> Any:
    """Yield every event's columns with its hashes and hazard code, in id order, a page at a time."""
    cols = [getattr(HazardEvent, c) for c in COLUMNS]
    after = 0
    while True:
        rows = (
            await session.execute(
                select(*cols, HazardEvent.prev_hash, HazardEvent.hash, Hazard.code)
                .outerjoin(Hazard, Hazard.id == HazardEvent.hazard_id)
                .where(HazardEvent.id > after)
                .order_by(HazardEvent.id)
                .limit(batch)
            )
        ).all()
        if not rows:
            return
        for r in rows:
            yield r._mapping
        after = rows[-1]._mapping["id"]


async def _check_rows(session: AsyncSession, batch: int) -> Broken | None:
    """Return the first hazard whose row or files differ from its last sealed state, or that has no events."""
    for file, where in ((Photo, "photo"), (Document, "document")):
        moved = (await session.execute(select(file.id, file.path, file.sha256))).all()
        for _id, path, sha in moved:
            if PurePosixPath(path).stem != sha:
                return Broken(None, None, "file_moved", (f"{where}#{_id}",))
    after = 0
    while True:
        hazards = list(
            (await session.scalars(select(Hazard).where(Hazard.id > after).order_by(Hazard.id).limit(batch))).all()
        )
        if not hazards:
            return None
        ids = [h.id for h in hazards]
        newest = (
            select(func.max(HazardEvent.id))
            .where(HazardEvent.hazard_id.in_(ids), HazardEvent.state.is_not(None))
            .group_by(HazardEvent.hazard_id)
        )
        sealed = {
            hazard_id: state
            for hazard_id, state in (
                await session.execute(select(HazardEvent.hazard_id, HazardEvent.state).where(HazardEvent.id.in_(newest)))
            ).all()
        }
        photos, documents = await files_of(session, ids)
        for h in hazards:
            if h.id not in sealed:
                return Broken(None, h.code, "no_events")
            now = state_of(h, photos.get(h.id, []), documents.get(h.id, []))
            was = sealed[h.id]
            differ = tuple(k for k in now if now[k] != was.get(k, LATER_FIELDS.get(k)))
            if differ:
                return Broken(None, h.code, "row_changed", differ)
        after = ids[-1]


@dataclass(frozen=True)
class Anchored:
    """What `verify_head` found for a head posted in the groups: where it stands in the chain now."""

    found: bool  # the posted hash is an event of the recomputed chain
    events: int  # that event's place in the chain (1-based), when found
    anchor: LedgerAnchor | None  # the row recorded when it was posted (None: not recorded here)


async def verify_head(session: AsyncSession, short: str, batch: int = 5000) -> Anchored:
    """Recompute the chain from its start and find the event whose hash begins with a posted head.

    A ledger that was rewritten (events deleted, altered or the chain recomputed) no longer holds the
    hash the groups saw, so the posted head proves what the database once was.
    """
    short = short.strip().lower()
    prev = GENESIS
    place = 0
    anchor = await session.scalar(
        select(LedgerAnchor).where(LedgerAnchor.hash.startswith(short)).order_by(LedgerAnchor.id.desc()).limit(1)
    )
    async for m in _chain_rows(session, batch):
        place += 1
        own = digest(m, prev)
        if own != m["hash"] or m["prev_hash"] != prev:
            break  # the chain breaks here; a head after this point cannot be proven
        if own.startswith(short):
            return Anchored(True, place, anchor)
        prev = own
    return Anchored(False, 0, anchor)


async def post_anchor(session: AsyncSession, at: datetime) -> LedgerAnchor | None:
    """Record the current head as posted now (the weekly digest shows it); None while the ledger is empty."""
    current = await head(session)
    if current.event_id is None or current.hash is None:
        return None
    events = await session.scalar(select(func.count()).select_from(HazardEvent).where(HazardEvent.id <= current.event_id))
    anchor = LedgerAnchor(posted_at=at, event_id=current.event_id, events=events or 0, hash=current.hash)
    session.add(anchor)
    await session.flush()
    return anchor


async def last_anchor(session: AsyncSession) -> LedgerAnchor | None:
    """Return the head posted last, if any."""
    return await session.scalar(select(LedgerAnchor).order_by(LedgerAnchor.id.desc()).limit(1))


SHORT = 12  # hex digits of a head shown to people: enough to be unique, short enough to read aloud
