"""Counters for the bot process, used by `bench/hotpath.py`: SQL statements, transactions, thread hops.

`python bench/counting.py OUT <safetybot arguments>` runs `safetybot` (bot.cli.main) with, installed
before any of the bot's imports and without touching its code:

- SQLAlchemy event listeners on the `Engine` and `Pool` classes (so on every engine the bot makes):
  `before_cursor_execute` (every statement the driver is given, BEGIN/PRAGMA/COMMIT text included when
  they are sent as statements), `begin`, `commit`, `rollback`, and the pool's `checkout`: with
  `pool_pre_ping` (the bot's PostgreSQL engine) a checkout of a pooled connection first pings it, which
  no statement event shows (SQLAlchemy's asyncpg adapter pings with BEGIN, `;`, ROLLBACK: three round
  trips), counted as `pre_pings`;
- the bookkeeping lane's sqlite3 statements (`storage/lane.py` `SqliteLane`), its BEGIN/COMMIT/ROLLBACK
  as transactions;
- thread hops: `loop.run_in_executor` (which `asyncio.to_thread` goes through; `to_thread` is counted
  apart as well) and `loop.call_soon_threadsafe`, the way any other thread (an executor, aiosqlite's
  connection thread, anyio's workers) hands a result back to the event loop.

SIGUSR2 writes a snapshot of the counters as JSON to OUT (through a temporary file and a rename, with
a sequence number the caller waits for), together with the last `KEEP` statements and transaction
begins and ends (sequence number, text), so a caller can list the statements of one update. The process also writes a snapshot when it
exits. The counting costs a few µs per statement; the benchmark's CPU figures include it.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import os
import re
import signal
import sys
from collections import Counter, deque
from pathlib import Path
from typing import Any

KEEP = 400  # statements kept for listing
SQL_WIDTH = 300  # characters of a statement kept

ROOT = Path(__file__).resolve().parent.parent


class Counts:
    """The counters, written out on SIGUSR2 and at exit."""

    def __init__(self, out: Path) -> None:
        """Count into memory; snapshots go to `out`."""
        self.out = out
        self.snapshots = 0
        self.n: Counter[str] = Counter()
        self.recent: deque[tuple[int, str]] = deque(maxlen=KEEP)
        self._space = re.compile(r"\s+")

    def statement(
        self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        """before_cursor_execute: count the statement and keep its text."""
        self.n["statements"] += 1
        if many:
            self.n["executemany"] += 1
        self.keep(self._space.sub(" ", statement)[:SQL_WIDTH])

    def keep(self, text: str) -> None:
        """Keep a line of the listing (a statement, or a transaction's begin or end)."""
        self.n["kept"] += 1
        self.recent.append((self.n["kept"], text))

    def snapshot(self, *_: Any) -> None:
        """Write the counters to the output file (atomically)."""
        self.snapshots += 1
        data = {
            "seq": self.snapshots,
            "pid": os.getpid(),
            "counts": dict(self.n),
            "aiosqlite_loaded": "aiosqlite" in sys.modules,
            "recent": list(self.recent),
        }
        tmp = self.out.with_name(f"{self.out.name}.tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.out)

    def install(self) -> None:
        """Register the SQLAlchemy listeners, wrap the loop's hand-off points, hook SIGUSR2 and exit."""
        from sqlalchemy import event
        from sqlalchemy.engine import Engine
        from sqlalchemy.pool import Pool

        n = self.n

        def bump(name: str, mark: str | None = None) -> Any:
            def listener(*_: Any, **__: Any) -> None:
                n[name] += 1
                if mark is not None:
                    self.keep(mark)

            return listener

        event.listen(Engine, "before_cursor_execute", self.statement)
        event.listen(Engine, "begin", bump("begins", "-- begin"))
        event.listen(Engine, "commit", bump("commits", "-- commit"))
        event.listen(Engine, "rollback", bump("rollbacks", "-- rollback"))

        def checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
            n["checkouts"] += 1
            if getattr(getattr(proxy, "_pool", None), "_pre_ping", False):
                n["pre_pings"] += 1
                self.keep("-- pool checkout with pre-ping")

        event.listen(Pool, "checkout", checkout)

        # The bookkeeping lane (storage/lane.py) talks to sqlite3 directly: no Engine event sees it.
        from storage.lane import SqliteLane

        execute, own = SqliteLane._execute, SqliteLane.sql

        def counted_execute(lane: Any, statement: Any, params: Any) -> Any:
            self.statement(None, None, statement.compiled(lane.dialect).sql, params, None, False)
            return execute(lane, statement, params)

        def counted_sql(lane: Any, text: str) -> None:
            word = text.split()[0].upper()
            name = {"BEGIN": "begins", "COMMIT": "commits", "ROLLBACK": "rollbacks"}.get(word)
            if name is not None:
                n[name] += 1
                self.keep(f"-- {word.lower()} (lane)")
            else:
                self.statement(None, None, text, None, None, False)
            own(lane, text)

        SqliteLane._execute = counted_execute  # type: ignore[method-assign]
        SqliteLane.sql = counted_sql  # type: ignore[method-assign]

        base = asyncio.BaseEventLoop
        run_in_executor = base.run_in_executor
        call_soon_threadsafe = base.call_soon_threadsafe
        to_thread = asyncio.to_thread

        def counted_run_in_executor(loop: Any, executor: Any, func: Any, *args: Any) -> Any:
            n["run_in_executor"] += 1
            return run_in_executor(loop, executor, func, *args)

        def counted_call_soon_threadsafe(loop: Any, callback: Any, *args: Any, **kwargs: Any) -> Any:
            n["call_soon_threadsafe"] += 1
            return call_soon_threadsafe(loop, callback, *args, **kwargs)

        async def counted_to_thread(func: Any, /, *args: Any, **kwargs: Any) -> Any:
            n["to_thread"] += 1
            return await to_thread(func, *args, **kwargs)

        base.run_in_executor = counted_run_in_executor  # type: ignore[method-assign]
        base.call_soon_threadsafe = counted_call_soon_threadsafe  # type: ignore[method-assign]
        asyncio.to_thread = counted_to_thread  # type: ignore[assignment]
        signal.signal(signal.SIGUSR2, self.snapshot)
        atexit.register(self.snapshot)


def main() -> int:
    """Install the counters, then run safetybot with the remaining arguments."""
    out = Path(sys.argv.pop(1)).resolve()
    sys.path.insert(0, str(ROOT))
    Counts(out).install()
    from bot.cli import main as safetybot

    return safetybot(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
