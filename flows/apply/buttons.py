"""Buttons only the application form makes and reads: resume or restart, a choice, the
phone already known, a document step's next / later / clear, and the summary's edits and
Submit.

Each press names the question, document or summary revision it was shown with, so a press
from another step or an older message is answered as stale (or out of date) instead of
being obeyed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from telegram import InlineKeyboardMarkup

from flows.keyboards import button, choice_label, rows
from notifications.callback_data import Press, press
from notifications.render import Texts
from process.form import FIELDS, FormField


class Resume(StrEnum):
    """The answer to "go on with your draft, or start again?"."""

    RESUME = "resume"
    RESTART = "restart"


@press("apres")
@dataclass(frozen=True)
class ResumePress(Press):
    choice: Resume


@press("apc")
@dataclass(frozen=True)
class ChoicePress(Press):
    """The ``index``-th choice of the choice field ``field``."""

    field: str
    index: int


@press("apph")
@dataclass(frozen=True)
class UsePhonePress(Press):
    """Answer the mobile question with the phone the customer shared earlier."""


class DocumentAction(StrEnum):
    NEXT = "next"  # the files of this document are all sent
    LATER = "later"  # promised for after submission (a document that is not essential)
    CLEAR = "clear"  # the files sent so far are dropped, to send them again


@press("apdoc")
@dataclass(frozen=True)
class DocumentPress(Press):
    """``action`` on document ``kind`` as shown with ``shown`` (its first file, or "0")."""

    action: DocumentAction
    kind: str
    shown: str


class SummaryAction(StrEnum):
    EDIT = "edit"  # target: a field's name
    EDIT_DOCUMENT = "editdoc"  # target: a document's kind
    SUBMIT = "submit"  # target: the revision of the draft the summary showed


@press("apsum")
@dataclass(frozen=True)
class SummaryPress(Press):
    action: SummaryAction
    target: str


def resume_choice(texts: Texts, locale: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                button(texts.label(locale, "btn.resume"), ResumePress(Resume.RESUME).encode()),
                button(texts.label(locale, "btn.restart"), ResumePress(Resume.RESTART).encode()),
            ]
        ]
    )


def field_choices(
    texts: Texts, locale: str, field: FormField, choices: Sequence[str]
) -> InlineKeyboardMarkup:
    """Buttons for a choice field; the press carries the choice's index."""
    buttons = [
        button(choice_label(texts, locale, field.name, value), ChoicePress(field.name, i).encode())
        for i, value in enumerate(choices)
    ]
    width = 3 if len(buttons) > 4 else 2
    return InlineKeyboardMarkup(rows(buttons, width))


def use_phone(texts: Texts, locale: str, phone: str) -> InlineKeyboardMarkup:
    label = texts.label(locale, "btn.use_phone", phone=phone)
    return InlineKeyboardMarkup([[button(label, UsePhonePress().encode())]])


def document_step(
    texts: Texts, locale: str, kind: str, shown: str, *, essential: bool
) -> InlineKeyboardMarkup | None:
    """ "Next" and "Clear" once files came (``shown`` names them), or "Provide later"
    before any for a document that may come after submission."""
    row = []
    if shown != "0":
        for action, label in (
            (DocumentAction.NEXT, "btn.next"),
            (DocumentAction.CLEAR, "btn.clear"),
        ):
            row.append(
                button(texts.label(locale, label), DocumentPress(action, kind, shown).encode())
            )
    elif not essential:
        later = DocumentPress(DocumentAction.LATER, kind, "0").encode()
        row.append(button(texts.label(locale, "btn.later"), later))
    return InlineKeyboardMarkup([row]) if row else None


def summary_actions(
    texts: Texts, locale: str, document_kinds: Sequence[str], revision: str
) -> InlineKeyboardMarkup:
    """Edit buttons for every item, and Submit bound to the ``revision`` the summary shows."""
    edit_fields = [
        button(
            texts.label(locale, "btn.edit", name=texts.label(locale, f"field.{f.name}")),
            SummaryPress(SummaryAction.EDIT, f.name).encode(),
        )
        for f in FIELDS
    ]
    edit_docs = [
        button(
            texts.label(locale, "btn.edit", name=texts.label(locale, f"doc.{kind}")),
            SummaryPress(SummaryAction.EDIT_DOCUMENT, kind).encode(),
        )
        for kind in document_kinds
    ]
    submit = SummaryPress(SummaryAction.SUBMIT, revision).encode()
    return InlineKeyboardMarkup(
        [
            *rows(edit_fields, 2),
            *rows(edit_docs, 2),
            [button(texts.label(locale, "btn.submit"), submit)],
        ]
    )
