"""The running bot's claim on its database file: an exclusive lock on ``<db>.lock``.

``hvconnect run`` holds it for as long as it runs. A restore that replaced the file under a
running bot would leave the bot writing to the old file (it keeps its handle), so what it
wrote next would be gone at the next start; a second bot on the same file would send every
message twice. Both check this lock and refuse. The kernel releases an ``flock`` when its
process ends, however it ends (SIGKILL, power cut), so a crash never leaves it stale.

SQLite only: on PostgreSQL several bots on one database are the point, and a restore there
refuses while other sessions are connected (storage/backup/postgresql.py).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from storage.errors import StorageError


class DatabaseInUse(StorageError):
    """Another process (a running bot, a restore) holds the database's lock."""


def lock_path(db_path: Path) -> Path:
    return db_path.with_name(f"{db_path.name}.lock")


class RunLock:
    """An exclusive, non-blocking ``flock`` on ``<db>.lock``, held until :meth:`release`."""

    def __init__(self, db_path: Path) -> None:
        self.path = lock_path(db_path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd: int | None = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._fd)
            self._fd = None
            raise DatabaseInUse(
                f"{db_path} is in use by a running hvconnect (it holds {self.path})"
            ) from None
        # Who holds it, for an operator looking at the file; the lock itself is what counts.
        os.ftruncate(self._fd, 0)
        os.write(self._fd, f"{os.getpid()}\n".encode())

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the lock
            self._fd = None


@contextmanager
def held(db_path: Path) -> Iterator[RunLock]:
    """The lock for the duration of a ``with`` block; :class:`DatabaseInUse` if taken."""
    lock = RunLock(db_path)
    try:
        yield lock
    finally:
        lock.release()
