"""``hvconnect erase-customer USER_ID``: a customer's right to have their data deleted.

Runs :func:`storage.sealing.erase.erase_customer` on the bot's database, with its key (the erased
fields are left as sealed empty values), then empties the WAL so that the old bytes do not
linger there, and prints one line saying what was erased. The bot may keep running.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from typing import TextIO

from bot.config.settings import Config, ConfigError, clock_of
from bot.secure_db import open_bot_database
from storage.sealing.erase import UnknownCustomer, erase_customer
from storage.sealing.rotate import checkpoint

COMMAND = "erase-customer"


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    erase = commands.add_parser(
        COMMAND,
        help="erase a customer's personal data on request, keeping the anonymous history",
    )
    erase.add_argument("user_id", type=int, metavar="USER_ID", help="the customer's Telegram id")
    erase.add_argument(
        "--by", default=None, help="who asks for it, for the history (default: your login)"
    )


def run(args: argparse.Namespace, config: Config, out: TextIO | None = None) -> int:
    """The body of ``hvconnect erase-customer``; returns the exit status."""
    try:
        return asyncio.run(_erase(args.user_id, args.by or _login(), config, out or sys.stdout))
    except ConfigError as exc:
        print(f"hvconnect {COMMAND}: {exc}", file=sys.stderr)
        return 2
    except UnknownCustomer:
        print(f"hvconnect {COMMAND}: no customer with id {args.user_id}", file=sys.stderr)
        return 1


async def _erase(user_id: int, by: str, config: Config, out: TextIO) -> int:
    now = clock_of(config).now()
    db = await open_bot_database(config, now)
    try:
        done = await erase_customer(db, user_id, by=by, now=now)
        await checkpoint(db)
    finally:
        await db.close()
    print(
        f"hvconnect: erased customer {done.user_id}'s personal data: "
        f"{done.applications} application(s), {done.documents} document(s), "
        f"{done.messages} message(s), {done.notes} note(s), {done.surveys} survey comment(s), "
        f"{done.drafts} draft row(s), {done.outbox} sent text(s); "
        "stages, dates, events and scores kept",
        file=out,
    )
    return 0


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in a container without /etc/passwd entry
        return "unknown"
