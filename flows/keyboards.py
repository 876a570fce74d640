"""Inline and reply keyboards, labelled in the user's language.

Every inline button carries a press (:mod:`notifications.callback_data`) naming what it was
shown for, so a button pressed from an old message can be recognised as stale instead of
being obeyed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
)
from telegram.constants import MessageLimit, ParseMode
from telegram.error import BadRequest

from notifications.callback_data import Press, press
from notifications.render import Texts


def rows(buttons: Sequence[InlineKeyboardButton], width: int) -> list[list[InlineKeyboardButton]]:
    return [list(buttons[i : i + width]) for i in range(0, len(buttons), width)]


def inline(*button_rows: Iterable[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([list(r) for r in button_rows if r])


def button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=data)


@press("lang")
@dataclass(frozen=True)
class LanguagePress(Press):
    """Switch to ``locale``; ``shown_in`` is the language the message was shown in, so a
    press after the language was changed elsewhere is recognised as out of date."""

    locale: str
    shown_in: str


def language_choice(texts: Texts, locale: str) -> InlineKeyboardMarkup:
    """中文 / English."""
    return inline(
        [
            button(texts.label(locale, "btn.lang_zh"), LanguagePress("zh_CN", locale).encode()),
            button(texts.label(locale, "btn.lang_en"), LanguagePress("en", locale).encode()),
        ]
    )


def pressed_label(query: CallbackQuery) -> str | None:
    """The text of the button that was pressed, as its message showed it."""
    message = query.message
    markup = message.reply_markup if isinstance(message, Message) else None
    for row in markup.inline_keyboard if markup else ():
        for pressed in row:
            if pressed.callback_data == query.data:
                return pressed.text
    return None


async def mark_chosen(query: CallbackQuery, texts: Texts, locale: str, chosen: str) -> None:
    """The keyboard of a question gives way to what was chosen ("✓ Chosen: …").

    People scroll back to check what they answered; a question whose buttons simply vanish
    does not say. When the text cannot be edited (a photo, or too long), the keyboard is
    still removed so that the choice cannot be made twice.
    """
    message = query.message
    mark = texts.render(locale, "common/chosen", choice=chosen)
    if isinstance(message, Message) and message.text is not None:
        if len(message.text) + len(mark) + 2 <= MessageLimit.MAX_TEXT_LENGTH:
            text = f"{message.text_html}\n\n{mark}"
            try:
                await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=None)
                return
            except BadRequest:
                pass  # edited or deleted meanwhile: dropping the keyboard is what matters
    try:
        await query.edit_message_reply_markup(reply_markup=None)
    except BadRequest:
        pass


def share_phone(texts: Texts, locale: str) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [[KeyboardButton(texts.label(locale, "btn.share_phone"), request_contact=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


def choice_label(texts: Texts, locale: str, field_name: str, value: str) -> str:
    key = f"choice.{field_name}.{value}"
    labels = texts.labels(texts.locale(locale))
    return labels.get(key, value)
