"""``hvconnect outbox``: what the bot still has to say, and what it gave up on.

For the operator on call: counts by status, then the messages waiting, retrying and dead
with their keys, attempts and Telegram's last answer. Message texts are never printed;
they hold customers' personal data. The command only reads the database.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime, tzinfo
from pathlib import Path
from typing import TextIO

from bot.config.settings import Config
from bot.secure_db import field_cipher
from storage.db import Database, table_exists
from storage.outbox import OutboxRepo, OutboxRow, OutboxStatus
from storage.sealing.crypto import FieldCipher

LISTED = (OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.FAILED, OutboxStatus.DEAD)
TITLES = {
    OutboxStatus.PENDING: "waiting",
    OutboxStatus.SENDING: "in flight",
    OutboxStatus.FAILED: "failed, will retry",
    OutboxStatus.DEAD: "dead, given up",
}
HEADER = ("id", "key", "kind", "chat", "attempts", "next attempt", "last error")
ERROR_WIDTH = 60


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "outbox", help="show the outbox: counts by status, waiting, retrying and dead messages"
    )
    parser.add_argument(
        "--limit", type=int, default=50, help="messages listed per status (default 50)"
    )


def run(args: argparse.Namespace, config: Config) -> int:
    """The body of ``hvconnect outbox``."""
    if args.limit < 1:
        print("hvconnect outbox: --limit must be at least 1", file=sys.stderr)
        return 2
    if not config.on_postgresql and not config.db_path.exists():
        # Opening it would create an empty database, and report nothing useful.
        print(f"hvconnect outbox: no database at {config.db_path}", file=sys.stderr)
        return 1
    return asyncio.run(
        show_outbox(
            config.database,
            config.tz,
            limit=args.limit,
            cipher=field_cipher(config),
            name=config.database_name,
        )
    )


async def show_outbox(
    database: Path | str,
    tz: tzinfo,
    *,
    limit: int = 50,
    out: TextIO | None = None,
    cipher: FieldCipher | None = None,
    name: str | None = None,
) -> int:
    """Print the outbox report for the existing database (a file or a URL, shown as
    ``name``); the exit status."""
    out = out or sys.stdout
    name = name or str(database)
    db = await Database.open(database, cipher=cipher)
    try:
        if not await table_exists(db, "outbox"):
            print(
                f"hvconnect outbox: {name} has no outbox yet; run `hvconnect migrate`",
                file=sys.stderr,
            )
            return 1
        repo = OutboxRepo(db)
        counts = await repo.summary()
        print(f"outbox of {name}", file=out)
        print("  " + " · ".join(f"{status} {n}" for status, n in counts.items()), file=out)
        for status in LISTED:
            if counts[status] == 0:
                continue
            rows = await repo.list(status, limit)
            shown = f", oldest {len(rows)} shown" if len(rows) < counts[status] else ""
            print(f"\n{status} — {TITLES[status]} ({counts[status]}{shown})", file=out)
            print(_table([_cells(row, tz) for row in rows]), file=out)
    finally:
        await db.close()
    return 0


def _cells(row: OutboxRow, tz: tzinfo) -> tuple[str, ...]:
    retrying = row.status in (OutboxStatus.PENDING, OutboxStatus.FAILED)
    error = (row.last_error or "").replace("\n", " ")
    if len(error) > ERROR_WIDTH:
        error = error[: ERROR_WIDTH - 1] + "…"
    return (
        str(row.id),
        row.key,
        row.kind,
        str(row.chat_id),
        str(row.attempts),
        _moment(max(row.next_attempt_at, row.not_before), tz) if retrying else "—",
        error or "—",
    )


def _moment(moment: datetime, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")


def _table(rows: list[tuple[str, ...]]) -> str:
    lines = [HEADER, *rows]
    widths = [max(len(cells[i]) for cells in lines) for i in range(len(HEADER))]
    return "\n".join(
        "  "
        + "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()
        for cells in lines
    )
