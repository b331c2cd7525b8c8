"""ledger chain v2: each event seals the hazard as the ledger prints it; chain heads posted to the groups

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"


def upgrade() -> None:
    op.add_column("hazard_events", sa.Column("state", sa.JSON(), nullable=True))
    op.create_table(
        "ledger_anchors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_anchors")),
    )
    _seal_every_hazard()


def downgrade() -> None:
    bind = op.get_bind()
    events = sa.table("hazard_events", sa.column("id"), sa.column("action"), sa.column("hash"))
    bind.execute(sa.delete(events).where(events.c.action == "seal"))
    last = bind.execute(sa.select(events.c.id, events.c.hash).order_by(events.c.id.desc()).limit(1)).first()
    head = sa.table("ledger_head", sa.column("id"), sa.column("event_id"), sa.column("hash"))
    bind.execute(sa.update(head).values(event_id=last[0] if last else None, hash=last[1] if last else None))
    op.drop_table("ledger_anchors")
    op.drop_column("hazard_events", "state")


# The v2 format, frozen as it was when this migration was written (the code's `domain/hazards/chain.py`
# may move on): every existing hazard gets one system event `seal` carrying its current state, so the
# chain covers each hazard's printed fields from here on.
GENESIS = "0" * 64
STATE_FIELDS = (
    "code", "enterprise_id", "reporter_id", "description", "category", "level", "mode", "due_date",
    "status", "source", "five_in_place", "found_at", "closed_at",
)  # fmt: skip


def _text(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _text(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_text(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


def _digest(event: Mapping[str, Any], prev_hash: str) -> str:
    content = {"v": "v2", "state": _text(event["state"])}
    for c in ("id", "hazard_id", "actor_id", "note"):
        content[c] = event[c]
    for c in ("at", "actor_kind", "action", "from_status", "to_status"):
        content[c] = _text(event[c])
    content["data"] = _text(event["data"] or {})
    body = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


def _seal_every_hazard() -> None:
    bind = op.get_bind()
    at = datetime.now(UTC)
    from storage.models import UTCDateTime

    typed: dict[str, Any] = {
        "found_at": UTCDateTime(),
        "closed_at": UTCDateTime(),
        "due_date": sa.Date(),
        "five_in_place": sa.JSON(),
    }
    hazards = sa.table("hazards", *(sa.column(c, typed.get(c)) for c in ("id", *STATE_FIELDS)))
    head_t = sa.table("ledger_head", sa.column("id"), sa.column("event_id"), sa.column("hash"))
    events = sa.table(
        "hazard_events",
        *(
            sa.column(c)
            for c in (
                "id",
                "hazard_id",
                "actor_kind",
                "actor_id",
                "action",
                "from_status",
                "to_status",
                "note",
            )
        ),
        sa.column("at", UTCDateTime()),
        sa.column("data", sa.JSON()),
        sa.column("state", sa.JSON()),
        sa.column("prev_hash"),
        sa.column("hash"),
    )
    head = bind.execute(sa.select(head_t.c.event_id, head_t.c.hash)).first()
    prev = head[1] if head and head[1] else GENESIS
    last_id = head[0] if head else None
    next_id = (bind.execute(sa.select(sa.func.max(events.c.id))).scalar() or 0) + 1
    photos = _digests(bind, "hazard_photos", "photo_id", "photos")
    documents = _digests(bind, "hazard_documents", "document_id", "documents")
    for row in bind.execute(sa.select(hazards).order_by(hazards.c.id)).mappings().all():
        state = {f: _text(row[f]) for f in STATE_FIELDS}
        state["five_in_place"] = _text(row["five_in_place"] or {})
        state["photos"] = sorted(photos.get(row["id"], []))
        state["documents"] = sorted(documents.get(row["id"], []))
        values = {
            "hazard_id": row["id"], "at": at, "actor_kind": "system", "actor_id": None, "action": "seal",
            "from_status": row["status"], "to_status": None, "note": None, "data": {}, "state": state,
        }  # fmt: skip
        event_id, next_id = (
            next_id,
            next_id + 1,
        )  # ids given here: rows inserted with ids leave a sequence behind
        bind.execute(sa.insert(events).values(id=event_id, **values))
        own = _digest({**values, "id": event_id}, prev)
        bind.execute(sa.update(events).where(events.c.id == event_id).values(prev_hash=prev, hash=own))
        prev, last_id = own, event_id
    if bind.dialect.name == "postgresql":
        bind.execute(
            sa.text(
                "SELECT setval(pg_get_serial_sequence('hazard_events', 'id'), (SELECT max(id) FROM hazard_events))"
            )
        )
    if last_id is not None:
        if head is None:
            bind.execute(sa.insert(head_t).values(id=1, event_id=last_id, hash=prev))
        else:
            bind.execute(sa.update(head_t).values(event_id=last_id, hash=prev))


def _digests(bind: Any, link: str, column: str, files: str) -> dict[int, list[list[str]]]:
    """Return each hazard's linked files as [phase, sha256] pairs."""
    rows = bind.execute(
        sa.text(f"SELECT l.hazard_id, l.phase, f.sha256 FROM {link} l JOIN {files} f ON f.id = l.{column}")
    ).all()
    out: dict[int, list[list[str]]] = {}
    for hazard_id, phase, sha in rows:
        out.setdefault(hazard_id, []).append([phase, sha])
    return out
