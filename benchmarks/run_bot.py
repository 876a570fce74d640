"""A bot in its own process, for the benchmarks that talk to it over HTTP.

``python -m benchmarks.run_bot hvconnect --api-url URL --token T --db PATH --secret-key K``
runs the real bot (:func:`bot.app.build_application`, exactly as production builds it, only
the Bot API URL differs); ``--db`` takes a ``postgresql://`` URL as ``HVCONNECT_DB`` does,
and ``--webhook-url``, ``--webhook-secret`` and ``--webhook-listen`` put it in webhook mode
(one instance of a fleet behind a balancer) instead of long polling.
``python -m benchmarks.run_bot echo --api-url URL --token T`` runs the bare echo bot, and
``... floor --api-url URL --token T --db PATH`` the echo bot that commits one transaction
per update. Each prints one line ``ready {json}`` when it is polling, or listening with its
webhook registered (with how long each phase of its start took), and stops cleanly on
SIGTERM or SIGINT.
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()

import argparse  # noqa: E402 - the clock above must start before the imports it times
import asyncio  # noqa: E402
import json  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from datetime import datetime, timedelta, tzinfo  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run_bot", description=__doc__)
    parser.add_argument("kind", choices=("hvconnect", "echo", "floor"))
    parser.add_argument("--api-url", required=True, help="the emulator, e.g. http://127.0.0.1:8081")
    parser.add_argument("--token", required=True)
    parser.add_argument("--db", help="hvconnect's database: a file, or a postgresql:// URL")
    parser.add_argument("--secret-key", help="HVCONNECT_SECRET_KEY for hvconnect")
    parser.add_argument(
        "--start", help="the bot's clock starts at this ISO moment and then runs (default: now)"
    )
    parser.add_argument("--poll-timeout", type=int, default=10)
    parser.add_argument(
        "--no-flood-limiter",
        action="store_true",
        help="hvconnect without its rate limiter (Telegram's limits on messages)",
    )
    parser.add_argument("--webhook-url", help="webhook mode: the https:// URL to register")
    parser.add_argument("--webhook-secret", help="the webhook's secret token")
    parser.add_argument(
        "--webhook-listen", help="where this instance's webhook server listens, host:port"
    )
    args = parser.parse_args(argv)
    if args.kind in ("hvconnect", "floor") and args.db is None:
        parser.error(f"{args.kind} needs --db")
    if args.webhook_url and not (args.webhook_secret and args.webhook_listen):
        parser.error("--webhook-url needs --webhook-secret and --webhook-listen")
    return asyncio.run(_serve(args))


async def _serve(args: argparse.Namespace) -> int:
    phases: dict[str, float] = {}
    mark = time.perf_counter()
    phases["imports_ms"] = (mark - STARTED) * 1000
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    floor_db: Any = None
    if args.kind in ("echo", "floor"):
        from benchmarks.echo_bot import (
            build_echo_application,
            build_floor_application,
            open_floor_database,
        )

        if args.kind == "floor":
            floor_db = await open_floor_database(str(args.db))
            application: Any = build_floor_application(args.token, floor_db, api_url=args.api_url)
        else:
            application = build_echo_application(args.token, api_url=args.api_url)
        phases["build_ms"] = _lap(mark)
        mark = time.perf_counter()
        await application.initialize()
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(timeout=args.poll_timeout)
        phases["start_ms"] = _lap(mark)
        _ready(phases)
        await stopping.wait()
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
        if floor_db is not None:
            await floor_db.close()
        return 0

    from bot.app import build_application, start, stop
    from bot.config.settings import Config
    from process.clock import SystemClock

    phases["imports_ms"] = (time.perf_counter() - STARTED) * 1000
    mark = time.perf_counter()
    config = Config(
        token=args.token,
        api_url=args.api_url,
        secret_key=args.secret_key,
        webhook=_webhook(args),
        **database_settings(args.db),
    )
    clock: Any = SystemClock(config.tz)
    if args.start:
        clock = RunningClock(datetime.fromisoformat(args.start), config.tz)
    application = await build_application(config, clock=clock)
    if args.no_flood_limiter:
        lift_flood_limiter(application)
    phases["build_ms"] = _lap(mark)
    mark = time.perf_counter()
    await start(application, poll_timeout=args.poll_timeout, webhook=config.webhook)
    phases["start_ms"] = _lap(mark)
    _ready(phases)
    try:
        await stopping.wait()
    finally:
        await stop(application)
    return 0


def database_settings(database: str | Path) -> dict[str, Any]:
    """The Config fields for ``database``, read as ``HVCONNECT_DB`` is: a URL or a file."""
    if "://" in str(database):
        return {"db_url": str(database)}
    return {"db_path": Path(database)}


def _webhook(args: argparse.Namespace) -> Any:
    if not args.webhook_url:
        return None
    from bot.config.settings import Webhook

    host, _, port = args.webhook_listen.rpartition(":")
    return Webhook(url=args.webhook_url, secret=args.webhook_secret, host=host, port=int(port))


def lift_flood_limiter(application: Any) -> None:
    """Take the rate limiter off the application's bot.

    It keeps the messages the bot sends to Telegram's 30 a second overall, which
    benchmark customers who answer at once run into within the first second; without it,
    what is left is the bot's own cost. build_application has no switch for it, so the
    benchmark lifts it here, before the bot is initialised.
    """
    application.bot._rate_limiter = None


class RunningClock:
    """Real time, but starting from a chosen moment: the same dates on every run."""

    def __init__(self, start: datetime, tz: tzinfo) -> None:
        self._start = start.astimezone(tz)
        self._origin = time.monotonic()
        self._tz = tz

    @property
    def tz(self) -> tzinfo:
        return self._tz

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._origin)


def _lap(mark: float) -> float:
    return (time.perf_counter() - mark) * 1000


def _ready(phases: dict[str, float]) -> None:
    print("ready " + json.dumps({k: round(v, 1) for k, v in phases.items()}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
