"""``hvconnect copy-from-sqlite``: a district's file copied into the PostgreSQL database of
HVCONNECT_DB, then read there by the same commands with the same key."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.cli.main import main
from storage.db import Database
from storage.migrate import migrate
from storage.run_lock import held
from tests.bot.conftest import raw_rows
from tests.keys import TEST_SECRET_KEY, make_test_cipher
from tests.security.sample_data import write_everything
from tests.storage.samples import NOW


@pytest.fixture
def district(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "district.db"

    async def fill() -> None:
        db = await Database.open(path, cipher=make_test_cipher())
        try:
            await migrate(db, NOW)
            await write_everything(db)
        finally:
            await db.close()

    asyncio.run(fill())
    for name in ("HVCONNECT_CONFIG", "HVCONNECT_TOKEN", "TELEGRAM_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HVCONNECT_SECRET_KEY", TEST_SECRET_KEY)
    return path


@pytest.fixture
def target(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """HVCONNECT_DB: a migrated, empty PostgreSQL database."""
    monkeypatch.setenv("HVCONNECT_DB", postgres_url)
    return postgres_url


def test_the_district_is_copied_and_read_there(
    district: Path, target: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["copy-from-sqlite", str(district)]) == 0

    out = capsys.readouterr().out
    assert "  applications: 1" in out and "copied" in out
    numbers = raw_rows(target, "SELECT number FROM applications")
    assert numbers == raw_rows(district, "SELECT number FROM applications")
    assert main(["audit", str(numbers[0][0])]) == 0
    assert str(numbers[0][0]) in capsys.readouterr().out
    # Twice is refused: a district is copied into an empty database, never merged.
    assert main(["copy-from-sqlite", str(district)]) == 1
    assert "already holds 1 application" in capsys.readouterr().err


def test_the_target_must_be_postgresql(
    district: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("HVCONNECT_DB", str(tmp_path / "other.db"))
    assert main(["copy-from-sqlite", str(district)]) == 2
    assert "must be the postgresql:// URL" in capsys.readouterr().err


def test_a_district_whose_bot_runs_is_refused(
    district: Path, target: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with held(district):
        assert main(["copy-from-sqlite", str(district)]) == 1
    assert "stop the district's bot first" in capsys.readouterr().err
    assert raw_rows(target, "SELECT count(*) FROM applications") == [(0,)]


def test_a_missing_file_is_named(
    tmp_path: Path, target: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["copy-from-sqlite", str(tmp_path / "none.db")]) == 2
    assert "no such database file" in capsys.readouterr().err
