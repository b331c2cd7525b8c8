"""back-filled records (补录): when a past meeting, notice, campaign, inspection, hazard, training or drill
was entered after the fact; NULL for a record made as it happened

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"

TABLES = ("notices", "campaigns", "hazards", "inspections", "drills", "trainings")


def upgrade() -> None:
    # Every record made before was made as it happened: NULL, as the ledger chain's states sealed before
    # this revision read it (`domain/hazards/chain.py` `LATER_FIELDS`).
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("backfilled_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("backfilled_at")
