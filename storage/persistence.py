"""Conversation states kept in SQLite, so a restart resumes every chat where it stood.

python-telegram-bot's own persistences pickle everything and flush on a timer, which loses
the last answers on a crash and keeps a second copy of data that already lives in our
tables. This one persists conversation states only (drafts, users and applications have
their own tables) and writes each change straight to the ``conversations`` table.

PTB hands state changes to a persistence from ``Application.update_persistence()``, which
it runs on a timer and at shutdown. Register :func:`write_through_handler` in the last
handler group to run it after every update as well, so that a state is on disk before the
next update is read.

A state is written after the handler's own transaction, which holds what the customer
sent and was on disk before the reply went, in a transaction of its own that also waits for
the disk (:meth:`Database.execute_alone`, one trip to SQLite's thread). Letting it ride on
the next commit instead would save about a tenth of a millisecond per step and leave a
state one step behind after a power cut, which in a document step files the next file
under the previous document's kind; not worth it. A crash between the two commits leaves
the state one step behind, which the flows meet (see ``flows.apply.fields``).
"""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from typing import Any

from telegram import Update
from telegram.ext import BasePersistence, CallbackContext, PersistenceInput, TypeHandler

from process.clock import Clock, SystemClock
from storage.codec import json_to_db, time_to_db
from storage.db import Database

# Later than any group the bot's own handlers use, so it sees each update last.
WRITE_THROUGH_GROUP = 1_000_000
DEFAULT_UPDATE_INTERVAL_S = 5.0

Data = dict[Any, Any]
# The shapes PTB documents for BasePersistence's arguments, spelled out here because PTB's
# own aliases live in a private module that may change without notice.
ConversationKey = tuple[int | str, ...]
ConversationDict = MutableMapping[ConversationKey, object]
CDCData = tuple[list[tuple[str, float, dict[str, Any]]], dict[str, str]]
AnyContext = CallbackContext[Any, Any, Any, Any]


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

    async def get_conversations(self, name: str) -> ConversationDict:
        rows = await self._db.fetchall(
            "SELECT key, state FROM conversations WHERE name = ?", (name,)
        )
        return {_key_from_db(row["key"]): row["state"] for row in rows}

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        stored_key = json_to_db(list(key))
        if new_state is None:
            await self._db.execute_alone(
                "DELETE FROM conversations WHERE name = ? AND key = ?", (name, stored_key)
            )
            return
        if not isinstance(new_state, str):
            # A state read back as text must equal the state the handler returned.
            raise TypeError(f"conversation states must be strings, got {new_state!r}")
        await self._db.execute_alone(
            """
            INSERT INTO conversations (name, key, state, updated_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (name, key) DO UPDATE SET
                state = excluded.state, updated_at = excluded.updated_at
            """,
            (name, stored_key, new_state, time_to_db(self._clock.now())),
        )

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


def write_through_handler() -> TypeHandler[Update, AnyContext, None]:
    """A handler that saves changed conversation states after each update.

    Add it with ``application.add_handler(write_through_handler(), group=WRITE_THROUGH_GROUP)``.
    """

    async def save_states(update: Update, context: AnyContext) -> None:
        await context.application.update_persistence()

    return TypeHandler(Update, save_states)


def _key_from_db(text: str) -> ConversationKey:
    parts = json.loads(text)
    if not isinstance(parts, list):
        raise ValueError(f"conversation key is not a JSON list: {text!r}")
    return tuple(parts)
