"""Conversation states survive a restart and reach the disk after every update."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from telegram import Update
from telegram.ext import (
    Application,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)

from process.clock import ManualClock
from sandbox.recording import BOT_USER, RecordingRequest
from storage.db import Database
from storage.migrate import migrate
from storage.persistence import SqlitePersistence
from storage.update_handling import WRITE_THROUGH_GROUP, write_through_handler
from tests.postgres import table_names
from tests.storage.samples import NOW

USER_ID = 4242


class Questionnaire:
    """A three-step conversation that records what it was asked to handle."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
        self.seen.append(("start", _text(update)))
        return "ASK_NAME"

    async def name(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
        self.seen.append(("name", _text(update)))
        return "ASK_CAPACITY"

    async def capacity(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        self.seen.append(("capacity", _text(update)))
        return ConversationHandler.END

    def handler(self) -> ConversationHandler[ContextTypes.DEFAULT_TYPE]:
        text = filters.TEXT & ~filters.COMMAND
        return ConversationHandler(
            entry_points=[CommandHandler("apply", self.start)],
            states={
                "ASK_NAME": [MessageHandler(text, self.name)],
                "ASK_CAPACITY": [MessageHandler(text, self.capacity)],
            },
            fallbacks=[],
            name="apply",
            persistent=True,
        )


def _text(update: Update) -> str:
    assert update.effective_message is not None
    return update.effective_message.text or ""


def _build(db: Database, questionnaire: Questionnaire, *, write_through: bool = False) -> Any:
    persistence = SqlitePersistence(db, clock=ManualClock(NOW))
    application = (
        Application.builder()
        .token(f"{BOT_USER['id']}:offline")
        .request(RecordingRequest())
        .get_updates_request(RecordingRequest())
        .persistence(persistence)
        .updater(None)
        .build()
    )
    application.add_handler(questionnaire.handler())
    if write_through:
        application.add_handler(write_through_handler(db), group=WRITE_THROUGH_GROUP)
    return application


_update_ids = iter(range(1, 1_000_000))


def _message(application: Any, text: str) -> Update:
    entities = (
        [{"type": "bot_command", "offset": 0, "length": len(text)}] if text.startswith("/") else []
    )
    data = {
        "update_id": next(_update_ids),
        "message": {
            "message_id": next(_update_ids),
            "date": int(NOW.timestamp()),
            "chat": {"id": USER_ID, "type": "private"},
            "from": {"id": USER_ID, "is_bot": False, "first_name": "王"},
            "text": text,
            "entities": entities,
        },
    }
    update = Update.de_json(data, application.bot)
    assert update is not None
    return update


async def _open(path: Path) -> Database:
    db = await Database.open(path)
    await migrate(db, NOW)
    return db


async def test_a_conversation_continues_after_a_restart(db_path: Path) -> None:
    db = await _open(db_path)
    before = Questionnaire()
    application = _build(db, before)
    async with application:
        await application.start()
        await application.process_update(_message(application, "/apply"))
        await application.stop()
    await db.close()
    assert before.seen == [("start", "/apply")]

    db = await _open(db_path)
    after = Questionnaire()
    application = _build(db, after)
    async with application:
        # The restarted bot takes the plain text as the answer to the pending question.
        await application.process_update(_message(application, "华东精密制造有限公司"))
    rows = await db.fetchall("SELECT name, key, state, updated_at FROM conversations")
    await db.close()

    assert after.seen == [("name", "华东精密制造有限公司")]
    assert [tuple(row) for row in rows] == [
        ("apply", f"[{USER_ID},{USER_ID}]", "ASK_CAPACITY", "2026-11-27T01:48:00+00:00")
    ]


async def test_without_a_conversation_text_is_ignored(db_path: Path) -> None:
    db = await _open(db_path)
    questionnaire = Questionnaire()
    application = _build(db, questionnaire)
    async with application:
        await application.process_update(_message(application, "hello"))
    await db.close()
    assert questionnaire.seen == []


async def test_the_state_is_on_disk_before_the_next_update(db_path: Path) -> None:
    db = await _open(db_path)
    application = _build(db, Questionnaire(), write_through=True)
    observer = await Database.open(db_path)  # another process looking at the file
    try:
        async with application:
            await application.process_update(_message(application, "/apply"))
            row = await observer.fetchone("SELECT state FROM conversations")
            assert row is not None and row["state"] == "ASK_NAME"

            await application.process_update(_message(application, "华东"))
            await application.process_update(_message(application, "2500"))
            # The conversation ended, so nothing is left to resume.
            assert await observer.fetchall("SELECT * FROM conversations") == []
    finally:
        await observer.close()
        await db.close()


async def test_keys_round_trip_as_tuples(db: Database) -> None:
    persistence = SqlitePersistence(db, clock=ManualClock(NOW))
    await persistence.update_conversation("apply", (1, 2), "ASK_NAME")
    await persistence.update_conversation("apply", (3, "inline-7"), "ASK_CAPACITY")
    await persistence.update_conversation("apply", (1, 2), "ASK_CAPACITY")
    await persistence.update_conversation("other", (1, 2), "MENU")
    assert await persistence.get_conversations("apply") == {
        (1, 2): "ASK_CAPACITY",
        (3, "inline-7"): "ASK_CAPACITY",
    }
    await persistence.update_conversation("apply", (1, 2), None)
    await persistence.update_conversation("apply", (9, 9), None)  # unknown key: no error
    assert await persistence.get_conversations("apply") == {(3, "inline-7"): "ASK_CAPACITY"}
    assert await persistence.get_conversations("nobody") == {}


async def test_states_must_be_strings(db: Database) -> None:
    persistence = SqlitePersistence(db)
    with pytest.raises(TypeError, match="strings"):
        await persistence.update_conversation("apply", (1, 2), 3)
    assert await persistence.get_conversations("apply") == {}


async def test_a_corrupt_key_is_reported(db: Database) -> None:
    await db.execute(
        "INSERT INTO conversations (name, key, state, updated_at) VALUES (?, ?, ?, ?)",
        ("apply", '{"not": "a list"}', "ASK_NAME", datetime(2026, 1, 1, tzinfo=UTC).isoformat()),
    )
    with pytest.raises(ValueError, match="JSON list"):
        await SqlitePersistence(db).get_conversations("apply")


async def test_only_conversations_are_persisted(db: Database) -> None:
    persistence = SqlitePersistence(db)
    store = persistence.store_data
    assert not (store.bot_data or store.chat_data or store.user_data or store.callback_data)
    assert await persistence.get_user_data() == {}
    assert await persistence.get_chat_data() == {}
    assert await persistence.get_bot_data() == {}
    assert await persistence.get_callback_data() is None
    for call in (
        persistence.update_user_data(1, {"x": 1}),
        persistence.update_chat_data(1, {"x": 1}),
        persistence.update_bot_data({"x": 1}),
        persistence.update_callback_data(([], {})),
        persistence.drop_chat_data(1),
        persistence.drop_user_data(1),
        persistence.refresh_user_data(1, {}),
        persistence.refresh_chat_data(1, {}),
        persistence.refresh_bot_data({}),
        persistence.flush(),
    ):
        await call
    assert [name for name in await table_names(db) if "data" in name] == []
