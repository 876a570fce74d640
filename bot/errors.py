"""The last line of defence: an exception in a handler is logged with the update it came
from, and the user is told that something went wrong and that their answers are kept.

The conversation state is not advanced when a handler raises, so the user's next message is
taken by the same step again. A database that is locked or full is not a failure of ours:
the user is asked to try again shortly and the admins are alerted (:mod:`bot.storage_trouble`).
"""

from __future__ import annotations

import logging
from collections import deque

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.storage_trouble import alert_admins, storage_problem
from flows.common import USER_KEY
from flows.services import services
from storage.models import User

log = logging.getLogger("hvconnect.errors")
TOLD_KEY = "hvconnect.errors_told"


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    update_id = update.update_id if isinstance(update, Update) else None
    problem = storage_problem(context.error)
    if problem is None:
        log.error("update %s failed", update_id, exc_info=context.error)
    else:
        log.error("update %s not saved: the database is %s", update_id, problem)
        await alert_admins(
            context.bot, services(context), problem, context.bot_data, services(context).clock.now()
        )
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if update.effective_chat.type != "private":
        return
    # Handlers of several groups may fail on one update (a locked database fails them all);
    # the user hears about it once.
    told: deque[int] = context.bot_data.setdefault(TOLD_KEY, deque(maxlen=64))
    if update.update_id in told:
        return
    told.append(update.update_id)
    svc = services(context)
    cached = context.user_data.get(USER_KEY) if context.user_data is not None else None
    locale = cached.locale if isinstance(cached, User) else None
    try:
        if update.callback_query is not None:
            await update.callback_query.answer()
        await context.bot.send_message(
            update.effective_chat.id,
            svc.texts.render(locale, "common/busy" if problem else "common/error"),
            parse_mode=ParseMode.HTML,
        )
    except TelegramError:
        log.warning("could not tell the user of update %s about the failure", update_id)
