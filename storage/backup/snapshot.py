"""Online backups: a consistent snapshot of the live database, checked before it counts.

SQLite's backup API copies the database through a separate connection inside one read
transaction, so the snapshot is exactly what had been committed at one moment, while the
bot keeps writing (WAL lets readers and the writer work side by side). The copy is then
checked (``PRAGMA integrity_check``) and described in a manifest written beside it
(``<file>.manifest.json``: schema version, row count per table, size and SHA-256 of the
file as stored), which :mod:`storage.backup.restore` verifies before it replaces anything.

With ``encrypt`` the whole file is encrypted (:mod:`storage.backup.encryption`); the snapshot is
then taken into memory, so the plain copy never touches the disk.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import sqlite3
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path

from storage.backup.encryption import encrypt_bytes
from storage.errors import StorageError
from storage.sealing.crypto import FieldCipher

MANIFEST_SUFFIX = ".manifest.json"
MANIFEST_FORMAT = 1
# A daily backup: a SQLite snapshot (.db) or a PostgreSQL dump (.dump, backup/postgresql.py).
DAILY_NAME = re.compile(r"^hvconnect-(\d{8}-\d{6})\.(?:db|dump)(\.enc)?$")


class BackupError(StorageError):
    """A snapshot could not be taken or did not pass its checks."""


@dataclass(frozen=True)
class Manifest:
    """What a backup file holds, written beside it and checked on restore."""

    format: int
    created_at: str
    schema_version: int
    tables: dict[str, int]
    size: int
    sha256: str
    encrypted: bool
    key_id: str | None

    @property
    def rows(self) -> int:
        return sum(self.tables.values())

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
            raise BackupError("the manifest is not one this release can read")
        return cls(
            format=int(data["format"]),
            created_at=str(data["created_at"]),
            schema_version=int(data["schema_version"]),
            tables={str(k): int(v) for k, v in dict(data["tables"]).items()},
            size=int(data["size"]),
            sha256=str(data["sha256"]),
            encrypted=bool(data["encrypted"]),
            key_id=None if data.get("key_id") is None else str(data["key_id"]),
        )


def manifest_path(backup: Path) -> Path:
    return backup.with_name(backup.name + MANIFEST_SUFFIX)


async def take_backup(
    db_path: Path, dest: Path, now: datetime, *, cipher: FieldCipher | None = None
) -> Manifest:
    """Snapshot the database at ``db_path`` into ``dest`` (encrypted with ``cipher``'s
    current key when one is given) and write its manifest; returns the manifest."""
    return await asyncio.to_thread(snapshot, db_path, dest, now, cipher)


def snapshot(db_path: Path, dest: Path, now: datetime, cipher: FieldCipher | None) -> Manifest:
    """The blocking body of :func:`take_backup`, for a worker thread."""
    if not db_path.exists():
        raise BackupError(f"no database at {db_path}")
    if dest.exists():
        raise BackupError(f"{dest} already exists; choose a new name")
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    source = sqlite3.connect(db_path)
    try:
        if cipher is None:
            copy = sqlite3.connect(partial)
        else:
            copy = sqlite3.connect(":memory:")
        try:
            # One step: the whole copy is read inside one read transaction of the source.
            source.backup(copy)
            tables, version = describe(copy)
            if cipher is None:
                copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
            else:
                with partial.open("wb") as out:
                    encrypt_bytes(standalone(copy.serialize()), cipher, out)
        finally:
            copy.close()
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        source.close()
    _fsync(partial)
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


def describe(connection: sqlite3.Connection) -> tuple[dict[str, int], int]:
    """Row counts per table and the schema version of a database, after checking it."""
    problems = [row[0] for row in connection.execute("PRAGMA integrity_check")]
    if problems != ["ok"]:
        raise BackupError("integrity check failed: " + "; ".join(map(str, problems[:5])))
    names = [
        row[0]
        for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    tables = {
        name: int(connection.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0])
        for name in names
    }
    version = int(connection.execute("PRAGMA user_version").fetchone()[0])
    return tables, version


def standalone(image: bytes) -> bytes:
    """A database image marked as not in WAL mode (header bytes 18 and 19), as ``PRAGMA
    journal_mode = DELETE`` would leave it: such an image opens from memory or as one file
    without a WAL beside it."""
    if len(image) < 20 or image[18:20] == b"\x01\x01":
        return image
    patched = bytearray(image)
    patched[18:20] = b"\x01\x01"
    return bytes(patched)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    with path.open("rb+") as file:
        os.fsync(file.fileno())


def daily_name(now: datetime, *, encrypted: bool, suffix: str = ".db") -> str:
    return f"hvconnect-{now:%Y%m%d-%H%M%S}{suffix}" + (".enc" if encrypted else "")


async def daily_backup(
    db_path: Path,
    directory: Path,
    now: datetime,
    *,
    keep_days: int,
    cipher: FieldCipher | None,
) -> tuple[Manifest, list[Path]]:
    """Today's backup into ``directory``, then the ones older than ``keep_days`` removed.

    Returns the new manifest and the files removed. Only files named like our own daily
    backups are ever removed.
    """
    dest = directory / daily_name(now, encrypted=cipher is not None)
    manifest = await take_backup(db_path, dest, now, cipher=cipher)
    removed = await asyncio.to_thread(prune, directory, now - timedelta(days=keep_days))
    return manifest, removed


def prune(directory: Path, before: datetime) -> list[Path]:
    """Remove our daily backups (and their manifests) taken before ``before``."""
    removed: list[Path] = []
    cutoff = f"{before:%Y%m%d-%H%M%S}"
    for path in sorted(directory.iterdir()):
        match = DAILY_NAME.match(path.name)
        if match is None or match.group(1) >= cutoff:
            continue
        path.unlink(missing_ok=True)
        manifest_path(path).unlink(missing_ok=True)
        removed.append(path)
    return removed
