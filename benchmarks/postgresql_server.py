"""A PostgreSQL server for the benchmarks, durable as a production one, and databases on it.

The test suite's server (:mod:`tests.postgres`) runs with ``fsync=off`` and
``synchronous_commit=off``: right for tests, wrong for a comparison with SQLite, which the
bot runs with ``synchronous=FULL`` (every write transaction waits for the disk). This one is
started the same way (``initdb`` and ``pg_ctl`` into a temporary folder, a unix socket, as the
``postgres`` user when run as root) but keeps PostgreSQL's defaults for durability: each
commit waits until its WAL is on disk. Only the connection limit is raised, for a fleet.

A database for the bot is made empty, migrated as ``hvconnect migrate`` would, then filled
from a SQLite file with :func:`storage.transfer.copy_sqlite_to_postgresql`, the way a
district moves its data in.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from storage.db import Database
from storage.migrate import migrate
from storage.sealing.crypto import FieldCipher
from storage.transfer import Transferred, copy_sqlite_to_postgresql
from tests.postgres import NoPostgreSQL, TestServer, start_server, stop_server

__all__ = ["Copied", "NoPostgreSQL", "copied_in", "durable_server", "new_database", "stop_server"]

_NAMES = itertools.count(1)


def durable_server() -> TestServer:
    """Start a server whose commits wait for the disk; raise :class:`NoPostgreSQL` if none
    can start (no server programs, no psycopg)."""
    try:
        import psycopg  # noqa: F401 - only to find out whether it is installed
    except ImportError as error:
        raise NoPostgreSQL(f"psycopg is not installed: {error}") from error
    return start_server(durable=True)


def server_version(server: TestServer) -> str:
    import psycopg

    with psycopg.connect(server.url("postgres")) as connection:
        row = connection.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "unknown"


async def new_database(server: TestServer, cipher: FieldCipher, now: datetime) -> str:
    """A new database on ``server``, migrated to the bot's schema; its URL."""
    name = f"hvbench_{next(_NAMES)}"
    await asyncio.to_thread(server.admin, f'CREATE DATABASE "{name}"')
    url = server.url(name)
    db = await Database.open(url, cipher=cipher)
    try:
        await migrate(db, now)
    finally:
        await db.close()
    return url


@dataclass(frozen=True)
class Copied:
    """A SQLite data set moved into PostgreSQL, and what the move took."""

    url: str
    transferred: Transferred
    copy_s: float  # copy_sqlite_to_postgresql: one transaction, the tables analysed
    size_mb: float  # pg_database_size afterwards


async def copied_in(server: TestServer, source: Path, cipher: FieldCipher, now: datetime) -> Copied:
    """A new migrated database on ``server`` holding every row of the SQLite file ``source``
    (migrated to the same schema beforehand)."""
    url = await new_database(server, cipher, now)
    started = time.perf_counter()
    transferred = await asyncio.to_thread(copy_sqlite_to_postgresql, source, url)
    copy_s = time.perf_counter() - started
    size_mb = await asyncio.to_thread(_size_mb, url)
    return Copied(url, transferred, copy_s, size_mb)


def _size_mb(url: str) -> float:
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        row = connection.execute("SELECT pg_database_size(current_database())").fetchone()
    return int(row[0]) / 1024 / 1024 if row else 0.0
