"""``hvconnect run`` without a token: the real bot, a local Telegram, and a web chat.

The bot is built by the same :func:`~bot.app.build_application` as in production; only
the Bot API base URL points at the embedded emulator, the database is the sandbox's own
file, and the clock is an :class:`~process.clock.OffsetClock` the page can move forward.
The emulator listens on a private port; the one address printed is the web chat's.

The emulator keeps its chats (messages, edits, keyboards, files) in a file of its own beside
the sandbox database, so stopping and starting again finds every conversation where it was.

"Reset sandbox" starts over: the bot stops, the sandbox database, the emulator's chats and
the clock offset are deleted, a fresh emulator starts, the bot starts on an empty database,
staff are seeded.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.app import BotApplication, build_application, services_of, start, stop
from bot.config.settings import Config, ConfigError
from bot.sandbox.clock import ClockPanel, next_deadline
from bot.sandbox.seed import restore_customers, seed_staff
from bot.secure_db import sandbox_key
from process.calendar import WorkingCalendar
from process.clock import Clock, OffsetClock, SystemClock
from sandbox.emulator import BotApiEmulator
from sandbox.limits import RateLimits
from sandbox.webchat.server import WebChat
from storage.applications import ApplicationsRepo

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
DEFAULT_DB = Path("data/sandbox.db")
POLL_TIMEOUT_SECONDS = 1  # short polls keep stopping (and "reset sandbox") quick
log = logging.getLogger("hvconnect.sandbox")


@dataclass(frozen=True)
class SandboxSettings:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    db_path: Path = DEFAULT_DB


def sandbox_settings(config: Config, environ: Mapping[str, str]) -> SandboxSettings:
    """HVCONNECT_SANDBOX_ADDR (host:port) and HVCONNECT_SANDBOX_DB; one-line errors."""
    settings = SandboxSettings()
    raw_addr = environ.get("HVCONNECT_SANDBOX_ADDR", "").strip()
    if raw_addr:
        host, _, port = raw_addr.rpartition(":")
        host = host.strip("[]")
        if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
            raise ConfigError(
                f"HVCONNECT_SANDBOX_ADDR: expected host:port such as 127.0.0.1:8080, "
                f"got {raw_addr!r}"
            )
        settings = replace(settings, host=host, port=int(port))
    raw_db = environ.get("HVCONNECT_SANDBOX_DB", "").strip()
    if raw_db:
        settings = replace(settings, db_path=Path(raw_db))
    if _same_file(settings.db_path, config.db_path):
        raise ConfigError(
            "HVCONNECT_SANDBOX_DB: the sandbox must not use the production database "
            f"{str(config.db_path)!r}; choose another file"
        )
    return settings


def _same_file(a: Path, b: Path) -> bool:
    return a.expanduser().resolve() == b.expanduser().resolve()


class SandboxRunner:
    """Runs the web chat, the emulator and the bot together, and starts them over."""

    def __init__(
        self, config: Config, settings: SandboxSettings, *, base_clock: Clock | None = None
    ) -> None:
        self.config = config
        self.settings = settings
        self.clock = OffsetClock(base_clock or SystemClock(config.tz))
        self.panel = ClockPanel(
            self.clock,
            WorkingCalendar(
                extra_holidays=config.extra_holidays,
                extra_workdays=config.extra_workdays,
                confirmed_years=config.confirmed_years,
            ),
            settings.db_path.with_suffix(".clock"),
        )
        self.webchat = WebChat(self)
        self.url = ""
        self._emulator: BotApiEmulator | None = None
        self.app: BotApplication | None = None
        self._web: web.AppRunner | None = None
        self._lock = asyncio.Lock()

    @property
    def chats_path(self) -> Path:
        """The emulator's chats, e.g. ``data/sandbox.chats.db`` beside ``data/sandbox.db``."""
        return self.settings.db_path.with_suffix(".chats.db")

    # -- SandboxHost, for the page ----------------------------------------------------------

    @property
    def emulator(self) -> BotApiEmulator:
        if self._emulator is None:
            raise RuntimeError("the sandbox is not running")
        return self._emulator

    async def clock_view(self) -> dict[str, Any]:
        return self.panel.view(await self._next_deadline())

    async def advance_clock(self, step: str) -> dict[str, Any]:
        async with self._lock:
            self.panel.advance_to(self.panel.target(step, await self._next_deadline()))
            if self.app is not None:
                # What fell due at the new time (reminders, escalations, the digest) is sent
                # now, as production would within a minute, not at the next scheduled run.
                await services_of(self.app).scheduler.run_once(self.clock.now())
        return await self.clock_view()

    async def reset(self) -> None:
        async with self._lock:
            await self._stop_bot()
            delete_database(self.settings.db_path)
            delete_database(self.chats_path)
            self.panel.forget()
            self.webchat.forget_everyone()
            await self._start_bot()

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> str:
        """Start everything; returns the page's address. The port is taken first, so a
        clash is reported before anything else happens."""
        runner = web.AppRunner(self.webchat.application(), access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.settings.host, self.settings.port).start()
        except OSError:
            await runner.cleanup()
            raise
        self._web = runner
        port = runner.addresses[0][1]
        self.url = f"http://{self.settings.host}:{port}"
        self.panel.load()
        async with self._lock:
            await self._start_bot()
        return self.url

    async def stop(self) -> None:
        async with self._lock:
            self.webchat.close()  # ends the pages' live streams, so the server can close
            if self._web is not None:
                await self._web.cleanup()
                self._web = None
            await self._stop_bot()

    async def _start_bot(self) -> None:
        # No flood control: a trainer clicking through a form should not wait on 429s.
        emulator = BotApiEmulator(
            limits=RateLimits(enabled=False),
            wall_clock=lambda: self.clock.now().timestamp(),
            chats_file=self.chats_path,
        )
        await emulator.start()
        self._emulator = emulator
        config = replace(
            self.config,
            token=emulator.token,
            api_url=emulator.base_url,
            db_path=self.settings.db_path,
            # The sandbox seals its made-up people too, with its own key kept beside its
            # database (never the production key: the two must not mix).
            secret_key=sandbox_key(self.settings.db_path.with_suffix(".key")),
            old_secret_keys=(),
        )
        self.app = await build_application(config, clock=self.clock)
        await start(self.app, poll_timeout=POLL_TIMEOUT_SECONDS)
        db = services_of(self.app).db
        await seed_staff(self.webchat, db, self.clock)
        self.webchat.restore_customers()
        await restore_customers(self.webchat, db)
        self.webchat.mark_all_read()
        self.webchat.changed(clock=True)

    async def _stop_bot(self) -> None:
        if self.app is not None:
            await stop(self.app)
            self.app = None
        if self._emulator is not None:
            # The old emulator object stays readable for pages until the new one is there.
            await self._emulator.stop()

    async def _next_deadline(self) -> date | None:
        if self.app is None:
            return None
        applications = ApplicationsRepo(services_of(self.app).db)
        return await next_deadline(applications, self.panel.calendar, self.clock)


def delete_database(path: Path) -> None:
    """The SQLite file and its journals: a sandbox reset leaves nothing behind."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            Path(f"{path}{suffix}").unlink()


def banner(url: str) -> str:
    return (
        f"hvconnect: sandbox web chat on {url} (the real bot on a local Telegram, no token "
        "needed; set HVCONNECT_TOKEN to use Telegram; Ctrl+C stops it)"
    )


async def run_sandbox(config: Config, settings: SandboxSettings) -> int:
    """Run until Ctrl+C or SIGTERM; print one line with the address, nothing else."""
    runner = SandboxRunner(config, settings)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    try:
        url = await runner.start()
    except OSError as error:
        print(
            f"hvconnect: cannot serve the sandbox on {settings.host}:{settings.port} "
            f"({error.strerror or error}); set HVCONNECT_SANDBOX_ADDR=host:port",
            file=sys.stderr,
        )
        await runner.stop()
        return 1
    except BaseException:
        await runner.stop()
        raise
    print(banner(url), flush=True)
    try:
        await stopping.wait()
    finally:
        await runner.stop()
    return 0
