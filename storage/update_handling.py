"""The first and the last handler of every update: where an update's unit of work opens and
closes (:mod:`storage.units`), a redelivery is told apart, and the chat is taken and given
back on a fleet.

:func:`begin_update_handler` runs before the bot's own handlers: it skips an update handled
before (or answers one whose reply a crash cut off) and opens the unit the update's id rides
on. :func:`write_through_handler` runs after them: the conversation states saved, the update
marked answered, the unit closed. :func:`hand_back` routes an update through the handlers
once more without its being taken for a redelivery.

On PostgreSQL several instances share the database, and the next update of a chat may land
on any of them: :func:`begin_update_handler` takes the chat for the update's length
(:mod:`storage.chat_lock`) and reads its conversation states again
(:meth:`SqlitePersistence.to_refresh`). What else the bot keeps in memory between updates, and
why it holds on a fleet:

* the speaker's ``users`` row cached in ``user_data`` (their language, their phone): read
  again on every update on PostgreSQL, in the trip that reads the update's id and its
  conversation states, and taken by ``flows.common.load_user`` (:func:`take_opened_speaker`);
* staff roles and the draft: not cached, read from the database where they are used;
* ``user_data`` marks that span two updates: the phone prompt that ``/start`` holds back
  until a language is chosen (``flows.start``) is not repeated when the language press lands
  on another instance (the form asks for a mobile number anyway); the name typed for a staff
  invitation (``flows.staff.admin``) is asked for again, as after a restart; the configured
  admin's check (``flows.staff.enrol``) runs once per instance, harmlessly;
* ``bot_data``: the updates handed back to be routed again (this module; they go back on this
  instance's own queue), the updates whose failure the user was told of (``bot.errors``; an
  update is on one instance at a time), the last storage alerts to admins
  (``bot.storage_trouble``: each instance alerts at most once per period, so a fleet of n
  may alert n times);
* the texts, the translated SQL and the wiring: read-only, the same on every instance.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import ApplicationHandlerStop, CallbackContext, TypeHandler

from process.clock import Clock, SystemClock
from storage.chat_lock import ChatLocks
from storage.codec import time_to_db
from storage.db import Database
from storage.models import User
from storage.persistence import SqlitePersistence
from storage.units import (
    HandledUpdate,
    Handling,
    UpdateHandledElsewhere,
    UpdateUnit,
    begin_unit,
    current_unit,
    end_unit,
    handling_in,
    handling_of,
    highest_handled,
    mark_answered,
)
from storage.users import user_on_thread

_log = logging.getLogger(__name__)

# Earlier and later than any group the bot's own handlers use: the unit of each update is
# opened before them and closed after them.
BEGIN_UPDATE_GROUP = -1_000_000
# In bot_data: the ids of updates a conversation handed back to be routed again.
REROUTED_KEY = "hvconnect.rerouted_updates"
WRITE_THROUGH_GROUP = 1_000_000

AnyContext = CallbackContext[Any, Any, Any, Any]


Redelivered = Callable[[Update, AnyContext], Coroutine[Any, Any, None]]


def begin_update_handler(
    db: Database,
    clock: Clock,
    chat_locks: ChatLocks | None = None,
    on_redelivered: Redelivered | None = None,
) -> TypeHandler[Update, AnyContext, None]:
    """The first handler of every update: skip one handled before, else open its unit.

    Add it with ``application.add_handler(begin_update_handler(db, clock, chat_locks,
    on_redelivered), group=BEGIN_UPDATE_GROUP)``. The update's id then rides on its first
    write (:mod:`storage.units`), and :func:`write_through_handler` closes the unit.

    On SQLite one process uses the database (the run lock, storage.run_lock), so Telegram's
    numbering upwards makes an id above every id recorded (read once) and above every id
    this process has begun new without asking the database: only a lower one, a
    redelivery, costs a look-up.

    On PostgreSQL other instances share the database (``chat_locks`` given), and none of
    that holds: the update's chat is taken first (:mod:`storage.chat_lock`), so that no
    other instance handles the chat meanwhile; then the id is always looked up (another
    instance may have handled this very update a moment ago); then the conversation states
    of this chat are read again (:meth:`SqlitePersistence.to_refresh`), since the chat's last
    update may have landed on another instance. The id's insert is the final arbiter
    (:class:`~storage.units.HandledUpdate`): two instances handling one update at once (one
    without a chat, say) cannot both commit it.

    A redelivery is never handled again. Marked answered (its replies left), it is skipped
    in silence. Handled but not answered, it is what a process killed between the update's
    commit and its reply left behind: the customer's action is stored and nobody told them,
    so ``on_redelivered`` (the flows' own) answers it from what the database holds, and the
    update is then marked answered, so a further redelivery is silent. Answering it is a
    courtesy: a failure there is logged, and the update is not handled again for it. On
    PostgreSQL the chat is held meanwhile, so a second copy of the update waits and then
    finds it answered.
    """
    high_water: list[int] = []
    fleet = chat_locks is not None

    async def begin(update: Update, context: AnyContext) -> None:
        unit = begin_unit(update.update_id)
        rerouted: set[int] = context.bot_data.setdefault(REROUTED_KEY, set())
        again = update.update_id in rerouted
        if chat_locks is not None and update.effective_chat is not None:
            # Outside any transaction (see storage.chat_lock): never while holding the
            # database's write lock.
            await chat_locks.acquire(update.effective_chat.id)
        if again:
            rerouted.discard(update.update_id)  # handed back by a conversation: routed again
            if fleet:
                await _open(update, context, unit, look_up=False)
        elif (handling := await _handling(update, context, unit)) is not Handling.NEW:
            # Nothing the answer to a redelivery writes is the update's own change.
            end_unit()
            try:
                if handling is Handling.UNANSWERED:
                    await _answer_redelivery(update, context)
                else:
                    _log.info("update %s was handled before: not handled again", update.update_id)
            finally:
                if chat_locks is not None:
                    await chat_locks.release()
            raise ApplicationHandlerStop
        unit.keep(
            HandledUpdate(update.update_id, time_to_db(clock.now()), arbiter=fleet and not again)
        )

    async def _answer_redelivery(update: Update, context: AnyContext) -> None:
        _log.info("update %s was handled, its reply never left: answered now", update.update_id)
        try:
            if on_redelivered is not None:
                await on_redelivered(update, context)
        except Exception:
            _log.exception("update %s: could not answer its redelivery", update.update_id)
            return
        await mark_answered(db, update.update_id, time_to_db(clock.now()))

    async def _open(
        update: Update, context: AnyContext, unit: UpdateUnit, *, look_up: bool
    ) -> Handling:
        """A fleet's opening reads, in one trip: whether the update was handled (when
        ``look_up``), the chat's conversation states (:meth:`SqlitePersistence.to_refresh`),
        and the speaker's users row, which ``flows.common.load_user`` reads again on a
        fleet before any handler runs (:func:`take_opened_speaker`)."""
        persistence = context.application.persistence
        found = (
            persistence.to_refresh(context.application, update)
            if isinstance(persistence, SqlitePersistence)
            else None
        )
        user, chat = update.effective_user, update.effective_chat
        private = user is not None and chat is not None and chat.type == "private"
        speaker = user.id if private and user is not None else None

        def read(
            connection: sqlite3.Connection,
        ) -> tuple[Handling, dict[tuple[str, str], str], User | None]:
            handling = handling_in(connection, update.update_id) if look_up else Handling.NEW
            stored = found.read_in(connection) if found else {}
            return (
                handling,
                stored,
                None if speaker is None else user_on_thread(connection, speaker),
            )

        handling, stored, speaker_row = await db.reads_in_one_trip(read)
        if found and isinstance(persistence, SqlitePersistence):
            persistence.refreshed(found, stored)
        if speaker is not None:
            unit.opened_speaker = (speaker, speaker_row)
        return handling

    async def _handling(update: Update, context: AnyContext, unit: UpdateUnit) -> Handling:
        if fleet:
            return await _open(update, context, unit, look_up=True)
        update_id = update.update_id
        if not high_water:
            high_water.append(await highest_handled(db))
        if update_id <= high_water[0]:
            handling = await handling_of(db, update_id)
            if handling is not Handling.NEW:
                return handling
        high_water[0] = max(high_water[0], update_id)
        return Handling.NEW

    return TypeHandler(Update, begin)


@dataclass(frozen=True)
class OpenedSpeaker:
    """The speaker's users row as the update's opening read it (None: not a user yet)."""

    user: User | None


def take_opened_speaker(user_id: int) -> OpenedSpeaker | None:
    """The users row of ``user_id`` that this update's opening read on a fleet, once.

    The first read of the speaker (``flows.common.load_user``, before any handler, so before
    anything of the update is written) takes it instead of a trip of its own; None when it
    was not read (SQLite), belongs to someone else, or was taken already.
    """
    unit = current_unit()
    if unit is None or unit.opened_speaker is None:
        return None
    (opened_id, row), unit.opened_speaker = unit.opened_speaker, None
    return OpenedSpeaker(row) if opened_id == user_id else None


def handled_elsewhere_handler(
    chat_locks: ChatLocks | None,
) -> Callable[[object, AnyContext], Coroutine[Any, Any, None]]:
    """An error handler, added before every other: an update another instance committed
    first (:class:`~storage.units.UpdateHandledElsewhere`) is a redelivery, not a failure.

    Its transaction is already rolled back; no other handler runs for it and no error
    handler after this one, so the user hears nothing; the unit is closed and the chat
    given back.
    """

    async def skip(update: object, context: AnyContext) -> None:
        if not isinstance(context.error, UpdateHandledElsewhere):
            return
        end_unit()
        if chat_locks is not None:
            await chat_locks.release()
        _log.info(
            "update %s was handled by another instance: not handled again",
            context.error.update_id,
        )
        raise ApplicationHandlerStop

    return skip


async def hand_back(context: AnyContext, update: Update) -> None:
    """Route ``update`` through the bot's handlers once more: a conversation that steps
    aside (a command while it waited) hands the update to whoever handles it outside.

    The update's id is already on its way to ``processed_updates``; marked as handed back,
    it is not taken for a redelivery and skipped.
    """
    rerouted: set[int] = context.bot_data.setdefault(REROUTED_KEY, set())
    rerouted.add(update.update_id)
    await context.update_queue.put(update)


def handed_back(bot_data: Mapping[str, Any], update_id: int) -> bool:
    """Whether the update waits to be routed again (:func:`hand_back`): its handling has
    not ended with the pass that just finished."""
    rerouted = bot_data.get(REROUTED_KEY)
    return isinstance(rerouted, set) and update_id in rerouted


def write_through_handler(
    db: Database, chat_locks: ChatLocks | None = None, clock: Clock | None = None
) -> TypeHandler[Update, AnyContext, None]:
    """The last handler of every update: changed conversation states saved, the update
    marked answered, the unit closed, the chat given back to the fleet (``chat_locks``,
    PostgreSQL).

    Add it with ``application.add_handler(write_through_handler(db, chat_locks, clock),
    group=WRITE_THROUGH_GROUP)``. A handler that failed does not keep it from running:
    PTB runs the later groups after the error handlers.

    By now every reply of the update has left (the handlers awaited them), or the error
    handler has told the user it failed: the update is marked answered
    (:meth:`~storage.units.UpdateUnit.answered`), in the same commit as its id when nothing
    else carried that, and before the chat is given back, so a copy of the update waiting
    for the chat finds it answered. Not at the end of a pass that handed the update back
    (:func:`hand_back`): its replies come with the next pass.
    """
    clock = clock or SystemClock()

    async def save_states(update: Update, context: AnyContext) -> None:
        try:
            await context.application.update_persistence()
            unit = current_unit()
            if unit is not None and not handed_back(context.bot_data, update.update_id):
                unit.answered(time_to_db(clock.now()))
            await db.settle()
        finally:
            end_unit()
            if chat_locks is not None:
                await chat_locks.release()

    return TypeHandler(Update, save_states)
