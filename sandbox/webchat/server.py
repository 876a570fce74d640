"""The sandbox's web chat: a Telegram-like page for playing staff and customers in a browser.

It serves the page (``sandbox/web/``) and a small JSON API the page calls. Everything a
person does on the page goes through the emulator's simulated users, exactly as the
end-to-end tests drive the bot; the bot cannot tell the difference from Telegram.

The emulator, the clock and "start over" belong to whoever runs the bot; they come in as a
:class:`SandboxHost`, so this module knows nothing of the bot's code.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any, Protocol

from aiohttp import web

from sandbox.emulator import BotApiEmulator
from sandbox.files import MAX_UPLOAD_BYTES
from sandbox.notify import ChangeSignal
from sandbox.users import FakeUser
from sandbox.webchat.actions import ChatActions
from sandbox.webchat.json_http import bad_input, conflict, json_object
from sandbox.webchat.views import (
    CUSTOMER,
    LANGUAGES,
    Persona,
    chat_summary,
    mobile_for,
    stable_json,
)

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
FIRST_CUSTOMER_ID = 10_001
MAX_NAME_CHARS = 64
KEEPALIVE_SECONDS = 15.0
# Changes usually come in bursts (a reply of three messages); one snapshot covers them.
COALESCE_SECONDS = 0.05


class SandboxHost(Protocol):
    """What the page needs from the process that runs the bot."""

    @property
    def emulator(self) -> BotApiEmulator: ...

    async def clock_view(self) -> dict[str, Any]: ...

    async def advance_clock(self, step: str) -> dict[str, Any]:
        """Move the clock: ``hour``, ``workday`` or ``deadline``.

        Raises ValueError for an unknown step and LookupError when there is nowhere to go.
        """
        ...

    async def reset(self) -> None: ...


class WebChat:
    """The page, its API and the personas the page can act as."""

    def __init__(self, host: SandboxHost) -> None:
        self.host = host
        self.signal = ChangeSignal()
        self.generation = 0
        self.clock_version = 0
        self._personas: dict[int, Persona] = {}
        self._read: dict[int, int] = {}
        self._closing = asyncio.Event()

    # -- personas -------------------------------------------------------------------------

    @property
    def personas(self) -> list[Persona]:
        """Staff first, then customers in the order they were added."""
        everyone = list(self._personas.values())
        return [p for p in everyone if p.role != CUSTOMER] + [
            p for p in everyone if p.role == CUSTOMER
        ]

    def persona(self, user_id: int) -> Persona | None:
        return self._personas.get(user_id)

    def add_persona(self, persona: Persona) -> FakeUser:
        """Register a persona and make its private chat known, so the bot can write first."""
        if persona.language not in LANGUAGES:
            raise ValueError(f"language must be one of {sorted(LANGUAGES)}")
        self._personas[persona.user_id] = persona
        user = self.fake_user(persona)
        self.host.emulator.state.private_chat(user.info)
        self.signal.notify()
        return user

    def fake_user(self, persona: Persona) -> FakeUser:
        return self.host.emulator.user(
            persona.user_id,
            first_name=persona.name,
            language_code=persona.language_code,
            phone_number=mobile_for(persona.user_id),
        )

    def restore_customers(self) -> None:
        """The customers the emulator kept from an earlier run come back as personas."""
        for user_id, info in sorted(self.host.emulator.state.users.items()):
            if user_id < FIRST_CUSTOMER_ID or user_id in self._personas:
                continue
            name = str(info.get("first_name") or "").strip()[:MAX_NAME_CHARS] or f"#{user_id}"
            code = str(info.get("language_code") or "")
            language = next((k for k, v in LANGUAGES.items() if v == code), "zh")
            self.add_persona(Persona(user_id, name, CUSTOMER, language))

    def next_customer_id(self) -> int:
        taken = [p.user_id + 1 for p in self._personas.values() if p.user_id >= FIRST_CUSTOMER_ID]
        return max([FIRST_CUSTOMER_ID, *taken])

    def mark_all_read(self) -> None:
        for user_id in self._personas:
            self.mark_read(user_id)

    def mark_read(self, user_id: int) -> None:
        seq = self.host.emulator.state.seq
        if self._read.get(user_id) != seq:
            self._read[user_id] = seq
            self.signal.notify()

    def forget_everyone(self) -> None:
        """Before a reset: the personas go with the chats they lived in."""
        self._personas.clear()
        self._read.clear()

    def changed(self, *, clock: bool = False, reset: bool = False) -> None:
        """Tell open pages that the clock moved or the sandbox started over."""
        if clock:
            self.clock_version += 1
        if reset:
            self.generation += 1
        self.signal.notify()

    def snapshot(self) -> dict[str, Any]:
        """What the page's live stream carries: personas with unread counts, versions."""
        emulator = self.host.emulator
        return {
            "generation": self.generation,
            "clock_version": self.clock_version,
            "personas": [
                {**p.to_view(), **chat_summary(emulator, p.user_id, self._read.get(p.user_id, 0))}
                for p in self.personas
            ],
        }

    # -- the web application --------------------------------------------------------------

    def application(self) -> web.Application:
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES + 1024 * 1024)
        actions = ChatActions(self)
        app.router.add_get("/", self._index)
        app.router.add_static("/static/", WEB_DIR, append_version=False)
        app.router.add_get("/api/personas", self._list_personas)
        app.router.add_post("/api/personas", self._add_customer)
        app.router.add_get("/api/events", self._events)
        app.router.add_get("/api/clock", self._clock)
        app.router.add_post("/api/clock", self._advance)
        app.router.add_post("/api/reset", self._reset)
        actions.register(app.router)
        app.on_shutdown.append(self._on_shutdown)
        return app

    def close(self) -> None:
        """End the live streams; a server waits for open ones before it can stop."""
        self._closing.set()

    async def _on_shutdown(self, app: web.Application) -> None:
        self.close()

    async def _index(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(WEB_DIR / "index.html", headers={"Cache-Control": "no-store"})

    async def _list_personas(self, request: web.Request) -> web.Response:
        return web.json_response(self.snapshot())

    async def _add_customer(self, request: web.Request) -> web.Response:
        body = await json_object(request)
        name = " ".join(str(body.get("name", "")).split())
        language = str(body.get("language", "zh"))
        if not 0 < len(name) <= MAX_NAME_CHARS:
            raise bad_input(f"name: 1 to {MAX_NAME_CHARS} characters")
        if language not in LANGUAGES:
            raise bad_input(f"language: one of {', '.join(sorted(LANGUAGES))}")
        persona = Persona(self.next_customer_id(), name, CUSTOMER, language)
        self.add_persona(persona)
        self.mark_read(persona.user_id)
        return web.json_response(persona.to_view(), status=201)

    async def _clock(self, request: web.Request) -> web.Response:
        return web.json_response(await self.host.clock_view())

    async def _advance(self, request: web.Request) -> web.Response:
        body = await json_object(request)
        try:
            clock = await self.host.advance_clock(str(body.get("step", "")))
        except ValueError as error:
            raise bad_input(str(error)) from None
        except LookupError as error:
            raise conflict(str(error)) from None
        self.changed(clock=True)
        return web.json_response(clock)

    async def _reset(self, request: web.Request) -> web.Response:
        await self.host.reset()
        self.changed(clock=True, reset=True)
        return web.json_response(self.snapshot())

    async def _events(self, request: web.Request) -> web.StreamResponse:
        """Server-sent events: a snapshot now, and a new one after every change."""
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-store",
                "X-Accel-Buffering": "no",
            }
        )
        await response.prepare(request)
        last = ""
        with contextlib.suppress(ConnectionError):
            while not self._closing.is_set():
                tickets = [self.signal.ticket(), self.host.emulator.state.signal.ticket()]
                current = stable_json(self.snapshot())
                if current != last:
                    await response.write(f"data: {current}\n\n".encode())
                    last = current
                if await _wait_any([*tickets, self._closing], KEEPALIVE_SECONDS):
                    await asyncio.sleep(COALESCE_SECONDS)
                else:
                    await response.write(b": keep-alive\n\n")
        return response


async def _wait_any(events: list[asyncio.Event], seconds: float) -> bool:
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        done, _ = await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
    return bool(done)
