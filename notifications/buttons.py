"""The buttons that travel in messages the outbox sends: notices, alerts and reminders.

Such a message is written by a service or a sweep, which knows nothing of the chat's
handlers, and pressed later in a chat the bot may long have restarted in. So the kinds of
press these buttons carry (:mod:`notifications.callback_data`) and the keyboards made of
them live here, below the services, and the handlers decode the same classes. Each feature
keeps its presses in a section of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo
from enum import StrEnum

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from notifications.callback_data import Press, press
from notifications.filters import format_moment
from notifications.render import Texts
from process.form import OwedDocument
from process.metrics import Question
from process.roles import Role
from process.workflow import Act, Actor, Step, available
from storage.models import Application
from storage.slots import SurveySlot

# -- the workflow: stage actions and the staff card -----------------------------------------


@press("wf")
@dataclass(frozen=True)
class StageActionPress(Press):
    """A stage action on one application, as it stood at ``version``: an old message cannot
    act twice. ``slot_id`` names the survey time a customer picks."""

    action: Act
    application_id: int
    version: int
    slot_id: int | None = None


@press("card")
@dataclass(frozen=True)
class OpenCardPress(Press):
    """Open (or refresh) the staff card of an application."""

    application_id: int


def stage_action_button(
    label: str, action: Act, app: Application, slot_id: int | None = None
) -> InlineKeyboardButton:
    data = StageActionPress(action, app.id, app.version, slot_id).encode()
    return InlineKeyboardButton(label, callback_data=data)


def customer_actions_markup(
    texts: Texts,
    locale: str,
    app: Application,
    slots: Sequence[SurveySlot] = (),
    tz: tzinfo | None = None,
    owed_documents: Sequence[OwedDocument] = (),
) -> InlineKeyboardMarkup:
    """The customer's buttons for the step the application is in (slots when choosing),
    and one for each document still owed under the commitment rule."""
    buttons: list[InlineKeyboardButton] = [
        InlineKeyboardButton(
            texts.label(locale, "btn.send_owed", name=texts.label(locale, f"doc.{kind}"))[:60],
            callback_data=SendOwed(app.id, kind).encode(),
        )
        for kind in owed_documents
    ]
    for action in available(Step(app.step), frozenset({Actor.CUSTOMER})):
        if action.name is Act.PICK_SLOT:
            buttons.extend(
                stage_action_button(
                    format_moment(s.starts_at, tz, locale), Act.PICK_SLOT, app, s.id
                )
                for s in slots
            )
            continue
        buttons.append(
            stage_action_button(texts.label(locale, f"act.{action.name}"), action.name, app)
        )
    # The relay's own press (flows/relay.py answers it).
    buttons.append(
        InlineKeyboardButton(
            texts.label(locale, "btn.contact"), callback_data=ContactPress(app.id).encode()
        )
    )
    return InlineKeyboardMarkup([[b] for b in buttons])


def open_card_button(texts: Texts, locale: str, app: Application) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        texts.label(locale, "btn.open_card"), callback_data=OpenCardPress(app.id).encode()
    )


def open_card_markup(texts: Texts, locale: str, app: Application) -> InlineKeyboardMarkup:
    """What a notice to staff carries: the way to the application's card."""
    return InlineKeyboardMarkup([[open_card_button(texts, locale, app)]])


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
        InlineKeyboardButton(a.number, callback_data=OpenCardPress(a.id).encode())
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
