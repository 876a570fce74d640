"""The process's one SQLite connection and the rules for using it.

A bot process keeps a single aiosqlite connection open for its lifetime. SQLite allows one
writer at a time anyway, and one connection means one place that enforces our rules:

* WAL journal, so readers in other processes (a ``sqlite3`` shell, a backup) never block us;
* ``synchronous=FULL``, so a power cut loses nothing that was committed;
* foreign keys enforced, and a busy timeout for the moments another process holds the lock;
* explicit transactions: the connection runs in autocommit mode and every unit of work is
  wrapped in ``BEGIN IMMEDIATE`` … ``COMMIT``/``ROLLBACK``;
* personal data sealed with the cipher the connection was opened with (see
  :mod:`storage.sealing.columns`), and ``secure_delete`` so that a value overwritten or deleted does
  not linger in free space of the file.

Because coroutines share the connection, an :class:`asyncio.Lock` serialises whole
transactions; without it two handlers could interleave statements inside one SQLite
transaction. Plain reads take the same lock for the same reason.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import TypeVar, cast

import aiosqlite

from storage.dialect import BEGIN_UNLOCKED, is_postgresql
from storage.errors import NestedTransaction
from storage.sealing.columns import install
from storage.sealing.crypto import FieldCipher
from storage.units import Rider, carried, current_unit, riders_for_this_write

Params = Sequence[object] | Mapping[str, object]
T = TypeVar("T")

MEMORY = ":memory:"
BUSY_TIMEOUT_MS = 5_000
# storage_facts: every sealed column holds sealed values only (see storage/facts.py).
NOTHING_IN_CLEAR = "nothing_in_clear"


class Database:
    """A single long-lived connection, shared safely by every coroutine of the process."""

    def __init__(
        self, connection: aiosqlite.Connection, path: str, cipher: FieldCipher | None = None
    ) -> None:
        # Use Database.open(); this constructor trusts that the connection is configured.
        self._connection = connection
        self._path = path
        self._cipher = cipher
        self._lock = asyncio.Lock()
        # The task inside transaction(): taking the lock again from that same task would wait
        # forever, so we turn that mistake into an immediate error instead.
        self._transaction_owner: asyncio.Task[object] | None = None
        self._closed = False

    @classmethod
    async def open(cls, path: str | Path, *, cipher: FieldCipher | None = None) -> Database:
        """Open (creating if needed) the database at ``path``; ``":memory:"`` for tests.

        ``cipher`` seals personal data; the bot always passes one. Without it values are
        stored as given, which only tests and tools that hold no personal data may do.
        """
        location = str(path)
        if is_postgresql(location):
            return cls(await _open_postgresql(location, cipher), location, cipher)
        if location != MEMORY:
            Path(location).parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None stops the sqlite3 module from issuing its own implicit BEGINs;
        # we issue BEGIN IMMEDIATE ourselves so that a writer takes the lock up front instead
        # of failing half-way through with SQLITE_BUSY when it upgrades from a read.
        connection = await aiosqlite.connect(location, isolation_level=None)
        try:
            await install(connection, cipher)
            await run(connection, f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await run(connection, "PRAGMA journal_mode = WAL")
            await run(connection, "PRAGMA synchronous = FULL")
            await run(connection, "PRAGMA foreign_keys = ON")
            await run(connection, "PRAGMA secure_delete = ON")
            if cipher is None:
                await _forget_nothing_in_clear(connection)
        except BaseException:
            await connection.close()
            raise
        return cls(connection, location, cipher)

    @property
    def path(self) -> str:
        return self._path

    @property
    def dialect(self) -> str:
        """``"postgresql"`` or ``"sqlite"``: which SQL the few dialect-aware steps speak."""
        return "postgresql" if is_postgresql(self._path) else "sqlite"

    @property
    def cipher(self) -> FieldCipher | None:
        """The cipher personal data is sealed with (None only in tests and tools)."""
        return self._cipher

    async def close(self) -> None:
        """Wait for the running transaction, if any, then close the connection."""
        if self._closed:
            return
        async with self._lock:
            self._closed = True
            await self._connection.close()

    def transaction(self) -> AbstractAsyncContextManager[aiosqlite.Connection]:
        """A write transaction: committed when the block ends, rolled back if it raises.

        Use only the connection it yields inside the block; calling the database's own
        methods there raises :class:`NestedTransaction` rather than waiting forever.
        """
        return self._transaction("BEGIN IMMEDIATE")

    def snapshot(self) -> AbstractAsyncContextManager[aiosqlite.Connection]:
        """A read transaction: several queries that see one consistent state of the data.

        It does not take SQLite's write lock, so other processes are not held up; use
        :meth:`transaction` for anything that writes.
        """
        return self._transaction("BEGIN DEFERRED")

    @asynccontextmanager
    async def _transaction(self, begin: str) -> AsyncIterator[aiosqlite.Connection]:
        self._refuse_nesting()
        writing = begin == "BEGIN IMMEDIATE"
        async with self._lock:
            self._transaction_owner = asyncio.current_task()
            try:
                await run(self._connection, begin)
                try:
                    yield self._connection
                    # The update's riders (storage.units) go in the same trip as the COMMIT.
                    riders = riders_for_this_write() if writing else ()
                    await in_thread(self._connection, lambda db: _commit(db, riders, None))
                except BaseException:
                    # Shielded so that a second cancellation cannot leave the transaction
                    # open for the next coroutine that takes the lock.
                    await asyncio.shield(self._rollback())
                    raise
            finally:
                self._transaction_owner = None
        carried(riders)

    async def _rollback(self) -> None:
        # SQLite rolls some failures back by itself (e.g. a full disk); a second ROLLBACK
        # would then fail and hide the original error.
        if self._connection.in_transaction:
            await run(self._connection, "ROLLBACK")

    async def fetchone(self, sql: str, params: Params = ()) -> aiosqlite.Row | None:
        self._refuse_nesting()
        async with self._lock:
            return await fetch_one(self._connection, sql, params)

    async def fetchall(self, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
        self._refuse_nesting()
        async with self._lock:
            return await fetch_all(self._connection, sql, params)

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement in its own transaction and return the number of rows changed."""
        async with self.transaction() as connection:
            return await run(connection, sql, params)

    async def alone(self, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
        """One statement committed by itself, outside :meth:`transaction`'s write lock; the
        rows it returns (a RETURNING clause's).

        For the steps several instances run side by side on PostgreSQL whose own row locks
        suffice (the outbox's ``FOR UPDATE SKIP LOCKED`` claims): queuing them on the
        fleet-wide write lock would only slow every instance down.
        """
        self._refuse_nesting()
        async with self._lock:
            return await fetch_all(self._connection, sql, params)

    async def in_one_trip(
        self, work: Callable[[sqlite3.Connection], T], *, write: bool = True
    ) -> T:
        """A transaction run whole on SQLite's thread: BEGIN (IMMEDIATE to write, DEFERRED
        for a snapshot), ``work``, COMMIT (ROLLBACK if it raises), in one trip there and back
        instead of one a statement.

        For the hottest steps, whose statements need no await in between (a customer's
        answer). ``work`` runs on the connection's thread with the plain sqlite3 connection:
        it must not touch the event loop.
        """
        self._refuse_nesting()
        begin = "BEGIN IMMEDIATE" if write else "BEGIN DEFERRED"
        riders = riders_for_this_write() if write else ()
        async with self._lock:
            result = await in_thread(self._connection, lambda db: _whole(db, begin, work, riders))
        carried(riders)
        return result

    async def reads_in_one_trip(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Reads run whole on the connection's thread, in one trip there and back, each
        statement committed by itself as :meth:`fetchone`'s are: no snapshot is shared
        between them, and no transaction opened or closed around them (on PostgreSQL, a
        COMMIT would be one more round trip to the server).

        For reads of unrelated things that are wanted at the same moment (what an update's
        handling starts from). ``work`` must not write.
        """
        self._refuse_nesting()
        async with self._lock:
            return await in_thread(self._connection, work)

    async def execute_alone(self, sql: str, params: Params = ()) -> int:
        """Run one write statement in a transaction of its own, in one trip to SQLite's thread.

        The commit waits for the disk like every other (``synchronous=FULL``): what it wrote
        survives a power cut as soon as this returns.
        """
        self._refuse_nesting()
        riders = riders_for_this_write()
        async with self._lock:
            changed = await in_thread(self._connection, lambda db: _alone(db, sql, params, riders))
        carried(riders)
        return changed

    async def settle(self) -> None:
        """Commit the running update's bookkeeping that none of its writes carried.

        An update that changed nothing (a look at ``/status``) still leaves its id behind.
        That commit does not wait for the disk (``synchronous=NORMAL`` for it alone): it holds
        nothing anybody typed, survives a crash of the process as every commit in WAL mode
        does, and the next ordinary commit makes it as durable as the rest. Losing it to a
        power cut means a read answered twice, never a change made twice.
        """
        unit = current_unit()
        if unit is None or not unit.owned_here():
            return
        riders = unit.bookkeeping()
        if not riders:
            return
        self._refuse_nesting()
        async with self._lock:
            if self.dialect == "postgresql":
                await in_thread(self._connection, lambda db: _settle_postgresql(db, riders))
            else:
                await in_thread(self._connection, lambda db: _settle(db, riders))
        carried(riders)

    def _refuse_nesting(self) -> None:
        owner = self._transaction_owner
        if owner is not None and owner is asyncio.current_task():
            raise NestedTransaction(
                "already inside a transaction on this database; use the connection it yielded"
            )


async def table_exists(db: Database, table: str) -> bool:
    """Whether ``table`` exists, asked of SQLite's catalogue or PostgreSQL's."""
    if db.dialect == "postgresql":
        row = await db.fetchone(
            "SELECT 1 FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_name = ?",
            (table,),
        )
    else:
        row = await db.fetchone(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
        )
    return row is not None


async def fetch_one(
    connection: aiosqlite.Connection, sql: str, params: Params = ()
) -> aiosqlite.Row | None:
    """One row (or ``None``) from a query run on ``connection``, e.g. inside a transaction."""
    found: aiosqlite.Row | None = await in_thread(
        connection, lambda db: db.execute(sql, params).fetchone()
    )
    return found


async def fetch_all(
    connection: aiosqlite.Connection, sql: str, params: Params = ()
) -> list[aiosqlite.Row]:
    """Every row of a query run on ``connection``."""
    found: list[aiosqlite.Row] = await in_thread(
        connection, lambda db: db.execute(sql, params).fetchall()
    )
    return found


async def run(connection: aiosqlite.Connection, sql: str, params: Params = ()) -> int:
    """Run one statement on ``connection``; returns the number of rows it changed."""
    changed: int = await in_thread(connection, lambda db: db.execute(sql, params).rowcount)
    return changed


async def insert(connection: aiosqlite.Connection, sql: str, params: Params = ()) -> int:
    """Run an INSERT on ``connection`` and return the new row's id."""
    row_id: int | None = await in_thread(connection, lambda db: db.execute(sql, params).lastrowid)
    if row_id is None:  # pragma: no cover - sqlite3 always sets it after an INSERT
        raise RuntimeError("INSERT did not report a row id")
    return row_id


async def in_thread(connection: aiosqlite.Connection, work: Callable[[sqlite3.Connection], T]) -> T:
    """Run ``work`` on the connection's own thread, in one trip there and back.

    aiosqlite's cursor API makes a trip to its thread for the statement, another for the
    rows and a third to close the cursor. Every trip is a hand-over between threads, and on
    a busy machine those hand-overs, not SQLite, were most of a step's database time. The
    sqlite3 cursor made here is dropped on that thread when ``work`` returns.
    """
    # aiosqlite queues a callable for its thread with _execute, the same way its own
    # execute_fetchall does; there is no public call that hands over a whole function.
    queue = cast(Callable[..., Awaitable[T]], connection._execute)
    return await queue(work, connection._conn)


def _whole(
    db: sqlite3.Connection,
    begin: str,
    work: Callable[[sqlite3.Connection], T],
    riders: tuple[Rider, ...],
) -> T:
    db.execute(begin)
    try:
        result = work(db)
        _commit(db, riders, result)
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    return result


def _alone(db: sqlite3.Connection, sql: str, params: Params, riders: tuple[Rider, ...]) -> int:
    db.execute("BEGIN IMMEDIATE")
    try:
        changed = db.execute(sql, params).rowcount
        _commit(db, riders, None)
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    return changed


def _commit(db: sqlite3.Connection, riders: tuple[Rider, ...], produced: object) -> None:
    """The riders' statements, then COMMIT, on the connection's thread (the caller rolls
    back if either raises)."""
    for rider in riders:
        rider.write(db, produced)
    db.execute("COMMIT")


def _settle_postgresql(db: sqlite3.Connection, riders: tuple[Rider, ...]) -> None:
    # PostgreSQL's word for the same: this transaction's commit does not wait for the WAL's
    # flush; a crash of the server may lose it, never corrupt anything. It does not queue on
    # the fleet's write lock either: it only inserts the update's id (and marks it answered),
    # and the id's primary key already decides between two instances racing for it, the
    # second waiting on the first's row and failing once that commits, lock or no lock.
    db.execute(BEGIN_UNLOCKED)
    try:
        db.execute("SET LOCAL synchronous_commit = off")
        _commit(db, riders, None)
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise


def _settle(db: sqlite3.Connection, riders: tuple[Rider, ...]) -> None:
    db.execute("PRAGMA synchronous = NORMAL")
    try:
        db.execute("BEGIN IMMEDIATE")
        try:
            _commit(db, riders, None)
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
    finally:
        db.execute("PRAGMA synchronous = FULL")


async def _open_postgresql(url: str, cipher: FieldCipher | None) -> aiosqlite.Connection:
    """A PostgreSQL connection with the surface of an aiosqlite one (storage/postgres.py).

    Imported here, not at the top, so that psycopg is needed only where PostgreSQL is used.
    """
    from storage.postgres import AsyncConnection

    connection = await AsyncConnection.connect(url, cipher)
    try:
        if cipher is None:
            await _forget_nothing_in_clear(cast(aiosqlite.Connection, connection))
    except BaseException:
        await connection.close()
        raise
    return cast(aiosqlite.Connection, connection)


async def _forget_nothing_in_clear(connection: aiosqlite.Connection) -> None:
    """Without a key values are stored as given, so the bot must look for clear ones again."""
    try:
        await run(connection, "DELETE FROM storage_facts WHERE name = ?", (NOTHING_IN_CLEAR,))
    except sqlite3.OperationalError as error:
        if "no such table" not in str(error) and "readonly" not in str(error):
            raise
