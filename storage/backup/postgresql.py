"""Backups of a PostgreSQL database: ``pg_dump --format=custom`` and ``pg_restore``, with
the same manifest, checks and names as the SQLite snapshots (:mod:`storage.backup.snapshot`).

PostgreSQL's own programs do the copying, because nothing else knows its files; what this
module adds is what an hvconnect backup promises. The rows counted for the manifest are the
very rows dumped: the counts are read in a transaction whose snapshot ``pg_dump`` is told to
use (``pg_export_snapshot``), so the manifest describes exactly what the dump holds while the
bots keep writing. With a cipher the archive is encrypted whole, in memory, as a SQLite
snapshot is (:mod:`storage.backup.encryption`).

A restore checks the file against its manifest (size, SHA-256, encryption, that
``pg_restore`` can read it, a schema this release knows) before it touches the database;
refuses while any other session is connected to the database (a running bot would carry on
with rows that are no longer there); dumps the current contents beside the backup, as the
SQLite restore keeps the replaced file; and then restores in one transaction
(``--single-transaction``), so a failure half-way leaves the database as it was.

The password never goes on a command line (other users of the machine can read those): it
is handed to the programs in ``PGPASSWORD``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from storage.backup.encryption import decrypt_file, encrypt_bytes, is_encrypted
from storage.backup.restore import Restored
from storage.backup.snapshot import (
    MANIFEST_FORMAT,
    BackupError,
    Manifest,
    daily_name,
    file_sha256,
    manifest_path,
    prune,
)
from storage.migrate import LATEST_VERSION
from storage.run_lock import DatabaseInUse
from storage.sealing.crypto import FieldCipher

# The first bytes of a pg_dump custom-format archive, and of a SQLite database file.
DUMP_MAGIC = b"PGDMP"
SQLITE_MAGIC = b"SQLite format 3\x00"
DUMP_SUFFIX = ".dump"
# Where Debian puts the programs of each server version; PATH is tried first.
_BIN_GLOB = "/usr/lib/postgresql/*/bin"


def program(name: str) -> str:
    """The path of PostgreSQL's ``name`` (pg_dump, pg_restore), or one line saying what to
    install."""
    found = shutil.which(name)
    if found is not None:
        return found
    candidates = sorted(Path("/").glob(_BIN_GLOB.lstrip("/")), reverse=True)
    for folder in candidates:
        if (folder / name).exists():
            return str(folder / name)
    raise BackupError(
        f"{name} not found: a PostgreSQL backup needs PostgreSQL's client programs "
        "(Debian: apt-get install postgresql-client) on PATH"
    )


def _connection_for_programs(url: str) -> tuple[str, dict[str, str]]:
    """The connection string without its password, and an environment that carries it."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params: dict[str, Any] = conninfo_to_dict(url)
    env = dict(os.environ)
    password = params.pop("password", None)
    if password is not None:
        env["PGPASSWORD"] = str(password)
    return make_conninfo(**params), env


def _run(args: Sequence[str], env: dict[str, str], data: bytes | None = None) -> bytes:
    done = subprocess.run(list(args), input=data, capture_output=True, env=env, check=False)
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise BackupError(f"{Path(args[0]).name} failed: {detail[-1] if detail else done}")
    return done.stdout


def _scalar(cursor: Any, sql: str) -> Any:
    cursor.execute(sql)
    return cursor.fetchone()[0]


def _tables(cursor: Any) -> dict[str, int]:
    cursor.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name"
    )
    names = [str(row[0]) for row in cursor.fetchall()]
    counts: dict[str, int] = {}
    for name in names:
        cursor.execute(f'SELECT COUNT(*) FROM "{name}"')
        counts[name] = int(cursor.fetchone()[0])
    return counts


def _version(cursor: Any) -> int:
    cursor.execute("SELECT to_regclass('schema_migrations') IS NOT NULL")
    if not cursor.fetchone()[0]:
        return 0
    cursor.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
    return int(cursor.fetchone()[0])


async def take_dump(
    url: str, dest: Path, now: datetime, *, cipher: FieldCipher | None = None
) -> Manifest:
    """Dump the database at ``url`` into ``dest`` (encrypted with ``cipher``'s current key
    when one is given) and write its manifest; returns the manifest."""
    return await asyncio.to_thread(dump, url, dest, now, cipher)


def dump(url: str, dest: Path, now: datetime, cipher: FieldCipher | None) -> Manifest:
    """The blocking body of :func:`take_dump`, for a worker thread."""
    import psycopg

    pg_dump = program("pg_dump")
    if dest.exists():
        raise BackupError(f"{dest} already exists; choose a new name")
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    conninfo, env = _connection_for_programs(url)
    try:
        with psycopg.connect(url, autocommit=True) as connection, connection.cursor() as cursor:
            # The transaction stays open while pg_dump runs: its snapshot lives only so long.
            cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            snapshot_id = str(_scalar(cursor, "SELECT pg_export_snapshot()"))
            tables, version = _tables(cursor), _version(cursor)
            archive = _run(
                [pg_dump, "--format=custom", f"--snapshot={snapshot_id}", f"--dbname={conninfo}"],
                env,
            )
            cursor.execute("COMMIT")
        with partial.open("wb") as out:
            if cipher is None:
                out.write(archive)
            else:
                encrypt_bytes(archive, cipher, out)
            out.flush()
            os.fsync(out.fileno())
    except psycopg.Error as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"cannot read the database to back it up: {exc}") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, dest)
    manifest = Manifest(
        format=MANIFEST_FORMAT,
        created_at=now.isoformat(),
        schema_version=version,
        tables=tables,
        size=dest.stat().st_size,
        sha256=file_sha256(dest),
        encrypted=cipher is not None,
        key_id=cipher.current.key_id if cipher is not None else None,
    )
    manifest_path(dest).write_text(manifest.to_json() + "\n", encoding="utf-8")
    return manifest


async def daily_dump(
    url: str, directory: Path, now: datetime, *, keep_days: int, cipher: FieldCipher | None
) -> tuple[Manifest, list[Path]]:
    """Today's dump into ``directory``, then the daily backups older than ``keep_days``
    removed, as :func:`storage.backup.snapshot.daily_backup` does for SQLite."""
    dest = directory / daily_name(now, encrypted=cipher is not None, suffix=DUMP_SUFFIX)
    manifest = await take_dump(url, dest, now, cipher=cipher)
    removed = await asyncio.to_thread(prune, directory, now - timedelta(days=keep_days))
    return manifest, removed


def verify_dump(backup: Path, cipher: FieldCipher | None) -> tuple[Manifest, bytes]:
    """Check ``backup`` before anything is replaced; its manifest and archive if it passes."""
    if not backup.is_file():
        raise BackupError(f"no backup at {backup}")
    try:
        manifest = Manifest.from_json(manifest_path(backup).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"no manifest beside the backup ({manifest_path(backup)})") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise BackupError(f"the manifest of {backup} cannot be read ({exc})") from None
    if backup.stat().st_size != manifest.size or file_sha256(backup) != manifest.sha256:
        raise BackupError(f"{backup} does not match its manifest (changed or damaged)")
    if manifest.encrypted != is_encrypted(backup):
        raise BackupError(f"{backup} does not match its manifest (encryption)")
    if manifest.encrypted:
        if cipher is None:
            raise BackupError("the backup is encrypted; set HVCONNECT_SECRET_KEY to restore it")
        data = decrypt_file(backup, cipher)
    else:
        data = backup.read_bytes()
    if data.startswith(SQLITE_MAGIC):
        raise BackupError(
            f"{backup} is a SQLite snapshot; HVCONNECT_DB names a PostgreSQL database"
        )
    if not data.startswith(DUMP_MAGIC):
        raise BackupError(f"{backup} is not a pg_dump archive")
    if manifest.schema_version > LATEST_VERSION:
        raise BackupError(
            f"the backup is from a newer schema (version {manifest.schema_version}; this "
            f"release knows up to {LATEST_VERSION}); restore it with a newer release"
        )
    _, env = _connection_for_programs("")
    _run([program("pg_restore"), "--list"], env, data)  # reads the whole table of contents
    return manifest, data


async def restore_dump(
    backup: Path, url: str, now: datetime, *, cipher: FieldCipher | None
) -> Restored:
    """Verify ``backup`` and restore it into the database at ``url``."""
    return await asyncio.to_thread(restore_dump_now, backup, url, now, cipher)


def restore_dump_now(backup: Path, url: str, now: datetime, cipher: FieldCipher | None) -> Restored:
    """The blocking body of :func:`restore_dump`; :class:`DatabaseInUse` while any other
    session is connected to the database."""
    import psycopg

    manifest, data = verify_dump(backup, cipher)
    conninfo, env = _connection_for_programs(url)
    try:
        with psycopg.connect(url, autocommit=True) as connection, connection.cursor() as cursor:
            _refuse_if_in_use(cursor)
            had_tables = bool(_tables(cursor))
    except psycopg.Error as exc:
        raise BackupError(f"cannot reach the database to restore into: {exc}") from None
    aside: Path | None = None
    if had_tables:
        aside = backup.with_name(f"hvconnect-replaced-{now:%Y%m%d-%H%M%S}.dump")
        dump(url, aside, now, None)
    _run(
        [program("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
         "--single-transaction", "--exit-on-error", f"--dbname={conninfo}"],
        env,
        data,
    )  # fmt: skip
    with psycopg.connect(url, autocommit=True) as connection, connection.cursor() as cursor:
        # Tables of a newer schema than the backup's are not in the archive, so --clean left
        # them; the migrations would trip over them at the next start.
        cursor.execute("BEGIN")
        for name in set(_tables(cursor)) - set(manifest.tables):
            cursor.execute(f'DROP TABLE IF EXISTS "{name}" CASCADE')
        cursor.execute("COMMIT")
        restored = _tables(cursor)
    if restored != manifest.tables:
        kept = f"; the previous contents are in {aside}" if aside else ""
        raise BackupError(f"the restored database does not hold what the manifest lists{kept}")
    return Restored(manifest, aside)


def _refuse_if_in_use(cursor: Any) -> None:
    # Client sessions only: the server's own workers (autovacuum) come and go by themselves.
    cursor.execute(
        "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
    )
    others = int(cursor.fetchone()[0])
    if others:
        raise DatabaseInUse(
            f"the database has {others} other connection(s), a running hvconnect's among "
            "them perhaps"
        )
