"""the web desk: one-time login links (/web) and browser sessions, both stored as digests; hazards by
status and level

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"


def upgrade() -> None:
    op.create_table(
        "web_login_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_web_login_tokens_person_id_people")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_login_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_web_login_tokens_token_hash")),
    )
    op.create_index("ix_web_login_tokens_person_id", "web_login_tokens", ["person_id"], unique=False)
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_hash", sa.String(length=64), nullable=False),
        sa.Column("csrf", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_web_sessions_person_id_people")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
        sa.UniqueConstraint("session_hash", name=op.f("uq_web_sessions_session_hash")),
    )
    op.create_index("ix_web_sessions_person_id", "web_sessions", ["person_id"], unique=False)
    # The desk's ledger by level and status (重大隐患, open): counted from this index alone.
    op.create_index("ix_hazards_status_level", "hazards", ["status", "level", "enterprise_id"])


def downgrade() -> None:
    op.drop_index("ix_hazards_status_level", table_name="hazards")
    op.drop_index("ix_web_sessions_person_id", table_name="web_sessions")
    op.drop_table("web_sessions")
    op.drop_index("ix_web_login_tokens_person_id", table_name="web_login_tokens")
    op.drop_table("web_login_tokens")
