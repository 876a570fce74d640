"""The operator's commands with ``HVCONNECT_DB`` a PostgreSQL URL: migrate, outbox, audit,
rotate-key and erase-customer, against the test server whichever database the rest of the
run uses (tests/postgres.py); without PostgreSQL installed they are skipped."""

from __future__ import annotations

import asyncio

import pytest

from bot.cli.main import main
from storage.db import Database
from storage.sealing.crypto import FieldCipher, sealed_key_id
from tests.bot.conftest import raw_rows
from tests.keys import NEXT_SECRET_KEY, TEST_SECRET_KEY, make_test_cipher
from tests.security.sample_data import CUSTOMER, write_everything


@pytest.fixture
def pg_url(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    async def fill() -> None:
        db = await Database.open(postgres_url, cipher=make_test_cipher())
        try:
            await write_everything(db)
        finally:
            await db.close()

    asyncio.run(fill())
    for name in ("HVCONNECT_CONFIG", "HVCONNECT_TOKEN", "TELEGRAM_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HVCONNECT_DB", postgres_url)
    monkeypatch.setenv("HVCONNECT_SECRET_KEY", TEST_SECRET_KEY)
    return postgres_url


def test_migrate_outbox_and_audit(pg_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate"]) == 0
    assert "migrated, up to date" in capsys.readouterr().out
    assert main(["outbox"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("outbox of postgresql://") and "waiting" in out
    number = raw_rows(pg_url, "SELECT number FROM applications")[0][0]
    assert main(["audit", str(number)]) == 0
    assert str(number) in capsys.readouterr().out


def test_rotate_key_reseals_everything_under_the_new_key(
    pg_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rotate-key", "--new-key", NEXT_SECRET_KEY, "--batch", "2"]) == 0
    assert "every value is sealed under the new key" in capsys.readouterr().out
    new_id = FieldCipher.from_secrets(NEXT_SECRET_KEY).current.key_id
    phones = raw_rows(pg_url, "SELECT phone FROM users WHERE phone IS NOT NULL")
    claims = raw_rows(pg_url, "SELECT contact_mobile FROM applications")
    assert {sealed_key_id(str(v)) for (v,) in phones + claims} == {new_id}
    # The bot restarted with the new key reads it all.
    monkeypatch.setenv("HVCONNECT_SECRET_KEY", NEXT_SECRET_KEY)
    number = raw_rows(pg_url, "SELECT number FROM applications")[0][0]
    assert main(["audit", str(number)]) == 0


def test_erase_customer(pg_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["erase-customer", str(CUSTOMER), "--by", "dpo"]) == 0
    assert "erased customer" in capsys.readouterr().out


def test_a_bad_url_stops_every_command_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HVCONNECT_DB", "postgresql://hv:s3cret@db.example/")
    assert main(["migrate"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("hvconnect: HVCONNECT_DB: ") and "names no database" in err
    assert "s3cret" not in err and err.count("\n") == 1
