"""Which instance of the fleet leads: the one that runs the sweeps and the webhook worker.

On PostgreSQL the leader is the instance holding a session advisory lock
(``pg_try_advisory_lock``) on a small connection of its own. The lock lives as long as that
connection: an instance killed outright, or cut off from the database, loses it as soon as
the server sees the connection go (the connection asks the server to probe it every few
seconds, so a silent network does not keep a dead leader's lock for hours), and the next
instance to try takes it. Every instance tries again every few seconds
(notifications/reminders/scheduler.py), and the leader checks its connection at each try,
so a leader that lost it stops leading instead of carrying on beside its successor.

On SQLite there is one process (storage/run_lock.py): it always leads.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol

from storage.db import Database

__all__ = ["AdvisoryLeadership", "Leadership", "SoleProcess", "leadership_for"]

log = logging.getLogger("hvconnect.leadership")

# Any number will do as long as every instance uses the same one (and it differs from
# storage/dialect.py's WRITE_LOCK_KEY).
LEADER_LOCK_KEY = 0x6876_6C64  # "hvld"
# Seconds a connection or a check may take before the connection is taken for lost.
CHECK_TIMEOUT = 10.0
# The server drops a silent connection after about idle + interval * count seconds.
_KEEPALIVES = (
    "SET tcp_keepalives_idle = 10",
    "SET tcp_keepalives_interval = 5",
    "SET tcp_keepalives_count = 3",
)


class Leadership(Protocol):
    @property
    def contested(self) -> bool:
        """Whether another process may lead instead (so it is worth trying again often)."""

    async def lead(self) -> bool:
        """Whether this process leads now: takes the lead if it is free."""

    async def step_down(self) -> None:
        """Give the lead up (at a stop), so another instance takes it at its next try."""


class SoleProcess:
    """SQLite's one process: always the leader."""

    @property
    def contested(self) -> bool:
        return False

    async def lead(self) -> bool:
        return True

    async def step_down(self) -> None:
        return None


class AdvisoryLeadership:
    """The lead of a PostgreSQL fleet: a session advisory lock on a connection of its own."""

    def __init__(self, url: str, *, key: int = LEADER_LOCK_KEY) -> None:
        self._url = url
        self._key = key
        self._connection: Any = None  # psycopg.AsyncConnection
        self._held = False
        self._lock = asyncio.Lock()

    @property
    def contested(self) -> bool:
        return True

    @property
    def backend_pid(self) -> int | None:
        """The server process of the connection that holds (or tries for) the lock."""
        return None if self._connection is None else int(self._connection.info.backend_pid)

    async def lead(self) -> bool:
        import psycopg

        async with self._lock:
            try:
                async with asyncio.timeout(CHECK_TIMEOUT):
                    connection = await self._connected()
                    if self._held:
                        # Still ours while the connection is: a failed check means the
                        # server may have let the lock go already.
                        await connection.execute("SELECT 1")
                        return True
                    cursor = await connection.execute(
                        "SELECT pg_try_advisory_lock(%s::bigint)", (self._key,)
                    )
                    row = await cursor.fetchone()
                    self._held = bool(row is not None and row[0])
                    return self._held
            except (psycopg.Error, OSError, TimeoutError) as error:
                log.warning("the leadership connection failed (%s); not leading", error)
                await self._drop()
                return False

    async def step_down(self) -> None:
        import psycopg

        async with self._lock:
            connection = self._connection
            if connection is not None and self._held:
                # Closing the connection releases the lock too, but only once the server has
                # ended that session, a moment later: unlocked first, the next instance can
                # lead as soon as this returns.
                try:
                    async with asyncio.timeout(CHECK_TIMEOUT):
                        await connection.execute(
                            "SELECT pg_advisory_unlock(%s::bigint)", (self._key,)
                        )
                except (psycopg.Error, OSError, TimeoutError) as error:
                    log.info("unlocking the lead failed (%s); closing releases it", error)
            await self._drop()

    async def _connected(self) -> Any:
        if self._connection is None:
            import psycopg

            connection = await psycopg.AsyncConnection.connect(
                self._url, autocommit=True, connect_timeout=int(CHECK_TIMEOUT)
            )
            try:
                for setting in _KEEPALIVES:
                    await connection.execute(setting)
            except BaseException:
                await connection.close()
                raise
            self._connection = connection
            self._held = False
        return self._connection

    async def _drop(self) -> None:
        connection, self._connection = self._connection, None
        self._held = False
        if connection is not None:
            try:
                await connection.close()
            except Exception:  # already broken: nothing of it is left to close
                log.debug("closing the leadership connection failed", exc_info=True)


def leadership_for(db: Database) -> Leadership:
    """The leadership of ``db``'s deployment: contested on PostgreSQL, sole on SQLite."""
    if db.dialect == "postgresql":
        return AdvisoryLeadership(db.path)
    return SoleProcess()
