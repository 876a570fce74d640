"""Backups of the live database: consistent under load, checked, restored row by row."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.backup.restore import restore, verify
from storage.backup.snapshot import BackupError, Manifest, manifest_path, take_backup
from storage.db import Database
from storage.events import append_event
from storage.migrate import LATEST_VERSION, migrate
from storage.outbox import OutboxRepo
from storage.sealing.crypto import FieldCipher
from tests.keys import NEXT_SECRET_KEY, make_test_cipher
from tests.security.sample_data import CONTACT, write_everything
from tests.storage.samples import NOW

LOAD_ROWS_PER_TRANSACTION = 2  # an event and the outbox message it causes


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[Database]:
    db = await Database.open(tmp_path / "live" / "hv.db", cipher=make_test_cipher())
    await migrate(db, NOW)
    await write_everything(db)
    try:
        yield db
    finally:
        await db.close()


class Load:
    """Writes one event and one outbox message per transaction until stopped."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.committed = 0
        self._stop = asyncio.Event()
        self._progress = asyncio.Event()

    async def run(self) -> None:
        outbox = OutboxRepo(self.db)
        while not self._stop.is_set():
            n = self.committed + 1
            async with self.db.transaction() as conn:
                await append_event(
                    conn,
                    application_id=None,
                    actor_id=None,
                    actor_role="system",
                    kind="load",
                    now=NOW,
                    data={"n": n},
                )
                await outbox.enqueue(
                    conn,
                    key=f"load:{n}",
                    chat_id=1,
                    user_id=None,
                    kind="load",
                    text=f"message {n}",
                    now=NOW,
                )
            self.committed = n
            self._progress.set()
            await asyncio.sleep(0)

    async def until(self, n: int) -> None:
        while self.committed < n:
            self._progress.clear()
            await self._progress.wait()

    def stop(self) -> None:
        self._stop.set()


def _rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return [tuple(r) for r in conn.execute(sql)]
    finally:
        conn.close()


async def test_a_backup_taken_under_load_restores_exactly_what_had_committed(
    live: Database, tmp_path: Path
) -> None:
    load = Load(live)
    writing = asyncio.create_task(load.run())
    await load.until(20)
    before = load.committed
    manifest = await take_backup(Path(live.path), tmp_path / "snap.db", NOW)
    during = load.committed
    await load.until(during + 20)  # the load goes on after the snapshot
    load.stop()
    await writing
    assert manifest.schema_version == LATEST_VERSION and manifest.tables["events"] >= before

    target = tmp_path / "restored" / "hv.db"
    restored = await restore(tmp_path / "snap.db", target, NOW, cipher=make_test_cipher())
    assert restored.kept_aside is None and restored.manifest == manifest
    snap_events = _rows(target, "SELECT * FROM events ORDER BY id")
    live_events = _rows(Path(live.path), "SELECT * FROM events ORDER BY id")
    # A prefix of the live history, row for row: nothing half-written, nothing invented.
    assert snap_events == live_events[: len(snap_events)]
    loaded = [e for e in snap_events if e[4] == "load"]
    assert before <= len(loaded) <= during + 1 < load.committed
    # Each transaction is whole in the snapshot: every event has its outbox message.
    keys = {r[0] for r in _rows(target, "SELECT key FROM outbox WHERE kind = 'load'")}
    assert keys == {f"load:{json.loads(str(e[6]))['n']}" for e in loaded}
    for table in ("users", "applications", "drafts", "thread_messages", "documents"):
        live_rows = _rows(Path(live.path), f"SELECT * FROM {table} ORDER BY rowid")
        assert _rows(target, f"SELECT * FROM {table} ORDER BY rowid") == live_rows
    # The restored file opens with the key, personal data and all.
    db = await Database.open(target, cipher=make_test_cipher())
    try:
        row = await db.fetchone("SELECT contact_name FROM applications")
        assert row is not None and row["contact_name"] == CONTACT
    finally:
        await db.close()


async def test_an_encrypted_backup_reveals_nothing_and_restores(
    live: Database, tmp_path: Path
) -> None:
    cipher = make_test_cipher()
    plain = await take_backup(Path(live.path), tmp_path / "plain.db", NOW)
    sealed = await take_backup(Path(live.path), tmp_path / "snap.db.enc", NOW, cipher=cipher)
    assert not plain.encrypted and sealed.encrypted and sealed.key_id == cipher.current.key_id
    company = "华东精密制造有限公司".encode()  # not personal data: plain in a plain backup
    assert company in (tmp_path / "plain.db").read_bytes()
    assert company not in (tmp_path / "snap.db.enc").read_bytes()
    assert sealed.tables == plain.tables

    target = tmp_path / "hv.db"
    _write(target, b"the database being replaced")
    _write(Path(f"{target}-wal"), b"its wal")
    restored = await restore(tmp_path / "snap.db.enc", target, NOW, cipher=cipher)
    assert restored.kept_aside == tmp_path / "hv.db.replaced-20261127-094800"
    assert _read(restored.kept_aside) == b"the database being replaced"
    assert _read(Path(f"{restored.kept_aside}-wal")) == b"its wal"
    assert _read(Path(f"{target}-wal")) is None
    assert _rows(target, "SELECT COUNT(*) FROM applications") == [(1,)]

    with pytest.raises(BackupError, match="encrypted; set HVCONNECT_SECRET_KEY"):
        verify(tmp_path / "snap.db.enc", None)
    with pytest.raises(Exception, match="not among the configured keys"):
        verify(tmp_path / "snap.db.enc", FieldCipher.from_secrets(NEXT_SECRET_KEY))


def _write(path: Path, data: bytes) -> None:
    path.write_bytes(data)


def _read(path: Path) -> bytes | None:
    return path.read_bytes() if path.exists() else None


def _aside(target: Path) -> list[Path]:
    return list(target.parent.glob("*.replaced-*"))


async def _refused(backup: Path, target: Path, message: str) -> None:
    _write(target, b"current")
    with pytest.raises(BackupError, match=message):
        await restore(backup, target, NOW, cipher=make_test_cipher())
    assert _read(target) == b"current"  # nothing replaced
    assert _aside(target) == []


async def test_restore_checks_everything_before_replacing_anything(
    live: Database, tmp_path: Path
) -> None:
    backup = tmp_path / "snap.db"
    await take_backup(Path(live.path), backup, NOW)
    target = tmp_path / "current" / "hv.db"
    target.parent.mkdir()
    original = backup.read_bytes()

    backup.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
    await _refused(backup, target, "does not match its manifest")
    backup.write_bytes(original)

    manifest = Manifest.from_json(manifest_path(backup).read_text())
    lying = json.loads(manifest.to_json())
    lying["tables"]["events"] += 1
    manifest_path(backup).write_text(json.dumps(lying))
    await _refused(backup, target, "does not hold what its manifest lists")
    manifest_path(backup).unlink()
    await _refused(backup, target, "no manifest beside the backup")
    await _refused(tmp_path / "missing.db", target, "no backup at")


async def test_a_snapshot_from_a_newer_schema_is_refused(live: Database, tmp_path: Path) -> None:
    await live.execute(f"PRAGMA user_version = {LATEST_VERSION + 1}")
    backup = tmp_path / "newer.db"
    await take_backup(Path(live.path), backup, NOW)
    target = tmp_path / "hv.db"
    await _refused(backup, target, f"newer schema \\(version {LATEST_VERSION + 1}")


async def test_a_damaged_database_never_becomes_a_backup(tmp_path: Path) -> None:
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    with pytest.raises((BackupError, sqlite3.DatabaseError)):
        await take_backup(broken, tmp_path / "snap.db", NOW)
    assert not (tmp_path / "snap.db").exists()
    assert not (tmp_path / "snap.db.partial").exists()
    with pytest.raises(BackupError, match="no database at"):
        await take_backup(tmp_path / "nothing.db", tmp_path / "snap.db", NOW)


async def test_a_backup_never_overwrites_a_file(live: Database, tmp_path: Path) -> None:
    (tmp_path / "snap.db").write_bytes(b"an older backup")
    with pytest.raises(BackupError, match="already exists"):
        await take_backup(Path(live.path), tmp_path / "snap.db", NOW)
    assert (tmp_path / "snap.db").read_bytes() == b"an older backup"
