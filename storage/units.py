"""One Telegram update, one transaction: what else commits with the change an update makes.

Handling an update changes the database (an answer, a submitted application, outbox rows)
and leaves bookkeeping behind: the update's id, so a second delivery of it is recognised,
and the conversation's next state, so a restart resumes where the customer stood. Written
one after the other, each is a commit that waits for the disk, and a crash between them
leaves them disagreeing. Here they *ride* on the update's own write instead: the handler's
transaction carries them, and the database runs them just before its ``COMMIT``
(:mod:`storage.db`), so the change, the id and the state are on disk together or not at all.

The unit lives in a context variable of the task handling the update. Only that task's
writes carry its riders: a background task started during the update (the outbox sender
woken by it) inherits the variable but is not the unit's owner, and must not commit half of
an update it knows nothing of.

Two kinds of rider:

* **bookkeeping** (the update's id) rides on the first write of the update, whichever it
  is; if the update wrote nothing, :meth:`storage.db.Database.settle` commits it alone at the
  end, without waiting for the disk (it records nothing anybody typed).
* **attached** riders (a conversation's next state) ride only on the one write made inside
  :func:`carried_by` - the write whose outcome they describe. A state staged for an answer
  that then fails validation must not be committed by some other write of the update.

A rider is given what the transaction's work produced (``in_one_trip`` returns it: the
draft after an answer, say), so a state that depends on the saved answer is derived from
it inside the same transaction.

The update commits before the bot replies: a reply must never tell of a change a crash then
undoes. So a process killed between the two leaves an update recorded handled whose reply
never left, and Telegram's redelivery of it is all that is left to answer the customer. The
reply's leaving is recorded too, after the fact: once the update's handling has ended, its
row is marked answered (:meth:`UpdateUnit.answered`, ``answered_at``), in a commit that does
not wait for the disk. A redelivery then tells the two apart (:func:`handling_of`): answered,
it is skipped in silence (its replies left; Telegram only missed the webhook's answer, or
sent it twice); handled but not answered, it is answered from what the database holds
(``storage.update_handling.begin_update_handler``). One window remains: the replies left and the
process died before the mark, when the customer is answered twice.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from enum import Enum
from typing import TYPE_CHECKING, Protocol

from storage.codec import time_to_db

if TYPE_CHECKING:
    from storage.db import Database
    from storage.models import User


class Rider(Protocol):
    """Statements that commit together with a write they do not belong to."""

    def write(self, db: sqlite3.Connection, produced: object) -> None:
        """Run on the database's thread, inside the transaction, just before ``COMMIT``.

        ``produced`` is what the transaction's work returned (``None`` for a transaction
        block, whose result the database never sees).
        """

    def committed(self) -> None:
        """Called on the event loop once the transaction carrying it has committed."""


class UpdateUnit:
    """The riders of one update, owned by the task that handles it."""

    def __init__(self, update_id: int | None, owner: asyncio.Task[object] | None) -> None:
        self.update_id = update_id
        self._owner = owner
        self._bookkeeping: list[Rider] = []
        self._attached: list[Rider] = []
        self._aside = 0
        # The speaker's id and users row (None: not a user yet) as the update's first trip
        # read them on a fleet (storage.update_handling), for the speaker's first read to
        # take instead of a trip of its own.
        self.opened_speaker: tuple[int, User | None] | None = None

    def keep(self, rider: Rider) -> None:
        """Carry ``rider`` on the update's first write (or settle it at the end)."""
        self._bookkeeping.append(rider)

    def owned_here(self) -> bool:
        """Whether the running task is the one handling this update."""
        return self._owner is None or self._owner is asyncio.current_task()

    def pending(self) -> tuple[Rider, ...]:
        """What the write being made now must carry (nothing for another task's write)."""
        if self._aside or not self.owned_here():
            return ()
        return (*self._bookkeeping, *self._attached)

    def bookkeeping(self) -> tuple[Rider, ...]:
        return tuple(self._bookkeeping)

    def answered(self, answered_at: str) -> None:
        """The update's replies have left: its row is to be marked answered.

        On the id's own insert when that is still to commit (an update that wrote nothing:
        :meth:`storage.db.Database.settle` commits both at once), else by a rider of its own
        for settle to commit.
        """
        for rider in self._bookkeeping:
            if isinstance(rider, HandledUpdate):
                rider.answered(answered_at)
                return
        if self.update_id is not None:
            self._bookkeeping.append(AnsweredUpdate(self.update_id, answered_at))

    def carried(self, riders: tuple[Rider, ...]) -> None:
        """``riders`` committed: drop them and tell each."""
        for rider in riders:
            if rider in self._bookkeeping:
                self._bookkeeping.remove(rider)
            if rider in self._attached:
                self._attached.remove(rider)
            rider.committed()

    @contextmanager
    def set_aside(self) -> Iterator[None]:
        """Writes made inside this block carry nothing of the update."""
        self._aside += 1
        try:
            yield
        finally:
            self._aside -= 1

    @contextmanager
    def attached(self, rider: Rider) -> Iterator[None]:
        """Carry ``rider`` on a write made inside this block only."""
        self._attached.append(rider)
        try:
            yield
        finally:
            # Not carried (the block wrote nothing, or its write failed): forgotten, so no
            # later write of the update commits a state that describes another outcome.
            if rider in self._attached:
                self._attached.remove(rider)


_current: ContextVar[UpdateUnit | None] = ContextVar("hvconnect_update_unit", default=None)


def begin_unit(update_id: int | None) -> UpdateUnit:
    """Start the unit of the update the current task is about to handle."""
    unit = UpdateUnit(update_id, asyncio.current_task())
    _current.set(unit)
    return unit


def end_unit() -> None:
    """The update is handled: later writes of this task belong to no update."""
    _current.set(None)


def current_unit() -> UpdateUnit | None:
    return _current.get()


def riders_for_this_write() -> tuple[Rider, ...]:
    unit = _current.get()
    return () if unit is None else unit.pending()


def carried(riders: tuple[Rider, ...]) -> None:
    unit = _current.get()
    if unit is not None and riders:
        unit.carried(riders)


@contextmanager
def aside_from_update() -> Iterator[None]:
    """Writes made inside this block are not the update's own change and carry none of its
    riders: the update's id must commit with what the update changed, so that a crash between
    the two leaves the update to be delivered again rather than marked handled unanswered.
    """
    unit = _current.get()
    if unit is None:
        yield
        return
    with unit.set_aside():
        yield


@contextmanager
def carried_by(rider: Rider) -> Iterator[None]:
    """Commit ``rider`` with the write made inside this block, and with no other.

    Outside an update (a test calling a flow's helper, a job) it does nothing and the rider
    is never written: the caller's fallback (the persistence's own write) covers it.
    """
    unit = _current.get()
    if unit is None or not unit.owned_here():
        yield
        return
    with unit.attached(rider):
        yield


class UpdateHandledElsewhere(Exception):
    """Another instance committed this update first: everything this one did for it is
    rolled back, and the update is taken for a redelivery (nothing said to the user)."""

    def __init__(self, update_id: int) -> None:
        super().__init__(f"update {update_id} was handled by another instance")
        self.update_id = update_id


class HandledUpdate:
    """The bookkeeping rider of every update: its id, so a second delivery is skipped.

    With ``arbiter`` (PostgreSQL, where other instances share the database) the id is the
    final word on who handled the update: inserted without ``ON CONFLICT``, it fails on the
    primary key when another instance committed the same update first, and with it this
    instance's whole transaction (the answer, the state, the outbox rows) rolls back, so
    nothing is sent twice. The insert raises :class:`UpdateHandledElsewhere` then. Without
    it (SQLite, one process; or an update routed again after its first pass recorded it) a
    second insert is a harmless no-op, save for the answered mark it may carry.
    """

    def __init__(self, update_id: int, handled_at: str, *, arbiter: bool = False) -> None:
        self._row = (update_id, handled_at)
        self._arbiter = arbiter
        self._answered_at: str | None = None

    def answered(self, answered_at: str) -> None:
        """Insert the id already marked answered (its replies left before it committed)."""
        self._answered_at = answered_at

    def write(self, db: sqlite3.Connection, produced: object) -> None:
        row: tuple[object, ...] = self._row
        if self._answered_at is None:
            columns = "(update_id, handled_at) VALUES (?, ?)"
        else:
            columns = "(update_id, handled_at, answered_at) VALUES (?, ?, ?)"
            row = (*self._row, self._answered_at)
        if not self._arbiter:
            db.execute(
                f"INSERT INTO processed_updates {columns} ON CONFLICT (update_id) "
                + ("DO NOTHING" if self._answered_at is None else _ANSWERED_AGAIN),
                row,
            )
            return
        try:
            db.execute(f"INSERT INTO processed_updates {columns}", row)
        except sqlite3.IntegrityError as error:
            raise UpdateHandledElsewhere(self._row[0]) from error

    def committed(self) -> None:
        return None


_ANSWERED_AGAIN = "DO UPDATE SET answered_at = excluded.answered_at"


class AnsweredUpdate:
    """The bookkeeping rider that marks an update answered once its replies have left, when
    its id committed earlier with the update's own write."""

    def __init__(self, update_id: int, answered_at: str) -> None:
        self._row = (answered_at, update_id)

    def write(self, db: sqlite3.Connection, produced: object) -> None:
        db.execute("UPDATE processed_updates SET answered_at = ? WHERE update_id = ?", self._row)

    def committed(self) -> None:
        return None


class Handling(Enum):
    """What the database says of an update delivered (again)."""

    NEW = "not handled"
    UNANSWERED = "handled, its replies not known to have left"
    ANSWERED = "handled and answered"


async def handling_of(db: Database, update_id: int) -> Handling:
    """Whether an update with this id was handled (its changes committed), and answered."""
    return await db.reads_in_one_trip(lambda connection: handling_in(connection, update_id))


def handling_in(db: sqlite3.Connection, update_id: int) -> Handling:
    """:func:`handling_of` on the connection's thread, for a trip that reads more."""
    row = db.execute(
        "SELECT answered_at FROM processed_updates WHERE update_id = ?", (update_id,)
    ).fetchone()
    if row is None:
        return Handling.NEW
    return Handling.UNANSWERED if row[0] is None else Handling.ANSWERED


async def mark_answered(db: Database, update_id: int, answered_at: str) -> None:
    """Mark a handled update answered, outside its own handling (a redelivery answered).

    The mark is the bookkeeping of a unit of its own, so that it commits as the end of every
    update does (:meth:`storage.db.Database.settle`): without waiting for the disk. Lost to
    a power cut, it costs one more answer to a later redelivery, never a change made twice.
    """
    unit = begin_unit(update_id)
    unit.keep(AnsweredUpdate(update_id, answered_at))
    try:
        await db.settle()
    finally:
        end_unit()


async def highest_handled(db: Database) -> int:
    """The highest update id recorded as handled (0 for none)."""
    row = await db.fetchone("SELECT COALESCE(MAX(update_id), 0) FROM processed_updates")
    return 0 if row is None else int(row[0])


# Telegram redelivers an update for a day at most; three leave room for a long outage.
KEEP_HANDLED = timedelta(days=3)


async def forget_handled_before(db: Database, before: datetime) -> int:
    """Drop the ids of updates handled before ``before``; returns how many."""
    return await db.execute(
        "DELETE FROM processed_updates WHERE handled_at < ?", (time_to_db(before),)
    )


def forget_old_updates(db: Database) -> Callable[[datetime], Awaitable[int]]:
    """A sweep for the scheduler: ids older than :data:`KEEP_HANDLED` dropped, once an hour.

    Returns 0 like every sweep that queues no message.
    """
    last: list[datetime] = []

    async def sweep(now: datetime) -> int:
        if last and now - last[0] < timedelta(hours=1):
            return 0
        await forget_handled_before(db, now - KEEP_HANDLED)
        last[:] = [now]
        return 0

    return sweep
