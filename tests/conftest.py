"""Shared fixtures: databases (SQLite file, PostgreSQL on 127.0.0.1), settings, a manual clock, a harness.

Migrations run once per session, into a template database per engine (a SQLite file, a PostgreSQL
database); every test that asks for a database gets a fresh copy of its template. Tests about the
migrations themselves ask for an ``empty_*`` database instead.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import shutil
import sqlite3
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import func, insert, select

os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
os.environ["no_proxy"] = os.environ["NO_PROXY"]

from bot.clock import ManualClock
from domain.hazards.search import index_grams
from storage.db import Database, upgrade
from storage.models import Enterprise, Hazard, HazardGram, Person
from tests.harness import (
    ZHANG,
    Harness,
    LiveBot,
    LiveDingTalk,
    running_bot,
    running_dingtalk_bot,
    seed,
)

PG_ADMIN_URL = os.environ.get("SAFETYBOT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")

T = TypeVar("T")


def in_thread(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on an event loop of its own, in a thread of its own, and return its result.

    Sync fixtures cannot await, async fixtures cannot be requested lazily, and a session-scoped async
    fixture would need a session-scoped event loop; this keeps pytest-asyncio's function loops apart.
    """
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _pg(*statements: str | None) -> str | None:
    """Run statements, one after another, on the PostgreSQL admin database; return why it could not
    connect, or None."""
    import asyncpg

    async def go() -> str | None:
        try:
            conn = await asyncpg.connect(PG_ADMIN_URL, timeout=3)
        except (OSError, asyncpg.PostgresError) as exc:
            return f"{type(exc).__name__}: {exc}"
        try:
            for sql in statements:
                if sql:
                    await conn.execute(sql)
        finally:
            await conn.close()
        return None

    return in_thread(go())


def _create_pg(name: str, template: str | None = None) -> None:
    """Create a test database (a copy of ``template``, or empty). Its commits do not wait for the WAL to
    reach the disk: the server is never crashed in a test, so nothing a test can see changes, while a
    test no longer waits for an fsync at each commit."""
    copy = f' TEMPLATE "{template}"' if template else ""
    problem = _pg(f'CREATE DATABASE "{name}"{copy}', f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    assert problem is None, problem


class _Dropper:
    """Drops the test databases on threads of their own, so no test waits for a DROP DATABASE (which
    waits for a checkpoint; drops side by side share one); the session's end waits for every drop and
    fails on one that failed."""

    def __init__(self) -> None:
        self._pool = concurrent.futures.ThreadPoolExecutor(4, thread_name_prefix="pg-drop")
        self._drops: list[concurrent.futures.Future[str | None]] = []

    def drop(self, name: str) -> None:
        """Drop a database soon, forcing its connections closed."""
        self._drops.append(self._pool.submit(_pg, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def finish(self) -> None:
        """Wait for every drop; raise the first failure."""
        self._pool.shutdown(wait=True)
        for done in self._drops:
            done.result()


@pytest.fixture(scope="session")
def pg_dropper() -> Iterator[_Dropper]:
    """Yield the session's dropper of test databases; wait for its drops at the end."""
    dropper = _Dropper()
    try:
        yield dropper
    finally:
        dropper.finish()


def _pg_url(name: str) -> str:
    """Return the SQLAlchemy URL of a database on the test PostgreSQL server."""
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return f"{base}/{name}"


def _pg_name(kind: str) -> str:
    """Return a database name no other test or session uses."""
    return f"safetybot_{kind}_{uuid.uuid4().hex[:12]}"


def _require_pg() -> None:
    """Skip when PostgreSQL is not reachable, or fail when SAFETYBOT_REQUIRE_PG says it must be."""
    problem = _pg(None)
    if problem is not None:
        if os.environ.get("SAFETYBOT_REQUIRE_PG"):
            pytest.fail(f"PostgreSQL required but not reachable at {PG_ADMIN_URL}: {problem}")
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL} ({problem}); .ci/run starts it")


def _sqlite_url(path: Path) -> str:
    """Return the SQLAlchemy URL of a SQLite file."""
    return f"sqlite+aiosqlite:///{path}"


async def _migrate(url: str) -> None:
    """Apply every migration to the database at ``url``, then close all of its connections."""
    database = Database(url)
    try:
        await upgrade(database.engine)
    finally:
        await database.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate a SQLite file once per session; tests copy it instead of migrating their own."""
    path = tmp_path_factory.mktemp("template") / "safetybot.db"
    in_thread(_migrate(_sqlite_url(path)))
    # Fold the write-ahead log into the file and leave WAL mode, so the file alone is the whole database.
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")
    assert not path.with_name(f"{path.name}-wal").exists()
    return path


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """Migrate a PostgreSQL database once per session and drop it when the session ends; yield its name."""
    _require_pg()
    name = _pg_name("template")
    assert _pg(f'CREATE DATABASE "{name}"') is None
    try:
        in_thread(_migrate(_pg_url(name)))  # disposes its engine: CREATE DATABASE ... TEMPLATE needs that
        yield name
    finally:
        _pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    """Return the URL of a migrated SQLite database of this test's own: a copy of the session's template."""
    path = tmp_path / "safetybot.db"
    shutil.copyfile(sqlite_template, path)
    return _sqlite_url(path)


@pytest.fixture
def empty_sqlite_url(tmp_path: Path) -> str:
    """Return the URL of a SQLite database file that does not exist yet, for tests of migrations."""
    return _sqlite_url(tmp_path / "empty.db")


@pytest.fixture
def pg_url(pg_template: str, pg_dropper: _Dropper) -> Iterator[str]:
    """Copy the session's migrated template into a PostgreSQL database for one test; drop it afterwards."""
    name = _pg_name("test")
    _create_pg(name, pg_template)
    yield _pg_url(name)
    pg_dropper.drop(name)


@pytest.fixture
def empty_pg_url(pg_dropper: _Dropper) -> Iterator[str]:
    """Create an empty PostgreSQL database for one test of migrations; drop it afterwards."""
    _require_pg()
    name = _pg_name("test")
    _create_pg(name)
    yield _pg_url(name)
    pg_dropper.drop(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db_url(request: pytest.FixtureRequest) -> str:
    """Run the test once on a migrated SQLite database and once on a migrated PostgreSQL database."""
    return str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url"))


@pytest.fixture(params=["sqlite", "postgresql"])
def any_empty_db_url(request: pytest.FixtureRequest) -> str:
    """Run the test once on an empty SQLite database and once on an empty PostgreSQL database."""
    return str(request.getfixturevalue("empty_sqlite_url" if request.param == "sqlite" else "empty_pg_url"))


@pytest.fixture
def clock() -> ManualClock:
    """Return a clock at Monday 2026-11-30 09:00 Beijing time (01:00 UTC)."""
    return ManualClock(datetime(2026, 11, 30, 1, 0, tzinfo=UTC))


@pytest.fixture
async def harness(sqlite_url: str, tmp_path: Path, clock: ManualClock) -> AsyncIterator[Harness]:
    """Yield a migrated app on SQLite with a recording adapter, driven through the neutral core."""
    async with Harness.running(sqlite_url, tmp_path, clock) as h:
        yield h


@pytest.fixture
async def seeded(harness: Harness) -> Harness:
    """Return the harness with the park seeded: two enterprises, the personas in their roles, a park group."""
    await seed(harness)
    return harness


@pytest.fixture
async def any_harness(any_db_url: str, tmp_path: Path, clock: ManualClock) -> AsyncIterator[Harness]:
    """Yield the harness on SQLite and on PostgreSQL."""
    async with Harness.running(any_db_url, tmp_path, clock) as h:
        yield h


@pytest.fixture
async def bot(sqlite_url: str, tmp_path: Path, clock: ManualClock) -> AsyncIterator[LiveBot]:
    """Yield a bot polling the fake Telegram server, on a migrated SQLite database."""
    async with running_bot(sqlite_url, tmp_path, clock) as running:
        yield running


@pytest.fixture
async def dingtalk_bot(sqlite_url: str, tmp_path: Path, clock: ManualClock) -> AsyncIterator[LiveDingTalk]:
    """Yield a bot on the fake DingTalk open platform, on a migrated SQLite database."""
    async with running_dingtalk_bot(sqlite_url, tmp_path, clock) as running:
        yield running


AddHazards = Callable[[Harness, int, str], Awaitable[None]]


@pytest.fixture
def add_closed_hazards() -> AddHazards:
    """Return a function adding closed hazards of 2024 (YH-2024-0001 …) to 华油's ledger in bulk, with their
    rows of the word index: `await add_closed_hazards(h, 1001, "消防器材检查记录不全")`."""
    return _add_closed_hazards


async def _add_closed_hazards(h: Harness, count: int, description: str) -> None:
    """Add closed hazards of 2024 (YH-2024-0001 …) to 华油's ledger in bulk, with their rows of the word index,
    for lists longer than reporting each one would be worth."""
    async with h.app.db.unit_of_work() as s:
        enterprise = await s.scalar(select(Enterprise.id).where(Enterprise.name == "华油装备制造有限公司"))
        reporter = await s.scalar(select(Person.id).where(Person.external_id == ZHANG.user_id))
        start = await s.scalar(select(func.count()).select_from(Hazard).where(Hazard.code.like("YH-2024-%"))) or 0
        at = datetime(2024, 12, 30, 1, 0, tzinfo=UTC)
        rows = [
            {
                "code": f"YH-2024-{start + i:04d}", "enterprise_id": enterprise, "description": description,
                "category": "fire", "level": "general", "mode": "deadline", "status": "closed", "source": "inspection",
                "five_in_place": {}, "reporter_id": reporter, "found_at": at, "created_at": at, "updated_at": at,
                "closed_at": at,
            }
            for i in range(1, count + 1)
        ]  # fmt: skip
        ids = (await s.scalars(insert(Hazard).returning(Hazard.id, sort_by_parameter_order=True), rows)).all()
        grams = sorted(index_grams(description))
        await s.execute(insert(HazardGram), [{"gram": g, "hazard_id": i} for i in ids for g in grams])


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the slowest tests (marked `slow`: real processes killed and restarted) first, so that under
    pytest-xdist they start at once instead of keeping one worker busy after the others are done."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
