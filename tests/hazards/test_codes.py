"""One code counter for every code (YH, HY, TZ, ZX): typed codes read back the same way, and migration
0012 carries the hazard counters over into it (and back on downgrade)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from domain import codes
from storage.db import Database, alembic_config, upgrade


def test_normal_code_reads_every_prefix_and_nothing_else() -> None:
    cases = {
        "yh-2026-7": "YH-2026-0007",
        " YH-2026-000123 ": "YH-2026-0123",
        "YH-2026-123456": "YH-2026-123456",
        "hy-2026-3": "HY-2026-03",
        "TZ-2026-0012": "TZ-2026-12",
        "zx-2026-2": "ZX-2026-02",
        "HY-2026-12345": None,  # more digits than a notice number is typed with
        "YH-2026-1234567": None,
        "YH-26-7": None,
        "配电箱": None,
        "": None,
    }
    assert {typed: codes.normal_code(typed) for typed in cases} == cases


async def _downgrade(engine: AsyncEngine, revision: str) -> None:
    from alembic import command

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))

    def _run(conn: object) -> None:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)

    async with engine.begin() as conn:
        await conn.run_sync(_run)


async def test_migration_0012_moves_hazard_counters_into_code_counters(any_empty_db_url: str) -> None:
    db = Database(any_empty_db_url)
    try:
        await upgrade(db.engine, "0011")
        async with db.engine.begin() as conn:
            await conn.execute(text("INSERT INTO hazard_counters (year, last) VALUES (2025, 41), (2026, 7)"))
            await conn.execute(text("INSERT INTO code_counters (prefix, year, last) VALUES ('HY', 2026, 3)"))
        await upgrade(db.engine)
        async with db.engine.connect() as conn:
            rows = (
                await conn.execute(text("SELECT prefix, year, last FROM code_counters ORDER BY prefix, year"))
            ).all()
            assert [tuple(r) for r in rows] == [("HY", 2026, 3), ("YH", 2025, 41), ("YH", 2026, 7)]
        with pytest.raises(DBAPIError):  # the old table is gone
            async with db.engine.connect() as conn:
                await conn.execute(text("SELECT * FROM hazard_counters"))
        async with db.unit_of_work() as session:  # the next hazard follows the last one, gap-free
            assert await codes.issue_code(session, codes.HAZARD_PREFIX, 2026) == "YH-2026-0008"
            assert await codes.issue_code(session, "HY", 2026) == "HY-2026-04"

        await _downgrade(db.engine, "0011")
        async with db.engine.connect() as conn:
            rows = (await conn.execute(text("SELECT year, last FROM hazard_counters ORDER BY year"))).all()
            assert [tuple(r) for r in rows] == [(2025, 41), (2026, 8)]
            rows = (await conn.execute(text("SELECT prefix, year, last FROM code_counters"))).all()
            assert [tuple(r) for r in rows] == [("HY", 2026, 4)]
    finally:
        await db.dispose()
