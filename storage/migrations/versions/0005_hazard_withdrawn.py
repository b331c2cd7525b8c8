"""hazard status `withdrawn`: a mistaken or duplicate report taken back

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from alembic import op

revision = "0005"
down_revision = "0004"

# Frozen copies of the hazard statuses in storage/enums.py, before and after this revision.
BEFORE = ("reported", "rectifying", "awaiting_verification", "closed")
AFTER = (*BEFORE, "withdrawn")
COLUMNS = {"hazards": ("status",), "hazard_events": ("from_status", "to_status")}


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _replace_checks(values: tuple[str, ...]) -> None:
    # On SQLite, batch mode rebuilds the tables (others reference them): `storage.db.upgrade` runs this
    # with foreign-key enforcement off and checks every key afterwards, as for 0003.
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.drop_constraint(op.f(f"ck_{table}_{column}"), type_="check")
                batch.create_check_constraint(op.f(f"ck_{table}_{column}"), _in(column, values))


def upgrade() -> None:
    _replace_checks(AFTER)


def downgrade() -> None:
    # A withdrawn hazard cannot be stored under the old constraint: downgrading with one fails, on purpose.
    _replace_checks(BEFORE)
