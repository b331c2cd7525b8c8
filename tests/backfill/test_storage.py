"""Migration 0023 and the ledger chain, on SQLite and PostgreSQL: hazards sealed before it still verify,
a back-filled hazard is sealed with its 补录 mark, and a mark added or removed behind the bot's back is found."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import select, text

from bot.clock import ManualClock
from domain.hazards import chain
from domain.reports import queries as report_queries
from storage.db import Database, upgrade
from storage.models import Hazard
from tests.harness import LI, Harness, insert_old_hazard, seed

NOW = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)


async def test_migration_0023_keeps_old_chains_and_marks_nothing(any_empty_db_url: str) -> None:
    db = Database(any_empty_db_url)
    try:
        await upgrade(db.engine, "0002")  # a hazard of long ago: 0013 seals it, 0023 adds the mark empty
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
        async with db.unit_of_work() as s:
            hazard = await s.scalar(select(Hazard))
            assert hazard is not None and hazard.backfilled_at is None
            assert (await chain.verify(s)).broken is None
        async with db.engine.begin() as conn:  # a live hazard marked 补录 behind the bot's back
            await conn.execute(text("UPDATE hazards SET backfilled_at = :t WHERE id = 1"), {"t": NOW})
        async with db.unit_of_work() as s:
            broken = (await chain.verify(s)).broken
        assert broken is not None and broken.problem == "row_changed" and broken.fields == ("backfilled_at",)
    finally:
        await db.dispose()


async def test_a_back_filled_hazard_is_sealed_and_counted_on_both_databases(
    any_db_url: str, tmp_path: Path, clock: ManualClock
) -> None:
    async with Harness.running(any_db_url, tmp_path, clock) as h:
        await seed(h)
        out = h.texts(await h.say(LI, "/补录 隐患 2025-04-02 华油 二车间配电室 电线裸露 立即整改 2025-04-03 验收 2025-04-05"))
        assert "【补录】隐患 YH-2025-0001" in out
        async with h.app.db.reading() as s:
            assert (await chain.verify(s)).broken is None
            f = await report_queries.summary_figures(s, date(2025, 1, 1), date(2025, 12, 31), h.app.settings.park.tz, NOW)
            assert (f.found, f.rectified_immediately, f.closed) == (1, 1, 1)
        async with h.app.db.engine.begin() as conn:  # the 补录 mark taken off behind the bot's back
            await conn.execute(text("UPDATE hazards SET backfilled_at = NULL"))
        async with h.app.db.reading() as s:
            broken = (await chain.verify(s)).broken
        assert broken is not None and broken.fields == ("backfilled_at",)
