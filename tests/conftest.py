"""Shared fixtures: databases (SQLite file, PostgreSQL on 127.0.0.1), settings, a manual clock, a harness."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
os.environ["no_proxy"] = os.environ["NO_PROXY"]

from bot.clock import ManualClock
from tests.harness import Harness, LiveBot, make_settings, running_bot

PG_ADMIN_URL = os.environ.get("SAFETYBOT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def _pg(sql: str | None) -> str | None:
    """Run one statement on the PostgreSQL admin database in a thread of its own; return a problem or None.

    Sync fixtures cannot await, and async fixtures cannot be requested lazily, so this runs its own loop.
    """
    import asyncpg

    async def go() -> str | None:
        try:
            conn = await asyncpg.connect(PG_ADMIN_URL, timeout=3)
        except (OSError, asyncpg.PostgresError) as exc:
            return f"{type(exc).__name__}: {exc}"
        try:
            if sql:
                await conn.execute(sql)
        finally:
            await conn.close()
        return None

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, go()).result()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """Create a fresh PostgreSQL database for one test and drop it afterwards."""
    problem = _pg(None)
    if problem is not None:
        if os.environ.get("SAFETYBOT_REQUIRE_PG"):
            pytest.fail(f"PostgreSQL required but not reachable at {PG_ADMIN_URL}: {problem}")
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL} ({problem}); .ci/run starts it")
    name = f"safetybot_test_{uuid.uuid4().hex[:12]}"
    assert _pg(f'CREATE DATABASE "{name}"') is None
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    yield f"{base}/{name}"
    _pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """Return a SQLite file database URL in the test's temp dir."""
    return f"sqlite+aiosqlite:///{tmp_path / 'safetybot.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Run the test once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'safetybot.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def clock() -> ManualClock:
    """A clock at Monday 2026-11-30 09:00 Beijing time (01:00 UTC)."""
    return ManualClock(datetime(2026, 11, 30, 1, 0, tzinfo=UTC))


@pytest.fixture
async def harness(sqlite_url: str, tmp_path: Path, clock: ManualClock) -> AsyncIterator[Harness]:
    """A migrated app on SQLite with a recording adapter, driven through the neutral core."""
    h = await Harness.create(make_settings(sqlite_url, tmp_path), clock)
    yield h
    await h.close()


@pytest.fixture
async def any_harness(any_db_url: str, tmp_path: Path, clock: ManualClock) -> AsyncIterator[Harness]:
    """The harness on SQLite and on PostgreSQL."""
    h = await Harness.create(make_settings(any_db_url, tmp_path), clock)
    yield h
    await h.close()


@pytest.fixture
async def bot(sqlite_url: str, tmp_path: Path, clock: ManualClock) -> AsyncIterator[LiveBot]:
    """Yield a bot polling the fake Telegram server, on a migrated SQLite database."""
    async with running_bot(sqlite_url, tmp_path, clock) as running:
        yield running
