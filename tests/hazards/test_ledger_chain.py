"""The ledger's chain covers what the ledger prints: every tampering with a hazard row, its files or its
history is found by `safetybot ledger verify`, and a head posted in the groups proves a truncated tail."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.cli import main
from bot.clock import ManualClock
from domain.hazards import chain
from storage.db import Database
from tests.harness import LI, ZHANG, Harness, jpeg, seed

NOW = datetime(2026, 12, 1, 2, tzinfo=UTC)


async def _build(url: str, root: Path) -> None:
    """Two hazards of 华油: 0001 fixed and closed (before and after photos), 0002 still rectifying."""
    async with Harness.running(url, root, ManualClock(NOW)) as h:
        await seed(h)
        await h.say(ZHANG, "/hazard 配电箱未接地 限期 12月10日", files=(h.add_file(jpeg(1)),))
        await h.say(ZHANG, "/fix YH-2026-0001 已接地", files=(h.add_file(jpeg(2)),))
        await h.say(LI, "/accept YH-2026-0001")
        await h.say(ZHANG, "/hazard 消防通道堵塞 限期 12月12日", files=(h.add_file(jpeg(3)),))


async def _sql(url: str, *statements: str) -> None:
    db = Database(url)
    try:
        async with db.engine.begin() as conn:
            for sql in statements:
                await conn.execute(text(sql))
    finally:
        await db.dispose()


@pytest.fixture
def ledger(tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Return the URL of a small ledger built through the handlers, with the CLI pointed at it."""
    asyncio.run(_build(sqlite_url, tmp_path))
    monkeypatch.setenv("SAFETYBOT_DATABASE__URL", sqlite_url)
    monkeypatch.setenv("SAFETYBOT_STORAGE__PHOTO_DIR", str(tmp_path / "photos"))
    return sqlite_url


TAMPERING = {
    "description": (
        ["UPDATE hazards SET description = '已整改完毕' WHERE code = 'YH-2026-0002'"],
        "hazard YH-2026-0002 differs from what its events sealed (description)",
    ),
    "enterprise": (
        ["UPDATE hazards SET enterprise_id = 2 WHERE code = 'YH-2026-0002'"],
        "hazard YH-2026-0002 differs from what its events sealed (enterprise_id)",
    ),
    "status": (
        ["UPDATE hazards SET status = 'closed' WHERE code = 'YH-2026-0002'"],
        "hazard YH-2026-0002 differs from what its events sealed (status)",
    ),
    "photo link": (
        [
            "UPDATE hazard_photos SET photo_id = (SELECT max(id) FROM photos) WHERE id = (SELECT min(id) FROM hazard_photos)"
        ],
        "hazard YH-2026-0001 differs from what its events sealed (photos)",
    ),
    "photo file": (
        [
            "UPDATE photos SET path = (SELECT path FROM photos WHERE id = (SELECT max(id) FROM photos)) WHERE id = 1"
        ],
        "photo#1 points at a file other than its own digest",
    ),
    "history deleted": (
        [
            "DELETE FROM hazard_photos",
            "DELETE FROM hazard_documents",
            "DELETE FROM hazard_events",
            "DELETE FROM ledger_head",
        ],
        "hazard YH-2026-0001 has no events: its history was deleted",
    ),
}


@pytest.mark.parametrize("case", list(TAMPERING))
def test_every_tampering_is_found(ledger: str, case: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ledger", "verify"]) == 0
    assert "ledger intact" in capsys.readouterr().out
    statements, said = TAMPERING[case]
    asyncio.run(_sql(ledger, *statements))
    assert main(["ledger", "verify"]) == 1
    assert said in capsys.readouterr().out


def test_a_truncated_tail_is_proven_by_the_head_posted_in_the_groups(
    ledger: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async def post() -> str:
        db = Database(ledger)
        try:
            async with db.unit_of_work() as s:
                anchor = await chain.post_anchor(s, NOW)
                assert anchor is not None
                return anchor.hash[: chain.SHORT]
        finally:
            await db.dispose()

    posted = asyncio.run(post())
    assert main(["ledger", "verify", "--head", posted]) == 0
    assert f"posted head {posted} found" in capsys.readouterr().out
    # Cut the last event and move the head back, as someone covering their tracks would: the chain
    # itself is consistent again, but the head the groups saw is gone.
    asyncio.run(
        _sql(
            ledger,
            "DELETE FROM hazard_photos WHERE event_id = (SELECT max(id) FROM hazard_events)",
            "DELETE FROM hazard_events WHERE id = (SELECT max(id) FROM hazard_events)",
            "UPDATE ledger_head SET event_id = (SELECT max(id) FROM hazard_events),"
            " hash = (SELECT hash FROM hazard_events WHERE id = (SELECT max(id) FROM hazard_events))",
        )
    )
    assert main(["ledger", "verify", "--head", posted]) == 1
    assert f"posted head {posted} NOT found" in capsys.readouterr().out


async def test_the_weekly_digest_posts_the_chain_head(seeded: Harness) -> None:
    from bot.app import jobs
    from bot.scheduler import Scheduler

    h = seeded
    await h.say(ZHANG, "/hazard 配电箱未接地 限期 12月10日", files=(h.add_file(jpeg(1)),))
    app = h.app
    scheduler = Scheduler(
        settings=app.settings, clock=app.clock, db=app.db, dispatcher=app.dispatcher, jobs=jobs(app.settings)
    )
    monday = datetime(2026, 12, 7, 0, 30, tzinfo=UTC)  # 08:30 in the park
    assert await scheduler.run("digest", monday)
    await app.sender.settle()
    async with app.db.reading() as s:
        anchor = await chain.last_anchor(s)
        assert anchor is not None
        assert (await chain.verify_head(s, anchor.hash[: chain.SHORT])).found
    posted = [t.reply.text or "" for t in h.adapter.sent if "安全生产周报" in (t.reply.text or "")]
    assert posted and f"台账校验码：{anchor.hash[: chain.SHORT]}" in posted[0]
