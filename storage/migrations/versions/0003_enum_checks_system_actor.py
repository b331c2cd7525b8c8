"""enum CHECK constraints; hazard events may be made by the system

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"

# Frozen copies of the vocabularies in storage/enums.py as of this revision.
ROLES = ("admin", "manager", "inspector", "lead", "member")
STATUSES = ("reported", "rectifying", "awaiting_verification", "closed")
CHECKS: dict[str, dict[str, tuple[str, ...]]] = {
    "people": {"role": ROLES},
    "join_requests": {"role": ROLES, "status": ("pending", "approved", "rejected", "withdrawn")},
    "hazards": {
        "level": ("general", "major"),
        "mode": ("immediate", "deadline"),
        "status": STATUSES,
        "source": ("snapshot", "inspection", "campaign"),
    },
    "hazard_events": {"from_status": STATUSES, "to_status": STATUSES, "actor_kind": ("person", "system")},
}


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    # On SQLite, batch mode rebuilds tables that others reference: `storage.db.upgrade` runs this with
    # foreign-key enforcement off and checks every key afterwards.
    with op.batch_alter_table("hazard_events") as batch:
        batch.add_column(
            sa.Column("actor_kind", sa.String(length=30), nullable=False, server_default="person")
        )
        batch.alter_column("actor_id", existing_type=sa.Integer(), nullable=True)
    for table, columns in CHECKS.items():
        with op.batch_alter_table(table) as batch:
            for column, values in columns.items():
                if column != "actor_kind":  # one length for every enum column, as the models declare
                    batch.alter_column(column, existing_type=sa.String(), type_=sa.String(length=30))
                batch.create_check_constraint(op.f(f"ck_{table}_{column}"), _in(column, values))
    with op.batch_alter_table("hazard_events") as batch:
        batch.alter_column("actor_kind", server_default=None)


def downgrade() -> None:
    for table, columns in CHECKS.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.drop_constraint(op.f(f"ck_{table}_{column}"), type_="check")
    with op.batch_alter_table("hazard_events") as batch:
        batch.drop_column("actor_kind")
        batch.alter_column("actor_id", existing_type=sa.Integer(), nullable=False)
