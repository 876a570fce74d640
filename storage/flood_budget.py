"""Telegram's flood budget in PostgreSQL, so that every instance of the fleet counts in it.

Telegram's limits (about 30 messages a second overall, one a second per private chat) hold
for the bot, however many processes send for it. On SQLite the one process keeps its budget
in memory (:class:`notifications.pacing.Pacer`); on PostgreSQL the instances share these two
tables (migration 0019), on the database's clock, so no instance's clock is trusted over
another's:

* ``flood_lanes``: the overall limit as N lanes (N = 30). A message takes a free lane
  before it is sent, and the lane is free again ``window`` seconds (a second and a margin)
  after Telegram answered it. Telegram has the message by the time it answers, so two
  messages of one lane arrive more than a second apart, and any second holds at most N
  arrivals — the same rule as the in-memory pacer's, which counts a call from its answer.
  A lane taken by an instance that dies before the answer comes back after ``hold``.
* ``flood_chats``: per chat, when it may have its next message and until when a 429 holds
  it; chat 0 is the whole bot (a 429 for a second chat while the first still waits means the
  bot as a whole is over the limit).

Every step is one short statement in autocommit mode (``UPDATE ... RETURNING``, an upsert),
on a connection of its own: not under the fleet-wide write lock, and not behind the
process's main connection, which a handler may hold for its whole transaction while its
reply waits here for a slot. Rows of chats that have long been free are pruned.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any

__all__ = ["FloodStore", "Held", "Taken"]

# Seconds a statement may take before the connection is taken for lost.
STATEMENT_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class Taken:
    """A lane taken for one message; ``ticket`` tells this taking from a later one."""

    lane: int
    ticket: str


@dataclass(frozen=True, slots=True)
class Held:
    """No lane now: seconds until the chat's own turn (its interval or its 429), and until
    the bot's (every lane busy, or a 429 for the whole bot). Either may be 0 or less."""

    chat: float
    everyone: float


_CLOCK = "SELECT extract(epoch FROM clock_timestamp())::float8 AS t"

_TAKE = f"""
WITH clock AS MATERIALIZED ({_CLOCK}),
chat AS (
    SELECT COALESCE(MAX(CASE WHEN %(paced)s THEN GREATEST(free_at, flooded_until)
                             ELSE flooded_until END), 0) AS until
      FROM flood_chats WHERE chat_id = %(chat)s::bigint),
everyone AS (
    SELECT COALESCE(MAX(flooded_until), 0) AS until FROM flood_chats WHERE chat_id = 0),
taken AS (
    UPDATE flood_lanes SET free_at = (SELECT t FROM clock) + %(hold)s, ticket = %(ticket)s
     WHERE lane = (SELECT lane FROM flood_lanes
                    WHERE lane < %(lanes)s
                      AND free_at <= (SELECT t FROM clock)
                      AND (SELECT until FROM chat) <= (SELECT t FROM clock)
                      AND (SELECT until FROM everyone) <= (SELECT t FROM clock)
                    ORDER BY free_at
                    LIMIT 1
                    FOR UPDATE SKIP LOCKED)
    RETURNING lane)
SELECT (SELECT lane FROM taken) AS lane,
       (SELECT until FROM chat) - clock.t AS chat_wait,
       GREATEST((SELECT until FROM everyone),
                (SELECT MIN(free_at) FROM flood_lanes WHERE lane < %(lanes)s)) - clock.t
           AS everyone_wait
  FROM clock
"""

_ANSWERED = f"""
WITH clock AS MATERIALIZED ({_CLOCK}),
lane AS (
    UPDATE flood_lanes SET free_at = (SELECT t FROM clock) + %(window)s, ticket = NULL
     WHERE lane = %(lane)s AND ticket = %(ticket)s)
INSERT INTO flood_chats (chat_id, free_at)
SELECT %(chat)s::bigint, t + %(interval)s FROM clock WHERE %(paced)s
ON CONFLICT (chat_id) DO UPDATE SET free_at = GREATEST(flood_chats.free_at, EXCLUDED.free_at)
"""

_RELEASE = f"""
UPDATE flood_lanes SET free_at = ({_CLOCK}), ticket = NULL
 WHERE lane = %(lane)s AND ticket = %(ticket)s
"""

_FLOODED = f"""
WITH clock AS MATERIALIZED ({_CLOCK}),
others AS (
    SELECT EXISTS (SELECT 1 FROM flood_chats
                    WHERE chat_id NOT IN (0, %(chat)s::bigint)
                      AND flooded_until > (SELECT t FROM clock)) AS flooded),
mine AS (
    INSERT INTO flood_chats (chat_id, free_at, flooded_until)
    SELECT %(chat)s::bigint, t + %(seconds)s, t + %(seconds)s FROM clock
    ON CONFLICT (chat_id) DO UPDATE
       SET free_at = GREATEST(flood_chats.free_at, EXCLUDED.free_at),
           flooded_until = GREATEST(flood_chats.flooded_until, EXCLUDED.flooded_until))
INSERT INTO flood_chats (chat_id, free_at, flooded_until)
SELECT 0, 0, t + %(seconds)s FROM clock, others WHERE others.flooded
ON CONFLICT (chat_id) DO UPDATE
   SET flooded_until = GREATEST(flood_chats.flooded_until, EXCLUDED.flooded_until)
"""

_SOONEST = f"""
SELECT MIN(GREATEST(free_at, flooded_until)) - MIN(clock.t)
  FROM flood_chats, ({_CLOCK}) AS clock
 WHERE GREATEST(free_at, flooded_until) > clock.t
"""

_PRUNE = f"""
DELETE FROM flood_chats
 WHERE chat_id <> 0 AND GREATEST(free_at, flooded_until) < ({_CLOCK}) - %(idle)s
"""

_LANES = """
INSERT INTO flood_lanes (lane) SELECT generate_series(0, %(lanes)s - 1)
ON CONFLICT (lane) DO NOTHING
"""


class FloodStore:
    """The shared flood tables, reached through a connection of this store's own."""

    def __init__(self, url: str, *, lanes: int) -> None:
        if lanes < 1:
            raise ValueError("the flood budget needs at least one lane")
        self._url = url
        self._lanes = lanes
        self._connection: Any = None  # psycopg.AsyncConnection, opened at the first call
        self._lock = asyncio.Lock()

    async def take(self, chat_id: int, *, paced: bool, hold: float) -> Taken | Held:
        """A lane for one message to ``chat_id``, or how long to wait. ``paced``: the chat's
        own interval counts too (the outbox), else only a 429 for it does (direct replies)."""
        ticket = uuid.uuid4().hex
        row = await self._one(
            _TAKE,
            {
                "paced": paced,
                "chat": chat_id,
                "hold": hold,
                "ticket": ticket,
                "lanes": self._lanes,
            },
        )
        assert row is not None
        lane, chat_wait, everyone_wait = row
        if lane is not None:
            return Taken(int(lane), ticket)
        return Held(float(chat_wait), float(everyone_wait))

    async def answered(
        self, taken: Taken, *, chat_id: int, paced: bool, interval: float, window: float
    ) -> None:
        """Telegram answered the message of ``taken`` now: its lane is free after ``window``
        and, when ``paced``, the chat after ``interval``."""
        await self._one(
            _ANSWERED,
            {
                "window": window,
                "lane": taken.lane,
                "ticket": taken.ticket,
                "chat": chat_id,
                "interval": interval,
                "paced": paced,
            },
        )

    async def release(self, taken: Taken) -> None:
        """The message of ``taken`` was not sent after all: its lane is free now."""
        await self._one(_RELEASE, {"lane": taken.lane, "ticket": taken.ticket})

    async def flooded(self, chat_id: int, seconds: float) -> None:
        """Telegram answered 429 for ``chat_id``: the whole fleet leaves it alone for
        ``seconds``, and leaves every chat alone if another one is flooded too."""
        await self._one(_FLOODED, {"chat": chat_id, "seconds": max(0.0, seconds)})

    async def soonest(self) -> float | None:
        """Seconds until the first chat held now (by its interval or a 429) is free; None
        when none is held."""
        row = await self._one(_SOONEST, {})
        return None if row is None or row[0] is None else float(row[0])

    async def prune(self, idle: float) -> None:
        """Forget chats free for more than ``idle`` seconds (the bot itself is kept)."""
        await self._one(_PRUNE, {"idle": idle})

    async def close(self) -> None:
        async with self._lock:
            connection, self._connection = self._connection, None
            if connection is not None:
                await connection.close()

    async def _one(self, sql: str, params: dict[str, object]) -> tuple[Any, ...] | None:
        import psycopg

        async with self._lock:
            try:
                connection = await self._connected()
                async with asyncio.timeout(STATEMENT_TIMEOUT):
                    cursor = await connection.execute(sql, params)
                    row: tuple[Any, ...] | None = (
                        await cursor.fetchone() if cursor.description is not None else None
                    )
                    return row
            except (psycopg.Error, TimeoutError):
                # Lost or stuck: the next call opens a new connection.
                connection, self._connection = self._connection, None
                if connection is not None:
                    await connection.close()
                raise

    async def _connected(self) -> Any:
        if self._connection is None:
            import psycopg

            connection = await psycopg.AsyncConnection.connect(
                self._url, autocommit=True, connect_timeout=int(STATEMENT_TIMEOUT)
            )
            try:
                await connection.execute(_LANES, {"lanes": self._lanes})
            except BaseException:
                await connection.close()
                raise
            self._connection = connection
        return self._connection
