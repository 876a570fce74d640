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
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from flows import language, stats, survey_recovery
from flows import start as start_flow
from flows.apply.conversation import build_apply_conversation
from flows.common import load_user
from flows.keyboards import LanguagePress
from flows.owed import build_owed_conversation
from flows.relay import build_relay_conversation
from flows.staff import access as staff_access
from flows.staff import enrol as staff_enrol
from flows.staff import home as staff_home
from flows.staff import management, queue
from flows.staff.admin import build_staff_conversation
from flows.status import status
from flows.survey import BARE_SCORE, build_survey_conversation, on_bare_score
from flows.workflow import card
from flows.workflow.buttons import DocumentsPress
from flows.workflow.handlers import build_workflow_conversation
from notifications.buttons import OpenCardPress
from notifications.callback_data import pattern
from notifications.render import LOCALES, Texts

PRIVATE = filters.ChatType.PRIVATE


def register_handlers(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(TypeHandler(Update, load_user), group=-1)
    # Before everything, so a configured admin is an admin before any role is checked; it
    # loads the user itself when it needs one.
    application.add_handler(TypeHandler(Update, staff_enrol.bootstrap_admin), group=-2)
    application.add_handler(
        MessageHandler(filters.ChatType.GROUPS & filters.COMMAND, start_flow.group_message)
    )
    # A low-score alert's button works from any state of any conversation a member is in.
    application.add_handler(
        CallbackQueryHandler(survey_recovery.on_called_back, pattern=survey_recovery.PATTERN)
    )
    # A workflow input is started by an explicit press, so it goes before the form.
    application.add_handler(build_workflow_conversation())
    application.add_handler(build_relay_conversation())
    application.add_handler(build_owed_conversation())
    # Before the form, whose catch-all would answer a survey button as stale; the survey
    # steps aside for any other command, so it never holds the form up.
    application.add_handler(build_survey_conversation())
    application.add_handler(build_apply_conversation())
    application.add_handler(build_staff_conversation())
    for name, callback in (
        ("start", staff_home.start),
        ("lang", language.choose_language),
        ("help", staff_access.help_command),
        ("status", status),
        ("cancel", start_flow.cancel_outside),
        ("app", card.app_command),
        ("join", staff_enrol.join),
        ("queue", queue.queue_command),
        ("find", queue.find_command),
        ("stats", stats.stats_command),
        ("overdue", stats.overdue_command),
        ("export", stats.export_command),
    ):
        application.add_handler(CommandHandler(name, callback, filters=PRIVATE))
    application.add_handler(
        CallbackQueryHandler(language.on_language, pattern=pattern(LanguagePress))
    )
    application.add_handler(
        CallbackQueryHandler(card.on_card_button, pattern=pattern(OpenCardPress))
    )
    application.add_handler(
        CallbackQueryHandler(card.on_documents_button, pattern=pattern(DocumentsPress))
    )
    for callback, matches in management.HANDLERS:
        application.add_handler(CallbackQueryHandler(callback, pattern=matches))
    message = PRIVATE & filters.UpdateType.MESSAGE
    application.add_handler(MessageHandler(message & filters.CONTACT, start_flow.on_contact))
    application.add_handler(MessageHandler(message & BARE_SCORE, on_bare_score))
    application.add_handler(
        MessageHandler(message & filters.TEXT & ~filters.COMMAND, staff_home.on_text)
    )
    application.add_handler(MessageHandler(message & filters.COMMAND, start_flow.unknown_command))
    application.add_handler(
        MessageHandler(PRIVATE & filters.UpdateType.EDITED_MESSAGE, start_flow.edited_message)
    )
    application.add_handler(MessageHandler(message, staff_home.unexpected_message))
    application.add_handler(CallbackQueryHandler(start_flow.expired_button))
    application.add_handler(
        ChatMemberHandler(start_flow.membership_changed, ChatMemberHandler.MY_CHAT_MEMBER)
    )


def command_menus(texts: Texts) -> dict[str, list[BotCommand]]:
    """The customer's command menu per language, for setMyCommands."""
    return {locale: language.customer_menu(texts, locale) for locale in LOCALES}
