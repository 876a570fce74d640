"""Conversation states kept in SQLite, so a restart resumes every chat where it stood.

python-telegram-bot's own persistences pickle everything and flush on a timer, which loses
the last answers on a crash and keeps a second copy of data that already lives in our
tables. This one persists conversation states only (drafts, users and applications have
their own tables) and writes each change straight to the ``conversations`` table.

PTB hands state changes to a persistence from ``Application.update_persistence()``, which
it runs on a timer and at shutdown. :func:`storage.update_handling.write_through_handler`,
in the last handler group, runs it after every update as well, so that a state is on disk
before the next update is read; on PostgreSQL
:func:`storage.update_handling.begin_update_handler` reads a chat's states again
(:meth:`SqlitePersistence.to_refresh`) before its update.

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
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable, MutableMapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    BasePersistence,
    CallbackContext,
    ConversationHandler,
    PersistenceInput,
)

from process.clock import Clock, SystemClock
from storage.codec import json_to_db, time_to_db
from storage.db import Database
from storage.units import (
    Rider,
    carried_by,
)

_log = logging.getLogger(__name__)

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

    def to_refresh(self, application: AnyApplication, update: Update) -> ToRefresh:
        """The conversations whose states ``update``'s handling must read again first.

        PTB reads conversation states from a persistence once, at ``initialize()``, and from
        then on trusts its memory. With several instances on one database the chat's last
        update may have been handled by another one, so before this update is routed its
        conversations' states (the keys this update maps to, in every persistent
        conversation) are taken from the database, and :attr:`_on_disk` with them: left
        stale, it could say a state is on disk that another instance has since replaced,
        and the write after this update would be skipped. The caller reads them in its own
        trip (:meth:`ToRefresh.read_in` on the connection's thread), then hands them to
        :meth:`refreshed`."""
        return ToRefresh(_conversations_of(application, update))

    def refreshed(self, found: ToRefresh, stored: dict[tuple[str, str], str]) -> None:
        """Take the states read by ``found.read_in`` as this process's own."""
        for name, key, states in found.conversations:
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


# PTB keeps a ConversationHandler's states in ``_conversations`` (a TrackingDict once the
# application is initialised with a persistence) and computes an update's key with
# ``_get_key``; neither is public, and there is no public way to read a state again. Both
# are used here and only here, so a change in PTB breaks one place (and the fleet tests).
# The new value is put in the dict's ``data`` directly: through the mapping it would count
# as a change, and PTB would write it straight back after the update.


@dataclass(frozen=True)
class ToRefresh:
    """The persistent conversations that could route an update: (name, the update's key,
    PTB's state dict) each."""

    conversations: list[tuple[str, ConversationKey, Any]]

    def __bool__(self) -> bool:
        return bool(self.conversations)

    def read_in(self, db: sqlite3.Connection) -> dict[tuple[str, str], str]:
        """Their stored states by (name, stored key), read on the connection's thread: one
        query for the lot, every conversation of the bot being keyed by chat and user."""
        names_by_key: dict[str, list[str]] = {}
        for name, key, _ in self.conversations:
            names_by_key.setdefault(json_to_db(list(key)), []).append(name)
        stored: dict[tuple[str, str], str] = {}
        for stored_key, names in names_by_key.items():
            marks = ", ".join("?" for _ in names)
            rows = db.execute(
                f"SELECT name, state FROM conversations WHERE key = ? AND name IN ({marks})",
                (stored_key, *names),
            ).fetchall()
            stored.update({(row["name"], stored_key): row["state"] for row in rows})
        return stored


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
