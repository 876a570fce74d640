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
import socket
import sqlite3
import sys
from collections.abc import Sequence

from telegram.error import TelegramError

from api.settings import ApiListenError
from bot.app import StartupFailure, build_application, start, stop, wait_for_bot_api
from bot.cli import api_client as cli_api_client
from bot.cli import backup as cli_backup
from bot.cli import erase as cli_erase
from bot.cli import outbox as cli_outbox
from bot.cli import staff as cli_staff
from bot.cli import stats as cli_stats
from bot.cli import webhooks as cli_webhooks
from bot.config.settings import Config, ConfigError, Webhook, clock_of, load_config
from bot.logging_redact import install_redaction
from bot.secure_db import field_cipher
from storage.db import Database
from storage.errors import StorageError
from storage.migrate import migrate
from storage.run_lock import DatabaseInUse, RunLock


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
    cli_webhooks.add_parser(commands)
    cli_api_client.add_parser(commands)
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
    install_redaction(config.token, config.database_password)
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
    if args.command == cli_webhooks.COMMAND:
        return cli_webhooks.run(args, config)
    if args.command == cli_api_client.COMMAND:
        return cli_api_client.run(args, config)
    if config.token is None:
        return _run_sandbox(config)
    return asyncio.run(_run(config))


def _run_sandbox(config: Config) -> int:
    """No token: the same bot against a local Telegram, played in a browser."""
    from bot.sandbox.run import run_sandbox, sandbox_settings

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
    db = await Database.open(config.database, cipher=field_cipher(config))
    try:
        applied = await migrate(db, clock_of(config).now())
    finally:
        await db.close()
    print(
        f"hvconnect: database {config.database_name} migrated"
        + (f" ({applied})" if applied else ", up to date")
    )
    return 0


async def _run(config: Config) -> int:
    """The bot, for as long as it runs; the exit status says how it ended.

    A failure that waiting cannot mend (the database in use by another bot or unusable, the
    webhook's port taken, a refused token) ends the process at once with one line and
    status 1, so a process supervisor sees it; a Bot API that does not answer yet is
    waited for (:func:`bot.app.wait_for_bot_api`)."""
    if config.on_postgresql:
        # No run lock: on PostgreSQL several instances on one database are the point, and
        # what the lock guards on SQLite (one writer, a restore under a running bot) is the
        # server's business there (its locks; restore refuses while others are connected).
        return await _serve(config)
    try:
        lock = RunLock(config.db_path)
    except DatabaseInUse as exc:
        return _fail(f"{exc}; a second bot on the same database would answer everything twice")
    except OSError as exc:
        return _fail(f"HVCONNECT_DB: cannot take the lock beside {config.db_path}: {exc}")
    try:
        return await _serve(config)
    finally:
        lock.release()


async def _serve(config: Config) -> int:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    if config.webhook is not None and (busy := port_taken(config.webhook)) is not None:
        return _fail(busy)
    if config.api.host is not None and (
        busy := port_taken(config.api.host, config.api.port, "HVCONNECT_API_LISTEN")
    ):
        return _fail(busy)
    try:
        application = await build_application(config)
    except ConfigError as exc:
        print(f"hvconnect: {exc}", file=sys.stderr)
        return 2
    except (sqlite3.Error, StorageError, OSError) as exc:
        return _fail(f"HVCONNECT_DB: the database {config.database_name} cannot be used: {exc}")
    try:
        if not await wait_for_bot_api(config, stopping):
            return 0
        await start(application, webhook=config.webhook)
        logging.getLogger("hvconnect").info("hvconnect is running; Ctrl+C stops it")
        await stopping.wait()
    except StartupFailure as exc:
        return _fail(str(exc))
    except ApiListenError as exc:  # its port, taken between the check and the bind
        return _fail(f"HVCONNECT_API_LISTEN: {exc}")
    except OSError as exc:  # the webhook's port, taken between the check and the bind
        return _fail(f"HVCONNECT_WEBHOOK_LISTEN: cannot listen: {exc}")
    except TelegramError as exc:
        # The API answered getMe and then failed during start-up: exit, and the process
        # supervisor's restart waits for it again.
        return _fail(f"the Bot API failed while the bot was starting: {exc}")
    finally:
        await stop(application)
    return 0


def port_taken(
    where: Webhook | str, port: int = 0, variable: str = "HVCONNECT_WEBHOOK_LISTEN"
) -> str | None:
    """Why the webhook (or the API, at ``where``:``port``) cannot listen where configured,
    or None if it can: checked before anything else so that a taken port ends the process
    at once."""
    if isinstance(where, Webhook):
        host, port = where.host, where.port
    else:
        host = where
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as exc:
        return f"{variable}: cannot listen on {host}:{port} ({exc.strerror or exc})"
    return None


def _fail(line: str) -> int:
    print(f"hvconnect: {line}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
