"""Buttons for the workflow: what the customer can do now, and what a staff member can do
from the card. Each names the application's version, so an old message cannot act twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from flows.keyboards import button, rows
from notifications.buttons import (
    ContactPress,
    HolderChange,
    ManagePress,
    SendOwed,
    open_card_markup,
)
from notifications.filters import format_moment
from notifications.render import Texts
from process.form import OwedDocument
from process.workflow import Action, Actor, Step, available
from storage.models import Application
from storage.workflow import SurveySlot


def action_data(action: str, app: Application, slot_id: int | None = None) -> str:
    data = f"wf:{action}:{app.id}:{app.version}"
    return data if slot_id is None else f"{data}:{slot_id}"


def customer_actions_markup(
    texts: Texts,
    locale: str,
    app: Application,
    slots: Sequence[SurveySlot] = (),
    tz: tzinfo | None = None,
    owed_documents: Sequence[OwedDocument] = (),
) -> InlineKeyboardMarkup | None:
    """The customer's buttons for the step the application is in (slots when choosing),
    and one for each document still owed under the commitment rule."""
    buttons: list[InlineKeyboardButton] = [
        button(
            texts.label(locale, "btn.send_owed", name=texts.label(locale, f"doc.{kind}"))[:60],
            SendOwed(app.id, kind).encode(),
        )
        for kind in owed_documents
    ]
    for action in available(Step(app.step), frozenset({Actor.CUSTOMER})):
        if action.name == "pick_slot":
            buttons.extend(
                button(format_moment(s.starts_at, tz, locale), action_data("pick_slot", app, s.id))
                for s in slots
            )
            continue
        buttons.append(
            button(texts.label(locale, f"act.{action.name}"), action_data(action.name, app))
        )
    buttons.append(button(texts.label(locale, "btn.contact"), ContactPress(app.id).encode()))
    return InlineKeyboardMarkup(rows(buttons, 1))


def staff_actions_markup(
    texts: Texts,
    locale: str,
    app: Application,
    actions: Sequence[Action],
    *,
    can_attach_project: bool,
    can_reassign: bool,
    document_count: int,
) -> InlineKeyboardMarkup:
    buttons = [
        button(texts.label(locale, f"act.{a.name}"), action_data(a.name, app)) for a in actions
    ]
    extra: list[InlineKeyboardButton] = []
    if document_count:
        extra.append(button(texts.label(locale, "btn.documents"), f"docs:{app.id}"))
    if can_attach_project:
        extra.append(
            button(
                texts.label(locale, "btn.attach_pm"),
                ManagePress(HolderChange.ATTACH_PROJECT, app.id, app.version).encode(),
            )
        )
    if can_reassign:
        extra.append(
            button(
                texts.label(locale, "btn.reassign"),
                ManagePress(HolderChange.REASSIGN, app.id, app.version).encode(),
            )
        )
    extra.append(button(texts.label(locale, "btn.refresh"), f"card:{app.id}"))
    return InlineKeyboardMarkup([*rows(buttons, 1), *rows(extra, 2)])


__all__ = [
    "action_data",
    "customer_actions_markup",
    "open_card_markup",  # at home in notifications, where messages the outbox sends get theirs
    "staff_actions_markup",
]
