"""The last line of defence: an exception in a handler is logged with the update it came
from, and the user is told that something went wrong and the step did not complete.

The message says only what is true. The failed step's transaction was rolled back, so it
never claims that step was saved; it says that what the customer entered in the application
form is kept only when there is a draft (every accepted answer is written to it at once).
A press the handler already answered is not answered again (Telegram refuses that, and the
refusal must not keep the message from being sent).

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
from flows.common import USER_KEY, was_answered
from flows.deps import Services, services
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
    query = update.callback_query
    if query is not None and not was_answered(query):
        try:
            await query.answer()
        except TelegramError:
            log.warning("could not answer the press of update %s", update_id)
    user = update.effective_user
    draft_kept = await _has_draft(svc, user.id) if user is not None else False
    try:
        await context.bot.send_message(
            update.effective_chat.id,
            svc.texts.render(
                locale, "common/busy" if problem else "common/error", draft_kept=draft_kept
            ),
            parse_mode=ParseMode.HTML,
        )
    except TelegramError:
        log.warning("could not tell the user of update %s about the failure", update_id)


async def _has_draft(svc: Services, user_id: int) -> bool:
    """Whether the user has answers in an application form in progress, which are kept;
    when that cannot be read either, the message claims nothing."""
    try:
        draft = await svc.drafts.get(user_id)
        return draft is not None and bool(draft.fields or draft.documents)
    except Exception:
        log.warning("could not read whether user %s has a draft", user_id, exc_info=True)
        return False
