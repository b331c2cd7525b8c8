"""officers per enterprise (包片包户): `enterprises.officer_id`, the committee officer who looks after it

Revision ID: 0017
Revises: 0014
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"


def upgrade() -> None:
    # On SQLite, batch mode rebuilds the table (others reference it): `storage.db.upgrade` runs this
    # with foreign-key enforcement off and checks every key afterwards.
    with op.batch_alter_table("enterprises") as batch:
        batch.add_column(sa.Column("officer_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_enterprises_officer_id_people"), "people", ["officer_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("enterprises") as batch:
        batch.drop_constraint(op.f("fk_enterprises_officer_id_people"), type_="foreignkey")
        batch.drop_column("officer_id")
