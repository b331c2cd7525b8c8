"""the emergency command roster (应急救援指挥部) and its roll calls (应急点名)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"


def upgrade() -> None:
    op.create_table(
        "emergency_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("command_role", sa.String(length=50), nullable=False),
        sa.Column("unit", sa.String(length=100), nullable=False),
        sa.Column("phones", sa.JSON(), nullable=False),
        sa.Column("deputy", sa.String(length=50), nullable=True),
        sa.Column("office", sa.Boolean(), nullable=False),
        sa.Column("duty_order", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_emergency_members_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emergency_members")),
        sa.UniqueConstraint("name", name=op.f("uq_emergency_members_name")),
        sa.UniqueConstraint("person_id", name=op.f("uq_emergency_members_person_id")),
    )
    op.create_table(
        "roll_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("drill", sa.Boolean(), nullable=False),
        sa.Column("caller_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["caller_id"], ["people.id"], name=op.f("fk_roll_calls_caller_id_people")),
        sa.ForeignKeyConstraint(["ended_by_id"], ["people.id"], name=op.f("fk_roll_calls_ended_by_id_people")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roll_calls")),
    )
    op.create_table(
        "roll_call_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("roll_call_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminded", sa.Integer(), nullable=False),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"], ["emergency_members.id"], name=op.f("fk_roll_call_answers_member_id_emergency_members")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_roll_call_answers_person_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["roll_call_id"], ["roll_calls.id"], name=op.f("fk_roll_call_answers_roll_call_id_roll_calls")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roll_call_answers")),
        sa.UniqueConstraint("roll_call_id", "member_id", name=op.f("uq_roll_call_answers_roll_call_id")),
    )
    op.create_index("ix_roll_call_answers_roll_call_id", "roll_call_answers", ["roll_call_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_roll_call_answers_roll_call_id", table_name="roll_call_answers")
    op.drop_table("roll_call_answers")
    op.drop_table("roll_calls")
    op.drop_table("emergency_members")
