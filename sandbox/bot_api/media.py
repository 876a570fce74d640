"""Bot API methods for files: sending documents and photos, and getFile for downloads."""

from __future__ import annotations

from typing import Any

from sandbox.bot_api.common import (
    Formatted,
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


MAX_ALBUM_ITEMS = 10
_ALBUM_KINDS = {"photo": "photo", "document": "document"}


async def send_media_group(state: SandboxState, params: Params) -> list[dict[str, Any]]:
    """An album: photos, or documents, sent as messages that share a ``media_group_id``.

    Refused as Telegram refuses it, and then nothing is sent: no items, more than ten,
    documents mixed with photos, an item without its file, and any item whose file or
    caption sendPhoto or sendDocument would refuse. One item is one plain message. Like
    Telegram, it takes no ``reply_markup`` (an album has no buttons).
    """
    chat = state.chat_for_bot(params.chat_id())
    media = params.json("media", complaint="can't parse media JSON object")
    if media is None or media == []:
        raise bad_request("there are no messages to send")
    if not isinstance(media, list):
        raise bad_request("can't parse media JSON object")
    if len(media) > MAX_ALBUM_ITEMS:
        raise bad_request("too many messages to send as an album")
    kinds = {_album_kind(item) for item in media}
    if "document" in kinds and len(kinds) > 1:
        raise bad_request("document can't be mixed with other media types")
    items = [_album_item(state, params, item) for item in media]
    reply_to = reply_target(chat, params)
    group_id = str(10_000_000_000_000_000 + state.seq) if len(items) > 1 else None
    sent: list[dict[str, Any]] = []
    for kind, stored, caption in items:
        message = new_bot_message(
            state, chat, method="sendMediaGroup", markup=None, reply_to=reply_to
        )
        if kind == "photo":
            message.photo = [size.photo_size() for size in stored]
        else:
            message.document = stored[0].document()
        apply_caption(message, caption)
        if group_id is not None:
            message.extra["media_group_id"] = group_id
        sent.append(publish(state, chat, message))
    return sent


def _album_kind(item: object) -> str:
    if not isinstance(item, dict):
        raise bad_request("can't parse InputMedia JSON object")
    kind = _ALBUM_KINDS.get(str(item.get("type")))
    if kind is None:
        raise bad_request("unsupported media type in an album")
    return kind


def _album_item(
    state: SandboxState, params: Params, item: dict[str, Any]
) -> tuple[str, list[StoredFile], Formatted | None]:
    """One InputMedia of an album, its file stored or found and its caption checked."""
    kind = _album_kind(item)
    values = params.nested(item)
    caption = formatted_caption(state, values)
    source = values.file("media")
    if source is None:
        raise bad_request("can't parse InputMedia: media not found")
    if isinstance(source, UploadedFile):
        data = _checked_upload(source)
        if kind == "photo":
            return kind, state.files.add_photo(data), caption
        stored = state.files.add(
            "document",
            data,
            file_name=source.filename,
            mime_type=source.content_type or "application/octet-stream",
        )
        return kind, [stored], caption
    return kind, [_existing_file(state, source, kind)], caption


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
    "sendMediaGroup": send_media_group,
    "getFile": get_file,
}
