"""The ``hvconnect`` command: run the bot, migrate the database.

Every subcommand reads the same configuration as the bot, so what an operator checks from
the shell is what the bot sees.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Sequence

from bot.app import build_application, start, stop
from bot.config import Config, ConfigError, load_config
from process.clock import SystemClock
from storage.db import Database
from storage.migrate import migrate

NO_TOKEN = (
    "hvconnect: no bot token. Get one from @BotFather and set HVCONNECT_TOKEN=123456:ABC... "
    "(for a self-hosted or local Bot API server also set HVCONNECT_API_URL=http://host:port)."
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hvconnect", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="run the bot (long polling)")
    commands.add_parser("migrate", help="apply database migrations and exit")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        config = load_config()
    except ConfigError as exc:
        print(f"hvconnect: {exc}", file=sys.stderr)
        return 2
    if args.command == "migrate":
        return asyncio.run(_migrate(str(config.db_path), config.tz))
    if config.token is None:
        print(NO_TOKEN, file=sys.stderr)
        return 1
    return asyncio.run(_run(config))


async def _migrate(path: str, tz: object) -> int:
    db = await Database.open(path)
    try:
        applied = await migrate(db, SystemClock(tz).now())  # type: ignore[arg-type]
    finally:
        await db.close()
    print(f"hvconnect: database {path} migrated" + (f" ({applied})" if applied else ", up to date"))
    return 0


async def _run(config: Config) -> int:
    application = await build_application(config)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    await start(application)
    logging.getLogger("hvconnect").info("hvconnect is running; Ctrl+C stops it")
    try:
        await stopping.wait()
    finally:
        await stop(application)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
