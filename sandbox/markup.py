"""Reply markup as Telegram checks it, and the buttons a user can see in it.

Inline keyboards carry the callback data the bot's flows depend on; Telegram refuses
callback data over 64 bytes and buttons that do nothing, so the emulator refuses them too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sandbox.errors import BUTTON_DATA_INVALID, bad_request

MAX_CALLBACK_DATA_BYTES = 64
_INLINE_ACTIONS = (
    "callback_data", "url", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
    "callback_game", "pay",
)  # fmt: skip
_MARKUP_JSON = "can't parse reply keyboard markup JSON object"


@dataclass(frozen=True)
class InlineButton:
    """One inline keyboard button as the user sees it."""

    text: str
    callback_data: str | None = None
    url: str | None = None


def validate_reply_markup(markup: object, *, inline_only: bool = False) -> dict[str, Any]:
    """Check a decoded ``reply_markup`` the way Telegram does and return it."""
    if not isinstance(markup, dict):
        raise bad_request(_MARKUP_JSON)
    if "inline_keyboard" in markup:
        _validate_inline_keyboard(markup["inline_keyboard"])
        return markup
    if inline_only:
        raise bad_request("inline keyboard expected")
    if "keyboard" in markup:
        _validate_reply_keyboard(markup["keyboard"])
        return markup
    if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
        return markup
    raise bad_request(_MARKUP_JSON)


def _rows(value: object, field: str) -> list[list[Any]]:
    if not isinstance(value, list) or not all(isinstance(row, list) for row in value):
        raise bad_request(f'field "{field}" of the keyboard must be an Array of Arrays')
    return value


def _validate_inline_keyboard(value: object) -> None:
    for row in _rows(value, "inline_keyboard"):
        for button in row:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad_request(
                    'can\'t parse inline keyboard button: Field "text" must be of type String'
                )
            actions = [name for name in _INLINE_ACTIONS if name in button]
            if not actions:
                raise bad_request(
                    "can't parse inline keyboard button: "
                    "Text buttons are unallowed in the inline keyboard"
                )
            if "callback_data" in button:
                data = button["callback_data"]
                if not isinstance(data, str) or not data:
                    raise bad_request(BUTTON_DATA_INVALID)
                if len(data.encode("utf-8")) > MAX_CALLBACK_DATA_BYTES:
                    raise bad_request(BUTTON_DATA_INVALID)
            if "url" in button and not str(button["url"]).strip():
                raise bad_request("BUTTON_URL_INVALID")


def _validate_reply_keyboard(value: object) -> None:
    for row in _rows(value, "keyboard"):
        for button in row:
            if isinstance(button, str):
                continue
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad_request(
                    'can\'t parse keyboard button: Field "text" must be of type String'
                )


def inline_buttons(markup: dict[str, Any] | None) -> list[InlineButton]:
    """Every inline button, row by row, left to right."""
    if not markup or "inline_keyboard" not in markup:
        return []
    return [
        InlineButton(
            text=button["text"],
            callback_data=button.get("callback_data"),
            url=button.get("url"),
        )
        for row in markup["inline_keyboard"]
        for button in row
    ]


def keyboard_rows(markup: dict[str, Any] | None) -> list[list[str]] | None:
    """The texts of a reply keyboard, or None when the markup is not one."""
    if not markup or "keyboard" not in markup:
        return None
    return [
        [button if isinstance(button, str) else button["text"] for button in row]
        for row in markup["keyboard"]
    ]


def keyboard_button(markup: dict[str, Any] | None, text: str) -> dict[str, Any] | None:
    """The reply keyboard button with this text, normalised to a dict."""
    if not markup or "keyboard" not in markup:
        return None
    for row in markup["keyboard"]:
        for button in row:
            normalised = {"text": button} if isinstance(button, str) else button
            if normalised["text"] == text:
                return dict(normalised)
    return None
