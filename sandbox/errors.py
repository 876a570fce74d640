"""Telegram-shaped error replies.

Every failure the emulator reports is an :class:`ApiError`, turned into exactly the JSON
Telegram sends (``ok``, ``error_code``, ``description`` and, for flood control,
``parameters.retry_after``) so that python-telegram-bot raises its real exceptions.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A Bot API error reply: HTTP status, Telegram's description and optional parameters."""

    def __init__(self, error_code: int, description: str, *, retry_after: int | None = None):
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


def forbidden(detail: str) -> ApiError:
    return ApiError(403, f"Forbidden: {detail}")


def conflict(detail: str) -> ApiError:
    return ApiError(409, f"Conflict: {detail}")


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)


def not_found() -> ApiError:
    # Telegram's answer for an unknown method or a malformed token.
    return ApiError(404, "Not Found")


def unauthorized() -> ApiError:
    # Telegram's answer for a well-formed token that belongs to no bot.
    return ApiError(401, "Unauthorized")


def server_error(status: int) -> ApiError:
    descriptions = {500: "Internal Server Error", 502: "Bad Gateway"}
    return ApiError(status, descriptions.get(status, "Internal Server Error"))


CHAT_NOT_FOUND = "chat not found"
BOT_BLOCKED = "bot was blocked by the user"
MESSAGE_TOO_LONG = "message is too long"
CAPTION_TOO_LONG = "message caption is too long"
TEXT_EMPTY = "message text is empty"
BUTTON_DATA_INVALID = "BUTTON_DATA_INVALID"
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
MESSAGE_TO_EDIT_NOT_FOUND = "message to edit not found"
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
