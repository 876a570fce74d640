"""``hvconnect backup`` and ``restore`` on PostgreSQL (pg_dump and pg_restore), and the
daily backup sweep there. They run against the test server whichever database the rest of
the run uses (tests/postgres.py); without PostgreSQL installed they are skipped."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.backup_job import DailyBackup
from bot.cli.main import main
from bot.config.settings import Backups, ConfigError
from storage.backup.postgresql import program
from storage.backup.snapshot import BackupError, Manifest, manifest_path
from storage.db import Database
from tests.keys import TEST_SECRET_KEY, make_test_cipher
from tests.security.sample_data import write_everything
from tests.storage.samples import NOW

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def _fill(url: str) -> None:
    db = await Database.open(url, cipher=make_test_cipher())
    try:
        await write_everything(db)
    finally:
        await db.close()


async def _count(url: str, table: str) -> int:
    db = await Database.open(url, cipher=make_test_cipher())
    try:
        row = await db.fetchone(f"SELECT COUNT(*) AS n FROM {table}")
    finally:
        await db.close()
    assert row is not None
    return int(row["n"])


@pytest.fixture
def pg_url(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    asyncio.run(_fill(postgres_url))
    for name in ("HVCONNECT_CONFIG", "HVCONNECT_TOKEN", "TELEGRAM_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HVCONNECT_DB", postgres_url)
    monkeypatch.setenv("HVCONNECT_SECRET_KEY", TEST_SECRET_KEY)
    return postgres_url


def test_backup_then_restore_from_the_shell(
    pg_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dump = tmp_path / "backups" / "hv-1.dump.enc"
    assert main(["backup", str(dump), "--encrypt"]) == 0
    out = capsys.readouterr().out
    assert f"written to {dump}" in out and "encrypted" in out
    manifest = Manifest.from_json(manifest_path(dump).read_text())
    assert manifest.encrypted and manifest.tables["applications"] == 1
    assert not dump.read_bytes().startswith(b"PGDMP")  # encrypted whole

    assert manifest.tables["outbox"] >= 1
    asyncio.run(_empty_outbox(pg_url))
    assert main(["restore", str(dump)]) == 2  # replacing a shared database needs --yes
    assert "--yes" in capsys.readouterr().err
    assert main(["restore", str(dump), "--yes"]) == 0
    out = capsys.readouterr().out
    assert "checked and restored" in out and "the previous contents are dumped to" in out
    assert len(list(dump.parent.glob("hvconnect-replaced-*.dump"))) == 1
    assert asyncio.run(_count(pg_url, "outbox")) == manifest.tables["outbox"]

    assert main(["backup", str(dump)]) == 1  # never over an existing file
    assert "already exists" in capsys.readouterr().err


async def _empty_outbox(url: str) -> None:
    db = await Database.open(url, cipher=make_test_cipher())
    try:
        await db.execute("DELETE FROM outbox")
    finally:
        await db.close()


def test_restore_is_refused_while_a_bot_is_connected(
    pg_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dump = tmp_path / "hv.dump"
    assert main(["backup", str(dump)]) == 0
    capsys.readouterr()

    async def restore_beside_a_connection() -> int:
        db = await Database.open(pg_url, cipher=make_test_cipher())
        try:
            return await asyncio.to_thread(main, ["restore", str(dump), "--yes"])
        finally:
            await db.close()

    assert asyncio.run(restore_beside_a_connection()) == 1
    err = capsys.readouterr().err
    assert "other connection" in err and "stop the bot first" in err
    assert not list(tmp_path.glob("hvconnect-replaced-*"))


def test_a_damaged_dump_or_a_sqlite_snapshot_is_refused(
    pg_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dump = tmp_path / "hv.dump"
    assert main(["backup", str(dump)]) == 0
    capsys.readouterr()
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))
    assert main(["restore", str(dump), "--yes"]) == 1
    assert "does not match its manifest" in capsys.readouterr().err

    sqlite_file = tmp_path / "hv.db"
    sqlite_file.write_bytes(b"SQLite format 3\x00" + bytes(100))
    from storage.backup.snapshot import MANIFEST_FORMAT, file_sha256

    manifest = Manifest(
        MANIFEST_FORMAT, NOW.isoformat(), 18, {}, 116, file_sha256(sqlite_file), False, None
    )
    manifest_path(sqlite_file).write_text(manifest.to_json())
    assert main(["restore", str(sqlite_file), "--yes"]) == 1
    assert "is a SQLite snapshot" in capsys.readouterr().err
    assert not list(tmp_path.glob("hvconnect-replaced-*"))


def test_a_missing_pg_dump_says_so_in_one_line(
    pg_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr("storage.backup.postgresql._BIN_GLOB", str(tmp_path / "none" / "*"))
    with pytest.raises(BackupError, match="pg_dump not found"):
        program("pg_dump")
    assert main(["backup", str(tmp_path / "hv.dump")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("hvconnect backup: pg_dump not found") and err.count("\n") == 1
    # The daily backup finds out when the bot starts, not at its first sweep.
    with pytest.raises(ConfigError, match=r"^HVCONNECT_CONFIG: \[backup\] dir: pg_dump not found"):
        DailyBackup(pg_url, Backups(directory=tmp_path), None, SHANGHAI)


async def test_the_daily_backup_dumps_once_a_day_and_keeps_only_recent_ones(
    postgres_url: str, tmp_path: Path
) -> None:
    directory = tmp_path / "backups"
    job = DailyBackup(
        postgres_url, Backups(directory=directory, keep_days=2), make_test_cipher(), SHANGHAI
    )
    for day in range(4):
        assert await job(NOW + timedelta(days=day)) == 0
        assert await job(NOW + timedelta(days=day, minutes=5)) == 0  # once a day
    names = sorted(p.name for p in directory.iterdir() if p.name.endswith(".dump.enc"))
    assert len(names) == 3  # today's and the two days before
    assert job.last is not None and job.last.name == names[-1]
    assert Manifest.from_json(manifest_path(job.last).read_text()).encrypted
