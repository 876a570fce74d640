"""API calls take turns: one at a time in the bot's process, so that the chat keeps its pace.

The API and the chat share the bot's event loop and its one database connection. Calls
served side by side answer no sooner for it: the database takes one statement at a time and
the loop runs one callback at a time. But each call in flight puts its callbacks into
every round of the loop, between the chat's: with four clients reading cards as fast as
they could, customers walking the form went at a ninth of their pace alone; with the calls
taking turns the API read as many cards a second and the chat kept a third of its pace or
more (``python -m benchmarks api``). A call waits for its turn before anything else, and holds
it until it is answered and written to the audit trail.

A long poll of the event feed steps aside while it waits (:func:`aside`): one client
waiting thirty seconds for the next event must not hold up every other call.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from types import TracebackType

from fastapi import Request
from starlette.types import ASGIApp, Receive, Scope, Send

STATE_KEY = "turn"


class Turn:
    """One call's hold on a turn; released at most once, whatever is cancelled when."""

    def __init__(self, slots: asyncio.Semaphore) -> None:
        self._slots = slots
        self._held = False

    async def __aenter__(self) -> Turn:
        await self._slots.acquire()
        self._held = True
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._let_go()

    def _let_go(self) -> None:
        if self._held:
            self._held = False
            self._slots.release()

    @contextlib.asynccontextmanager
    async def aside(self) -> AsyncIterator[None]:
        """Let other calls have turns meanwhile; take one again afterwards."""
        self._let_go()
        try:
            yield
        finally:
            await self._slots.acquire()
            self._held = True


class TakingTurns:
    """ASGI middleware: at most ``at_once`` calls served at a time, the others waiting."""

    def __init__(self, app: ASGIApp, at_once: int) -> None:
        if at_once < 1:
            raise ValueError("at least one call must be served at a time")
        self.app = app
        self._slots = asyncio.Semaphore(at_once)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        async with Turn(self._slots) as turn:
            scope.setdefault("state", {})[STATE_KEY] = turn  # request.state.turn
            await self.app(scope, receive, send)


@contextlib.asynccontextmanager
async def aside(request: Request) -> AsyncIterator[None]:
    """The call of ``request`` steps aside for others while the body runs."""
    turn = getattr(request.state, STATE_KEY, None)
    if not isinstance(turn, Turn):  # an application built without the middleware
        yield
        return
    async with turn.aside():
        yield
