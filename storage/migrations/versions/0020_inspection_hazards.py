"""inspections that find hazards: an inspection gets a name and an open/closed state; hazards link to one

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"


def upgrade() -> None:
    # Inspections recorded before were recorded after the fact: closed when recorded, without a name.
    with op.batch_alter_table("inspections") as batch:
        batch.add_column(sa.Column("name", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("inspector_ids", sa.JSON(), nullable=True))
    op.execute("UPDATE inspections SET closed_at = created_at")
    # Hazards reported before carry no inspection: NULL, as the ledger chain's states sealed before this
    # revision read it (`domain/hazards/chain.py` `LATER_FIELDS`).
    with op.batch_alter_table("hazards") as batch:
        batch.add_column(sa.Column("inspection_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_hazards_inspection_id_inspections", "inspections", ["inspection_id"], ["id"])
        batch.create_index("ix_hazards_inspection_id", ["inspection_id"])


def downgrade() -> None:
    with op.batch_alter_table("hazards") as batch:
        batch.drop_index("ix_hazards_inspection_id")
        batch.drop_constraint("fk_hazards_inspection_id_inspections", type_="foreignkey")
        batch.drop_column("inspection_id")
    with op.batch_alter_table("inspections") as batch:
        batch.drop_column("inspector_ids")
        batch.drop_column("closed_at")
        batch.drop_column("name")
