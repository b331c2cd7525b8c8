"""responsibility letters (目标责任状): the year's letter, one signature row per enterprise, their events

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"


def upgrade() -> None:
    op.create_table(
        "letters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["people.id"], name=op.f("fk_letters_author_id_people")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_letters")),
        sa.UniqueConstraint("year", name=op.f("uq_letters_year")),
    )
    op.create_table(
        "letter_signatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("letter_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], name=op.f("fk_letter_signatures_enterprise_id_enterprises")
        ),
        sa.ForeignKeyConstraint(
            ["letter_id"], ["letters.id"], name=op.f("fk_letter_signatures_letter_id_letters")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_letter_signatures_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_letter_signatures")),
        sa.UniqueConstraint("letter_id", "enterprise_id", name=op.f("uq_letter_signatures_letter_id")),
    )
    op.create_index("ix_letter_signatures_letter_id", "letter_signatures", ["letter_id"], unique=False)
    op.create_table(
        "letter_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("letter_id", sa.Integer(), nullable=False),
        sa.Column("signature_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["people.id"], name=op.f("fk_letter_events_actor_id_people")),
        sa.ForeignKeyConstraint(
            ["letter_id"], ["letters.id"], name=op.f("fk_letter_events_letter_id_letters")
        ),
        sa.ForeignKeyConstraint(
            ["signature_id"],
            ["letter_signatures.id"],
            name=op.f("fk_letter_events_signature_id_letter_signatures"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_letter_events")),
    )
    op.create_index("ix_letter_events_letter_id", "letter_events", ["letter_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_letter_events_letter_id", table_name="letter_events")
    op.drop_table("letter_events")
    op.drop_index("ix_letter_signatures_letter_id", table_name="letter_signatures")
    op.drop_table("letter_signatures")
    op.drop_table("letters")
