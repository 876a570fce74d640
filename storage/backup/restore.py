"""Putting a backup back: everything is checked before anything is replaced.

A snapshot must match its manifest (size, SHA-256), decrypt with one of the configured keys
if it is encrypted, pass ``PRAGMA integrity_check``, hold the row counts the manifest
promises, come from a schema this release knows (a newer one is refused: this code cannot
know what it means) and hold personal data the configured keys can open. Only then is the
current database renamed aside with a timestamp (its WAL and shared-memory files with it,
so the pair stays usable) and the snapshot moved into its place, atomically.

Stop the bot first: a running bot keeps its connection to the file that was moved aside.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from storage.backup.encryption import decrypt_file, is_encrypted
from storage.backup.snapshot import (
    BackupError,
    Manifest,
    describe,
    file_sha256,
    manifest_path,
    standalone,
)
from storage.migrate import LATEST_VERSION
from storage.run_lock import held
from storage.sealing.columns import SEALED_COLUMNS, open_value
from storage.sealing.crypto import CryptoError, FieldCipher

_SIDE_FILES = ("", "-wal", "-shm")


@dataclass(frozen=True)
class Restored:
    manifest: Manifest
    kept_aside: Path | None  # where the replaced database now is, if there was one


def read_checked(backup: Path, cipher: FieldCipher | None) -> tuple[Manifest, bytes]:
    """A backup file of either database, checked against its manifest (present, readable,
    the same size, digest and encryption) and opened: its manifest and plain bytes."""
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
    return manifest, data


def verify(backup: Path, cipher: FieldCipher | None) -> tuple[Manifest, bytes]:
    """Check ``backup`` against everything above; its manifest and plain bytes if it passes.

    Raises :class:`BackupError` with one line saying what is wrong.
    """
    manifest, data = read_checked(backup, cipher)
    copy = sqlite3.connect(":memory:")
    try:
        try:
            copy.deserialize(standalone(data))
            tables, version = describe(copy)
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{backup} is not a readable database ({exc})") from None
        if version > LATEST_VERSION:
            raise BackupError(
                f"the backup is from a newer schema (version {version}; this release knows "
                f"up to {LATEST_VERSION}); restore it with a newer release"
            )
        if version != manifest.schema_version or tables != manifest.tables:
            raise BackupError(f"{backup} does not hold what its manifest lists")
        _check_keys(copy, cipher)
    finally:
        copy.close()
    return manifest, data


def _check_keys(copy: sqlite3.Connection, cipher: FieldCipher | None) -> None:
    """One value of each sealed column must open, or the restored bot could read nothing."""
    present = {row[0] for row in copy.execute("SELECT name FROM sqlite_master")}
    for table, columns in SEALED_COLUMNS.items():
        if table not in present:
            continue
        for column in columns:
            row = copy.execute(
                f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL LIMIT 1"
            ).fetchone()
            if row is None or not isinstance(row[0], str):
                continue
            try:
                open_value(cipher, row[0])
            except CryptoError as exc:
                raise BackupError(f"the backup's personal data does not open: {exc}") from None


async def restore(
    backup: Path, db_path: Path, now: datetime, *, cipher: FieldCipher | None
) -> Restored:
    """Verify ``backup`` and put it in place of the database at ``db_path``."""
    return await asyncio.to_thread(restore_now, backup, db_path, now, cipher)


def restore_now(backup: Path, db_path: Path, now: datetime, cipher: FieldCipher | None) -> Restored:
    """The blocking body of :func:`restore`.

    Refused (:class:`~storage.run_lock.DatabaseInUse`) while a bot runs on ``db_path``: it
    would keep writing to the replaced file. The lock is held until the snapshot is in
    place, so no bot starts on a half-restored database either."""
    with held(db_path):
        return _replace(backup, db_path, now, cipher)


def _replace(backup: Path, db_path: Path, now: datetime, cipher: FieldCipher | None) -> Restored:
    manifest, data = verify(backup, cipher)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    incoming = db_path.with_name(db_path.name + ".restoring")
    with incoming.open("wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    aside: Path | None = None
    if db_path.exists():
        aside = db_path.with_name(f"{db_path.name}.replaced-{now:%Y%m%d-%H%M%S}")
        for suffix in _SIDE_FILES:
            current = Path(f"{db_path}{suffix}")
            if current.exists():
                os.replace(current, Path(f"{aside}{suffix}"))
    else:
        for suffix in _SIDE_FILES[1:]:
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    os.replace(incoming, db_path)
    return Restored(manifest, aside)
