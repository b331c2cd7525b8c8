"""trainings with organiser, days and enterprises; drills with a kind (消防, 危化品泄漏, 防汛, 其他) and a place

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-06

Trainings recorded by `/drill … 培训` before this revision (rows of kind `training` in `drills`) move to
`trainings` with their day, title, enterprise and people; existing drills get their kind from their
title with a frozen copy of the words in `domain/reports/rules.py`.
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"

# Frozen copies of storage/enums.DrillKind and of the words of domain/reports/rules.DRILL_KIND_WORDS.
DRILL_KINDS = ("fire", "chemical_leak", "flood", "other")
KIND_WORDS = (
    ("chemical_leak", ("危化", "泄漏", "泄露")),
    ("flood", ("防汛", "汛", "防洪", "洪")),
    ("fire", ("消防", "火灾", "灭火", "火")),
)


def _kind(title: str) -> str:
    return next((kind for kind, words in KIND_WORDS if any(w in title for w in words)), "other")


def upgrade() -> None:
    op.create_table(
        "trainings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("organiser", sa.String(length=100), nullable=True),
        sa.Column("external", sa.Boolean(), nullable=True),
        sa.Column("days", sa.Float(), nullable=True),
        sa.Column("park_wide", sa.Boolean(), nullable=False),
        sa.Column("enterprise_ids", sa.JSON(), nullable=False),
        sa.Column("person_times", sa.Integer(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["people.id"], name=op.f("fk_trainings_recorded_by_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trainings")),
    )
    op.create_index("ix_trainings_day", "trainings", ["day"], unique=False)
    with op.batch_alter_table("drills") as batch:
        batch.add_column(
            sa.Column("drill_kind", sa.String(length=30), server_default="other", nullable=False)
        )
        batch.add_column(sa.Column("place", sa.String(length=100), nullable=True))
        batch.create_check_constraint(
            op.f("ck_drills_drill_kind"), f"drill_kind IN ({', '.join(repr(v) for v in DRILL_KINDS)})"
        )
    with op.batch_alter_table("drills") as batch:
        batch.alter_column("drill_kind", server_default=None)

    bind = op.get_bind()
    drills = sa.table(
        "drills",
        sa.column("id", sa.Integer()),
        sa.column("day", sa.Date()),
        sa.column("kind", sa.String()),
        sa.column("title", sa.String()),
        sa.column("enterprise_id", sa.Integer()),
        sa.column("participants", sa.Integer()),
        sa.column("recorded_by_id", sa.Integer()),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("drill_kind", sa.String()),
    )
    trainings = sa.table(
        "trainings",
        sa.column("day", sa.Date()),
        sa.column("title", sa.String()),
        sa.column("park_wide", sa.Boolean()),
        sa.column("enterprise_ids", sa.JSON()),
        sa.column("person_times", sa.Integer()),
        sa.column("recorded_by_id", sa.Integer()),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    rows = bind.execute(sa.select(drills).order_by(drills.c.id)).mappings().all()
    moved = [
        {
            "day": r["day"],
            "title": r["title"],
            "park_wide": r["enterprise_id"] is None,
            "enterprise_ids": [r["enterprise_id"]] if r["enterprise_id"] is not None else [],
            "person_times": r["participants"],
            "recorded_by_id": r["recorded_by_id"],
            "created_at": r["created_at"],
        }
        for r in rows
        if r["kind"] == "training"
    ]
    if moved:
        op.bulk_insert(trainings, moved)
        bind.execute(sa.delete(drills).where(drills.c.kind == "training"))
    for r in rows:
        if r["kind"] != "training" and (kind := _kind(r["title"])) != "other":
            bind.execute(sa.update(drills).where(drills.c.id == r["id"]).values(drill_kind=kind))


def downgrade() -> None:
    bind = op.get_bind()
    rows = (
        bind.execute(
            sa.text(
                "SELECT day, title, park_wide, enterprise_ids, person_times, recorded_by_id, created_at FROM trainings"
            )
        )
        .mappings()
        .all()
    )
    with op.batch_alter_table("drills") as batch:
        batch.drop_constraint(op.f("ck_drills_drill_kind"), type_="check")
        batch.drop_column("place")
        batch.drop_column("drill_kind")
    for r in rows:  # a training back as one row of kind `training` (its first enterprise, or park-wide)
        ids = r["enterprise_ids"]
        ids = json.loads(ids) if isinstance(ids, str) else ids
        bind.execute(
            sa.text(
                "INSERT INTO drills (day, kind, title, enterprise_id, participants, recorded_by_id, created_at)"
                " VALUES (:day, 'training', :title, :e, :n, :by, :at)"
            ),
            {
                "day": r["day"],
                "title": r["title"],
                "e": None if r["park_wide"] or not ids else ids[0],
                "n": r["person_times"],
                "by": r["recorded_by_id"],
                "at": r["created_at"],
            },
        )
    op.drop_index("ix_trainings_day", table_name="trainings")
    op.drop_table("trainings")
