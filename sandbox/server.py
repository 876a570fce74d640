"""The HTTP face of the emulator: Telegram's URL scheme, reply shapes and injected faults.

``/bot<token>/<method>`` answers Bot API calls (any letter case, GET or POST) and
``/file/bot<token>/<path>`` serves downloads, with Telegram's 401/404 for a wrong token or
method. ``/sandbox/api/`` is left to the sandbox's own user API.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from aiohttp import web

from sandbox.bot_api import bot as api_bot
from sandbox.bot_api import media as api_media
from sandbox.bot_api import messages as api_messages
from sandbox.bot_api.common import Handler
from sandbox.errors import ApiError, not_found, server_error, too_many_requests, unauthorized
from sandbox.faults import FILE_DOWNLOAD
from sandbox.files import MAX_UPLOAD_BYTES
from sandbox.params import Params
from sandbox.state import SandboxState

USER_API_PREFIX = "/sandbox/api/"
_TOKEN_SHAPE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
_dumps = partial(json.dumps, ensure_ascii=False)
_log = logging.getLogger(__name__)

RouteHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _all_handlers() -> dict[str, tuple[str, Handler]]:
    handlers: dict[str, tuple[str, Handler]] = {}
    for module in (api_bot, api_media, api_messages):
        for name, handler in module.HANDLERS.items():
            handlers[name.lower()] = (name, handler)
    return handlers


class _DroppedConnection(Exception):
    """The connection was closed on purpose; there is nothing to answer."""


class BotApiServer:
    """Routes requests to Bot API handlers and turns their outcome into Telegram's JSON."""

    def __init__(
        self,
        state: SandboxState,
        token: str,
        *,
        fault_hold_seconds: float,
        user_api: RouteHandler | None = None,
    ) -> None:
        self.state = state
        self.token = token
        self.fault_hold_seconds = fault_hold_seconds
        self.closing = asyncio.Event()
        self._user_api = user_api
        self._handlers = _all_handlers()

    def application(self) -> web.Application:
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES + 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self.route)
        return app

    async def route(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        try:
            if path.startswith("/file/bot"):
                return await self._download(request, path[len("/file/bot") :])
            if path.startswith("/bot"):
                return await self._api_call(request, path[len("/bot") :])
            if path.startswith(USER_API_PREFIX) and self._user_api is not None:
                return await self._user_api(request)
        except _DroppedConnection:
            # aiohttp needs a response object even though the socket is gone.
            return web.Response(status=499)
        return self._error(not_found())

    async def _api_call(self, request: web.Request, rest: str) -> web.StreamResponse:
        token, _, method = rest.partition("/")
        if token != self.token:
            return self._error(unauthorized() if _TOKEN_SHAPE.match(token) else not_found())
        entry = self._handlers.get(method.lower())
        if entry is None:
            return self._error(not_found())
        name, handler = entry
        self.state.stats.requests[name] += 1
        # A long poll waits by design; only the bot's other calls count as "busy".
        polling = name == "getUpdates"
        if polling:
            self.state.touch()
        else:
            self.state.request_started()
        try:
            return await self._run(request, name, handler)
        finally:
            if polling:
                self.state.touch()
            else:
                self.state.request_finished()

    async def _run(self, request: web.Request, name: str, handler: Handler) -> web.StreamResponse:
        fault = self.state.faults.next_fault(name)
        if fault is not None:
            _log.info("injecting %s fault into %s", fault, name)
        if fault in ("timeout", "reset"):
            await self._drop(request, hold=fault == "timeout")
        if fault in ("500", "502"):
            return self._error(server_error(int(fault)))
        if fault == "429":
            return self._error(too_many_requests(1))
        try:
            params = await Params.from_request(request)
            result = await handler(self.state, params)
        except ApiError as error:
            return self._error(error)
        if fault == "timeout_after":
            await self._drop(request, hold=True)
        return web.json_response({"ok": True, "result": result}, dumps=_dumps)

    async def _download(self, request: web.Request, rest: str) -> web.StreamResponse:
        token, _, file_path = rest.partition("/")
        if token != self.token:
            return self._error(not_found())
        fault = self.state.faults.next_fault(FILE_DOWNLOAD)
        if fault in ("timeout", "reset", "timeout_after"):
            await self._drop(request, hold=fault != "reset")
        if fault in ("500", "502"):
            return self._error(server_error(int(fault)))
        stored = self.state.files.by_path(file_path)
        if stored is None:
            return self._error(not_found())
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )

    async def _drop(self, request: web.Request, *, hold: bool) -> None:
        if hold:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.closing.wait(), self.fault_hold_seconds)
        if request.transport is not None:
            request.transport.abort()
        raise _DroppedConnection

    def _error(self, error: ApiError) -> web.Response:
        self.state.stats.errors[error.error_code] += 1
        if error.error_code == 429:
            self.state.stats.too_many_requests += 1
        return web.json_response(error.payload(), status=error.error_code, dumps=_dumps)


def json_body(payload: Any, status: int = 200) -> web.Response:
    return web.json_response(payload, status=status, dumps=_dumps)
