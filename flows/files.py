"""Files in, until the customer or the member says they are all sent.

A document may have several pages, so the chat collects files one message at a time: a
photo or a PDF, no larger than Telegram lets a bot download, not empty, and a document's
first bytes what its type says (a photo is always an image: Telegram re-encodes it). Files
are checked here, where they enter, and each accepted one is counted back to the sender.

The application form keeps its files in the draft and moves on with its own "next" button
(:mod:`flows.apply.documents`); an owed document and a stage action's documents keep theirs
with the pending input (so a restart loses none) and end with an "all files sent" button
(:class:`PendingFiles`). What is done with the files at the end is each conversation's own.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from telegram import Bot, CallbackQuery, Document, InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from flows import keyboards
from flows.common import ANSWER, answer_button, current_user, say
from flows.deps import Services, services
from notifications.callback_data import Press, pattern
from process.form import ACCEPTED_MIME_TYPES
from process.validators import FILE_EMPTY, file_problem
from storage.models import DocumentInput, User
from storage.workflow import PendingInput

FILE = filters.Document.ALL | filters.PHOTO
FILE_UNCHECKED = "unchecked"  # the download failed: the sender is asked to send it again
HEAD_BYTES = 16  # enough for every signature checked
log = logging.getLogger("hvconnect.files")
Handlers = list[BaseHandler[Update, Any, Any]]
T = TypeVar("T")


class FilesDone(Press):
    """Base of the "all files sent" presses: each collecting conversation has its own kind,
    so a button from one is never taken for the other's."""


class FileCollector(ABC, Generic[T]):
    """One file message: checked, then kept by the conversation (:meth:`keep`) in what it
    collects into (``T``: the draft, the pending input), or refused with the reason; anything
    else sent meanwhile is the conversation's to answer."""

    async def on_file(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> object:
        svc = services(context)
        user = await current_user(update, context)
        message = update.effective_message
        collecting = await self.collecting(svc, user)
        if collecting is None or message is None:
            return await self.not_collecting(update, context)
        kind, into = collecting
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
            return None
        await self.keep(update, context, svc, user, into, doc)
        return None

    def handlers(self, *buttons: BaseHandler[Update, Any, Any]) -> Handlers:
        """Files, then the conversation's ``buttons``, then anything else sent."""
        return [
            MessageHandler(ANSWER & FILE, self.on_file),
            *buttons,
            MessageHandler(ANSWER, self.other),
        ]

    @abstractmethod
    async def collecting(self, svc: Services, user: User) -> tuple[str, T] | None:
        """The kind the files are collected as and what they go into, or None when nothing
        is being collected."""

    @abstractmethod
    async def keep(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        svc: Services,
        user: User,
        into: T,
        doc: DocumentInput,
    ) -> None:
        """Store an accepted file and tell the sender how many there are."""

    @abstractmethod
    async def other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> object:
        """Text, a sticker, a contact… while files are awaited."""

    async def not_collecting(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> object:
        """A file when nothing is collected any more (given up in another flow)."""
        return None


class PendingFiles(FileCollector[PendingInput]):
    """Files kept with the user's pending input, ended by an "all files sent" press.

    Each accepted file is acknowledged with the count and the button; the press hands the
    files to :meth:`finish` (the conversation's own service), or asks for a file first.
    """

    done: type[FilesDone]

    def handlers(self, *buttons: BaseHandler[Update, Any, Any]) -> Handlers:
        done = CallbackQueryHandler(self.on_done, pattern=pattern(self.done))
        return super().handlers(done, *buttons)

    @abstractmethod
    def owns(self, pending: PendingInput) -> bool:
        """Whether the pending input is this conversation's (another flow may have taken over)."""

    @abstractmethod
    async def finish(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        pending: PendingInput,
        files: Sequence[DocumentInput],
    ) -> object:
        """Hand the files in; answers the press, returns the conversation's next state."""

    async def gone(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, query: CallbackQuery
    ) -> object:
        """The press when nothing of ours is pending: asked for a file, as for none sent."""
        svc = services(context)
        user = await current_user(update, context)
        await answer_button(query, svc.texts.label(user.locale, "toast.send_file_first"))
        return None

    async def pending(self, svc: Services, user: User) -> PendingInput | None:
        pending = await svc.workflow.pending(user.user_id)
        return pending if pending is not None and self.owns(pending) else None

    async def collecting(self, svc: Services, user: User) -> tuple[str, PendingInput] | None:
        pending = await self.pending(svc, user)
        return None if pending is None else (pending.action, pending)

    async def keep(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        svc: Services,
        user: User,
        into: PendingInput,
        doc: DocumentInput,
    ) -> None:
        files = [*into.data.get("files", []), _as_data(doc)]
        await svc.workflow.update_pending_data(user.user_id, {"files": files})
        await say(
            update,
            context,
            "wf/file_received",
            count=len(files),
            reply_markup=self.done_markup(svc, user.locale),
        )

    async def on_done(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> object:
        query = update.callback_query
        assert query is not None
        svc = services(context)
        user = await current_user(update, context)
        pending = await self.pending(svc, user)
        if pending is None:
            return await self.gone(update, context, query)
        files = files_of(pending)
        if not files:
            await answer_button(query, svc.texts.label(user.locale, "toast.send_file_first"))
            return None
        return await self.finish(update, context, pending, files)

    def done_markup(self, svc: Services, locale: str) -> InlineKeyboardMarkup:
        label = svc.texts.label(locale, "btn.files_done")
        return keyboards.inline([keyboards.button(label, self.done().encode())])


def files_of(pending: PendingInput, kind: str | None = None) -> list[DocumentInput]:
    """The files collected with ``pending``, as documents of ``kind`` (default: as sent)."""
    return [
        DocumentInput(**{"kind": pending.action, **f, **({"kind": kind} if kind else {})})
        for f in pending.data.get("files", [])
    ]


def _as_data(doc: DocumentInput) -> dict[str, Any]:
    """A file as kept in the pending input's data (JSON)."""
    return {
        "kind": doc.kind,
        "file_id": doc.file_id,
        "file_unique_id": doc.file_unique_id,
        "file_name": doc.file_name,
        "mime_type": doc.mime_type,
        "file_size": doc.file_size,
        "sent_as": doc.sent_as,
    }


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
