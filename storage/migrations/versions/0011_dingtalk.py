"""DingTalk: monthly API-call counts and the chat of each interactive card

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"


def upgrade() -> None:
    op.create_table(
        "dingtalk_api_months",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("warned_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("month", name=op.f("pk_dingtalk_api_months")),
    )
    op.create_table(
        "dingtalk_cards",
        sa.Column("out_track_id", sa.String(length=64), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("out_track_id", name=op.f("pk_dingtalk_cards")),
    )


def downgrade() -> None:
    op.drop_table("dingtalk_cards")
    op.drop_table("dingtalk_api_months")
