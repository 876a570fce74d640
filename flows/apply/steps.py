"""Where the application form goes next, and how each step is put to the customer.

The draft in the database is the truth about what was answered; the conversation state only
says which question is on the screen. ``advance`` derives the next question from the draft,
so a restart, a resumed draft and an edit from the summary all land on the right step.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from flows import keyboards
from flows.apply import buttons
from flows.common import current_user, say
from flows.deps import Services, services
from process.form import (
    DOCUMENTS,
    DOCUMENTS_BY_KIND,
    FIELDS,
    FieldKind,
    FormField,
    next_missing_document,
    next_missing_field,
)
from process.workflow_inputs import examples
from storage.models import Draft
from storage.persistence import staged

CONVERSATION_NAME = "apply"
SUMMARY = "summary"
RESUME = "resume"


def field_state(name: str, editing: bool) -> str:
    return f"{'edit' if editing else 'field'}:{name}"


def document_state(kind: str, editing: bool) -> str:
    return f"{'editdoc' if editing else 'doc'}:{kind}"


def choices_for(field: FormField, svc: Services) -> tuple[str, ...]:
    return svc.settings.districts if field.name == "district" else field.choices


def provided_kinds(draft: Draft) -> frozenset[str]:
    return frozenset(d.kind for d in draft.documents)


def draft_revision(draft: Draft) -> str:
    """A short fingerprint of everything a summary shows: answers, files and promises.

    Submit carries it, so a press on an older summary is recognised by what it showed,
    not by when it was sent: the customer submits exactly the draft they checked.
    """
    return _short_hash(
        {
            "fields": draft.fields,
            "deferred": sorted(draft.deferred),
            "documents": [[d.id, d.file_unique_id or d.file_id] for d in draft.documents],
        }
    )


def first_file_of(draft: Draft | None, kind: str) -> str:
    """A short mark of the first file of ``kind`` ("0" for none): which set of files a
    document step's message belongs to. More pages keep it; clearing the step or starting a
    new draft changes it. Row ids alone would not do: SQLite hands a cleared id out again.
    """
    files = [d for d in draft.documents if d.kind == kind] if draft else []
    if not files:
        return "0"
    first = min(files, key=lambda d: d.id)
    return _short_hash([first.id, first.file_unique_id or first.file_id, str(first.uploaded_at)])


def _short_hash(content: object) -> str:
    text = json.dumps(content, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def where_next(draft: Draft) -> str:
    """The state :func:`advance` leads to from ``draft``: the first unanswered question, the
    first document neither given nor promised, or the summary."""
    field = next_missing_field(draft.fields)
    if field is not None:
        return field_state(field.name, editing=False)
    spec = next_missing_document(provided_kinds(draft), draft.deferred)
    if spec is not None:
        return document_state(spec.kind, editing=False)
    return SUMMARY


def then_where_next(produced: object) -> str | None:
    """For :func:`saving`: the state after a write that produced the draft, if it did."""
    return where_next(produced) if isinstance(produced, Draft) else None


def then_summary(produced: object) -> str:
    """For :func:`saving` while editing from the summary: it is shown again after the save."""
    return SUMMARY


def saving(
    update: Update, context: ContextTypes.DEFAULT_TYPE, state_of: Callable[[object], str | None]
) -> AbstractContextManager[None]:
    """Around the one call that saves a step: the form's next state commits with it.

    ``state_of`` gets what the save produced (the draft) and names the state the handler
    will return after it, so the answer and the question then on the screen are on disk
    together (storage.units); the handler must return exactly that state.
    """
    return staged(context, update, CONVERSATION_NAME, state_of)


async def advance(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: Draft) -> str:
    """Ask the first unanswered question, or show the summary when all are answered."""
    field = next_missing_field(draft.fields)
    if field is not None:
        await ask_field(update, context, field, editing=False)
        return field_state(field.name, editing=False)
    spec = next_missing_document(provided_kinds(draft), draft.deferred)
    if spec is not None:
        await ask_document(update, context, spec.kind, draft, editing=False)
        return document_state(spec.kind, editing=False)
    await show_summary(update, context, draft)
    return SUMMARY


async def ask_field(
    update: Update, context: ContextTypes.DEFAULT_TYPE, field: FormField, *, editing: bool
) -> None:
    svc = services(context)
    user = await current_user(update, context)
    locale = user.locale
    markup: InlineKeyboardMarkup | None = None
    if field.kind is FieldKind.CHOICE:
        markup = buttons.field_choices(svc.texts, locale, field, choices_for(field, svc))
    elif field.kind is FieldKind.MOBILE and user.phone:
        markup = buttons.use_phone(svc.texts, locale, user.phone)
    position = [f.name for f in FIELDS].index(field.name) + 1
    await say(
        update,
        context,
        "apply/ask_field",
        reply_markup=markup,
        field=field.name,
        kind=field.kind.value,
        position=position,
        total=len(FIELDS),
        editing=editing,
        max_mb=svc.settings.max_document_bytes // (1024 * 1024),
        example=(
            examples(svc.clock.now(), svc.settings.tz, svc.calendar).wanted_day
            if field.kind is FieldKind.DATE
            else None
        ),
    )


async def ask_document(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    kind: str,
    draft: Draft,
    *,
    editing: bool,
) -> None:
    svc = services(context)
    locale = await _locale(update, context)
    count = sum(1 for d in draft.documents if d.kind == kind)
    await say(
        update,
        context,
        "apply/ask_document",
        reply_markup=document_buttons(svc, locale, kind, draft),
        kind=kind,
        count=count,
        essential=DOCUMENTS_BY_KIND[kind].essential,
        editing=editing,
        max_mb=svc.settings.max_document_bytes // (1024 * 1024),
    )


def document_buttons(
    svc: Services, locale: str, kind: str, draft: Draft | None
) -> InlineKeyboardMarkup | None:
    """ "Next" and "Clear" for the files received so far, or "Provide later" before any.

    Each button carries the set of files it was shown with (see :func:`first_file_of`), so
    a press on a message from before the step was cleared, or from an earlier draft, is told
    it is out of date instead of moving on with, or clearing, files it never showed.
    """
    return buttons.document_step(
        svc.texts,
        locale,
        kind,
        first_file_of(draft, kind),
        essential=DOCUMENTS_BY_KIND[kind].essential,
    )


async def show_summary(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: Draft) -> None:
    svc = services(context)
    locale = await _locale(update, context)
    await say(
        update,
        context,
        "apply/summary",
        reply_markup=buttons.summary_actions(
            svc.texts, locale, [d.kind for d in DOCUMENTS], draft_revision(draft)
        ),
        fields=display_fields(svc, locale, draft.fields),
        documents=document_status(draft),
    )


def display_fields(svc: Services, locale: str, answers: dict[str, Any]) -> list[tuple[str, str]]:
    """(field, shown value) pairs: choices by their label, the rest as typed."""
    shown = []
    for field in FIELDS:
        value = answers.get(field.name)
        if value is None:
            text = "—"
        elif field.kind is FieldKind.CHOICE:
            text = keyboards.choice_label(svc.texts, locale, field.name, str(value))
        else:
            text = str(value)
        shown.append((field.name, text))
    return shown


def document_status(draft: Draft) -> list[dict[str, Any]]:
    return [
        {
            "kind": spec.kind,
            "count": sum(1 for d in draft.documents if d.kind == spec.kind),
            "later": spec.kind in draft.deferred,
            "essential": spec.essential,
        }
        for spec in DOCUMENTS
    ]


async def _locale(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    return (await current_user(update, context)).locale
