"""``hvconnect copy-from-sqlite PATH``: a district's SQLite database moved into PostgreSQL.

``HVCONNECT_DB`` names the PostgreSQL database to fill, as for every other command; PATH is
the district's file. Both are migrated to the same schema first (the bot would do the same
at its next start), then every row is copied in one transaction
(:mod:`storage.transfer`). The district's bot must be stopped: its run lock is taken for
the whole copy, so a bot cannot start on the file half-way either. The same key must be
configured afterwards; the sealed values are copied as they are.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TextIO

from bot.config.settings import Config, clock_of
from bot.secure_db import field_cipher
from storage.db import Database
from storage.migrate import migrate
from storage.run_lock import DatabaseInUse, held
from storage.transfer import Transferred, TransferRefused, copy_sqlite_to_postgresql

COMMAND = "copy-from-sqlite"


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    copy = commands.add_parser(
        COMMAND,
        help="copy a district's SQLite database into the PostgreSQL database of HVCONNECT_DB",
    )
    copy.add_argument("source", type=Path, metavar="PATH", help="the district's SQLite file")


def run(args: argparse.Namespace, config: Config, out: TextIO | None = None) -> int:
    """The body of ``hvconnect copy-from-sqlite``; returns the exit status."""
    if not config.on_postgresql:
        print(
            f"hvconnect {COMMAND}: HVCONNECT_DB must be the postgresql:// URL of the database "
            "to copy into",
            file=sys.stderr,
        )
        return 2
    source: Path = args.source
    if not source.is_file():
        print(f"hvconnect {COMMAND}: {source}: no such database file", file=sys.stderr)
        return 2
    try:
        with held(source):
            moved = asyncio.run(_copy(source, config, out or sys.stdout))
    except DatabaseInUse as exc:
        print(f"hvconnect {COMMAND}: {exc}; stop the district's bot first", file=sys.stderr)
        return 1
    except TransferRefused as exc:
        print(f"hvconnect {COMMAND}: {exc}", file=sys.stderr)
        return 1
    print(
        f"hvconnect: copied {moved.total} row(s) of {len(moved.rows)} table(s) from {source} "
        f"into {config.database_name}",
        file=out or sys.stdout,
    )
    return 0


async def _copy(source: Path, config: Config, out: TextIO) -> Transferred:
    now = clock_of(config).now()
    cipher = field_cipher(config)
    for location in (str(source), config.database):
        db = await Database.open(location, cipher=cipher)
        try:
            await migrate(db, now)
        finally:
            await db.close()

    def progress(table: str, rows: int) -> None:
        print(f"  {table}: {rows}", file=out, flush=True)

    target = str(config.database)  # a URL: checked by run()
    return await asyncio.to_thread(copy_sqlite_to_postgresql, source, target, progress=progress)
