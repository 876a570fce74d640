"""The API served by uvicorn on the bot's event loop, started and stopped with the bot.

uvicorn's ``Server.serve()`` would take over SIGINT and SIGTERM from the bot, which
already handles them (bot/cli/main.py) and stops the API as part of its own stop; so this
server leaves the process's signals alone.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Generator

import uvicorn
from fastapi import FastAPI

from api.app import deps_of
from api.settings import ApiListenError


class _QuietServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


class ApiServer:
    def __init__(self, app: FastAPI, host: str, port: int) -> None:
        self.app = app
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            lifespan="off",
            access_log=False,
            log_level="warning",
            timeout_graceful_shutdown=5,
        )
        self._server = _QuietServer(config)
        self._where = f"{host}:{port}"
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Listen; raises OSError if the address cannot be had."""
        self._task = asyncio.create_task(self._serve())
        while not self._server.started:
            if self._task.done():
                break
            await asyncio.sleep(0.01)
        if self._task.done():
            task, self._task = self._task, None
            task.result()  # raises ApiListenError
            raise ApiListenError(f"the server on {self._where} stopped as it started")

    async def _serve(self) -> None:
        try:
            await self._server.serve()
        except SystemExit:
            # uvicorn exits this way when it cannot bind; caught here, inside the task,
            # because asyncio would carry a SystemExit out of the event loop.
            raise ApiListenError(f"cannot listen on {self._where}") from None

    @property
    def port(self) -> int:
        """The port listened on (the one the system chose, for port 0)."""
        sockets = self._server.servers[0].sockets
        return int(sockets[0].getsockname()[1])

    async def stop(self) -> None:
        """Wake the long polls, let calls in progress finish, and close."""
        await deps_of(self.app).watch.close()
        if self._task is None:
            return
        self._server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
