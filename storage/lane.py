"""The bookkeeping lane: prebuilt Core statements run on the driver's own connection, one unit at a time.

The per-update bookkeeping (`storage/bookkeeping.py`, `storage/identity.py`) is a handful of one-row
statements. Through SQLAlchemy's execution machinery each costs 60–150 µs of CPU (execution context,
result, greenlet switches); the same statement on a sqlite3 connection costs 2–10 µs. So on SQLite a
unit of bookkeeping runs on a sqlite3 connection of its own (`SqliteLane`), with each statement
compiled once from its Core form by SQLAlchemy's own SQLite compiler and its values converted by the
column types' own bind and result processors: the statements are written once, in Core, and the rows
they write are exactly what the ORM writes and reads. On PostgreSQL the same unit runs on a SQLAlchemy
Connection over asyncpg (`CoreLane`), in one greenlet.

A unit is a plain function `unit(lane, *args)`; `Database.run` gives it its lane in a transaction,
`Database.peek` outside one (a read). Driver errors are raised as SQLAlchemy's `DBAPIError`s, so
`storage.db.is_unavailable` tells an outage from a bug as everywhere else.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import Executable
from sqlalchemy.sql.compiler import SQLCompiler


class Lane(Protocol):
    """Where a bookkeeping unit runs its prebuilt statements."""

    dialect: Dialect

    def rows(self, statement: Prepared, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Run a statement; return its rows (a statement without RETURNING gives none)."""
        ...

    def count(self, statement: Prepared, params: Mapping[str, Any]) -> int:
        """Run a statement; return how many rows it changed."""
        ...

    def ids(self, statement: Prepared, rows: Sequence[Mapping[str, Any]]) -> list[int]:
        """Run an INSERT … RETURNING id for each row; return the ids in the order of the rows."""
        ...


@dataclass
class _Compiled:
    sql: str
    names: tuple[str, ...]  # the bind parameters, in positional order
    literals: dict[str, Any]  # values fixed in the statement (`attempts + 1`)
    binds: dict[str, Callable[[Any], Any]]  # a column type's conversion of a value for the driver
    results: tuple[Callable[[Any], Any] | None, ...]  # and of a value read back, per result column


class Prepared:
    """A Core statement and its parameter names, compiled once per dialect for the raw lane.

    `keys`: for an INSERT, the columns it is given (every row must give all of them; column defaults
    are not applied on the raw lane)."""

    def __init__(
        self, statement: Executable, keys: Sequence[str] | None = None, *, many: Executable | None = None
    ) -> None:
        self.statement = statement
        self.many = many if many is not None else statement  # its form for many rows at once (`Lane.ids`)
        self.keys = list(keys) if keys is not None else None
        self._compiled: dict[str, _Compiled] = {}

    def compiled(self, dialect: Dialect) -> _Compiled:
        """Return the statement compiled for this dialect (made on first use)."""
        found = self._compiled.get(dialect.name)
        if found is None:
            c = self.statement.compile(dialect=dialect, column_keys=self.keys)  # type: ignore[attr-defined]
            assert isinstance(c, SQLCompiler)
            binds = c._bind_processors  # SQLAlchemy's own per-type conversions
            names = tuple(c.positiontup or ())
            literals = {name: c.binds[name].value for name in names if not c.binds[name].required}
            results = tuple(
                entry.type._cached_result_processor(dialect, None)
                for entry in c._result_columns or ()
            )
            found = _Compiled(c.string, names, literals, dict(binds), results)  # type: ignore[arg-type]
            self._compiled[dialect.name] = found
        return found


def wrap_error(exc: sqlite3.Error, sql: str, params: Any) -> DBAPIError:
    """Return a driver error as the DBAPIError SQLAlchemy would raise for it."""
    wrapped = DBAPIError.instance(sql, params, exc, sqlite3.Error)
    assert isinstance(wrapped, DBAPIError)
    return wrapped


class SqliteLane:
    """A unit's statements on a sqlite3 connection (the caller holds the write turn and the transaction)."""

    def __init__(self, conn: sqlite3.Connection, dialect: Dialect) -> None:
        self.conn = conn
        self.dialect = dialect

    def _execute(self, statement: Prepared, params: Mapping[str, Any]) -> tuple[sqlite3.Cursor, _Compiled]:
        c = statement.compiled(self.dialect)
        values = []
        for name in c.names:
            value = params[name] if name in params else c.literals[name]
            convert = c.binds.get(name)
            values.append(convert(value) if convert is not None and value is not None else value)
        try:
            return self.conn.execute(c.sql, values), c
        except sqlite3.Error as exc:
            raise wrap_error(exc, c.sql, values) from exc

    def rows(self, statement: Prepared, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Run a statement; return its rows, each value as its column type reads it."""
        cursor, c = self._execute(statement, params)
        try:
            fetched = cursor.fetchall()
        except sqlite3.Error as exc:
            raise wrap_error(exc, c.sql, None) from exc
        if not fetched or not any(c.results):
            return fetched
        return [
            tuple(v if f is None or v is None else f(v) for f, v in zip(c.results, row, strict=True))
            for row in fetched
        ]

    def count(self, statement: Prepared, params: Mapping[str, Any]) -> int:
        """Run a statement; return how many rows it changed."""
        cursor, _ = self._execute(statement, params)
        return cursor.rowcount

    def ids(self, statement: Prepared, rows: Sequence[Mapping[str, Any]]) -> list[int]:
        """Insert the rows one statement each (a few µs apiece here); return their ids in order."""
        return [self.rows(statement, row)[0][0] for row in rows]

    def sql(self, text: str) -> None:
        """Run a statement of the lane's own (BEGIN, COMMIT, a PRAGMA)."""
        try:
            self.conn.execute(text)
        except sqlite3.Error as exc:
            raise wrap_error(exc, text, None) from exc


class CoreLane:
    """A unit's statements on a SQLAlchemy Connection (PostgreSQL, or the connection of an ORM session)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dialect = conn.dialect

    def rows(self, statement: Prepared, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Run a statement; return its rows."""
        result = self.conn.execute(statement.statement, dict(params))
        return [tuple(row) for row in result] if result.returns_rows else []

    def count(self, statement: Prepared, params: Mapping[str, Any]) -> int:
        """Run a statement; return how many rows it changed."""
        return int(self.conn.execute(statement.statement, dict(params)).rowcount)

    def ids(self, statement: Prepared, rows: Sequence[Mapping[str, Any]]) -> list[int]:
        """Insert the rows in one statement (SQLAlchemy's "insertmanyvalues": one round trip on a
        server); return their ids in the order of the rows."""
        if len(rows) == 1:
            return [self.conn.execute(statement.statement, dict(rows[0])).scalar_one()]
        result = self.conn.execute(statement.many, [dict(r) for r in rows])
        return list(result.scalars().all())


def lane_of(conn: Lane | Connection) -> Lane:
    """Return a lane for a unit given a lane or a SQLAlchemy Connection (`AsyncConnection.run_sync`).

    On SQLite in the loop's thread (`storage/sqlite_inloop.py`) the Connection's own sqlite3 connection
    is the lane: the unit's statements run in the session's transaction, after what the session flushed,
    at the lane's cost (a unit run in an ORM unit of work, e.g. the outbox rows of every update)."""
    if not isinstance(conn, Connection):
        return conn
    if conn.dialect.name == "sqlite":
        raw = conn.connection.dbapi_connection
        if isinstance(raw, sqlite3.Connection):
            return SqliteLane(raw, conn.dialect)
    return CoreLane(conn)
