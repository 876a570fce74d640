"""Checks and building blocks shared by the Bot API methods that send and edit messages."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox.chats import ChatState
from sandbox.errors import (
    CAPTION_TOO_LONG,
    MESSAGE_TOO_LONG,
    TEXT_EMPTY,
    bad_request,
)
from sandbox.markup import validate_reply_markup
from sandbox.messages import SentMessage
from sandbox.params import Params
from sandbox.state import SandboxState
from sandbox.telegram_html import parse_or_reject

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024

Handler = Callable[[SandboxState, Params], Awaitable[Any]]


@dataclass(frozen=True)
class Formatted:
    """A text or caption as sent (``html``) and as shown (``text`` plus ``entities``)."""

    text: str
    html: str
    entities: list[dict[str, Any]] = field(default_factory=list)
    parse_mode: str | None = None


def formatted_text(state: SandboxState, params: Params) -> Formatted:
    """The ``text`` of sendMessage/editMessageText, checked like Telegram checks it."""
    result = _formatted(state, params, "text", "entities", MAX_TEXT_LENGTH, MESSAGE_TOO_LONG)
    if result is None or not result.text.strip():
        raise bad_request(TEXT_EMPTY)
    return result


def formatted_caption(state: SandboxState, params: Params) -> Formatted | None:
    return _formatted(
        state, params, "caption", "caption_entities", MAX_CAPTION_LENGTH, CAPTION_TOO_LONG
    )


def _formatted(
    state: SandboxState,
    params: Params,
    name: str,
    entities_name: str,
    limit: int,
    too_long: str,
) -> Formatted | None:
    raw = params.string(name)
    if raw is None:
        return None
    parse_mode = params.string("parse_mode")
    mode = (parse_mode or "").strip().lower()
    explicit = params.json(entities_name, complaint="can't parse entities JSON object")
    if explicit is not None:
        if not isinstance(explicit, list) or not all(isinstance(e, dict) for e in explicit):
            raise bad_request("can't parse entities JSON object")
        result = Formatted(raw, html.escape(raw, quote=False), explicit, None)
    elif mode == "html":
        parsed = parse_or_reject(raw, strict_entities=state.strict_html)
        result = Formatted(parsed.text, raw, parsed.entities, parse_mode)
    elif mode in ("", "markdown", "markdownv2"):
        # Markdown is passed through unparsed: the project's bot speaks HTML only.
        result = Formatted(raw, html.escape(raw, quote=False), [], parse_mode or None)
    else:
        raise bad_request("unsupported parse_mode")
    if len(result.text) > limit:
        raise bad_request(too_long)
    return result


def reply_markup(params: Params, *, inline_only: bool = False) -> dict[str, Any] | None:
    markup = params.json("reply_markup", complaint="can't parse reply keyboard markup JSON object")
    if markup is None:
        return None
    return validate_reply_markup(markup, inline_only=inline_only)


def reply_target(chat: ChatState, params: Params) -> SentMessage | None:
    """The message being replied to, from reply_parameters or reply_to_message_id."""
    message_id = params.integer("reply_to_message_id")
    allow_missing = bool(params.boolean("allow_sending_without_reply"))
    parameters = params.json("reply_parameters", complaint="can't parse reply parameters")
    if isinstance(parameters, dict) and "message_id" in parameters:
        message_id = int(parameters["message_id"])
        allow_missing = bool(parameters.get("allow_sending_without_reply", allow_missing))
    if message_id is None:
        return None
    target = chat.find(message_id)
    if target is None and not allow_missing:
        raise bad_request("message to be replied not found")
    return target


def message_reference(params: Params) -> int:
    return int(params.integer("message_id", missing="message identifier is not specified") or 0)


def new_bot_message(
    state: SandboxState,
    chat: ChatState,
    *,
    method: str,
    markup: dict[str, Any] | None,
    reply_to: SentMessage | None,
) -> SentMessage:
    """Take a flood-control slot and a message id; the caller fills in the content."""
    state.take_send_slot(chat)
    return SentMessage(
        chat=chat.info,
        message_id=chat.allocate_message_id(),
        date=state.now(),
        from_bot=True,
        sender=state.bot_user,
        method=method,
        reply_markup=markup,
        reply_to=reply_to,
    )


def publish(state: SandboxState, chat: ChatState, message: SentMessage) -> dict[str, Any]:
    """Store a finished bot message and answer with it as Telegram would."""
    if message.reply_markup is not None:
        if "keyboard" in message.reply_markup:
            chat.reply_keyboard = message.reply_markup
        elif message.reply_markup.get("remove_keyboard"):
            chat.reply_keyboard = None
    message.record_version(message.method)
    state.store(chat, message)
    state.stats.messages_sent += 1
    return message.to_api()


def apply_text(message: SentMessage, text: Formatted) -> None:
    message.text = text.text
    message.html = text.html
    message.entities = text.entities
    message.parse_mode = text.parse_mode


def apply_caption(message: SentMessage, caption: Formatted | None) -> None:
    if caption is None:
        return
    message.caption = caption.text
    message.caption_html = caption.html
    message.caption_entities = caption.entities
    message.parse_mode = caption.parse_mode
