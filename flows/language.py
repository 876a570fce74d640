"""Choosing the language: ``/lang`` with its buttons or with the language named
(``/lang en``, ``/lang 中文``), and everything a choice changes at once.

A choice changes more than the answers: the chat's command menu follows it (the staff
member's role menu, or the customers' menu), and a customer whose first prompt was held back
until the language was known (see :func:`flows.start.start`) is asked for their phone number
now, in the language just chosen.
"""

from __future__ import annotations

import logging
import unicodedata

from telegram import Bot, BotCommand, BotCommandScopeChat, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from flows import keyboards
from flows import start as start_flow
from flows.apply.fields import stale_button
from flows.common import answer_button, current_user, drop_buttons, remember_user, say
from flows.deps import services
from flows.keyboards import LanguagePress
from flows.staff.access import publish_staff_menu
from notifications.callback_data import decode_as
from notifications.render import LOCALES, Texts

log = logging.getLogger("hvconnect.language")

CUSTOMER_COMMANDS = ("start", "apply", "status", "contact", "survey", "lang", "help", "cancel")
# What people type after /lang: codes, and each language's name in both languages.
_NAMED: dict[str, str] = {
    "zh": "zh_CN",
    "zh_cn": "zh_CN",
    "zh-cn": "zh_CN",
    "zh-hans": "zh_CN",
    "cn": "zh_CN",
    "chinese": "zh_CN",
    "中文": "zh_CN",
    "汉语": "zh_CN",
    "简体中文": "zh_CN",
    "普通话": "zh_CN",
    "en": "en",
    "eng": "en",
    "english": "en",
    "英文": "en",
    "英语": "en",
}


def locale_named(text: str) -> str | None:
    """The locale a typed language name or code stands for, or None."""
    word = unicodedata.normalize("NFKC", text).strip().lower()
    found = _NAMED.get(word)
    return found if found in LOCALES else None


def customer_menu(texts: Texts, locale: str) -> list[BotCommand]:
    return [BotCommand(name, texts.label(locale, f"command.{name}")) for name in CUSTOMER_COMMANDS]


async def choose_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/lang``: the buttons; ``/lang NAME`` switches at once (buttons if NAME is unknown)."""
    svc = services(context)
    user = await current_user(update, context)
    named = " ".join(context.args or []).strip()
    if named:
        locale = locale_named(named)
        if locale is not None:
            await switch_language(update, context, locale)
            return
    await say(
        update,
        context,
        "lang/choose",
        unknown=named,
        reply_markup=keyboards.language_choice(svc.texts, user.locale),
    )


async def on_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    pressed = decode_as(query.data, LanguagePress)
    if pressed is None or pressed.locale not in LOCALES:
        await stale_button(update, context)
        return
    locale = pressed.locale
    svc = services(context)
    user = await current_user(update, context)
    if pressed.shown_in != user.locale:
        await answer_button(query, svc.texts.label(user.locale, "toast.language_outdated"), True)
        await drop_buttons(query)
        return
    await answer_button(query)
    await keyboards.mark_chosen(query, svc.texts, user.locale, _language_name(svc.texts, locale))
    await switch_language(update, context, locale)


def _language_name(texts: Texts, locale: str) -> str:
    return texts.label(locale, "btn.lang_zh" if locale == "zh_CN" else "btn.lang_en")


async def switch_language(update: Update, context: ContextTypes.DEFAULT_TYPE, locale: str) -> None:
    """Store the choice, say so in the new language, and bring the menu along."""
    svc = services(context)
    user = await current_user(update, context)
    await svc.users.set_locale(user.user_id, locale, svc.clock.now())
    updated = await svc.users.get(user.user_id)
    assert updated is not None
    remember_user(context, updated)
    await say(update, context, "lang/changed")
    phone_waited = start_flow.phone_waited_for_language(context)
    member = await svc.staff.get(user.user_id)
    if member is not None and member.active:
        await publish_staff_menu(
            context.bot, svc.texts, chat_id=user.chat_id, locale=locale, role=member.role
        )
        return
    await publish_customer_menu(context.bot, svc.texts, chat_id=user.chat_id, locale=locale)
    if phone_waited and not updated.phone:
        await start_flow.ask_phone(update, context)


async def publish_customer_menu(bot: Bot, texts: Texts, *, chat_id: int, locale: str) -> None:
    """The customers' menu for this chat in the language they chose, which may not be their
    Telegram client's (the menus for all private chats follow the client's)."""
    try:
        await bot.set_my_commands(customer_menu(texts, locale), scope=BotCommandScopeChat(chat_id))
    except TelegramError:
        # A convenience: every command works without the menu.
        log.warning("could not set the customer command menu for chat %s", chat_id, exc_info=True)
