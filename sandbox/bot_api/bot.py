"""Bot API methods about the bot itself: identity, updates, webhook, commands, callbacks."""

from __future__ import annotations

import json
import re
from typing import Any

from sandbox.bot_api.common import Handler
from sandbox.errors import bad_request, conflict
from sandbox.params import Params
from sandbox.state import CallbackAnswer, SandboxState
from sandbox.updates import MAX_LIMIT

_COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
_MAX_COMMANDS = 100
_WEBHOOK_ACTIVE = (
    "can't use getUpdates method while webhook is active; use deleteWebhook to delete the "
    "webhook first"
)


async def get_me(state: SandboxState, params: Params) -> dict[str, Any]:
    return state.bot_user


async def get_updates(state: SandboxState, params: Params) -> list[dict[str, Any]]:
    if state.webhook.get("url"):
        raise conflict(_WEBHOOK_ACTIVE)
    offset = params.integer("offset")
    limit = params.integer("limit") or MAX_LIMIT
    limit = min(max(limit, 1), MAX_LIMIT)
    timeout = max(0.0, params.number("timeout") or 0.0)
    allowed = params.json("allowed_updates", complaint="can't parse allowed_updates")
    if allowed is not None:
        if not isinstance(allowed, list):
            raise bad_request("can't parse allowed_updates")
        state.updates.set_allowed(str(kind) for kind in allowed)
    updates = await state.updates.poll(offset, limit, timeout)
    state.stats.updates_delivered = state.updates.delivered
    return updates


async def set_webhook(state: SandboxState, params: Params) -> bool:
    url = params.string("url", missing="bad webhook: HTTP URL must be provided") or ""
    if url and not url.startswith("https://"):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    max_connections = params.integer("max_connections") or 40
    if not 1 <= max_connections <= 100:
        raise bad_request("bad webhook: max_connections must be between 1 and 100")
    allowed = params.json("allowed_updates", complaint="can't parse allowed_updates")
    if allowed is not None and not isinstance(allowed, list):
        raise bad_request("can't parse allowed_updates")
    state.webhook = {
        "url": url,
        "max_connections": max_connections,
        "allowed_updates": allowed,
        "secret_token": params.string("secret_token"),
    }
    if allowed is not None:
        state.updates.set_allowed(str(kind) for kind in allowed)
    if params.boolean("drop_pending_updates"):
        state.updates.drop_all()
    # Delivery (sandbox/webhook.py) starts at once for what is pending.
    state.updates.wake_all()
    return True


async def delete_webhook(state: SandboxState, params: Params) -> bool:
    state.webhook = {"url": ""}
    if params.boolean("drop_pending_updates"):
        state.updates.drop_all()
    state.updates.wake_all()
    return True


async def get_webhook_info(state: SandboxState, params: Params) -> dict[str, Any]:
    info: dict[str, Any] = {
        "url": state.webhook.get("url", ""),
        "has_custom_certificate": False,
        "pending_update_count": state.updates.pending_count,
    }
    if info["url"]:
        info["max_connections"] = state.webhook.get("max_connections", 40)
        if state.webhook.get("allowed_updates"):
            info["allowed_updates"] = state.webhook["allowed_updates"]
        for key in ("last_error_date", "last_error_message"):
            if key in state.webhook:
                info[key] = state.webhook[key]
    return info


def _commands_key(params: Params) -> tuple[str, str]:
    scope = params.json("scope", complaint="can't parse BotCommandScope JSON object")
    if scope is None:
        scope = {"type": "default"}
    if not isinstance(scope, dict) or "type" not in scope:
        raise bad_request("can't parse BotCommandScope JSON object")
    language = params.string("language_code") or ""
    return json.dumps(scope, sort_keys=True), language


async def set_my_commands(state: SandboxState, params: Params) -> bool:
    commands = params.json("commands", complaint="can't parse commands JSON object")
    if not isinstance(commands, list) or len(commands) > _MAX_COMMANDS:
        raise bad_request("can't parse commands JSON object")
    checked: list[dict[str, Any]] = []
    for command in commands:
        if not isinstance(command, dict):
            raise bad_request("can't parse BotCommand JSON object")
        name = str(command.get("command", ""))
        description = str(command.get("description", ""))
        if not _COMMAND_NAME.match(name):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(description) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        checked.append({"command": name, "description": description})
    state.commands[_commands_key(params)] = checked
    return True


async def get_my_commands(state: SandboxState, params: Params) -> list[dict[str, Any]]:
    return state.commands.get(_commands_key(params), [])


async def delete_my_commands(state: SandboxState, params: Params) -> bool:
    state.commands.pop(_commands_key(params), None)
    return True


async def answer_callback_query(state: SandboxState, params: Params) -> bool:
    query_id = params.string("callback_query_id", missing="callback_query_id is empty") or ""
    text = params.string("text")
    if text is not None and len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    answer = CallbackAnswer(
        query_id=query_id,
        text=text,
        show_alert=bool(params.boolean("show_alert")),
        url=params.string("url"),
        cache_time=params.integer("cache_time") or 0,
    )
    state.answer_callback_query(query_id, answer)
    return True


HANDLERS: dict[str, Handler] = {
    "getMe": get_me,
    "getUpdates": get_updates,
    "setWebhook": set_webhook,
    "deleteWebhook": delete_webhook,
    "getWebhookInfo": get_webhook_info,
    "setMyCommands": set_my_commands,
    "getMyCommands": get_my_commands,
    "deleteMyCommands": delete_my_commands,
    "answerCallbackQuery": answer_callback_query,
}
