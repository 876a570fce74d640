"""A small JSON HTTP API for playing users from outside the test process.

It wraps the same :class:`~sandbox.users.FakeUser` methods the tests call, so a browser
chat page (or curl) can talk to the bot through the emulator:

    POST /sandbox/api/users/{id}/messages   {"text": "..."}            send text or /command
    POST /sandbox/api/users/{id}/contact    {"phone_number": "..."}    share own number
    POST /sandbox/api/users/{id}/press      {"message_id": N, "button": "text or data"}
    POST /sandbox/api/users/{id}/block      and  /unblock
    GET  /sandbox/api/users/{id}/messages?after=SEQ&timeout=S   changes after SEQ (long poll)
    GET  /sandbox/api/stats

Profile fields (first_name, last_name, username, language_code) may accompany the first
POST for a user.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from sandbox.inbox import WaitTimeout, wait_until
from sandbox.server import USER_API_PREFIX, json_body
from sandbox.state import SandboxState
from sandbox.users import ButtonNotFound, FakeUser

MAX_POLL_SECONDS = 30.0
_PROFILE_FIELDS = ("first_name", "last_name", "username", "language_code")

UserFactory = Callable[..., FakeUser]


def _ok(result: Any) -> web.Response:
    return json_body({"ok": True, "result": result})


def _fail(status: int, description: str) -> web.Response:
    return json_body({"ok": False, "error_code": status, "description": description}, status)


class UserApi:
    """Routes ``/sandbox/api/...`` requests to simulated users."""

    def __init__(self, state: SandboxState, user_factory: UserFactory) -> None:
        self._state = state
        self._user_factory = user_factory

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        parts = request.path[len(USER_API_PREFIX) :].strip("/").split("/")
        if parts == ["stats"] and request.method == "GET":
            stats = self._state.stats.as_dict()
            stats["faults"] = dict(self._state.faults.injected)
            return _ok(stats)
        if len(parts) != 3 or parts[0] != "users" or not parts[1].lstrip("-").isdigit():
            return _fail(404, "Not Found")
        body: dict[str, Any] = {}
        if request.method == "POST" and request.body_exists:
            try:
                loaded = await request.json()
            except ValueError:
                return _fail(400, "the body must be a JSON object")
            if not isinstance(loaded, dict):
                return _fail(400, "the body must be a JSON object")
            body = loaded
        profile = {k: body[k] for k in _PROFILE_FIELDS if isinstance(body.get(k), str)}
        user = self._user_factory(int(parts[1]), **profile)
        try:
            return await self._action(request, user, parts[2], body)
        except (ValueError, KeyError, ButtonNotFound) as error:
            return _fail(400, str(error))

    async def _action(
        self, request: web.Request, user: FakeUser, action: str, body: dict[str, Any]
    ) -> web.StreamResponse:
        if request.method == "GET" and action == "messages":
            return await self._changes(request, user)
        if request.method != "POST":
            return _fail(405, "Method Not Allowed")
        if action == "messages":
            sent = await user.send_text(str(body["text"]))
            return _ok({"update_id": sent.update_id, "message_id": sent.message_id})
        if action == "contact":
            sent = await user.send_contact(str(body["phone_number"]), own=body.get("own", True))
            return _ok({"update_id": sent.update_id, "message_id": sent.message_id})
        if action == "press":
            press = await user.press(int(body["message_id"]), str(body["button"]))
            return _ok({"update_id": press.update_id, "query_id": press.query_id})
        if action in ("block", "unblock"):
            await (user.block_bot() if action == "block" else user.unblock_bot())
            return _ok(True)
        return _fail(404, "Not Found")

    async def _changes(self, request: web.Request, user: FakeUser) -> web.StreamResponse:
        after = int(request.query.get("after", "0"))
        timeout = min(float(request.query.get("timeout", "0")), MAX_POLL_SECONDS)
        chat_id = user.id

        def changes() -> list[dict[str, Any]] | None:
            chat = self._state.chats.get(chat_id)
            events = chat.events_after(after) if chat else []
            found = [
                {"seq": e.seq, "kind": e.kind, "message": e.message.to_view()}
                for e in events
                if e.message.from_bot
            ]
            return found or None

        try:
            events = await wait_until(
                self._state.chat_signal(chat_id), changes, timeout, lambda: ""
            )
        except WaitTimeout:
            events = []
        answers = [
            {"query_id": a.query_id, "text": a.text, "show_alert": a.show_alert}
            for a in user.callback_answers
        ]
        return _ok({"mark": self._state.seq, "events": events, "callback_answers": answers})
