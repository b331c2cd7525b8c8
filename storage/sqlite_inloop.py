"""SQLite for the async engine without a thread hop per statement: sqlite3 runs in the event loop's thread.

aiosqlite gives each connection a thread and moves every call (execute, fetch, commit) there and back:
about three hand-offs of 45–50 µs of CPU per statement, while the statement itself costs 2–30 µs. A bot
whose statements are a few small rows per update spends most of its time on those hand-offs. This
dialect is SQLAlchemy's own pysqlite dialect marked as usable under the async engine: the async session
and connection work as before (greenlets still carry the ORM), but the driver calls run where they are
made, with no thread and no await.

What this asks in return, and where it is given:
- A statement blocks the event loop while it runs. The bot's statements touch a few rows (µs); reports
  and exports read more (ms). A commit's fsync blocks too, which is why only the inbox's commit, the one
  Telegram will not repeat, waits for FULL sync (`storage/db.py`).
- A connection must never wait for SQLite's file lock in C, or the loop that would release the lock
  stalls. `Database.unit_of_work` therefore lets one writer in at a time with an asyncio lock, and
  readers begin deferred (WAL readers never wait for a writer). Another process holding the lock (the
  CLI) is waited for at most `busy_timeout`; the unit of work then fails as "database unavailable" and
  is retried, as any outage is.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import pool
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import URL
from sqlalchemy.util import await_

DRIVER = "inloop"


class SQLiteDialect_inloop(SQLiteDialect_pysqlite):
    """pysqlite, accepted by `create_async_engine`: driver calls complete at once, in the calling thread."""

    driver = DRIVER
    is_async = True
    supports_statement_cache = True

    @classmethod
    def get_pool_class(cls, url: URL) -> type[pool.Pool]:
        # The asyncio-aware queue: a task waiting for a connection yields to the loop instead of blocking.
        if cls._is_url_file_db(url):
            return pool.AsyncAdaptedQueuePool
        return pool.StaticPool

    # `AsyncConnection.execute` insists that the driver awaited something, as a guard against sync drivers
    # under the async engine. This driver completes at once by design, so each statement awaits a
    # coroutine that returns at once: two greenlet switches (about a microsecond), never the loop.
    def do_execute(self, cursor: Any, statement: str, parameters: Any, context: Any = None) -> None:
        await_(_done())
        super().do_execute(cursor, statement, parameters, context)

    def do_execute_no_params(self, cursor: Any, statement: str, context: Any = None) -> None:
        await_(_done())
        super().do_execute_no_params(cursor, statement, context)

    def do_executemany(self, cursor: Any, statement: str, parameters: Any, context: Any = None) -> None:
        await_(_done())
        super().do_executemany(cursor, statement, parameters, context)

    def connect(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["factory"] = _Connection
        return super().connect(*args, **kwargs)


class _Cursor(sqlite3.Cursor):
    """A sqlite3 cursor the async result accepts: its rows are read as they are fetched, so there is
    nothing to buffer before the result goes back to async code (the threaded drivers' "soft close")."""

    async def _async_soft_close(self) -> None:
        return None


class _Connection(sqlite3.Connection):
    def cursor(self, factory: Any = _Cursor) -> Any:
        return super().cursor(factory)


async def _done() -> None:
    return None


registry.register(f"sqlite.{DRIVER}", __name__, "SQLiteDialect_inloop")


def in_loop(url: URL) -> URL:
    """Return a SQLite URL (any driver, e.g. the documented `sqlite+aiosqlite://`) using this dialect."""
    return url.set(drivername=f"sqlite+{DRIVER}")
