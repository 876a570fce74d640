"""One outbox row as one Bot API call, and what Telegram's answer means for the row.

Kept apart from the sender's loop so that the mapping from Telegram's errors to the row's
fate can be read in one place:

* flood control (429, :class:`~telegram.error.RetryAfter`): wait, not a failure;
* the recipient refuses the bot (403, :class:`~telegram.error.Forbidden`): unreachable;
* Telegram refuses the message itself (400, :class:`~telegram.error.BadRequest`): dead at once,
  sending it again would be refused again;
* Telegram's other errors (timeouts, dropped connections, 5xx): transient, retried with
  back-off;
* an error that is not Telegram's (e.g. a stored keyboard that is no keyboard): refused, since
  trying again would fail the same way.
"""

from __future__ import annotations

import html
import re
import warnings
from datetime import timedelta
from enum import Enum
from typing import Any

from telegram import (
    Bot,
    ForceReply,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from storage.outbox import OutboxRow

MAX_CAPTION = 1024
_TAGS = re.compile(r"<[^>]*>")
ReplyMarkup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | ForceReply


class Outcome(Enum):
    FLOOD = "flood"
    UNREACHABLE = "unreachable"
    REFUSED = "refused"
    TRANSIENT = "transient"


async def deliver(bot: Bot, row: OutboxRow) -> int:
    """Send the row's message (or document or photo, the text as caption); the message id.

    A text too long for a caption (Telegram refuses one over 1,024 characters, and a relayed
    caption can be longer) follows its file as a message of its own, with the buttons; if
    that second send fails, a retry sends the file again.
    """
    markup = markup_from_dict(row.reply_markup)
    has_file = row.photo_file_id is not None or row.document_file_id is not None
    if has_file and not fits_caption(row.text):
        if row.photo_file_id is not None:
            await bot.send_photo(row.chat_id, row.photo_file_id)
        else:
            assert row.document_file_id is not None
            await bot.send_document(row.chat_id, row.document_file_id)
        message = await bot.send_message(
            row.chat_id, row.text, parse_mode=ParseMode.HTML, reply_markup=markup
        )
        return message.message_id
    if row.photo_file_id is not None:
        message = await bot.send_photo(
            row.chat_id,
            row.photo_file_id,
            caption=row.text,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
        )
    elif row.document_file_id is not None:
        message = await bot.send_document(
            row.chat_id,
            row.document_file_id,
            caption=row.text,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
        )
    else:
        message = await bot.send_message(
            row.chat_id, row.text, parse_mode=ParseMode.HTML, reply_markup=markup
        )
    return message.message_id


def fits_caption(html_text: str) -> bool:
    """Whether the text, as the reader sees it (tags dropped, entities read), is short
    enough for a caption; Telegram counts UTF-16 code units."""
    visible = html.unescape(_TAGS.sub("", html_text))
    return len(visible.encode("utf-16-le")) // 2 <= MAX_CAPTION


def markup_from_dict(data: dict[str, Any] | None) -> ReplyMarkup | None:
    """The keyboard stored with a row (the Bot API's JSON shape) as a markup object."""
    if data is None:
        return None
    if "inline_keyboard" in data:
        return InlineKeyboardMarkup.de_json(data, None)
    if "keyboard" in data:
        return ReplyKeyboardMarkup.de_json(data, None)
    if data.get("remove_keyboard"):
        return ReplyKeyboardRemove.de_json(data, None)
    if data.get("force_reply"):
        return ForceReply.de_json(data, None)
    raise ValueError(f"not a reply markup: {sorted(data)}")


def classify(error: Exception) -> Outcome:
    if isinstance(error, RetryAfter):
        return Outcome.FLOOD
    if isinstance(error, Forbidden):
        return Outcome.UNREACHABLE
    if isinstance(error, BadRequest) or not isinstance(error, TelegramError):
        return Outcome.REFUSED
    return Outcome.TRANSIENT


def retry_after_seconds(error: RetryAfter) -> float:
    # python-telegram-bot 22 warns that retry_after will become a timedelta; both are handled.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def describe(error: BaseException) -> str:
    """The error as the row's ``last_error``: its kind and Telegram's own description."""
    text = error.message if isinstance(error, TelegramError) else str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
