"""notice `category`: the kind of a meeting (例会, 动员会/专题会, 培训会, 其他) or a notice (通知, 方案, 预案,
制度, 通报), inferred for the rows already there from their titles and files' names; `campaign_id`: the
campaign (专项行动) a 动员会 is for, optional

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"

# Frozen copies of storage/enums.NoticeCategory and of domain/notices/rules.infer_category as of this
# revision: a later change of the rule must not change what this migration did.
CATEGORIES = (
    "regular",
    "mobilisation",
    "training",
    "other",
    "plain",
    "plan",
    "emergency_plan",
    "regulation",
    "bulletin",
)
MEETING_WORDS = (
    ("例会", "regular"),
    ("动员", "mobilisation"),
    ("专题会", "mobilisation"),
    ("部署会", "mobilisation"),
    ("推进会", "mobilisation"),
    ("培训", "training"),
)
DOCUMENT_WORDS = (
    ("预案", "emergency_plan"),
    ("方案", "plan"),
    ("制度", "regulation"),
    ("办法", "regulation"),
    ("规定", "regulation"),
    ("细则", "regulation"),
    ("规程", "regulation"),
    ("通报", "bulletin"),
)


def _named_in(text: str) -> str | None:
    found: tuple[int, str] | None = None
    for word, category in DOCUMENT_WORDS:
        at = text.rfind(word)
        if at >= 0 and (found is None or at + len(word) > found[0]):
            found = (at + len(word), category)
    return found[1] if found else None


def _infer(kind: str, title: str, file_names: list[str]) -> str:
    if kind == "meeting":
        return next((category for word, category in MEETING_WORDS if word in title), "regular")
    texts = [
        *re.findall(r"《([^》]+)》", title),
        *(re.sub(r"\.[A-Za-z0-9]{1,5}$", "", n) for n in file_names),
        title,
    ]
    for text in texts:
        found = _named_in(text)
        if found is not None:
            return found
    return "plain"


def upgrade() -> None:
    with op.batch_alter_table("notices") as batch:
        batch.add_column(sa.Column("category", sa.String(length=30), nullable=True))
        batch.add_column(sa.Column("campaign_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_notices_campaign_id_campaigns"), "campaigns", ["campaign_id"], ["id"]
        )
    bind = op.get_bind()
    files: dict[int, list[str]] = {}
    for notice_id, name in bind.execute(
        sa.text(
            "SELECT f.owner_id, d.file_name FROM broadcast_files f JOIN documents d ON d.id = f.document_id "
            "WHERE f.owner_kind = 'notice' ORDER BY f.id"
        )
    ):
        files.setdefault(notice_id, []).append(name)
    for notice_id, kind, title in bind.execute(sa.text("SELECT id, kind, title FROM notices")).all():
        category = _infer(kind, title or "", files.get(notice_id, []))
        bind.execute(
            sa.text("UPDATE notices SET category = :c WHERE id = :id"), {"c": category, "id": notice_id}
        )
    # On SQLite, batch mode rebuilds the table (others reference it): `storage.db.upgrade` runs this with
    # foreign-key enforcement off and checks every key afterwards, as for 0014.
    with op.batch_alter_table("notices") as batch:
        batch.alter_column("category", existing_type=sa.String(length=30), nullable=False)
        batch.create_check_constraint(
            op.f("ck_notices_category"), f"category IN ({', '.join(repr(v) for v in CATEGORIES)})"
        )


def downgrade() -> None:
    with op.batch_alter_table("notices") as batch:
        batch.drop_constraint(op.f("ck_notices_category"), type_="check")
        batch.drop_constraint(op.f("fk_notices_campaign_id_campaigns"), type_="foreignkey")
        batch.drop_column("campaign_id")
        batch.drop_column("category")
