"""the word index of hazard descriptions (hazard_grams): character pairs, filled for the hazards there are

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"

BATCH = 5000  # hazards read and indexed at a time
SHIFT = 21

grams_table = sa.table(
    "hazard_grams", sa.column("gram", sa.BigInteger()), sa.column("hazard_id", sa.Integer())
)


def index_grams(description: str) -> set[int]:
    """`domain/hazards/search.index_grams` as of this migration: the lowercased description's distinct
    character pairs and its last character, each pair as `ord(a) << 21 | ord(b)`."""
    text = description.lower()
    grams = {ord(text[i]) << SHIFT | ord(text[i + 1]) for i in range(len(text) - 1)}
    if text:
        grams.add(ord(text[-1]) << SHIFT)
    return grams


def upgrade() -> None:
    op.create_table(
        "hazard_grams",
        sa.Column("gram", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hazard_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("gram", "hazard_id", name=op.f("pk_hazard_grams")),
        sqlite_with_rowid=False,
    )
    conn = op.get_bind()
    last = 0
    while True:
        rows = conn.execute(
            sa.text("SELECT id, description FROM hazards WHERE id > :last ORDER BY id LIMIT :n"),
            {"last": last, "n": BATCH},
        ).all()
        if not rows:
            break
        conn.execute(
            grams_table.insert(),
            [
                {"gram": g, "hazard_id": hazard_id}
                for hazard_id, text in rows
                for g in sorted(index_grams(text))
            ],
        )
        last = rows[-1][0]


def downgrade() -> None:
    op.drop_table("hazard_grams")
