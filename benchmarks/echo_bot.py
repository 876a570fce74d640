"""The baseline: the barest python-telegram-bot bot that can walk the same conversation.

It answers every message with one message and every button press with an answer and one
message, each carrying one inline button so the scripted customer always has something to
press. No database, no templates, no persistence, no rate limiter: what it costs is what
python-telegram-bot and the transport cost, and hvconnect is measured against that.
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
    filters,
)
from telegram.request import BaseRequest

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
