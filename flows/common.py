"""Small helpers every handler uses to know who is speaking and to answer them.

Answers always go out as rendered templates in the user's own language; handlers never
build message text themselves.
"""

from __future__ import annotations

import logging
from collections import deque
from typing import Any

from telegram import (
    CallbackQuery,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes, filters

from flows.deps import services
from storage.models import User
from storage.update_handling import take_opened_speaker

log = logging.getLogger("hvconnect.flows")
USER_KEY = "hvconnect.user"
# A message that is not a command: the answer to what the chat is waiting for.
ANSWER = filters.UpdateType.MESSAGE & ~filters.COMMAND
Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None
# The presses answered lately, by the very object of the update being handled: the error
# handler gets that same object, and must not answer it twice (Telegram refuses a second
# answer). Kept by identity, so the same query id from another emulator or bot is no match.
_ANSWERED: deque[CallbackQuery] = deque(maxlen=256)


def telegram_locale(language_code: str | None, default: str) -> str:
    """Telegram's language code (``zh-hans``, ``en-GB``) mapped to one of ours."""
    code = (language_code or "").lower()
    if code.startswith("zh"):
        return "zh_CN"
    if code.startswith("en"):
        return "en"
    return default


async def load_user(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Runs before every handler: makes sure the speaker has a row, cached in memory."""
    tg_user = update.effective_user
    chat = update.effective_chat
    if tg_user is None or chat is None or chat.type != "private":
        return
    cached = context.user_data.get(USER_KEY) if context.user_data is not None else None
    svc = services(context)
    if isinstance(cached, User) and cached.first_name == tg_user.first_name:
        if svc.db.dialect != "postgresql":
            return
        # Other instances share the database: the language or the phone may have been set
        # there since this one cached the row. Read again (with the update's opening reads,
        # in their trip, when they took it along); a read costs less than the write below,
        # which checks the names too.
        opened = take_opened_speaker(tg_user.id)
        fresh = opened.user if opened is not None else await svc.users.get(tg_user.id)
        unchanged = fresh is not None and fresh.first_name == tg_user.first_name
        if fresh is not None and unchanged and fresh.unreachable_at is None:
            remember_user(context, fresh)
            return
    user = await svc.users.touch(
        user_id=tg_user.id,
        chat_id=chat.id,
        first_name=tg_user.first_name,
        username=tg_user.username,
        default_locale=telegram_locale(tg_user.language_code, svc.settings.default_locale),
        now=svc.clock.now(),
    )
    remember_user(context, user)


def remember_user(context: ContextTypes.DEFAULT_TYPE, user: User) -> None:
    if context.user_data is not None:
        context.user_data[USER_KEY] = user


async def current_user(update: Update, context: ContextTypes.DEFAULT_TYPE) -> User:
    cached = context.user_data.get(USER_KEY) if context.user_data is not None else None
    if isinstance(cached, User):
        return cached
    await load_user(update, context)
    cached = context.user_data.get(USER_KEY) if context.user_data is not None else None
    if not isinstance(cached, User):
        raise RuntimeError("no user for this update")
    return cached


async def locale_of(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    return (await current_user(update, context)).locale


async def say(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    template: str,
    /,
    reply_markup: Markup = None,
    **params: Any,
) -> Message:
    """Send the template ``template`` to the chat of ``update`` in the user's language."""
    svc = services(context)
    locale = await locale_of(update, context)
    text = svc.texts.render(locale, template, tz=svc.settings.tz, **params)
    chat = update.effective_chat
    assert chat is not None
    return await context.bot.send_message(
        chat.id, text, parse_mode=ParseMode.HTML, reply_markup=reply_markup
    )


async def answer_button(query: CallbackQuery, text: str | None = None, alert: bool = False) -> None:
    """Every button press is answered, or the user's client shows a spinner for a while.

    Once: Telegram refuses a second answer, so a second toast would never be seen."""
    if was_answered(query):
        log.warning("a press was answered twice (%s); the second answer is dropped", query.data)
        return
    _ANSWERED.append(query)
    try:
        await query.answer(text=text, show_alert=alert)
    except BadRequest:
        # A query older than Telegram's answer window; the message we send next still tells
        # the user what happened.
        pass


def was_answered(query: CallbackQuery) -> bool:
    """Whether :func:`answer_button` already answered (or tried to answer) this press."""
    return any(seen is query for seen in _ANSWERED)


async def drop_buttons(query: CallbackQuery) -> None:
    """Remove the inline keyboard from a message whose choice was taken, so it cannot be
    pressed twice; harmless when the markup is already gone."""
    try:
        await query.edit_message_reply_markup(reply_markup=None)
    except BadRequest:
        pass
