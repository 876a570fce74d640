"""``hvconnect backup`` and ``restore`` from the shell, and the daily backup sweep."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.backup_job import DailyBackup
from bot.cli.main import main
from bot.config.settings import Backups
from storage.backup.snapshot import DAILY_NAME, Manifest, manifest_path
from storage.db import Database
from storage.migrate import migrate
from tests.keys import TEST_SECRET_KEY, make_test_cipher
from tests.security.sample_data import write_everything
from tests.storage.samples import NOW

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def _database(path: Path) -> None:
    db = await Database.open(path, cipher=make_test_cipher())
    await migrate(db, NOW)
    await write_everything(db)
    await db.close()


@pytest.fixture
def db_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "data" / "hv.db"
    asyncio.run(_database(path))
    for name in ("HVCONNECT_CONFIG", "HVCONNECT_TOKEN", "TELEGRAM_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HVCONNECT_DB", str(path))
    monkeypatch.setenv("HVCONNECT_SECRET_KEY", TEST_SECRET_KEY)
    return path


def test_backup_then_restore_from_the_shell(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snapshot = tmp_path / "backups" / "hv-1.db.enc"
    assert main(["backup", str(snapshot), "--encrypt"]) == 0
    out = capsys.readouterr().out
    assert f"written to {snapshot}" in out and "encrypted" in out
    manifest = Manifest.from_json(manifest_path(snapshot).read_text())
    assert manifest.encrypted and manifest.tables["applications"] == 1

    assert main(["restore", str(snapshot)]) == 0
    out = capsys.readouterr().out
    assert "checked and restored" in out and "the previous database is kept as" in out
    assert len(list(db_path.parent.glob("hv.db.replaced-*"))) == 1

    assert main(["backup", str(snapshot)]) == 1  # never over an existing file
    assert "already exists" in capsys.readouterr().err


def test_a_damaged_snapshot_is_refused_and_nothing_is_replaced(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snapshot = tmp_path / "hv.db.bak"
    assert main(["backup", str(snapshot)]) == 0
    capsys.readouterr()
    data = bytearray(snapshot.read_bytes())
    data[len(data) // 2] ^= 0xFF
    snapshot.write_bytes(bytes(data))
    before = db_path.read_bytes()
    assert main(["restore", str(snapshot)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("hvconnect restore: ") and "does not match its manifest" in err
    assert db_path.read_bytes() == before
    assert not list(db_path.parent.glob("hv.db.replaced-*"))


def test_backup_needs_a_database_and_encrypt_needs_a_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("HVCONNECT_CONFIG", "HVCONNECT_TOKEN", "TELEGRAM_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HVCONNECT_DB", str(tmp_path / "none.db"))
    monkeypatch.delenv("HVCONNECT_SECRET_KEY", raising=False)
    assert main(["backup", str(tmp_path / "x.db"), "--encrypt"]) == 2
    assert "--encrypt needs HVCONNECT_SECRET_KEY" in capsys.readouterr().err
    assert main(["backup", str(tmp_path / "x.db")]) == 1
    assert "no database at" in capsys.readouterr().err


async def test_the_daily_backup_runs_once_a_day_and_keeps_only_recent_ones(
    tmp_path: Path,
) -> None:
    path = tmp_path / "hv.db"
    await _database(path)
    directory = tmp_path / "backups"
    job = DailyBackup(path, Backups(directory=directory, keep_days=3), make_test_cipher(), SHANGHAI)
    taken: list[str] = []
    for day in range(6):
        for hour in (0, 9, 23):  # three sweeps a day: one backup a day
            now = NOW.replace(hour=hour) + timedelta(days=day)
            assert await job(now) == 0
        assert job.last is not None
        taken.append(job.last.name)
    names = sorted(p.name for p in directory.iterdir() if DAILY_NAME.match(p.name))
    assert len(set(taken)) == 6
    assert names == taken[-4:]  # the last three days and today
    assert all(name.endswith(".db.enc") for name in names)
    assert all(manifest_path(directory / name).exists() for name in names)
    assert len(list(directory.glob("*.manifest.json"))) == 4


def test_the_daily_backup_needs_a_directory(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="dir"):
        DailyBackup(tmp_path / "hv.db", Backups(), None, SHANGHAI)
