"""``hvconnect api-client create | list | revoke`` against a database in a temporary
directory: the key is printed once and only its hash is stored."""

from __future__ import annotations

import asyncio
import hashlib
import re
from pathlib import Path

import pytest

from bot.cli.main import main
from storage.api_clients import ApiClientsRepo
from storage.db import Database
from tests.bot.conftest import dump_text, raw_rows

KEY = re.compile(r"^hvk_[A-Za-z0-9_-]{43}$", re.MULTILINE)


@pytest.fixture
def database(cli_database: Path | str, monkeypatch: pytest.MonkeyPatch) -> Path | str:
    path = cli_database
    for name in ("HVCONNECT_CONFIG", "HVCONNECT_TOKEN", "TELEGRAM_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HVCONNECT_DB", str(path))
    return path


def _client_of(path: Path | str, key: str) -> object:
    async def go() -> object:
        db = await Database.open(path)
        try:
            return await ApiClientsRepo(db).by_key(key)
        finally:
            await db.close()

    return asyncio.run(go())


def test_create_prints_the_key_once_and_stores_only_its_hash(
    database: Path | str, capsys: pytest.CaptureFixture[str]
) -> None:
    scopes = "applications:read,events:read,stats:read,pii:read"
    assert main(["api-client", "create", "--name", "marketing", "--scopes", scopes]) == 0
    found = KEY.search(capsys.readouterr().out)
    assert found is not None
    key = found.group()
    [(stored,)] = raw_rows(database, "SELECT key_hash FROM api_clients")
    dumped = dump_text(database)
    assert stored == hashlib.sha256(key.encode()).hexdigest()
    assert key not in dumped
    client = _client_of(database, key)
    assert client is not None and getattr(client, "name", None) == "marketing"

    assert main(["api-client", "list"]) == 0
    listed = capsys.readouterr().out
    assert "marketing" in listed and "pii:read" in listed and "active" in listed
    assert key not in listed

    assert main(["api-client", "revoke", "marketing"]) == 0
    assert _client_of(database, key) is None
    assert main(["api-client", "list"]) == 0
    assert "revoked" in capsys.readouterr().out
    assert main(["api-client", "revoke", "marketing"]) == 1


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["--name", "marketing", "--scopes", "applications:read,everything"], "--scopes"),
        (["--name", "marketing", "--scopes", ""], "--scopes"),
        (["--name", "Bad Name", "--scopes", "events:read"], "--name"),
    ],
)
def test_bad_arguments_are_named(
    database: Path | str, capsys: pytest.CaptureFixture[str], argv: list[str], named: str
) -> None:
    assert main(["api-client", "create", *argv]) == 2
    assert named in capsys.readouterr().err


def test_a_name_is_never_given_twice(
    database: Path | str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["api-client", "create", "--name", "hotline", "--scopes", "events:read"]) == 0
    assert main(["api-client", "create", "--name", "hotline", "--scopes", "events:read"]) == 2
    assert "exists already" in capsys.readouterr().err


def test_a_bad_api_address_stops_the_bot_with_one_line(
    database: Path | str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HVCONNECT_API_LISTEN", "nowhere")
    assert main(["run"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("hvconnect: HVCONNECT_API_LISTEN:") and "\n" not in err
