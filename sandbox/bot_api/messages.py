"""Bot API methods that send, edit, copy and delete messages."""

from __future__ import annotations

import copy
from typing import Any

from sandbox.bot_api.common import (
    Handler,
    apply_caption,
    apply_text,
    formatted_caption,
    formatted_text,
    message_reference,
    new_bot_message,
    publish,
    reply_markup,
    reply_target,
)
from sandbox.chats import ChatState
from sandbox.errors import MESSAGE_TO_EDIT_NOT_FOUND, NOT_MODIFIED, bad_request
from sandbox.messages import SentMessage
from sandbox.params import Params
from sandbox.state import SandboxState

CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice",
        "upload_voice", "upload_document", "choose_sticker", "find_location",
        "record_video_note", "upload_video_note",
    }
)  # fmt: skip


async def send_message(state: SandboxState, params: Params) -> dict[str, Any]:
    # Like the real Bot API server, parse the markup before looking at the chat.
    markup = reply_markup(params)
    chat = state.chat_for_bot(params.chat_id())
    text = formatted_text(state, params)
    reply_to = reply_target(chat, params)
    message = new_bot_message(state, chat, method="sendMessage", markup=markup, reply_to=reply_to)
    apply_text(message, text)
    return publish(state, chat, message)


def _message_to_edit(state: SandboxState, params: Params) -> tuple[ChatState, SentMessage]:
    if not params.has("chat_id") and params.has("inline_message_id"):
        raise bad_request(MESSAGE_TO_EDIT_NOT_FOUND)
    chat = state.chat_for_bot(params.chat_id())
    message = chat.find(message_reference(params))
    if message is None:
        raise bad_request(MESSAGE_TO_EDIT_NOT_FOUND)
    if not message.from_bot:
        raise bad_request("message can't be edited")
    return chat, message


def _inline_markup(message: SentMessage) -> dict[str, Any] | None:
    markup = message.reply_markup
    return markup if markup is not None and "inline_keyboard" in markup else None


def _finish_edit(
    state: SandboxState, chat: ChatState, message: SentMessage, method: str
) -> dict[str, Any]:
    message.edit_date = state.now()
    message.record_version(method)
    state.record(chat, "edit", message)
    state.stats.edits += 1
    return message.to_api()


async def edit_message_text(state: SandboxState, params: Params) -> dict[str, Any]:
    markup = reply_markup(params, inline_only=True)
    chat, message = _message_to_edit(state, params)
    if message.text is None:
        raise bad_request("there is no text in the message to edit")
    text = formatted_text(state, params)
    unchanged = (text.text, text.entities, markup) == (
        message.text,
        message.entities,
        _inline_markup(message),
    )
    if unchanged:
        raise bad_request(NOT_MODIFIED)
    apply_text(message, text)
    # Leaving reply_markup out of an edit removes the inline keyboard, as in Telegram.
    if message.reply_markup is None or "inline_keyboard" in message.reply_markup:
        message.reply_markup = markup
    return _finish_edit(state, chat, message, "editMessageText")


async def edit_message_caption(state: SandboxState, params: Params) -> dict[str, Any]:
    markup = reply_markup(params, inline_only=True)
    chat, message = _message_to_edit(state, params)
    if message.document is None and message.photo is None:
        raise bad_request("there is no caption in the message to edit")
    caption = formatted_caption(state, params)
    new_text = caption.text if caption else None
    new_entities = caption.entities if caption else []
    if (new_text, new_entities, markup) == (
        message.caption,
        message.caption_entities,
        _inline_markup(message),
    ):
        raise bad_request(NOT_MODIFIED)
    message.caption = message.caption_html = None
    message.caption_entities = []
    apply_caption(message, caption)
    message.reply_markup = markup
    return _finish_edit(state, chat, message, "editMessageCaption")


async def edit_message_reply_markup(state: SandboxState, params: Params) -> dict[str, Any]:
    markup = reply_markup(params, inline_only=True)
    chat, message = _message_to_edit(state, params)
    if markup == _inline_markup(message):
        raise bad_request(NOT_MODIFIED)
    message.reply_markup = markup
    return _finish_edit(state, chat, message, "editMessageReplyMarkup")


async def delete_message(state: SandboxState, params: Params) -> bool:
    chat = state.chat_for_bot(params.chat_id())
    message = chat.find(message_reference(params))
    if message is None:
        raise bad_request("message to delete not found")
    message.deleted = True
    state.record(chat, "delete", message)
    state.stats.deletions += 1
    return True


async def send_chat_action(state: SandboxState, params: Params) -> bool:
    chat = state.chat_for_bot(params.chat_id())
    action = params.string("action", missing='parameter "action" is required')
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    chat.actions.append(action)
    state.signal.notify()
    return True


def _source(state: SandboxState, params: Params, verb: str) -> SentMessage:
    source_chat = state.chat_for_bot(params.chat_id("from_chat_id"))
    source = source_chat.find(message_reference(params))
    if source is None:
        raise bad_request(f"message to {verb} not found")
    return source


def _copy_content(source: SentMessage, target: SentMessage) -> None:
    target.text, target.html, target.entities = source.text, source.html, source.entities
    target.caption, target.caption_html = source.caption, source.caption_html
    target.caption_entities = source.caption_entities
    target.document = source.document
    target.photo = source.photo
    target.extra = {k: v for k, v in copy.deepcopy(source.extra).items() if k != "forward_origin"}


async def copy_message(state: SandboxState, params: Params) -> dict[str, Any]:
    source = _source(state, params, "copy")
    chat = state.chat_for_bot(params.chat_id())
    caption = formatted_caption(state, params)
    markup = reply_markup(params)
    reply_to = reply_target(chat, params)
    message = new_bot_message(state, chat, method="copyMessage", markup=markup, reply_to=reply_to)
    _copy_content(source, message)
    if caption is not None and source.text is None:
        apply_caption(message, caption)
    publish(state, chat, message)
    return {"message_id": message.message_id}


async def forward_message(state: SandboxState, params: Params) -> dict[str, Any]:
    source = _source(state, params, "forward")
    chat = state.chat_for_bot(params.chat_id())
    message = new_bot_message(state, chat, method="forwardMessage", markup=None, reply_to=None)
    _copy_content(source, message)
    origin_sender = source.sender or state.bot_user
    message.extra["forward_origin"] = {
        "type": "user",
        "sender_user": origin_sender,
        "date": source.date,
    }
    return publish(state, chat, message)


HANDLERS: dict[str, Handler] = {
    "sendMessage": send_message,
    "editMessageText": edit_message_text,
    "editMessageCaption": edit_message_caption,
    "editMessageReplyMarkup": edit_message_reply_markup,
    "deleteMessage": delete_message,
    "sendChatAction": send_chat_action,
    "copyMessage": copy_message,
    "forwardMessage": forward_message,
}
