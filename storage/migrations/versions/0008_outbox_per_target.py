"""outbox rows per target (lane, card edits, state, retries); unreachable chats and people

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"

# A frozen copy of storage.enums.OutboxState as of this revision.
STATES = ("pending", "sent", "failed", "refused", "unreachable")


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lane", sa.String(length=160), nullable=True))
        batch_op.add_column(sa.Column("platform", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("chat_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("is_group", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("user_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("batch", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("card_key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("edit", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(
            sa.Column("state", sa.String(length=30), nullable=False, server_default="pending")
        )
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("error", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_outbox_card_key", ["card_key"], unique=False)
    op.execute("UPDATE outbox SET state = 'sent' WHERE sent_at IS NOT NULL")
    # SQLite rebuilds the table here: with AUTOINCREMENT, so a deleted row's id is never handed out again.
    with op.batch_alter_table("outbox", schema=None, table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.create_check_constraint(
            op.f("ck_outbox_state"), f"state IN ({', '.join(repr(v) for v in STATES)})"
        )
    with op.batch_alter_table("chats", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unreachable_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unreachable_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("unreachable_at")
    with op.batch_alter_table("chats", schema=None) as batch_op:
        batch_op.drop_column("unreachable_at")
    op.execute(
        "DELETE FROM outbox WHERE lane IS NOT NULL AND sent_at IS NULL"
    )  # the old shape cannot hold them
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_outbox_state"), type_="check")
        batch_op.drop_index("ix_outbox_card_key")
        for column in (
            "reported_at", "error", "attempts", "state", "edit", "card_key",
            "batch", "user_id", "is_group", "chat_id", "platform", "lane",
        ):  # fmt: skip
            batch_op.drop_column(column)
