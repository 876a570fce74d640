"""``hvconnect backup | restore | rotate-key | audit``: the operator's tools for the data.

* ``backup PATH [--encrypt]``: a consistent snapshot of the live database (the bot may keep
  running), checked, with its manifest beside it;
* ``restore PATH``: checks a snapshot completely, keeps the current database aside, and
  puts the snapshot in its place; refused while a bot runs on the database (its lock);
* on PostgreSQL the snapshot is a ``pg_dump`` archive and ``restore`` runs ``pg_restore``
  (:mod:`storage.backup.postgresql`): it replaces a shared server's database, which no file
  lock guards, so it also asks for ``--yes`` and refuses while anyone else is connected;
* ``rotate-key --new-key K``: re-seals all personal data under a new key in small batches
  while the bot runs (the README gives the order of steps);
* ``audit NUMBER``: an application's whole history, its messages and documents.

They read the same configuration as the bot, key included.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from bot.cli.audit_print import print_audit
from bot.config.settings import Config, clock_of
from bot.secure_db import field_cipher
from storage.audit import audit_trail
from storage.backup.postgresql import restore_dump, take_dump
from storage.backup.restore import restore
from storage.backup.snapshot import manifest_path, take_backup
from storage.db import Database
from storage.errors import StorageError
from storage.migrate import migrate
from storage.run_lock import DatabaseInUse
from storage.sealing.crypto import BadSecretKey, FieldCipher, parse_secret_key
from storage.sealing.rotate import DEFAULT_BATCH, checkpoint, reseal

COMMANDS = ("backup", "restore", "rotate-key", "audit")


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    backup = commands.add_parser("backup", help="take a checked snapshot of the live database")
    backup.add_argument("path", type=Path, help="the snapshot file to write")
    backup.add_argument(
        "--encrypt", action="store_true", help="encrypt the whole file (HVCONNECT_SECRET_KEY)"
    )
    restore_ = commands.add_parser(
        "restore", help="check a snapshot and put it in place of the database (bot stopped)"
    )
    restore_.add_argument("path", type=Path, help="a snapshot written by hvconnect backup")
    restore_.add_argument(
        "--yes",
        action="store_true",
        help="on PostgreSQL: yes, replace the contents of the database HVCONNECT_DB names",
    )
    rotate = commands.add_parser(
        "rotate-key", help="re-encrypt all personal data under a new key, bot running"
    )
    rotate.add_argument(
        "--new-key", required=True, help="the new key; '-' reads it from standard input"
    )
    rotate.add_argument(
        "--batch", type=int, default=DEFAULT_BATCH, help="rows per transaction (default 200)"
    )
    audit = commands.add_parser("audit", help="an application's whole history")
    audit.add_argument("number", help="the application number, e.g. HV-2026-000123")


def run(args: argparse.Namespace, config: Config) -> int:
    """The body of the four commands; returns the exit status."""
    name = f"hvconnect {args.command}"
    try:
        cipher = field_cipher(config)
        if args.command == "backup":
            return asyncio.run(_backup(args.path, args.encrypt, config, cipher))
        if args.command == "restore":
            return asyncio.run(_restore(args.path, config, cipher, confirmed=args.yes))
        if args.command == "rotate-key":
            new_key = sys.stdin.readline().strip() if args.new_key == "-" else args.new_key
            return asyncio.run(_rotate(new_key, args.batch, config))
        return asyncio.run(_audit(args.number, config, cipher))
    except DatabaseInUse as exc:
        print(f"{name}: {exc}; stop the bot first, then run this again", file=sys.stderr)
        return 1
    except (StorageError, OSError) as exc:  # backup, key and schema problems: one line
        print(f"{name}: {exc}", file=sys.stderr)
        return 1


async def _backup(path: Path, encrypt: bool, config: Config, cipher: FieldCipher | None) -> int:
    if encrypt and cipher is None:
        print("hvconnect backup: --encrypt needs HVCONNECT_SECRET_KEY", file=sys.stderr)
        return 2
    now = clock_of(config).now()
    if config.db_url is not None:
        manifest = await take_dump(config.db_url, path, now, cipher=cipher if encrypt else None)
    elif not config.db_path.exists():
        print(f"hvconnect backup: no database at {config.db_path}", file=sys.stderr)
        return 1
    else:
        manifest = await take_backup(config.db_path, path, now, cipher=cipher if encrypt else None)
    print(
        f"hvconnect: backup of {config.database_name} written to {path} "
        f"({manifest.rows} rows in {len(manifest.tables)} tables, schema {manifest.schema_version}"
        f"{', encrypted' if manifest.encrypted else ''}); manifest {manifest_path(path)}"
    )
    return 0


async def _restore(
    path: Path, config: Config, cipher: FieldCipher | None, *, confirmed: bool
) -> int:
    now = clock_of(config).now()
    if config.db_url is not None:
        if not confirmed:
            print(
                f"hvconnect restore: this replaces everything in {config.database_name}; "
                "stop every bot on it, then run this again with --yes",
                file=sys.stderr,
            )
            return 2
        done = await restore_dump(path, config.db_url, now, cipher=cipher)
        kept = f"; the previous contents are dumped to {done.kept_aside}" if done.kept_aside else ""
    else:
        done = await restore(path, config.db_path, now, cipher=cipher)
        kept = f"; the previous database is kept as {done.kept_aside}" if done.kept_aside else ""
    print(
        f"hvconnect: {path} checked and restored to {config.database_name} "
        f"({done.manifest.rows} rows, schema {done.manifest.schema_version}){kept}"
    )
    return 0


async def _rotate(new_key: str, batch: int, config: Config, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    if batch < 1:
        print("hvconnect rotate-key: --batch must be at least 1", file=sys.stderr)
        return 2
    try:
        parse_secret_key(new_key, name="--new-key")
    except BadSecretKey as exc:
        print(f"hvconnect rotate-key: {exc}", file=sys.stderr)
        return 2
    if config.secret_key is None:
        print(
            "hvconnect rotate-key: set HVCONNECT_SECRET_KEY to the key in use, so that the "
            "values sealed under it can be opened",
            file=sys.stderr,
        )
        return 2
    previous = [k for k in (config.secret_key, *config.old_secret_keys) if k != new_key]
    cipher = field_cipher(replace(config, secret_key=new_key, old_secret_keys=tuple(previous)))
    db = await Database.open(config.database, cipher=cipher)
    try:
        await migrate(db, clock_of(config).now())
        report = await reseal(db, batch_size=batch)
        await checkpoint(db)
    finally:
        await db.close()
    assert cipher is not None
    counts = ", ".join(f"{k} {n}" for k, n in sorted(report.resealed.items())) or "nothing"
    print(f"hvconnect: re-sealed under key {cipher.current.key_id}: {counts}", file=out)
    if report.remaining:
        print(
            f"hvconnect: {report.remaining} row(s) were written under an old key meanwhile: "
            "is the bot running with the new key as HVCONNECT_SECRET_KEY? Run again after.",
            file=out,
        )
        return 1
    print(
        "hvconnect: every value is sealed under the new key; HVCONNECT_OLD_SECRET_KEYS can "
        "now be emptied",
        file=out,
    )
    return 0


async def _audit(number: str, config: Config, cipher: FieldCipher | None) -> int:
    if not config.on_postgresql and not config.db_path.exists():
        print(f"hvconnect audit: no database at {config.db_path}", file=sys.stderr)
        return 1
    db = await Database.open(config.database, cipher=cipher)
    try:
        trail = await audit_trail(db, number.strip().upper())
    finally:
        await db.close()
    if trail is None:
        print(f"hvconnect audit: no application {number}", file=sys.stderr)
        return 1
    print_audit(trail, config.tz, sys.stdout)
    return 0
