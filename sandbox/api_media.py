"""Bot API methods for files: sending documents and photos, and getFile for downloads."""

from __future__ import annotations

from typing import Any

from sandbox.api_common import (
    Handler,
    apply_caption,
    formatted_caption,
    new_bot_message,
    publish,
    reply_markup,
    reply_target,
)
from sandbox.errors import ApiError, bad_request
from sandbox.files import MAX_DOWNLOAD_BYTES, MAX_UPLOAD_BYTES, StoredFile
from sandbox.params import Params, UploadedFile
from sandbox.state import SandboxState


def _existing_file(state: SandboxState, file_id: str, kind: str) -> StoredFile:
    stored = state.files.get(file_id)
    if stored is None:
        if file_id.startswith(("http://", "https://")):
            # The sandbox has no network to fetch from, unlike Telegram.
            raise bad_request("failed to get HTTP URL content")
        raise bad_request("wrong file identifier/HTTP URL specified")
    if stored.kind != kind:
        raise bad_request("type of file mismatch")
    return stored


def _checked_upload(upload: UploadedFile) -> bytes:
    if not upload.data:
        raise bad_request("file must be non-empty")
    if len(upload.data) > MAX_UPLOAD_BYTES:
        raise ApiError(413, "Request Entity Too Large")
    return upload.data


async def send_document(state: SandboxState, params: Params) -> dict[str, Any]:
    chat = state.chat_for_bot(params.chat_id())
    source = params.file("document")
    if source is None:
        raise bad_request("there is no document in the request")
    caption = formatted_caption(state, params)
    markup = reply_markup(params)
    reply_to = reply_target(chat, params)
    if isinstance(source, UploadedFile):
        stored = state.files.add(
            "document",
            _checked_upload(source),
            file_name=source.filename,
            mime_type=source.content_type or "application/octet-stream",
        )
    else:
        stored = _existing_file(state, source, "document")
    message = new_bot_message(state, chat, method="sendDocument", markup=markup, reply_to=reply_to)
    message.document = stored.document()
    apply_caption(message, caption)
    return publish(state, chat, message)


async def send_photo(state: SandboxState, params: Params) -> dict[str, Any]:
    chat = state.chat_for_bot(params.chat_id())
    source = params.file("photo")
    if source is None:
        raise bad_request("there is no photo in the request")
    caption = formatted_caption(state, params)
    markup = reply_markup(params)
    reply_to = reply_target(chat, params)
    if isinstance(source, UploadedFile):
        sizes = state.files.add_photo(_checked_upload(source))
    else:
        sizes = [_existing_file(state, source, "photo")]
    message = new_bot_message(state, chat, method="sendPhoto", markup=markup, reply_to=reply_to)
    message.photo = [size.photo_size() for size in sizes]
    apply_caption(message, caption)
    return publish(state, chat, message)


async def get_file(state: SandboxState, params: Params) -> dict[str, Any]:
    file_id = params.string("file_id", missing="file_id is empty") or ""
    stored = state.files.get(file_id)
    if stored is None:
        raise bad_request("invalid file_id")
    if stored.size > MAX_DOWNLOAD_BYTES:
        raise bad_request("file is too big")
    return stored.file_info()


HANDLERS: dict[str, Handler] = {
    "sendDocument": send_document,
    "sendPhoto": send_photo,
    "getFile": get_file,
}
