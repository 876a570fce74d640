"""Buttons only the workflow's own handlers make and read: the staff card's keyboard, its
documents button, the answer to "energized before the scheduled day?" and "all files
sent" for an action's documents.

The buttons that also travel in notices and reminders (a stage action, opening the card)
are in :mod:`notifications.buttons`; writing to the customer is the relay's
(:class:`flows.relay.WritePress`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from flows.files import FilesDone
from flows.keyboards import button, rows
from flows.relay import WritePress
from notifications.buttons import HolderChange, ManagePress, OpenCardPress, stage_action_button
from notifications.callback_data import Press, press
from notifications.render import Texts
from process.workflow import Action
from storage.models import Application


@press("docs")
@dataclass(frozen=True)
class DocumentsPress(Press):
    """Send me the application's documents again."""

    application_id: int


class Early(StrEnum):
    """The answer to "energized before the scheduled day?"."""

    YES = "yes"  # switched on today: record today
    NO = "no"  # a slip of the finger: keep the plan


@press("wfe")
@dataclass(frozen=True)
class EarlyEnergizedPress(Press):
    answer: Early
    application_id: int
    version: int


@press("wfdone")
@dataclass(frozen=True)
class StageFilesDone(FilesDone):
    """All the files a stage action needs are sent."""


def staff_actions_markup(
    texts: Texts,
    locale: str,
    app: Application,
    actions: Sequence[Action],
    *,
    can_attach_project: bool,
    can_reassign: bool,
    can_write_to_customer: bool,
    document_count: int,
) -> InlineKeyboardMarkup:
    buttons = [
        stage_action_button(texts.label(locale, f"act.{a.name}"), a.name, app) for a in actions
    ]
    extra: list[InlineKeyboardButton] = []
    if document_count:
        extra.append(button(texts.label(locale, "btn.documents"), DocumentsPress(app.id).encode()))
    # The relay's press (flows/relay.py answers it as it does a reply).
    if can_write_to_customer:
        extra.append(button(texts.label(locale, "btn.write_customer"), WritePress(app.id).encode()))
    # The management flow's presses (that flow reads this shape).
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
    extra.append(button(texts.label(locale, "btn.refresh"), OpenCardPress(app.id).encode()))
    return InlineKeyboardMarkup([*rows(buttons, 1), *rows(extra, 2)])


def early_markup(texts: Texts, locale: str, app: Application, version: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                button(
                    texts.label(locale, f"btn.energized_{label}"),
                    EarlyEnergizedPress(answer, app.id, version).encode(),
                )
            ]
            for answer, label in ((Early.YES, "early"), (Early.NO, "keep"))
        ]
    )
