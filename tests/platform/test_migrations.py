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


def test_head_constant_names_the_newest_migration() -> None:
    from alembic.script import ScriptDirectory

    from storage.db import HEAD, MIGRATIONS_DIR, alembic_config

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert script.dir == str(MIGRATIONS_DIR) and script.get_current_head() == HEAD
