"""One chat at a time across the fleet: a per-chat PostgreSQL advisory lock.

Several bot instances share one PostgreSQL database behind one webhook address; nothing
stops the balancer from handing two updates of one chat to two instances at once. Handled
side by side, both would read the same conversation state and the same draft, and the
second answer would be taken by the step the first one already left. So an instance takes
the chat's lock before it reads anything of the update
(:func:`storage.update_handling.begin_update_handler`) and gives it back once the update's
changes are committed (:func:`storage.update_handling.write_through_handler`), or once the
update is skipped or ended in failure.

What this gives is **mutual exclusion per chat**, not an order: two updates of one chat are
never handled at the same time, and the second one sees everything the first committed. The
order itself comes from Telegram and the balancer, which deliver a chat's updates one after
another; the lock only makes sure that an instance that gets the next one before the
previous one is finished elsewhere waits for it.

The lock is a *session-level* advisory lock held on a small connection of its own:

* not the main connection, whose one thread runs every statement of the process in turn: a
  wait for another instance to finish with a chat would stall the whole instance's
  database work (the outbox, the reminders) instead of only the update that waits. This
  connection is psycopg's asynchronous one, so the wait costs no thread at all;
* session-level, because the lock outlives the update's transactions (an update commits
  several) and is taken outside any of them: an update never waits for a chat while it
  holds the database-wide write lock (:data:`storage.dialect.WRITE_LOCK_KEY`), so the two
  locks cannot deadlock;
* an instance killed with SIGKILL loses its connection, and PostgreSQL releases every lock
  the connection held: nobody waits for a dead instance.

Keys use PostgreSQL's two-integer form, ``pg_advisory_lock(namespace, key)``, a key space
of its own that the one-integer write lock cannot collide with. A chat id does not fit a
32-bit integer (user ids pass 2^31, group ids are -100… and thirteen digits), so it is
folded into one: two chats that fold alike merely wait for each other now and then. An
instance handles one update at a time and holds at most one chat lock, so sharing one
cannot deadlock either.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

_log = logging.getLogger(__name__)

# "hcht": any number will do, as long as every instance of the deployment uses the same one.
CHAT_LOCK_NAMESPACE = 0x6863_6874
_INT4 = 1 << 32


def chat_lock_key(chat_id: int) -> int:
    """The chat's id folded into PostgreSQL's signed 32-bit ``int4``."""
    folded = (chat_id ^ (chat_id >> 32)) % _INT4
    return folded - _INT4 if folded >= 1 << 31 else folded


class ChatLocks:
    """The per-chat locks of one instance, on a PostgreSQL connection of their own.

    The connection is opened on the first :meth:`acquire` and again after it was lost. At
    most one chat is held at a time (the bot handles one update at a time): acquiring one
    while another is held gives the other back first, so an update whose end was never seen
    (cancelled mid-way at shutdown) cannot keep its chat locked.
    """

    def __init__(self, url: str) -> None:
        self._url = url
        self._connection: Any = None  # psycopg.AsyncConnection, imported only for PostgreSQL
        self._held: int | None = None

    @property
    def held(self) -> int | None:
        """The key of the chat lock held now, if any (for tests and logs)."""
        return self._held

    async def acquire(self, chat_id: int) -> None:
        """Wait until no other instance handles this chat, then hold it."""
        await self.release()
        key = chat_lock_key(chat_id)
        connection = await self._connected()
        try:
            await connection.execute("SELECT pg_advisory_lock(%s, %s)", (CHAT_LOCK_NAMESPACE, key))
        except BaseException:
            # Cancelled or failed while waiting: whether the server granted the lock just
            # then cannot be told, and closing the connection releases it either way.
            await self._drop()
            raise
        self._held = key

    async def release(self) -> None:
        """Give the held chat back (nothing if none is held)."""
        key, self._held = self._held, None
        if key is None or self._connection is None:
            return
        try:
            await self._connection.execute(
                "SELECT pg_advisory_unlock(%s, %s)", (CHAT_LOCK_NAMESPACE, key)
            )
        except Exception:
            # The connection is gone, and the lock went with it.
            _log.warning("chat lock connection lost while releasing", exc_info=True)
            await self._drop()

    async def close(self) -> None:
        """Close the connection: every lock it held is released with it."""
        self._held = None
        await self._drop()

    async def _connected(self) -> Any:
        if self._connection is None or self._connection.closed:
            import psycopg

            self._connection = await psycopg.AsyncConnection.connect(self._url, autocommit=True)
        return self._connection

    async def _drop(self) -> None:
        connection, self._connection = self._connection, None
        self._held = None
        if connection is not None:
            await asyncio.shield(connection.close())
