"""A PostgreSQL connection that the storage layer can use as it uses SQLite's.

The repositories reach the database in two ways (:mod:`storage.db`): statement by statement
through async helpers, and — on the hot paths — a *synchronous* function ``work(db)`` shipped
whole to the connection's thread and run there in one trip (BEGIN, its statements, COMMIT).
PostgreSQL gets the same model so that there is one set of repositories, not two:

* one psycopg 3 connection (its synchronous API) lives on a thread of its own, as aiosqlite
  keeps its sqlite3 connection on one; :class:`AsyncConnection` gives it the part of
  aiosqlite's surface that :func:`storage.db.in_thread` relies on (``_execute``, ``_conn``,
  ``close``, ``executemany``, ``in_transaction``);
* :class:`Connection` gives the psycopg connection the part of ``sqlite3.Connection`` our
  work functions call: ``execute(sql, params)`` returning a cursor with ``fetchone``,
  ``fetchall``, ``rowcount`` and ``lastrowid``, rows that index by position and by column
  name like ``sqlite3.Row`` (sealed columns opened, as SQLite's row factory does), and
  ``in_transaction``. Every statement goes through :func:`storage.dialect.translate`.

psycopg's async API (or asyncpg) would make each statement its own await, and a one-trip
work function could not run at all: it is plain synchronous code, written once for both
databases, and one trip per transaction is the point of it.

Every statement is a trip to the server and back, so the few that say nothing back are not
sent alone: a transaction's opening (BEGIN, the fleet's write lock, ``SET LOCAL``) travels in
front of its first statement, in one pipeline with it, and an ``executemany`` sends its rows
in one text (bound on this side: one INSERT of many rows, or a statement a row).

A statement's values are bound by the server (psycopg's extended protocol), and psycopg
prepares a statement once this connection has run it five times: the hot statements are
parsed and planned once per connection, not on every call, which on a queue's page was as
long as running it. A string goes as a value of no declared type, so PostgreSQL fits it to
the column as SQLite's loose typing does, instead of refusing ``text = bigint``. Prepared
statements are why a pooler in front of the server must keep each client's session (so must
the lead's advisory lock: :mod:`storage.leadership`).

Errors come out as the ``sqlite3`` exception
classes (IntegrityError for a violated constraint, OperationalError for a missing table or
a lost connection), with SQLite's wording in front of PostgreSQL's message, so the
repositories and the bot catch one set of exceptions whichever database they run on.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Coroutine, Generator, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from decimal import Decimal
from functools import partial
from typing import Any, TypeVar

import psycopg
from psycopg import errors as pg_errors
from psycopg.pq import TransactionStatus

from storage.dialect import Statement, Untranslatable, translate
from storage.sealing.columns import SEALED_NAMES, open_value
from storage.sealing.crypto import FieldCipher

T = TypeVar("T")
Params = Sequence[object] | Mapping[str, object]

# Statements that open a transaction or set it up, and say nothing back worth a trip of their
# own: they are sent in front of the next statement (Connection._leading).
_LEADING = ("BEGIN", "SET LOCAL")
_ENDING = ("COMMIT", "ROLLBACK")
# Rows of an executemany sent in one text: a sweep's chunk is a few hundred.
_BATCH_ROWS = 500

# SQLite's words for each violated constraint, so that a message reads the same on both.
_CONSTRAINT_WORDS = {
    "23505": "UNIQUE constraint failed",
    "23503": "FOREIGN KEY constraint failed",
    "23514": "CHECK constraint failed",
    "23502": "NOT NULL constraint failed",
}


class Row:
    """A row like ``sqlite3.Row``: by position, by column name, ``keys()``, iteration."""

    __slots__ = ("_names", "_positions", "_values")

    def __init__(
        self,
        names: tuple[str, ...],
        values: tuple[Any, ...],
        positions: Mapping[str, int] | None = None,
    ) -> None:
        self._names = names
        self._values = values
        # Shared by every row of a result: a column found by name without a scan of names.
        self._positions = positions if positions is not None else _column_positions(names)

    def keys(self) -> list[str]:
        return list(self._names)

    def __getitem__(self, key: int | str | slice) -> Any:
        if isinstance(key, str):
            try:
                return self._values[self._positions[key]]
            except KeyError:
                raise IndexError(f"No item with that key: {key!r}") from None
        return self._values[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Row):
            return self._names == other._names and self._values == other._values
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self._names, self._values))

    def __repr__(self) -> str:
        return f"Row({dict(zip(self._names, self._values, strict=True))!r})"


def _column_positions(names: Sequence[str]) -> dict[str, int]:
    """Each column name's position; a name given twice is its first, as ``sqlite3.Row``'s."""
    positions: dict[str, int] = {}
    for position, name in enumerate(names):
        positions.setdefault(name, position)
    return positions


def _as_sqlite(value: Any) -> Any:
    """A value read back as SQLite gives it: no booleans, and whole sums as int."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


class Cursor:
    """What ``sqlite3.Connection.execute`` returns, as far as our storage code reads it."""

    def __init__(
        self,
        rows: list[tuple[Any, ...]] | None,
        names: tuple[str, ...],
        rowcount: int,
        lastrowid: int | None,
        cipher: FieldCipher | None,
    ) -> None:
        self._rows = rows or []
        self._names = names
        self._position = 0
        self.rowcount = rowcount
        self.lastrowid = lastrowid
        self._sealed = [name in SEALED_NAMES for name in names]
        self._positions = _column_positions(names)
        self._cipher = cipher

    @property
    def description(self) -> tuple[tuple[str, None, None, None, None, None, None], ...]:
        return tuple((name, None, None, None, None, None, None) for name in self._names)

    def _row(self, values: tuple[Any, ...]) -> Row:
        opened = tuple(
            open_value(self._cipher, v) if sealed and isinstance(v, str) else _as_sqlite(v)
            for sealed, v in zip(self._sealed, values, strict=True)
        )
        return Row(self._names, opened, self._positions)

    def fetchone(self) -> Row | None:
        if self._position >= len(self._rows):
            return None
        self._position += 1
        return self._row(self._rows[self._position - 1])

    def fetchall(self) -> list[Row]:
        rest = self._rows[self._position :]
        self._position = len(self._rows)
        return [self._row(values) for values in rest]

    def __iter__(self) -> Iterator[Row]:
        while (row := self.fetchone()) is not None:
            yield row


class AsyncCursor:
    """aiosqlite's cursor over rows already fetched: what ``await connection.execute`` gives."""

    def __init__(self, cursor: Cursor) -> None:
        self._cursor = cursor
        self.rowcount = cursor.rowcount
        self.lastrowid = cursor.lastrowid

    async def fetchone(self) -> Row | None:
        return self._cursor.fetchone()

    async def fetchall(self) -> list[Row]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        return None


class _Executing:
    def __init__(self, pending: Coroutine[Any, Any, Cursor]) -> None:
        self._pending = pending

    def __await__(self) -> Generator[Any, None, AsyncCursor]:
        return self._wrapped().__await__()

    async def _wrapped(self) -> AsyncCursor:
        return AsyncCursor(await self._pending)

    async def __aenter__(self) -> AsyncCursor:
        return await self._wrapped()

    async def __aexit__(self, *_: object) -> None:
        return None


class Connection:
    """A psycopg connection with the part of ``sqlite3.Connection`` the repositories use.

    It lives on one thread (see :class:`AsyncConnection`); nothing here is thread-safe.
    """

    def __init__(self, connection: psycopg.Connection[Any], cipher: FieldCipher | None) -> None:
        self._connection = connection
        self._cipher = cipher
        # A transaction's opening statements (BEGIN, its advisory lock, SET LOCAL), held back
        # to travel in front of the first statement that has something to say: one trip to
        # the server instead of two or three. Nothing else runs on this connection between
        # the two, so the server sees the same statements in the same order.
        self._leading: list[str] = []

    @property
    def in_transaction(self) -> bool:
        if self._leading:
            return True
        return self._connection.info.transaction_status != TransactionStatus.IDLE

    def execute(self, sql: str, params: Params = ()) -> Cursor:
        statement = _translated(sql)
        if statement.special == "user_version":
            self._send_leading()
            return self._user_version()
        if not statement.bound and statement.sql.startswith(_LEADING):
            self._leading.append(statement.sql)
            return Cursor(None, (), -1, None, self._cipher)
        if self._leading and statement.sql in _ENDING:
            # A transaction that ran nothing: neither its BEGIN nor its end need the server.
            self._leading.clear()
            return Cursor(None, (), -1, None, self._cipher)
        values = statement.values(params, self._cipher)
        leading, self._leading = self._leading, []
        with _as_sqlite_errors():
            if values is None:
                # Nothing to bind: the statement text goes as it is, behind the transaction's
                # opening statements in the same text (a text of several statements is
                # PostgreSQL's simple protocol, which takes no parameters).
                with self._cursor() as cursor:
                    cursor.execute("; ".join([*leading, statement.sql]).encode("utf-8"))
                    for _ in range(_results(leading)):
                        cursor.nextset()  # the cursor stands on the first result; ours is last
                    return self._result(cursor, statement)
            with psycopg.Cursor(self._connection) as bound:
                if not leading:
                    bound.execute(statement.sql, values)
                    return self._result(bound, statement)
                # The opening statements and this one in one pipeline: one trip to the server.
                with self._connection.pipeline(), psycopg.Cursor(self._connection) as opening:
                    for text in leading:
                        for part in text.split("; "):
                            opening.execute(part)
                    bound.execute(statement.sql, values)
                return self._result(bound, statement)

    def executemany(self, sql: str, rows: Sequence[Params]) -> Cursor:
        """Every row bound on this side and sent in one trip to the server for a batch (a
        sweep's hundreds of rows), where a statement a row would be one trip each: an INSERT
        of one row of VALUES as one INSERT of all the rows, which the server plans once, any
        other statement as one text of a statement a row. The rows changed are summed."""
        statement = _translated(sql)
        changed = 0
        with _as_sqlite_errors(), self._cursor() as cursor:
            for start in range(0, len(rows), _BATCH_ROWS):
                batch = rows[start : start + _BATCH_ROWS]
                if statement.rows is not None:
                    head, row, tail = statement.rows
                    values = ", ".join(
                        cursor.mogrify(row, statement.values(params, self._cipher))
                        for params in batch
                    )
                    texts = [f"{head}{values}{tail}"]
                else:
                    texts = [
                        cursor.mogrify(statement.sql, statement.values(params, self._cipher))
                        for params in batch
                    ]
                leading, self._leading = self._leading, []
                cursor.execute("; ".join([*leading, *texts]).encode("utf-8"))
                for _ in range(_results(leading)):
                    cursor.nextset()
                changed += max(cursor.rowcount, 0)
                while cursor.nextset():
                    changed += max(cursor.rowcount, 0)
        return Cursor(None, (), changed, None, self._cipher)

    def executescript(self, script: str) -> None:
        """Run SQL text as it is, several statements at once (a migration file)."""
        self._send_leading()
        with _as_sqlite_errors():
            self._connection.execute(script.encode("utf-8"))

    def close(self) -> None:
        self._leading.clear()
        self._connection.close()

    def _cursor(self) -> psycopg.ClientCursor[Any]:
        return psycopg.ClientCursor(self._connection)

    def _send_leading(self) -> None:
        if not self._leading:
            return
        leading, self._leading = self._leading, []
        with _as_sqlite_errors():
            self._connection.execute("; ".join(leading).encode("utf-8"))

    def _result(self, cursor: psycopg.Cursor[Any], statement: Statement) -> Cursor:
        names = tuple(column.name for column in cursor.description or ())
        rows = cursor.fetchall() if cursor.description is not None else None
        lastrowid = None
        if statement.returns_id:
            lastrowid = int(rows[-1][0]) if rows else None
            rows, names = None, ()
        return Cursor(rows, names, cursor.rowcount, lastrowid, self._cipher)

    def _user_version(self) -> Cursor:
        """``PRAGMA user_version``: the newest migration recorded (0 before the first)."""
        with _as_sqlite_errors(), self._connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass('schema_migrations') IS NOT NULL")
            found = cursor.fetchone()
            version = 0
            if found is not None and found[0]:
                cursor.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
                newest = cursor.fetchone()
                version = int(newest[0]) if newest is not None else 0
        return Cursor([(version,)], ("user_version",), -1, None, self._cipher)


def _results(leading: list[str]) -> int:
    """How many results the held-back statements give (BEGIN_WRITE is two in one text)."""
    return sum(text.count(";") + 1 for text in leading)


def _translated(sql: str) -> Statement:
    try:
        return translate(sql)
    except Untranslatable as error:
        raise sqlite3.OperationalError(str(error)) from error


@contextmanager
def _as_sqlite_errors() -> Iterator[None]:
    try:
        yield
    except psycopg.Error as error:
        raise _sqlite_error(error) from error


def _sqlite_error(error: psycopg.Error) -> sqlite3.Error:
    message = str(error).strip()
    if isinstance(error, pg_errors.IntegrityError):
        words = _CONSTRAINT_WORDS.get(error.sqlstate or "")
        return sqlite3.IntegrityError(f"{words}: {message}" if words else message)
    if isinstance(error, pg_errors.UndefinedTable):
        return sqlite3.OperationalError(f"no such table: {message}")
    if isinstance(error, pg_errors.UndefinedColumn):
        return sqlite3.OperationalError(f"no such column: {message}")
    if isinstance(error, pg_errors.SyntaxError):
        return sqlite3.OperationalError(f"syntax error: {message}")
    if isinstance(error, pg_errors.DataError):
        return sqlite3.IntegrityError(message)
    if isinstance(error, psycopg.OperationalError | pg_errors.ProgrammingError):
        return sqlite3.OperationalError(message)
    return sqlite3.DatabaseError(message)


class AsyncConnection:
    """The aiosqlite-like face of a :class:`Connection` kept on a thread of its own.

    One worker thread runs every call in the order they were queued, which is what makes a
    work function's statements a transaction nobody else's interleave with.
    """

    def __init__(self, executor: ThreadPoolExecutor, connection: Connection) -> None:
        self._executor = executor
        self._conn = connection

    @classmethod
    async def connect(cls, url: str, cipher: FieldCipher | None) -> AsyncConnection:
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hvconnect-postgresql")

        def connect() -> Connection:
            # Autocommit: like SQLite's isolation_level=None, the storage layer issues its own
            # BEGIN and COMMIT (storage/db.py).
            connection = psycopg.connect(url, autocommit=True, cursor_factory=psycopg.ClientCursor)
            return Connection(connection, cipher)

        try:
            with _as_sqlite_errors():
                connection = await asyncio.get_running_loop().run_in_executor(executor, connect)
        except BaseException:
            executor.shutdown(wait=False)
            raise
        return cls(executor, connection)

    async def _execute(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, partial(fn, *args, **kwargs))

    @property
    def in_transaction(self) -> bool:
        return self._conn.in_transaction

    def execute(self, sql: str, params: Params = ()) -> _Executing:
        """Awaited, or used as ``async with``, as aiosqlite's execute is."""
        return _Executing(self._execute(self._conn.execute, sql, params))

    async def executemany(self, sql: str, rows: Sequence[Params]) -> Cursor:
        return await self._execute(self._conn.executemany, sql, list(rows))

    async def close(self) -> None:
        try:
            await self._execute(self._conn.close)
        finally:
            self._executor.shutdown(wait=True)
