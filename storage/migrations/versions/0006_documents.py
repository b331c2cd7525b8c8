"""documents (PDF evidence: 校验报告, 检测报告) and their links to hazards

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("path", sa.String(length=200), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("mime_type", sa.String(length=40), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint("sha256", name=op.f("uq_documents_sha256")),
    )
    op.create_table(
        "hazard_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hazard_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("phase", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_hazard_documents_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["hazard_events.id"], name=op.f("fk_hazard_documents_event_id_hazard_events")
        ),
        sa.ForeignKeyConstraint(
            ["hazard_id"], ["hazards.id"], name=op.f("fk_hazard_documents_hazard_id_hazards")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hazard_documents")),
        sa.UniqueConstraint("hazard_id", "document_id", "phase", name=op.f("uq_hazard_documents_hazard_id")),
    )
    with op.batch_alter_table("hazard_documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hazard_documents_hazard_id"), ["hazard_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("hazard_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hazard_documents_hazard_id"))
    op.drop_table("hazard_documents")
    op.drop_table("documents")
