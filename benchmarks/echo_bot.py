"""The baseline: the barest python-telegram-bot bot that can walk the same conversation.

It answers every message with one message and every button press with an answer and one
message, each carrying one inline button so the scripted customer always has something to
press. No database, no templates, no persistence, no rate limiter: what it costs is what
python-telegram-bot and the transport cost, and hvconnect is measured against that.

The floor is the echo bot that also commits one transaction per update, through the
project's own :class:`storage.db.Database` (WAL, ``synchronous=FULL``, so one fsync), before
it answers: the least any bot that keeps every answer safe must do per step. How close
hvconnect comes to it says how much of the gap to the echo bot is the bot's own logic.
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest

from storage.db import Database

ECHO_BUTTON = "echo"
EchoApplication = Application[Any, Any, Any, Any, Any, Any]
_MARKUP = InlineKeyboardMarkup([[InlineKeyboardButton(ECHO_BUTTON, callback_data=ECHO_BUTTON)]])


async def echo_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    await message.reply_text(message.text or "received", reply_markup=_MARKUP)


async def echo_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None and update.effective_chat is not None
    await query.answer()
    await context.bot.send_message(
        update.effective_chat.id, f"pressed {query.data}", reply_markup=_MARKUP
    )


FLOOR_TABLE = (
    "CREATE TABLE IF NOT EXISTS steps "
    "(id INTEGER PRIMARY KEY, chat_id INTEGER NOT NULL, body TEXT NOT NULL)"
)


async def open_floor_database(path: str) -> Database:
    db = await Database.open(path)
    await db.execute(FLOOR_TABLE)
    return db


def build_floor_application(
    token: str, db: Database, *, api_url: str | None = None, request: BaseRequest | None = None
) -> EchoApplication:
    """The echo bot that first commits what each update brought (``db`` from
    :func:`open_floor_database`)."""

    async def keep(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = update.effective_chat
        message = update.effective_message
        body = (update.callback_query.data if update.callback_query else None) or (
            message.text if message else None
        )
        await db.execute(
            "INSERT INTO steps (chat_id, body) VALUES (?, ?)",
            (chat.id if chat else 0, body or ""),
        )

    application = build_echo_application(token, api_url=api_url, request=request)
    application.add_handler(TypeHandler(Update, keep), group=-1)
    return application


def build_echo_application(
    token: str, *, api_url: str | None = None, request: BaseRequest | None = None
) -> EchoApplication:
    """The echo bot; ``api_url`` points it at an emulator, ``request`` replaces HTTP."""
    builder = ApplicationBuilder().token(token)
    if api_url:
        builder = builder.base_url(f"{api_url}/bot").base_file_url(f"{api_url}/file/bot")
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    application = builder.build()
    application.add_handler(MessageHandler(filters.ALL, echo_message))
    application.add_handler(CallbackQueryHandler(echo_press))
    return application
