"""one code counter: hazard numbers (YH) counted in `code_counters` with the other prefixes

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"


def upgrade() -> None:
    # Each year's last hazard number moves over as it is: the next code issued follows it, gap-free.
    op.execute("INSERT INTO code_counters (prefix, year, last) SELECT 'YH', year, last FROM hazard_counters")
    op.drop_table("hazard_counters")


def downgrade() -> None:
    op.create_table(
        "hazard_counters",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_hazard_counters")),
    )
    op.execute(
        "INSERT INTO hazard_counters (year, last) SELECT year, last FROM code_counters WHERE prefix = 'YH'"
    )
    op.execute("DELETE FROM code_counters WHERE prefix = 'YH'")
