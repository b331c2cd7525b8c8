"""schedules and reports: job runs, inspections, drills, the hazard-event hash chain, report indexes

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29

Existing events are linked into the chain in id order (back-filled here with the same `v1` format
that `domain/hazards/chain.py` writes), and the head row names the last of them.
"""

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"


def upgrade() -> None:
    op.create_table(
        "job_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job", sa.String(length=40), nullable=False),
        sa.Column("period", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_runs")),
        sa.UniqueConstraint("job", "period", name=op.f("uq_job_runs_job")),
    )
    op.create_table(
        "ledger_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("hash", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_head")),
    )
    op.create_table(
        "inspections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("person_times", sa.Integer(), nullable=False),
        sa.Column("enterprise_ids", sa.JSON(), nullable=False),
        sa.Column("activity", sa.String(length=200), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["people.id"], name=op.f("fk_inspections_recorded_by_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspections")),
    )
    op.create_index("ix_inspections_day", "inspections", ["day"])
    op.create_table(
        "drills",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("participants", sa.Integer(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], name=op.f("fk_drills_enterprise_id_enterprises")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["people.id"], name=op.f("fk_drills_recorded_by_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drills")),
        sa.CheckConstraint("kind IN ('drill', 'training')", name=op.f("ck_drills_kind")),
    )
    op.create_index("ix_drills_day", "drills", ["day"])
    with op.batch_alter_table("hazard_events") as batch:
        batch.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    # Reports scan by time: found in a period, closed in a period; the export by action per hazard.
    # The time indexes cover the columns the figures group by, so counting reads the index alone.
    op.create_index(
        "ix_hazards_found_at", "hazards", ["found_at", "enterprise_id", "level", "mode", "status"]
    )
    op.create_index("ix_hazards_closed_at", "hazards", ["closed_at", "enterprise_id", "mode"])
    op.create_index("ix_hazards_status_due", "hazards", ["status", "due_date"])
    op.create_index(
        "ix_hazards_status_found", "hazards", ["status", "found_at", "enterprise_id", "mode", "updated_at"]
    )
    op.create_index("ix_hazard_events_hazard_action", "hazard_events", ["hazard_id", "action"])
    _backfill_chain()


def _backfill_chain() -> None:
    """Link every existing event into the chain, in id order, and write the head row."""
    from storage.models import UTCDateTime

    bind = op.get_bind()
    events = sa.table(
        "hazard_events",
        *(sa.column(c) for c in COLUMNS if c not in ("at", "data")),
        sa.column("at", UTCDateTime()),
        sa.column("data", sa.JSON()),
        sa.column("prev_hash"),
        sa.column("hash"),
    )
    prev = GENESIS
    last_id = None
    after = 0
    while True:
        rows = bind.execute(
            sa.select(*(events.c[c] for c in COLUMNS))
            .where(events.c.id > after)
            .order_by(events.c.id)
            .limit(2000)
        ).all()
        if not rows:
            break
        updates = []
        for r in rows:
            m = r._mapping
            own = digest(m, prev)
            updates.append({"eid": m["id"], "p": prev, "h": own})
            prev, last_id = own, m["id"]
        bind.execute(
            events.update()
            .where(events.c.id == sa.bindparam("eid"))
            .values(prev_hash=sa.bindparam("p"), hash=sa.bindparam("h")),
            updates,
        )
        after = rows[-1]._mapping["id"]
    head = sa.table("ledger_head", sa.column("id"), sa.column("event_id"), sa.column("hash"))
    bind.execute(head.insert().values(id=1, event_id=last_id, hash=prev if last_id is not None else None))


def downgrade() -> None:
    op.drop_index("ix_hazard_events_hazard_action", table_name="hazard_events")
    op.drop_index("ix_hazards_status_found", table_name="hazards")
    op.drop_index("ix_hazards_status_due", table_name="hazards")
    op.drop_index("ix_hazards_closed_at", table_name="hazards")
    op.drop_index("ix_hazards_found_at", table_name="hazards")
    with op.batch_alter_table("hazard_events") as batch:
        batch.drop_column("hash")
        batch.drop_column("prev_hash")
    op.drop_index("ix_drills_day", table_name="drills")
    op.drop_table("drills")
    op.drop_index("ix_inspections_day", table_name="inspections")
    op.drop_table("inspections")
    op.drop_table("ledger_head")
    op.drop_table("job_runs")


# The chain's v1 format, frozen here as it was when this migration was written: a migration must give the
# same result later, whatever the code's current format (`domain/hazards/chain.py`) has become.
GENESIS = "0" * 64
COLUMNS = (
    "id",
    "hazard_id",
    "at",
    "actor_kind",
    "actor_id",
    "action",
    "from_status",
    "to_status",
    "note",
    "data",
)


def _text(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, Mapping):
        return {str(k): _text(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_text(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


def digest(row: Mapping[str, Any] | Any, prev_hash: str) -> str:
    """Return an event's v1 hash: SHA-256 of the previous hash and the event's canonical JSON."""
    content = {"v": "v1", "id": row["id"], "hazard_id": row["hazard_id"], "at": _text(row["at"])}
    for c in ("actor_kind", "action", "from_status", "to_status"):
        content[c] = _text(row[c])
    content.update(actor_id=row["actor_id"], note=row["note"], data=_text(row["data"] or {}))
    body = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()
