"""Handlers for the document steps: files in, pages counted, "next", "provide later".

A document may have several pages, so a step stays open until the customer presses "next".
Files are checked here, where they enter: a photo or a PDF, no larger than Telegram lets a
bot download, not empty, and a document's first bytes what its type says (a photo is always
an image: Telegram re-encodes it).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from telegram import Bot, Document, Message, Update
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from flows.apply.fields import ANSWER, stale_button
from flows.apply.steps import (
    SUMMARY,
    advance,
    ask_document,
    document_buttons,
    first_file_of,
    show_summary,
)
from flows.common import answer_button, current_user, drop_buttons, say
from flows.deps import services
from process.form import ACCEPTED_MIME_TYPES, DOCUMENTS_BY_KIND
from process.validators import FILE_EMPTY, file_problem
from storage.models import DocumentInput

FILE = filters.Document.ALL | filters.PHOTO
# "ap:next:business_licence:42": the action, the step, and the first of the files it showed.
_DOCUMENT_BUTTON = re.compile(
    r"ap:(?P<action>next|later|clear):(?P<kind>[a-z_]+):(?P<shown>[0-9a-f]{1,10})"
)
FILE_UNCHECKED = "unchecked"  # the download failed: the customer is asked to send it again
HEAD_BYTES = 16  # enough for every signature checked
log = logging.getLogger("hvconnect.files")


def document_handlers(kind: str, *, editing: bool) -> list[BaseHandler[Update, Any, Any]]:
    """The handlers active while document ``kind`` is being asked for."""
    spec = DOCUMENTS_BY_KIND[kind]

    async def on_file(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        svc = services(context)
        message = update.effective_message
        assert message is not None
        user = await current_user(update, context)
        doc, problem = await received_file(
            message, kind, svc.settings.max_document_bytes, context.bot
        )
        if doc is None:
            await say(
                update,
                context,
                "apply/document_rejected",
                reason=problem,
                max_mb=svc.settings.max_document_bytes // (1024 * 1024),
            )
            return
        now = svc.clock.now()
        draft = await svc.drafts.add_file(user.user_id, doc, now)
        count = sum(1 for d in draft.documents if d.kind == kind)
        await say(
            update,
            context,
            "apply/document_received",
            reply_markup=document_buttons(svc, user.locale, kind, draft),
            kind=kind,
            count=count,
        )

    async def current(update: Update, context: ContextTypes.DEFAULT_TYPE, action: str) -> Any:
        """The draft when the pressed button belongs to this step and to its current files;
        otherwise the press is answered (stale, or out of date with the step asked again)
        and None is returned."""
        query = update.callback_query
        assert query is not None
        svc = services(context)
        user = await current_user(update, context)
        pressed = _DOCUMENT_BUTTON.fullmatch(query.data or "")
        if pressed is None or pressed["action"] != action or pressed["kind"] != kind:
            await stale_button(update, context)
            return None
        draft = await svc.drafts.get(user.user_id)
        if draft is None or first_file_of(draft, kind) != pressed["shown"]:
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
        draft = await current(update, context, "next")
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
        if await current(update, context, "later") is None:
            return None
        svc = services(context)
        user = await current_user(update, context)
        await answer_button(query)
        await drop_buttons(query)
        now = svc.clock.now()
        await svc.drafts.remove_documents(user.user_id, kind, now)
        draft = await svc.drafts.set_deferred(user.user_id, kind, True, now)
        await say(update, context, "apply/deferred_noted", kind=kind)
        return await _after(update, context, draft)

    async def on_clear(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        if await current(update, context, "clear") is None:
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

    async def on_other(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        svc = services(context)
        user = await current_user(update, context)
        draft = await svc.drafts.get(user.user_id)
        count = sum(1 for d in draft.documents if d.kind == kind) if draft else 0
        await say(
            update,
            context,
            "apply/expect_document",
            reply_markup=document_buttons(svc, user.locale, kind, draft),
            kind=kind,
            essential=spec.essential,
            count=count,
        )

    async def _after(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: Any) -> str:
        if editing:
            await show_summary(update, context, draft)
            return SUMMARY
        return await advance(update, context, draft)

    return [
        MessageHandler(ANSWER & FILE, on_file),
        CallbackQueryHandler(on_next, pattern=r"^ap:next:"),
        CallbackQueryHandler(on_later, pattern=r"^ap:later:"),
        CallbackQueryHandler(on_clear, pattern=r"^ap:clear:"),
        MessageHandler(ANSWER, on_other),
        CallbackQueryHandler(stale_button),
    ]


async def received_file(
    message: Message, kind: str, max_bytes: int, bot: Bot
) -> tuple[DocumentInput | None, str]:
    """:func:`file_of`, and a document's content checked against what it claims to be."""
    doc, problem = file_of(message, kind, max_bytes)
    if doc is None or message.document is None:
        return doc, problem
    problem = await content_problem(bot, message.document)
    return (None, problem) if problem else (doc, "")


async def content_problem(bot: Bot, document: Document) -> str:
    """Why a sent document's content cannot be accepted ("" if it can): it is empty, or it
    is not the PDF or image its type or name says (:func:`process.validators.file_problem`).

    The file is downloaded here, where it enters, so that what staff later open or export
    has been looked at: the MIME type is only what the sender's app claimed."""
    if document.file_size == 0:
        return FILE_EMPTY
    try:
        data = await (await bot.get_file(document.file_id)).download_as_bytearray()
    except TelegramError:
        log.warning("could not download a document to check it", exc_info=True)
        return FILE_UNCHECKED
    return file_problem(bytes(data[:HEAD_BYTES]), document.mime_type, document.file_name) or ""


def file_of(message: Message, kind: str, max_bytes: int) -> tuple[DocumentInput | None, str]:
    """The file in ``message`` as a document row, or why it cannot be accepted."""
    if message.photo:
        photo = message.photo[-1]  # Telegram lists sizes smallest first
        if (photo.file_size or 0) > max_bytes:
            return None, "too_large"
        return DocumentInput(
            kind=kind,
            file_id=photo.file_id,
            file_unique_id=photo.file_unique_id,
            file_name="photo.jpg",
            mime_type="image/jpeg",
            file_size=photo.file_size,
            sent_as="photo",
        ), ""
    document = message.document
    if document is None:
        return None, "not_a_file"
    mime = (document.mime_type or "").lower()
    name = (document.file_name or "").lower()
    if mime not in ACCEPTED_MIME_TYPES and not name.endswith((".pdf", ".jpg", ".jpeg", ".png")):
        return None, "wrong_type"
    if (document.file_size or 0) > max_bytes:
        return None, "too_large"
    return DocumentInput(
        kind=kind,
        file_id=document.file_id,
        file_unique_id=document.file_unique_id,
        file_name=document.file_name,
        mime_type=document.mime_type,
        file_size=document.file_size,
    ), ""
