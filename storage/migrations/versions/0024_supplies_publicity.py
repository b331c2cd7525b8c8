"""emergency supplies (应急物资) with their checks, and publicity counts (宣传); documents.mime_type widened

The Excel type (application/vnd.openxmlformats-officedocument.spreadsheetml.sheet, 65 characters) did not fit
documents.mime_type VARCHAR(40): PostgreSQL refused every .xlsx (a notice's, a supplies import), SQLite
does not check lengths. Widened to 100.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"

CYCLES = ("monthly", "quarterly", "half_yearly", "yearly")


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.alter_column("mime_type", existing_type=sa.String(length=40), type_=sa.String(length=100), existing_nullable=False)
    op.create_table(
        "supplies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(length=10), nullable=True),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("place", sa.String(length=100), nullable=True),
        sa.Column("cycle", sa.String(length=30), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("next_check", sa.Date(), nullable=True),
        sa.Column("responsible_id", sa.Integer(), nullable=True),
        sa.Column("last_checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"cycle IN ({', '.join(repr(c) for c in CYCLES)})", name=op.f("ck_supplies_cycle")),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], name=op.f("fk_supplies_enterprise_id_enterprises")
        ),
        sa.ForeignKeyConstraint(["responsible_id"], ["people.id"], name=op.f("fk_supplies_responsible_id_people")),
        sa.ForeignKeyConstraint(["created_by_id"], ["people.id"], name=op.f("fk_supplies_created_by_id_people")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplies")),
    )
    op.create_index("ix_supplies_enterprise_id", "supplies", ["enterprise_id"], unique=False)
    op.create_table(
        "supply_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("supply_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("next_check", sa.Date(), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_supply_checks_person_id_people")),
        sa.ForeignKeyConstraint(["supply_id"], ["supplies.id"], name=op.f("fk_supply_checks_supply_id_supplies")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supply_checks")),
    )
    op.create_index("ix_supply_checks_supply_id", "supply_checks", ["supply_id"], unique=False)
    op.create_table(
        "publicity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("item", sa.String(length=50), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(length=10), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["people.id"], name=op.f("fk_publicity_recorded_by_id_people")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publicity")),
    )
    op.create_index("ix_publicity_day", "publicity", ["day"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_publicity_day", table_name="publicity")
    op.drop_table("publicity")
    op.drop_index("ix_supply_checks_supply_id", table_name="supply_checks")
    op.drop_table("supply_checks")
    op.drop_index("ix_supplies_enterprise_id", table_name="supplies")
    op.drop_table("supplies")
    with op.batch_alter_table("documents") as batch:
        batch.alter_column("mime_type", existing_type=sa.String(length=100), type_=sa.String(length=40), existing_nullable=False)
