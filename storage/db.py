"""Engine, sessions and migrations: the one place that knows how to open the database."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.util import greenlet_spawn

from storage.lane import CoreLane, SqliteLane, wrap_error
from storage.sqlite_inloop import in_loop

logger = logging.getLogger(__name__)

T = TypeVar("T")

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
CONNECT_TIMEOUT = 10  # seconds to open a PostgreSQL connection
STATEMENT_TIMEOUT = 60  # seconds any one statement may take on PostgreSQL
# The newest migration. A started bot whose database is at HEAD never imports Alembic (about 10 MB of
# resident memory); a test checks this matches the migrations directory.
HEAD = "0026"
BUSY_TIMEOUT = 5.0  # seconds a SQLite statement waits for another process's lock (it blocks the loop)


def make_engine(url: str, *, threaded: bool = False) -> AsyncEngine:
    """Create an async engine; SQLite runs in the loop's thread (`storage/sqlite_inloop.py`), or with
    `threaded` in a thread per connection (aiosqlite: long reads that must not hold the loop), with WAL,
    foreign keys and a busy timeout."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # Every unit of work ends in COMMIT or ROLLBACK and a session rolls back what it opened on close,
        # so the pool's own rollback on return would only be one more statement.
        driver = parsed.set(drivername="sqlite+aiosqlite") if threaded else in_loop(parsed)
        engine = create_async_engine(driver, connect_args={"timeout": BUSY_TIMEOUT}, pool_reset_on_return=None)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy, not the driver, decide when a transaction begins (SQLAlchemy's
            # documented pysqlite recipe); the "begin" hook below then starts it.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT * 1000)}")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin(conn: Connection) -> None:
            # Take the write lock at BEGIN: writers queue (on `Database`'s lock) instead of failing with
            # "database is locked" when a reader upgrades to a writer. A read-only session
            # (`Database.reading`) begins deferred and never waits for writers (WAL). Said to the driver
            # directly: these run at every transaction, and SQLAlchemy's statement machinery would cost
            # more than the statements.
            options = conn.get_execution_options()
            dbapi = conn.connection.dbapi_connection
            assert dbapi is not None
            if options.get("read_only", False):
                dbapi.execute("BEGIN")
                return
            # In WAL mode NORMAL loses no commit when the process crashes, only (the last few) when the
            # machine loses power; FULL is kept for what a platform will not send again (`durable`).
            sync = "FULL" if options.get("durable", False) else "NORMAL"
            info = conn.connection.info
            if info.get("synchronous") != sync:
                dbapi.execute(f"PRAGMA synchronous={sync}")
                info["synchronous"] = sync
            dbapi.execute("BEGIN IMMEDIATE")

        return engine
    # A database that stops answering must fail a unit of work within a bounded time (the update then
    # waits in the inbox), never hang the bot: connect and statement timeouts, and a pool wait limit.
    # No pre-ping: on asyncpg it costs three round trips at every checkout (3–4 an update). A connection
    # the server dropped fails its first statement instead; SQLAlchemy then discards it and every pooled
    # connection older than it, and the unit of work waits and is tried again, as in any outage.
    return create_async_engine(
        url,
        pool_timeout=30,
        connect_args={"timeout": CONNECT_TIMEOUT, "command_timeout": STATEMENT_TIMEOUT},
    )


# SQLite reports both outages and bugs ("no such column") as OperationalError: these are the outages.
SQLITE_TRANSIENT = ("locked", "busy", "unable to open", "disk i/o", "disk is full", "readonly database")
# PostgreSQL: serialization failure, deadlock, cannot connect, admin shutdown, too many connections.
PG_TRANSIENT = ("40001", "40P01", "08", "57P", "53300")


def is_unavailable(exc: BaseException) -> bool:
    """Tell whether an error means the database cannot be used right now (retry later), not a bug."""
    if isinstance(exc, (OSError, TimeoutError, PoolTimeout)):
        return True
    if not isinstance(exc, DBAPIError):
        return _driver_unavailable(exc)
    if exc.connection_invalidated or isinstance(exc, InterfaceError):
        return True
    code = str(getattr(exc.orig, "sqlstate", "") or getattr(exc.orig, "pgcode", "") or "")
    if code:
        return code.startswith(PG_TRANSIENT)
    message = str(exc.orig).lower()
    if isinstance(exc, OperationalError) and "sqlite" in type(exc.orig).__module__.lower():
        return any(word in message for word in SQLITE_TRANSIENT)
    return isinstance(exc, OperationalError)


def is_database_outage(exc: BaseException) -> bool:
    """Tell whether an error came from the database and means it cannot be used right now (an `OSError`
    alone may as well come from a platform's server)."""
    from_database = isinstance(exc, (DBAPIError, PoolTimeout)) or type(exc).__module__.startswith("asyncpg")
    return from_database and is_unavailable(exc)


def _driver_unavailable(exc: BaseException) -> bool:
    """A PostgreSQL driver error SQLAlchemy did not wrap (raised while a broken connection is rolled back
    or closed), or one that carries an outage as its cause."""
    code = getattr(exc, "sqlstate", None)
    if isinstance(code, str) and code:
        return code.startswith(PG_TRANSIENT)
    if type(exc).__module__.startswith("asyncpg") and type(exc).__name__ == "InterfaceError":
        return True  # "connection is closed" and the like
    cause = exc.__cause__
    return cause is not None and cause is not exc and is_unavailable(cause)


def alembic_config(url: str) -> Config:
    """Build the Alembic config in code, so no alembic.ini has to sit in the working directory."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Apply pending migrations on this engine.

    On SQLite, batch migrations rebuild tables that others reference, which foreign-key enforcement
    forbids midway; it is switched off for the migration (it can only be switched outside a
    transaction), the result is checked with `PRAGMA foreign_key_check`, and it is switched on again.
    """
    from alembic import command

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    sqlite = engine.dialect.name == "sqlite"

    def _pragma(conn: Connection, sql: str) -> list[Any]:
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(sql)
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def _run(conn: Connection) -> None:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)

    async with engine.connect() as conn:
        if sqlite:
            await conn.run_sync(_pragma, "PRAGMA foreign_keys=OFF")
        try:
            async with conn.begin():
                await conn.run_sync(_run)
                if sqlite:
                    broken = await conn.run_sync(_pragma, "PRAGMA foreign_key_check")
                    if broken:
                        raise RuntimeError(f"migration left broken foreign keys: {broken[:5]}")
        finally:
            if sqlite:
                await conn.run_sync(_pragma, "PRAGMA foreign_keys=ON")


async def current_revision(engine: AsyncEngine) -> str | None:
    """Return the database's migration revision (None for an empty database)."""
    async with engine.connect() as conn:
        try:
            return (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
        except DBAPIError:
            return None


async def pending_revisions(engine: AsyncEngine) -> list[str]:
    """Return the migration revisions not yet applied, oldest first."""
    if await current_revision(engine) == HEAD:
        return []
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(engine.url.render_as_string(hide_password=False)))

    def _current(conn: Connection) -> set[str]:
        return set(MigrationContext.configure(conn).get_current_heads())

    async with engine.connect() as conn:
        current = await conn.run_sync(_current)
    pending: list[str] = []
    for rev in script.walk_revisions():
        if rev.revision in current:
            break
        pending.append(rev.revision)
    return list(reversed(pending))


def dialect_insert(session: AsyncSession) -> Any:
    """Return the database's own INSERT construct, which offers `on_conflict_do_nothing`."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


class Database:
    """The engine and its session factory, built once at start and passed down.

    On SQLite, units of work take turns on an asyncio lock: the driver runs in the loop's thread, so a
    writer must never wait for SQLite's own lock there (`storage/sqlite_inloop.py`).
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.sqlite = self.engine.dialect.name == "sqlite"
        self._writer: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None
        self._owner: asyncio.Task[Any] | None = None
        self._long_reads: async_sessionmaker[AsyncSession] | None = None  # SQLite: threaded, made on first use
        parsed = make_url(url)
        # SQLite: the bookkeeping lane's own connection (`storage/lane.py`), opened on first use; an
        # in-memory database has only the engine's one connection, so its bookkeeping goes through it.
        self._lane_path = parsed.database if self.sqlite and parsed.database not in (None, "", ":memory:") else None
        self._lane: SqliteLane | None = None
        self._lane_sync = ""

    @asynccontextmanager
    async def _writing(self) -> AsyncIterator[None]:
        """Hold SQLite's one writer turn. A task that already holds it and asks again would wait for itself
        (a bug: said at once); a turn not given within `BUSY_TIMEOUT` * 6 is an outage, as SQLite's own
        "database is locked" would be."""
        loop = asyncio.get_running_loop()
        if self._writer is None or self._writer[0] is not loop:
            self._writer = (loop, asyncio.Lock())
        task = asyncio.current_task()
        if task is not None and self._owner is task:
            raise RuntimeError("a unit of work inside another one on SQLite would wait for itself")
        lock = self._writer[1]
        async with asyncio.timeout(BUSY_TIMEOUT * 6):
            await lock.acquire()
        self._owner = task
        try:
            yield
        finally:
            self._owner = None
            lock.release()

    @asynccontextmanager
    async def unit_of_work(self, *, durable: bool = False) -> AsyncIterator[AsyncSession]:
        """Open one transaction: commit when the block ends, roll back when it raises.

        `durable`: the commit must survive a power cut, not only a crash of the process (on SQLite a
        FULL sync; PostgreSQL always syncs).
        """
        if not self.sqlite:
            async with self.sessions() as session, session.begin():
                yield session
            return
        async with self._writing(), self.sessions() as session, session.begin():
            await session.connection(execution_options={"durable": durable})
            yield session

    async def run(self, unit: Callable[..., T], *args: Any, durable: bool = False) -> T:
        """Run `unit(lane, *args)` (a bookkeeping unit of `storage/bookkeeping.py`) in one transaction,
        in one hop, with no ORM session: on SQLite on the bookkeeping lane's sqlite3 connection (in the
        loop's thread, holding the writer turn), on PostgreSQL on a Connection in one greenlet. Commits
        when the unit returns, rolls back when it raises.

        `durable` as for `unit_of_work`."""
        if not self.sqlite:
            return await greenlet_spawn(self._in_transaction, unit, args, durable)
        async with self._writing():
            lane = self._sqlite_lane()
            if lane is None:
                return await greenlet_spawn(self._in_transaction, unit, args, durable)
            try:
                sync = "FULL" if durable else "NORMAL"
                if self._lane_sync != sync:
                    lane.sql(f"PRAGMA synchronous={sync}")
                    self._lane_sync = sync
                lane.sql("BEGIN IMMEDIATE")
            except DBAPIError:
                self._close_lane()  # opened again at the next unit
                raise
            try:
                result = unit(lane, *args)
                lane.sql("COMMIT")
            except BaseException:
                if lane.conn.in_transaction:
                    try:
                        lane.sql("ROLLBACK")
                    except DBAPIError:
                        self._close_lane()
                raise
            return result

    async def peek(self, unit: Callable[..., T], *args: Any) -> T:
        """Run `unit(lane, *args)`, a read, outside any transaction of ours, in one hop (SQLite: a
        statement on the bookkeeping lane reads a consistent snapshot of its own; no writer turn)."""
        if self.sqlite:
            lane = self._sqlite_lane()
            if lane is not None:
                return unit(lane, *args)
        return await greenlet_spawn(self._read, unit, args)

    def _sqlite_lane(self) -> SqliteLane | None:
        if self._lane is None and self._lane_path is not None:
            try:
                conn = sqlite3.connect(
                    self._lane_path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False
                )
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA foreign_keys=ON")
                conn.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT * 1000)}")
                # Its statements touch a few pages each (the newest inbox and outbox rows, one person):
                # a small page cache of its own, not SQLite's default 2 MB next to the engine's.
                conn.execute("PRAGMA cache_size=-256")
            except sqlite3.Error as exc:
                raise wrap_error(exc, "connect", None) from exc
            self._lane = SqliteLane(conn, self.engine.dialect)
            self._lane_sync = ""
        return self._lane

    def _close_lane(self) -> None:
        if self._lane is not None:
            lane, self._lane = self._lane, None
            try:
                lane.conn.close()
            except sqlite3.Error:
                logger.debug("closing the bookkeeping lane failed", exc_info=True)

    def _in_transaction(self, unit: Callable[..., T], args: tuple[Any, ...], durable: bool) -> T:
        with self.engine.sync_engine.connect() as conn:
            if durable:
                conn.execution_options(durable=True)
            with conn.begin():
                return unit(CoreLane(conn), *args)

    def _read(self, unit: Callable[..., T], args: tuple[Any, ...]) -> T:
        with self.engine.sync_engine.connect() as conn:
            return unit(CoreLane(conn), *args)

    @asynccontextmanager
    async def reading(self, *, long: bool = False) -> AsyncIterator[AsyncSession]:
        """Open a read-only session; on SQLite it does not take the write lock.

        `long`: a read of many rows (an export, a year's figures). On SQLite it runs on a connection with
        a thread of its own, so the loop goes on answering meanwhile (PostgreSQL never holds the loop).
        """
        sessions = self.sessions
        if long and self.sqlite:
            if self._long_reads is None:
                self._long_reads = async_sessionmaker(make_engine(self.url, threaded=True), expire_on_commit=False)
            sessions = self._long_reads
        async with sessions() as session:
            await session.connection(execution_options={"read_only": True})
            yield session

    async def dispose(self) -> None:
        """Close every pooled connection (and the bookkeeping lane's)."""
        self._close_lane()
        await self.engine.dispose()
        if self._long_reads is not None:
            bind = self._long_reads.kw["bind"]
            await bind.dispose()
