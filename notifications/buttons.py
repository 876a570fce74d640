"""The presses of buttons that travel on messages the outbox sends.

A reminder or an alert is queued by a sweep or a service, far from the handler that will
answer its button, so the press it carries is defined here, below both: the sender of the
message encodes it, the handler decodes it (:mod:`notifications.callback_data`). Each
feature keeps its presses in a section of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from notifications.callback_data import Press, press
from notifications.render import Texts
from process.form import OwedDocument
from process.metrics import Question
from storage.models import Application

# -- opening an application's card (staff) --------------------------------------------------


def open_card_markup(texts: Texts, locale: str, app: Application) -> InlineKeyboardMarkup:
    """The one button under a message to staff about an application: its card."""
    label = texts.label(locale, "btn.open_card")
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=f"card:{app.id}")]])


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
