"""hazard location (部位): where in the enterprise a hazard was found, e.g. 二车间配电室; existing rows empty

Revision ID: 0018
Revises: 0014
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"


def upgrade() -> None:
    # Hazards reported before carry no location: empty, as the ledger chain's states sealed before this
    # revision read it (`domain/hazards/chain.py` `LATER_FIELDS`), so `ledger verify` holds for them.
    op.add_column("hazards", sa.Column("location", sa.String(length=100), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("hazards") as batch:
        batch.drop_column("location")
