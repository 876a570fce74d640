"""The ``hvconnect`` command: run the bot (or, without a token, the sandbox web chat),
migrate the database.

Every subcommand reads the same configuration as the bot, so what an operator checks from
the shell is what the bot sees.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Sequence

from bot import cli_backup, cli_erase, cli_outbox, cli_staff, cli_stats
from bot.app import build_application, start, stop
from bot.config import Config, ConfigError, clock_of, load_config
from bot.logging_redact import install_redaction
from bot.secure_db import field_cipher
from storage.db import Database
from storage.migrate import migrate


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hvconnect", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "run", help="run the bot (long polling); without a token, the sandbox web chat"
    )
    commands.add_parser("migrate", help="apply database migrations and exit")
    cli_outbox.add_parser(commands)
    cli_staff.add_parser(commands)
    cli_backup.add_parsers(commands)
    cli_stats.add_parsers(commands)
    cli_erase.add_parser(commands)
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
    install_redaction(config.token)
    if args.command == "migrate":
        return asyncio.run(_migrate(config))
    if args.command == "outbox":
        return cli_outbox.run(args, config)
    if args.command == "staff":
        return cli_staff.run(args, config)
    if args.command in cli_backup.COMMANDS:
        return cli_backup.run(args, config)
    if args.command in cli_stats.COMMANDS:
        return cli_stats.run(args, config)
    if args.command == cli_erase.COMMAND:
        return cli_erase.run(args, config)
    if config.token is None:
        return _run_sandbox(config)
    return asyncio.run(_run(config))


def _run_sandbox(config: Config) -> int:
    """No token: the same bot against a local Telegram, played in a browser."""
    from bot.sandbox_run import run_sandbox, sandbox_settings

    try:
        settings = sandbox_settings(config, os.environ)
    except ConfigError as exc:
        print(f"hvconnect: {exc}", file=sys.stderr)
        return 2
    # The address is the one line a person needs; routine log lines would bury it.
    logging.getLogger().setLevel(logging.WARNING)
    try:
        return asyncio.run(run_sandbox(config, settings))
    except KeyboardInterrupt:
        return 0


async def _migrate(config: Config) -> int:
    path = str(config.db_path)
    db = await Database.open(path, cipher=field_cipher(config))
    try:
        applied = await migrate(db, clock_of(config).now())
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
    await start(application, webhook=config.webhook)
    logging.getLogger("hvconnect").info("hvconnect is running; Ctrl+C stops it")
    try:
        await stopping.wait()
    finally:
        await stop(application)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
