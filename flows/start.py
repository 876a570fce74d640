"""First contact and the commands that are always there: /start, /lang, /help, /cancel,
sharing a phone number, and a polite answer to anything the bot did not expect.
"""

from __future__ import annotations

from telegram import ReplyKeyboardRemove, Update
from telegram.ext import ContextTypes

from flows import keyboards
from flows.common import (
    USER_KEY,
    answer_button,
    current_user,
    remember_user,
    say,
    telegram_locale,
)
from flows.deps import services
from process.validators import ValidationError, validate_mobile

# Set while a new customer's phone prompt waits for their choice of language.
PHONE_AFTER_LANGUAGE_KEY = "hvconnect.phone_after_language"


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The welcome, with the language buttons, and the phone prompt if we still need one.

    The prompt is written in the user's language, so it comes at once only when that is
    known: chosen before, or told by their Telegram client. Otherwise it follows the
    choice (:func:`flows.language.switch_language`).
    """
    svc = services(context)
    user = await current_user(update, context)
    await say(
        update,
        context,
        "start/welcome",
        name=user.first_name or "",
        reply_markup=keyboards.language_choice(svc.texts, user.locale),
    )
    if user.phone:
        return
    if user.locale_chosen or _client_language(update) is not None:
        await ask_phone(update, context)
    elif context.user_data is not None:
        context.user_data[PHONE_AFTER_LANGUAGE_KEY] = True


def _client_language(update: Update) -> str | None:
    tg_user = update.effective_user
    code = tg_user.language_code if tg_user is not None else None
    return telegram_locale(code, "") or None


async def ask_phone(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    user = await current_user(update, context)
    if context.user_data is not None:
        context.user_data.pop(PHONE_AFTER_LANGUAGE_KEY, None)
    await say(
        update,
        context,
        "start/ask_phone",
        reply_markup=keyboards.share_phone(svc.texts, user.locale),
    )


def phone_waited_for_language(context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Whether /start held the phone prompt back until a language is chosen (asked once:
    the mark is taken away)."""
    if context.user_data is None:
        return False
    return bool(context.user_data.pop(PHONE_AFTER_LANGUAGE_KEY, False))


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await say(update, context, "help/customer")


async def on_contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A number shared with Telegram's button is the user's own when its user id is theirs."""
    message = update.effective_message
    assert message is not None and message.contact is not None
    user = await current_user(update, context)
    if message.contact.user_id != user.user_id:
        await say(update, context, "start/phone_not_own")
        return
    await _save_phone(update, context, message.contact.phone_number, verified=True)


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Text outside any flow: a typed phone number while we still need one, else guidance."""
    message = update.effective_message
    assert message is not None
    user = await current_user(update, context)
    if not user.phone and message.text and any(ch.isdigit() for ch in message.text):
        await _save_phone(update, context, message.text, verified=False)
        return
    await say(update, context, "common/unknown", has_phone=bool(user.phone))


async def _save_phone(
    update: Update, context: ContextTypes.DEFAULT_TYPE, raw: str, *, verified: bool
) -> None:
    svc = services(context)
    user = await current_user(update, context)
    try:
        phone = validate_mobile(raw)
    except ValidationError as error:
        await say(
            update,
            context,
            "start/phone_invalid",
            error=svc.texts.label(user.locale, f"error.{error.code}"),
            reply_markup=keyboards.share_phone(svc.texts, user.locale),
        )
        return
    await svc.users.set_phone(user.user_id, phone, verified=verified, now=svc.clock.now())
    updated = await svc.users.get(user.user_id)
    assert updated is not None
    remember_user(context, updated)
    await say(update, context, "start/phone_saved", phone=phone, reply_markup=ReplyKeyboardRemove())


async def cancel_outside(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await say(update, context, "common/nothing_to_cancel")


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await say(update, context, "common/unknown_command")


async def unexpected_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await say(update, context, "common/unknown", has_phone=True)


async def edited_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await say(update, context, "common/edit_ignored")


async def expired_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button from a finished conversation or an old message: answered, nothing done."""
    query = update.callback_query
    assert query is not None
    svc = services(context)
    user = await current_user(update, context)
    await answer_button(query, svc.texts.label(user.locale, "toast.expired"), alert=True)


async def group_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The bot serves people one to one; in a group it says so once per command."""
    chat = update.effective_chat
    message = update.effective_message
    if chat is None or message is None:
        return
    svc = services(context)
    user = update.effective_user
    locale = "en" if user and (user.language_code or "").startswith("en") else None
    await context.bot.send_message(
        chat.id, svc.texts.render(locale, "common/private_only"), parse_mode="HTML"
    )


async def membership_changed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Telegram tells the bot when a user blocks or unblocks it: keep ``unreachable`` true to
    that, so that staff are told to phone a customer who blocked the bot, and messages to a
    customer who came back are sent again."""
    change = update.my_chat_member
    if change is None or change.chat.type != "private":
        return
    svc = services(context)
    status = change.new_chat_member.status
    now = svc.clock.now()
    if status in ("kicked", "left"):
        await svc.users.mark_unreachable(change.from_user.id, now)
    elif status == "member":
        await svc.users.mark_reachable(change.from_user.id, now)
    if context.user_data is not None:
        context.user_data.pop(USER_KEY, None)  # the cached row no longer says the truth
