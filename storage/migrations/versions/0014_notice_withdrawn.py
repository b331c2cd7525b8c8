"""notice status `withdrawn`: a notice or meeting notice taken back by its issuer or a manager (撤回)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from alembic import op

revision = "0014"
down_revision = "0013"

# Frozen copies of the notice statuses in storage/enums.py, before and after this revision.
BEFORE = ("open", "cancelled")
AFTER = (*BEFORE, "withdrawn")


def _replace_check(values: tuple[str, ...]) -> None:
    # On SQLite, batch mode rebuilds the table (others reference it): `storage.db.upgrade` runs this
    # with foreign-key enforcement off and checks every key afterwards, as for 0003 and 0005.
    with op.batch_alter_table("notices") as batch:
        batch.drop_constraint(op.f("ck_notices_status"), type_="check")
        batch.create_check_constraint(
            op.f("ck_notices_status"), f"status IN ({', '.join(repr(v) for v in values)})"
        )


def upgrade() -> None:
    _replace_check(AFTER)


def downgrade() -> None:
    # A withdrawn notice cannot be stored under the old constraint: downgrading with one fails, on purpose.
    _replace_check(BEFORE)
