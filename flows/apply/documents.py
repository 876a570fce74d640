"""Handlers for the document steps: files in, pages counted, "next", "provide later".

A document may have several pages, so a step stays open until the customer presses "next".
The files are checked as they enter (:mod:`flows.files`) and kept in the draft.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, ContextTypes

from flows.apply.buttons import DocumentAction, DocumentPress
from flows.apply.fields import stale_button
from flows.apply.steps import (
    SUMMARY,
    advance,
    ask_document,
    document_buttons,
    first_file_of,
    saving,
    show_summary,
    then_summary,
    then_where_next,
)
from flows.common import answer_button, current_user, drop_buttons, say
from flows.deps import Services, services
from flows.files import FileCollector
from notifications.callback_data import decode_as, pattern
from process.form import DOCUMENTS_BY_KIND
from storage.models import DocumentInput, User


class DraftFiles(FileCollector[None]):
    """The files of document ``kind``, added to the customer's draft page by page."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    async def collecting(self, svc: Services, user: User) -> tuple[str, None]:
        return self.kind, None  # the draft is found (or started) as the file is added

    async def keep(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        svc: Services,
        user: User,
        into: None,
        doc: DocumentInput,
    ) -> None:
        draft = await svc.drafts.add_file(user.user_id, doc, svc.clock.now())
        count = sum(1 for d in draft.documents if d.kind == self.kind)
        await say(
            update,
            context,
            "apply/document_received",
            reply_markup=document_buttons(svc, user.locale, self.kind, draft),
            kind=self.kind,
            count=count,
        )

    async def other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        svc = services(context)
        user = await current_user(update, context)
        draft = await svc.drafts.get(user.user_id)
        count = sum(1 for d in draft.documents if d.kind == self.kind) if draft else 0
        await say(
            update,
            context,
            "apply/expect_document",
            reply_markup=document_buttons(svc, user.locale, self.kind, draft),
            kind=self.kind,
            essential=DOCUMENTS_BY_KIND[self.kind].essential,
            count=count,
        )


def document_handlers(kind: str, *, editing: bool) -> list[BaseHandler[Update, Any, Any]]:
    """The handlers active while document ``kind`` is being asked for."""
    spec = DOCUMENTS_BY_KIND[kind]

    async def current(
        update: Update, context: ContextTypes.DEFAULT_TYPE, action: DocumentAction
    ) -> Any:
        """The draft when the pressed button belongs to this step and to its current files;
        otherwise the press is answered (stale, or out of date with the step asked again)
        and None is returned."""
        query = update.callback_query
        assert query is not None
        svc = services(context)
        user = await current_user(update, context)
        pressed = decode_as(query.data, DocumentPress)
        if pressed is None or pressed.action is not action or pressed.kind != kind:
            await stale_button(update, context)
            return None
        draft = await svc.drafts.get(user.user_id)
        if draft is None or first_file_of(draft, kind) != pressed.shown:
            await answer_button(
                query, svc.texts.label(user.locale, "toast.files_outdated"), alert=True
            )
            await drop_buttons(query)
            draft = draft or await svc.drafts.start(user.user_id, svc.clock.now())
            await ask_document(update, context, kind, draft, editing=editing)
            return None
        return draft

    async def on_next(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | None:
        query = update.callback_query
        assert query is not None
        draft = await current(update, context, DocumentAction.NEXT)
        if draft is None:
            return None
        if not any(d.kind == kind for d in draft.documents):
            await stale_button(update, context)  # "next" is only shown once files came
            return None
        await answer_button(query)
        await drop_buttons(query)
        return await _after(update, context, draft)

    async def on_later(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | None:
        query = update.callback_query
        assert query is not None
        if spec.essential:
            await stale_button(update, context)
            return None
        if await current(update, context, DocumentAction.LATER) is None:
            return None
        svc = services(context)
        user = await current_user(update, context)
        await answer_button(query)
        await drop_buttons(query)
        with saving(update, context, then_summary if editing else then_where_next):
            draft = await svc.drafts.defer(user.user_id, kind, svc.clock.now())
        await say(update, context, "apply/deferred_noted", kind=kind)
        return await _after(update, context, draft)

    async def on_clear(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        if await current(update, context, DocumentAction.CLEAR) is None:
            return
        svc = services(context)
        user = await current_user(update, context)
        await answer_button(query)
        await drop_buttons(query)
        await svc.drafts.remove_documents(user.user_id, kind, svc.clock.now())
        draft = await svc.drafts.get(user.user_id) or await svc.drafts.start(
            user.user_id, svc.clock.now()
        )
        await ask_document(update, context, kind, draft, editing=editing)

    async def _after(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: Any) -> str:
        if editing:
            await show_summary(update, context, draft)
            return SUMMARY
        return await advance(update, context, draft)

    return [
        *DraftFiles(kind).handlers(
            CallbackQueryHandler(on_next, pattern=_doing(DocumentAction.NEXT)),
            CallbackQueryHandler(on_later, pattern=_doing(DocumentAction.LATER)),
            CallbackQueryHandler(on_clear, pattern=_doing(DocumentAction.CLEAR)),
        ),
        CallbackQueryHandler(stale_button),
    ]


def _doing(action: DocumentAction) -> Callable[[object], bool]:
    """The pattern of a document step's ``action`` button."""
    return pattern(DocumentPress, lambda pressed: pressed.action is action)
