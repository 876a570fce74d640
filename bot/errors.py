"""The last line of defence: an exception in a handler is logged with the update it came
from, and the user is told that something went wrong and that their answers are kept.

The conversation state is not advanced when a handler raises, so the user's next message is
taken by the same step again.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from flows.common import USER_KEY
from flows.services import services
from storage.models import User

log = logging.getLogger("hvconnect.errors")


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("update %s failed", update_id, exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if update.effective_chat.type != "private":
        return
    svc = services(context)
    cached = context.user_data.get(USER_KEY) if context.user_data is not None else None
    locale = cached.locale if isinstance(cached, User) else None
    try:
        if update.callback_query is not None:
            await update.callback_query.answer()
        await context.bot.send_message(
            update.effective_chat.id,
            svc.texts.render(locale, "common/error"),
            parse_mode=ParseMode.HTML,
        )
    except TelegramError:
        log.warning("could not tell the user of update %s about the failure", update_id)
