"""Conversation states kept in SQLite, so a restart resumes every chat where it stood.

python-telegram-bot's own persistences pickle everything and flush on a timer, which loses
the last answers on a crash and keeps a second copy of data that already lives in our
tables. This one persists conversation states only (drafts, users and applications have
their own tables) and writes each change straight to the ``conversations`` table.

PTB hands state changes to a persistence from ``Application.update_persistence()``, which
it runs on a timer and at shutdown. Register :func:`write_through_handler` in the last
handler group to run it after every update as well, so that a state is on disk before the
next update is read.

A state rides on the handler's own transaction when the handler says, before it writes,
which state its write leads to (:meth:`SqlitePersistence.stage`, a rider of
:mod:`storage.units`): the answer and the question now on the screen commit together, one
commit that waits for the disk instead of two. The persistence remembers which state is on
disk for each conversation, so PTB's call after the update finds nothing left to write. A
handler that stages nothing (or whose outcome differs from what it staged) is covered the old
way: the state is written after the handler's transaction, in one of its own that also waits
for the disk (:meth:`Database.execute_alone`, one trip to SQLite's thread). A crash between
those two commits leaves the state one step behind, which the flows meet (see
``flows.apply.fields``).

On PostgreSQL several instances share the database, and the next update of a chat may land
on any of them: :func:`begin_update_handler` takes the chat for the update's length
(:mod:`storage.chat_lock`) and reads its conversation states again
(:meth:`SqlitePersistence.refresh`). What else the bot keeps in memory between updates, and
why it holds on a fleet:

* the speaker's ``users`` row cached in ``user_data`` (their language, their phone): read
  again on every update on PostgreSQL (``flows.common.load_user``);
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

import json
import logging
import sqlite3
from collections.abc import Callable, Coroutine, Mapping, MutableMapping
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    BasePersistence,
    CallbackContext,
    ConversationHandler,
    PersistenceInput,
    TypeHandler,
)

from process.clock import Clock, SystemClock
from storage.chat_lock import ChatLocks
from storage.codec import json_to_db, time_to_db
from storage.db import Database
from storage.units import (
    HandledUpdate,
    Handling,
    Rider,
    UpdateHandledElsewhere,
    begin_unit,
    carried_by,
    current_unit,
    end_unit,
    handling_of,
    highest_handled,
    mark_answered,
)

_log = logging.getLogger(__name__)

# Earlier and later than any group the bot's own handlers use: the unit of each update is
# opened before them and closed after them.
BEGIN_UPDATE_GROUP = -1_000_000
# In bot_data: the ids of updates a conversation handed back to be routed again.
REROUTED_KEY = "hvconnect.rerouted_updates"
WRITE_THROUGH_GROUP = 1_000_000
DEFAULT_UPDATE_INTERVAL_S = 5.0

Data = dict[Any, Any]
# The shapes PTB documents for BasePersistence's arguments, spelled out here because PTB's
# own aliases live in a private module that may change without notice.
ConversationKey = tuple[int | str, ...]
ConversationDict = MutableMapping[ConversationKey, object]
CDCData = tuple[list[tuple[str, float, dict[str, Any]]], dict[str, str]]
AnyContext = CallbackContext[Any, Any, Any, Any]
AnyApplication = Application[Any, Any, Any, Any, Any, Any]


class SqlitePersistence(BasePersistence[Data, Data, Data]):
    """Persists ConversationHandler states in the ``conversations`` table, nothing else."""

    def __init__(
        self,
        db: Database,
        *,
        clock: Clock | None = None,
        update_interval: float = DEFAULT_UPDATE_INTERVAL_S,
    ) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=False, user_data=False, callback_data=False
            ),
            update_interval=update_interval,
        )
        self._db = db
        self._clock: Clock = clock if clock is not None else SystemClock()
        # The state on disk for each (name, stored key), None for none: what PTB hands over
        # after an update is written only when it differs. Only this class writes the table.
        self._on_disk: dict[tuple[str, str], str | None] = {}

    async def get_conversations(self, name: str) -> ConversationDict:
        rows = await self._db.fetchall(
            "SELECT key, state FROM conversations WHERE name = ?", (name,)
        )
        for row in rows:
            self._on_disk[(name, row["key"])] = row["state"]
        return {_key_from_db(row["key"]): row["state"] for row in rows}

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        stored_key = json_to_db(list(key))
        if new_state is not None and not isinstance(new_state, str):
            # A state read back as text must equal the state the handler returned.
            raise TypeError(f"conversation states must be strings, got {new_state!r}")
        if (name, stored_key) in self._on_disk and self._on_disk[(name, stored_key)] == new_state:
            return  # committed with the handler's own write (see stage)
        if new_state is None:
            await self._db.execute_alone(_FORGET_STATE, (name, stored_key))
        else:
            await self._db.execute_alone(
                _WRITE_STATE, (name, stored_key, new_state, time_to_db(self._clock.now()))
            )
        self._on_disk[(name, stored_key)] = new_state

    def stage(
        self, name: str, key: ConversationKey, state_of: Callable[[object], str | None]
    ) -> Rider:
        """A rider that writes the state the handler's next write leads to, with that write.

        ``state_of`` is given what the write's work produced (the draft after an answer) and
        returns the state, or None when it cannot tell (then nothing rides and the state is
        written after the handler as before). Use it as ``with carried_by(rider): ...``
        around the one call that writes; :func:`staged` does both.
        """
        return _StateRider(self, name, json_to_db(list(key)), state_of)

    async def refresh(self, application: AnyApplication, update: Update) -> None:
        """Read again the states of ``update``'s conversations, and what is on disk for them.

        PTB reads conversation states from a persistence once, at ``initialize()``, and from
        then on trusts its memory. With several instances on one database the chat's last
        update may have been handled by another one, so before this update is routed its
        conversations' states (the keys this update maps to, in every persistent
        conversation) are taken from the database, and :attr:`_on_disk` with them: left
        stale, it could say a state is on disk that another instance has since replaced,
        and the write after this update would be skipped. One query for the lot: every
        conversation of the bot is keyed by chat and user.
        """
        found = _conversations_of(application, update)
        if not found:
            return
        names_by_key: dict[str, list[str]] = {}
        for name, key, _ in found:
            names_by_key.setdefault(json_to_db(list(key)), []).append(name)
        stored: dict[tuple[str, str], str] = {}
        for stored_key, names in names_by_key.items():
            marks = ", ".join("?" for _ in names)
            rows = await self._db.fetchall(
                f"SELECT name, state FROM conversations WHERE key = ? AND name IN ({marks})",
                (stored_key, *names),
            )
            stored.update({(row["name"], stored_key): row["state"] for row in rows})
        for name, key, states in found:
            stored_key = json_to_db(list(key))
            state = stored.get((name, stored_key))
            _put_untracked(states, key, state)
            self._on_disk[(name, stored_key)] = state

    def _stored(self, name: str, stored_key: str, state: str) -> None:
        self._on_disk[(name, stored_key)] = state

    async def flush(self) -> None:
        """Nothing to do: every change is already committed."""

    # Everything below is deliberately not persisted (see store_data above).

    async def get_user_data(self) -> dict[int, Data]:
        return {}

    async def get_chat_data(self) -> dict[int, Data]:
        return {}

    async def get_bot_data(self) -> Data:
        return {}

    async def get_callback_data(self) -> CDCData | None:
        return None

    async def update_user_data(self, user_id: int, data: Data) -> None:
        return None

    async def update_chat_data(self, chat_id: int, data: Data) -> None:
        return None

    async def update_bot_data(self, data: Data) -> None:
        return None

    async def update_callback_data(self, data: CDCData) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        return None

    async def drop_user_data(self, user_id: int) -> None:
        return None

    async def refresh_user_data(self, user_id: int, user_data: Data) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: Data) -> None:
        return None

    async def refresh_bot_data(self, bot_data: Data) -> None:
        return None


_WRITE_STATE = """
    INSERT INTO conversations (name, key, state, updated_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (name, key) DO UPDATE SET
        state = excluded.state, updated_at = excluded.updated_at
"""
_FORGET_STATE = "DELETE FROM conversations WHERE name = ? AND key = ?"


class _StateRider:
    """A conversation's next state, written inside the transaction of the write it follows."""

    def __init__(
        self,
        persistence: SqlitePersistence,
        name: str,
        stored_key: str,
        state_of: Callable[[object], str | None],
    ) -> None:
        self._persistence = persistence
        self._name = name
        self._stored_key = stored_key
        self._state_of = state_of
        self._written: str | None = None
        self._stamp = time_to_db(persistence._clock.now())

    def write(self, db: sqlite3.Connection, produced: object) -> None:
        state = self._state_of(produced)
        if state is None:
            return
        db.execute(_WRITE_STATE, (self._name, self._stored_key, state, self._stamp))
        self._written = state

    def committed(self) -> None:
        if self._written is not None:
            self._persistence._stored(self._name, self._stored_key, self._written)


def staged(
    context: AnyContext, update: Update, name: str, state_of: Callable[[object], str | None]
) -> AbstractContextManager[None]:
    """Within this block, the next write carries conversation ``name``'s next state.

    For the conversations built by ``flows.conversations`` (keyed by chat and user). Without
    this bot's persistence (a test application) it does nothing.
    """
    persistence = context.application.persistence
    chat, user = update.effective_chat, update.effective_user
    if not isinstance(persistence, SqlitePersistence) or chat is None or user is None:
        return nullcontext()
    return carried_by(persistence.stage(name, (chat.id, user.id), state_of))


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
    of this chat are read again (:meth:`SqlitePersistence.refresh`), since the chat's last
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
        elif (handling := await _handling(update.update_id)) is not Handling.NEW:
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
        if fleet:
            await _refresh(update, context)
        unit.keep(
            HandledUpdate(update.update_id, time_to_db(clock.now()), arbiter=fleet and not again)
        )

    async def _answer_redelivery(update: Update, context: AnyContext) -> None:
        _log.info("update %s was handled, its reply never left: answered now", update.update_id)
        try:
            if fleet:
                await _refresh(update, context)
            if on_redelivered is not None:
                await on_redelivered(update, context)
        except Exception:
            _log.exception("update %s: could not answer its redelivery", update.update_id)
            return
        await mark_answered(db, update.update_id, time_to_db(clock.now()))

    async def _refresh(update: Update, context: AnyContext) -> None:
        persistence = context.application.persistence
        if isinstance(persistence, SqlitePersistence):
            await persistence.refresh(context.application, update)

    async def _handling(update_id: int) -> Handling:
        if fleet:
            return await handling_of(db, update_id)
        if not high_water:
            high_water.append(await highest_handled(db))
        if update_id <= high_water[0]:
            handling = await handling_of(db, update_id)
            if handling is not Handling.NEW:
                return handling
        high_water[0] = max(high_water[0], update_id)
        return Handling.NEW

    return TypeHandler(Update, begin)


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


# PTB keeps a ConversationHandler's states in ``_conversations`` (a TrackingDict once the
# application is initialised with a persistence) and computes an update's key with
# ``_get_key``; neither is public, and there is no public way to read a state again. Both
# are used here and only here, so a change in PTB breaks one place (and the fleet tests).
# The new value is put in the dict's ``data`` directly: through the mapping it would count
# as a change, and PTB would write it straight back after the update.


def _conversations_of(
    application: AnyApplication, update: Update
) -> list[tuple[str, ConversationKey, Any]]:
    """(name, this update's key, the state dict) of every persistent conversation that
    could route ``update``."""
    found: list[tuple[str, ConversationKey, Any]] = []
    pending: list[object] = [h for group in application.handlers.values() for h in group]
    while pending:
        handler = pending.pop()
        if not isinstance(handler, ConversationHandler):
            continue
        pending.extend(getattr(handler, "_child_conversations", ()))
        states = getattr(handler, "_conversations", None)
        if not (handler.persistent and handler.name) or not hasattr(states, "data"):
            continue
        try:
            key = handler._get_key(update)
        except (RuntimeError, AttributeError):
            continue  # no chat or no user: the conversation does not take this update
        found.append((handler.name, key, states))
    return found


def conversation_state(application: AnyApplication, update: Update, name: str) -> object | None:
    """The state conversation ``name`` is in for ``update``'s chat and user, or None."""
    for found, key, states in _conversations_of(application, update):
        if found == name:
            state: object | None = states.get(key)
            return state
    return None


def _put_untracked(states: Any, key: ConversationKey, state: str | None) -> None:
    if state is None:
        states.data.pop(key, None)
    else:
        states.data[key] = state


def _key_from_db(text: str) -> ConversationKey:
    parts = json.loads(text)
    if not isinstance(parts, list):
        raise ValueError(f"conversation key is not a JSON list: {text!r}")
    return tuple(parts)
