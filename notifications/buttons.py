"""Buttons carried by messages the outbox sends, so that services can attach them without
reaching up into the chat's handlers. Each section keeps to one feature's presses."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from notifications.callback_data import Press, press
from notifications.render import Texts
from storage.models import Application

# -- Who holds an application: relayed messages and alerts to staff --------------------


@press("ct")
@dataclass(frozen=True)
class ContactPress(Press):
    """The customer writes (again) to whoever holds ``application_id``."""

    application_id: int


@press("rp")
@dataclass(frozen=True)
class ReplyPress(Press):
    """A member of staff answers the customer of ``application_id``."""

    application_id: int


OPEN_BUTTONS_SHOWN = 10  # one per application; a longer list is read from the text and /queue


def _card_data(application_id: int) -> str:
    # The card's handler reads this form; it moves to a press of its own with the card.
    return f"card:{application_id}"


def open_card_markup(texts: Texts, locale: str, app: Application) -> InlineKeyboardMarkup:
    """One button opening the application's card."""
    label = texts.label(locale, "btn.open_card")
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=_card_data(app.id))]])


def open_cards_markup(applications: Sequence[Application]) -> InlineKeyboardMarkup | None:
    """A button per application (by its number), two a row, the first few only."""
    if not applications:
        return None
    buttons = [
        InlineKeyboardButton(a.number, callback_data=_card_data(a.id))
        for a in applications[:OPEN_BUTTONS_SHOWN]
    ]
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


def relay_reply_markup(
    texts: Texts, locale: str, application_id: int, *, to_customer: bool
) -> InlineKeyboardMarkup:
    """The reply button under a relayed message: the customer writes again, staff answer."""
    data = ContactPress(application_id) if to_customer else ReplyPress(application_id)
    label = texts.label(locale, "btn.reply")
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data.encode())]])
