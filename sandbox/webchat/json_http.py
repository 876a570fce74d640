"""Small HTTP helpers shared by the web chat's routes: JSON bodies and JSON errors."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

JSON = "application/json"


def error_text(description: str) -> str:
    return json.dumps({"ok": False, "description": description}, ensure_ascii=False)


def bad_input(description: str) -> web.HTTPBadRequest:
    """A 400 whose body says, in one line, what was expected."""
    return web.HTTPBadRequest(text=error_text(description), content_type=JSON)


def not_found(description: str) -> web.HTTPNotFound:
    return web.HTTPNotFound(text=error_text(description), content_type=JSON)


def conflict(description: str) -> web.HTTPConflict:
    return web.HTTPConflict(text=error_text(description), content_type=JSON)


async def json_object(request: web.Request) -> dict[str, Any]:
    """The request's JSON object body; an empty body reads as ``{}``."""
    if not request.body_exists:
        return {}
    try:
        body = await request.json()
    except ValueError:
        raise bad_input("the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise bad_input("the body must be a JSON object")
    return body
