"""Migrations carry existing data forward: 0003 adds enum CHECK constraints to tables that hold rows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from storage.db import Database, upgrade
from tests.harness import insert_old_hazard

NOW = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)


async def test_upgrade_from_0002_keeps_rows_and_then_checks_them(any_empty_db_url: str) -> None:
    db = Database(any_empty_db_url)
    try:
        await upgrade(db.engine, "0002")
        async with db.engine.begin() as conn:
            await insert_old_hazard(conn, NOW)
            await conn.execute(
                text(
                    "INSERT INTO hazard_events (id, hazard_id, at, actor_id, action, to_status, data)"
                    " VALUES (1, 1, :t, 1, 'report', 'rectifying', '{}')"
                ),
                {"t": NOW},
            )
        await upgrade(db.engine)
        async with db.engine.connect() as conn:
            row = (
                await conn.execute(text("SELECT actor_kind, actor_id FROM hazard_events WHERE id = 1"))
            ).one()
            assert tuple(row) == ("person", 1)
            sealed = (
                await conn.execute(text("SELECT actor_kind, action FROM hazard_events WHERE id > 1"))
            ).one()
            assert tuple(sealed) == ("system", "seal")  # 0013 sealed the hazard's state into the chain
            assert (await conn.execute(text("SELECT role FROM people"))).scalar_one() == "lead"
        with pytest.raises(IntegrityError):
            async with db.engine.begin() as conn:
                await conn.execute(text("UPDATE hazards SET status = 'lost'"))
        async with db.engine.begin() as conn:  # a system event has no person
            await conn.execute(
                text(
                    "INSERT INTO hazard_events (id, hazard_id, at, actor_kind, action, data)"
                    " VALUES (100, 1, :t, 'system', 'set_level', '{}')"
                ),
                {"t": NOW},
            )
    finally:
        await db.dispose()


async def test_0015_gives_existing_notices_their_inferred_kind(any_empty_db_url: str) -> None:
    db = Database(any_empty_db_url)
    try:
        await upgrade(db.engine, "0014")
        async with db.engine.begin() as conn:
            await insert_old_hazard(conn, NOW)
            rows = [
                (1, "HY-2026-01", "meeting", "12月安全生产例会"),
                (2, "HY-2026-02", "meeting", "消防安全百日攻坚动员会"),
                (3, "HY-2026-03", "meeting", "安全生产工作会议"),
                (4, "TZ-2026-01", "notice", "关于印发《大检查实施方案》的通知"),
                (5, "TZ-2026-02", "notice", "请查收附件"),
                (6, "TZ-2026-03", "notice", "关于做好元旦期间安全生产工作的通知"),
            ]
            for notice_id, code, kind, title in rows:
                await conn.execute(
                    text(
                        "INSERT INTO notices (id, code, kind, title, body, status, author_id, created_at, updated_at)"
                        " VALUES (:id, :code, :kind, :title, '', 'open', 1, :t, :t)"
                    ),
                    {"id": notice_id, "code": code, "kind": kind, "title": title, "t": NOW},
                )
            await conn.execute(
                text(
                    "INSERT INTO documents (id, sha256, path, size, mime_type, file_name, created_at)"
                    " VALUES (1, :h, 'documents/a.pdf', 10, 'application/pdf', '防汛应急预案.pdf', :t)"
                ),
                {"h": "0" * 64, "t": NOW},
            )
            await conn.execute(
                text(
                    "INSERT INTO broadcast_files (id, owner_kind, owner_id, document_id, created_at)"
                    " VALUES (1, 'notice', 5, 1, :t)"
                ),
                {"t": NOW},
            )
        await upgrade(db.engine)
        async with db.engine.connect() as conn:
            got = {code: category for code, category in (await conn.execute(text("SELECT code, category FROM notices"))).all()}
        assert got == {
            "HY-2026-01": "regular",
            "HY-2026-02": "mobilisation",
            "HY-2026-03": "regular",
            "TZ-2026-01": "plan",
            "TZ-2026-02": "emergency_plan",
            "TZ-2026-03": "plain",
        }
        with pytest.raises(IntegrityError):
            async with db.engine.begin() as conn:
                await conn.execute(text("UPDATE notices SET category = 'party'"))
    finally:
        await db.dispose()


def test_head_constant_names_the_newest_migration() -> None:
    from alembic.script import ScriptDirectory

    from storage.db import HEAD, MIGRATIONS_DIR, alembic_config

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert script.dir == str(MIGRATIONS_DIR) and script.get_current_head() == HEAD
