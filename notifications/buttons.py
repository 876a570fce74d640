"""The presses of buttons that travel on messages the outbox sends.

A reminder or an alert is queued by a sweep or a service, far from the handler that will
answer its button, so the press it carries is defined here, below both: the sender of the
message encodes it, the handler decodes it (:mod:`notifications.callback_data`). Each
feature keeps its presses in a section of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from notifications.callback_data import Press, press
from notifications.render import Texts
from process.form import OwedDocument
from process.metrics import Question
from process.roles import Role
from storage.models import Application

# -- opening an application's card (staff) --------------------------------------------------


def card_data(application_id: int) -> str:
    # The card's handler reads this form; it moves to a press of its own with the card.
    return f"card:{application_id}"


def open_card_markup(texts: Texts, locale: str, app: Application) -> InlineKeyboardMarkup:
    """The one button under a message to staff about an application: its card."""
    label = texts.label(locale, "btn.open_card")
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=card_data(app.id))]])


# -- documents promised under the commitment rule (告知承诺) -------------------------------


@press("ow")
@dataclass(frozen=True)
class SendOwed(Press):
    """ "Send" a document still owed: on the status card and on the customer's reminders."""

    application_id: int
    document: OwedDocument


# -- the satisfaction survey ----------------------------------------------------------------


@press("sv")
@dataclass(frozen=True)
class SurveyAnswer(Press):
    """One answer button of a survey question, on the invitation, a reminder or in the chat.

    ``value`` is the score, or None for "skip" under the comment question.
    """

    application_id: int
    question: Question
    value: int | None


@press("svcb")
@dataclass(frozen=True)
class CalledBack(Press):
    """ "Called back" under a low-score alert: someone phoned the customer."""

    application_id: int


# -- who holds an application: relayed messages, holder changes, alerts to staff ------------


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


class HolderChange(StrEnum):
    ATTACH_PROJECT = "attach_pm"  # a project manager joins
    REASSIGN = "reassign"  # an overseer is offered whom to give it to


@press("mg")
@dataclass(frozen=True)
class ManagePress(Press):
    """A card's button changing who holds ``application_id`` as of ``version``."""

    change: HolderChange
    application_id: int
    version: int


class HeldAs(StrEnum):
    """The holder's part, short: a button has 64 bytes for everything."""

    CUSTOMER_MANAGER = "cm"
    PROJECT_MANAGER = "pm"

    @property
    def role(self) -> Role:
        return Role.CUSTOMER_MANAGER if self is HeldAs.CUSTOMER_MANAGER else Role.PROJECT_MANAGER

    @classmethod
    def of(cls, role: Role) -> HeldAs:
        return cls.CUSTOMER_MANAGER if role is Role.CUSTOMER_MANAGER else cls.PROJECT_MANAGER


@press("mgto")
@dataclass(frozen=True)
class HandOverPress(Press):
    """The overseer's choice: ``application_id`` (as of ``version``) goes, ``held_as``
    customer or project manager, to the member ``user_id``."""

    application_id: int
    version: int
    held_as: HeldAs
    user_id: int


OPEN_BUTTONS_SHOWN = 10  # one per application; a longer list is read from the text and /queue


def open_cards_markup(applications: Sequence[Application]) -> InlineKeyboardMarkup | None:
    """A button per application (by its number), two a row, the first few only."""
    if not applications:
        return None
    buttons = [
        InlineKeyboardButton(a.number, callback_data=card_data(a.id))
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
