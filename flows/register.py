"""Which handler answers which update, in one place.

Order matters in python-telegram-bot: within a group the first matching handler wins. The
conversations come first so that an answer in the middle of a form reaches the form; the
catch-alls come last so that nothing a user sends goes unanswered.
"""

from __future__ import annotations

from telegram import BotCommand, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from flows import start as start_flow
from flows.apply import build_apply_conversation
from flows.common import load_user
from flows.status import status
from notifications.render import LOCALES, Texts

PRIVATE = filters.ChatType.PRIVATE
CUSTOMER_COMMANDS = ("start", "apply", "status", "lang", "help", "cancel")


def register_handlers(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(TypeHandler(Update, load_user), group=-1)
    application.add_handler(
        MessageHandler(filters.ChatType.GROUPS & filters.COMMAND, start_flow.group_message)
    )
    application.add_handler(build_apply_conversation())
    for name, callback in (
        ("start", start_flow.start),
        ("lang", start_flow.choose_language),
        ("help", start_flow.help_command),
        ("status", status),
        ("cancel", start_flow.cancel_outside),
    ):
        application.add_handler(CommandHandler(name, callback, filters=PRIVATE))
    application.add_handler(CallbackQueryHandler(start_flow.on_language, pattern=r"^lang:"))
    message = PRIVATE & filters.UpdateType.MESSAGE
    application.add_handler(MessageHandler(message & filters.CONTACT, start_flow.on_contact))
    application.add_handler(
        MessageHandler(message & filters.TEXT & ~filters.COMMAND, start_flow.on_text)
    )
    application.add_handler(MessageHandler(message & filters.COMMAND, start_flow.unknown_command))
    application.add_handler(
        MessageHandler(PRIVATE & filters.UpdateType.EDITED_MESSAGE, start_flow.edited_message)
    )
    application.add_handler(MessageHandler(message, start_flow.unexpected_message))
    application.add_handler(CallbackQueryHandler(start_flow.expired_button))


def command_menus(texts: Texts) -> dict[str, list[BotCommand]]:
    """The customer's command menu per language, for setMyCommands."""
    return {
        locale: [
            BotCommand(name, texts.label(locale, f"command.{name}")) for name in CUSTOMER_COMMANDS
        ]
        for locale in LOCALES
    }
