"""``hvconnect webhooks add | list | remove | replay`` against a database in a temporary
directory, and what ``add`` prints put to use by a receiver checking signatures."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.config.settings import ConfigError, load_config
from notifications.webhooks.worker import WebhookWorker
from process.clock import ManualClock
from storage.db import Database
from storage.events import append_event
from storage.webhooks import WebhooksRepo
from tests.bot.conftest import dump_text, raw_rows
from tests.keys import TEST_SECRET_KEY, make_test_cipher
from tests.notifications.webhook_rig import START, Receiver, eventually

SECRET_LINE = re.compile(r"Signing secret \(shown this once\): (\S+)")


@pytest.fixture
def database(cli_database: Path | str, monkeypatch: pytest.MonkeyPatch) -> Path | str:
    path = cli_database
    for name in ("HVCONNECT_CONFIG", "HVCONNECT_TOKEN", "TELEGRAM_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HVCONNECT_DB", str(path))
    monkeypatch.setenv("HVCONNECT_SECRET_KEY", TEST_SECRET_KEY)
    return path


async def _append_and_deliver(database: Path | str, url: str, receiver: Receiver) -> int:
    db = await Database.open(database, cipher=make_test_cipher())
    clock = ManualClock(START)
    worker = WebhookWorker(db, clock, poll_interval=0.05)
    try:
        async with db.transaction() as conn:
            event = await append_event(
                conn,
                application_id=None,
                actor_id=None,
                actor_role="operator",
                kind="plan_approved",
                now=clock.now(),
            )
        await worker.start()
        await eventually(lambda: receiver.accepted == [event])
        return event
    finally:
        await worker.stop()
        await db.close()


def test_add_prints_a_secret_the_receiver_verifies_with_and_keeps_it_sealed(
    database: Path | str, capsys: pytest.CaptureFixture[str]
) -> None:
    receiver = Receiver()
    _client("marketing", capsys)

    async def go() -> str:
        await receiver.start()
        try:
            assert (
                main_in_thread(
                    [
                        "webhooks",
                        "add",
                        "--client",
                        "marketing",
                        "--url",
                        receiver.url + "/in",
                        "--events",
                        "plan_approved,contract_signed",
                    ]
                )
                == 0
            )
            out = capsys.readouterr().out
            found = SECRET_LINE.search(out)
            assert found is not None
            secret = found.group(1)
            await _append_and_deliver(database, receiver.url, receiver)
            got = receiver.received[0]
            t, v1 = (p.split("=", 1)[1] for p in got.headers["X-Hvconnect-Signature"].split(","))
            expected = hmac.new(secret.encode(), f"{t}.".encode() + got.body, hashlib.sha256)
            assert hmac.compare_digest(expected.hexdigest(), v1)
            return secret
        finally:
            await receiver.stop()

    secret = asyncio.run(go())
    # Closed, so the WAL is folded into the file: the secret is not there in clear.
    assert secret not in dump_text(database)
    if isinstance(database, Path):
        assert secret.encode() not in database.read_bytes()


def _client(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["api-client", "create", "--name", name, "--scopes", "events:read"]) == 0
    capsys.readouterr()


def main_in_thread(argv: list[str]) -> int:
    """``main`` runs its own event loop, so from inside one it runs in a thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(main, argv).result()


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--url", "http://example.com/hook"], "plain http is for localhost only"),
        (["--url", "ftp://example.com/hook"], "expected an https:// URL"),
        (["--url", "https://example.com/h", "--events", "Plan Approved"], "not an event kind"),
    ],
)
def test_add_refuses_bad_input_with_one_line(
    database: Path | str, capsys: pytest.CaptureFixture[str], args: list[str], complaint: str
) -> None:
    _client("marketing", capsys)
    assert main(["webhooks", "add", "--client", "marketing", *args]) == 2
    captured = capsys.readouterr()
    assert complaint in captured.err and captured.out == ""


def test_list_remove_and_replay(database: Path | str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["webhooks", "list"]) == 0
    assert "No webhook subscriptions" in capsys.readouterr().out
    _client("hotline", capsys)
    assert main(["webhooks", "add", "--client", "hotline", "--url", "https://x.example/h"]) == 0
    capsys.readouterr()

    async def dead_delivery() -> None:
        db = await Database.open(database, cipher=make_test_cipher())
        try:
            async with db.transaction() as conn:
                await append_event(
                    conn,
                    application_id=None,
                    actor_id=None,
                    actor_role="operator",
                    kind="plan_approved",
                    now=START,
                )
            repo = WebhooksRepo(db)
            (row,) = await repo.deliveries(1)
            await repo.mark_dead(row.id, attempts=10, error="HTTP 500", now=START)
        finally:
            await db.close()

    asyncio.run(dead_delivery())
    assert main(["webhooks", "list"]) == 0
    listed = capsys.readouterr().out
    assert "1  hotline  https://x.example/h  [every kind]  active" in listed
    assert "waiting 0 · delivered 0 · dead 1" in listed
    assert main(["webhooks", "replay", "--dead"]) == 0
    assert "1 delivery(ies) queued again." in capsys.readouterr().out
    assert main(["webhooks", "list"]) == 0
    assert "waiting 1 · delivered 0 · dead 0" in capsys.readouterr().out
    assert main(["webhooks", "remove", "1"]) == 0
    assert main(["webhooks", "remove", "1"]) == 1
    assert "no active subscription 1" in capsys.readouterr().err
    assert raw_rows(database, "SELECT active FROM webhook_subscriptions") == [(0,)]


def test_add_refuses_a_client_that_does_not_exist_or_is_revoked(
    database: Path | str, capsys: pytest.CaptureFixture[str]
) -> None:
    hook = ["--url", "https://x.example/h"]
    assert main(["webhooks", "add", "--client", "nobody", *hook]) == 2
    assert "'nobody' does not exist" in capsys.readouterr().err
    _client("hotline", capsys)
    assert main(["api-client", "revoke", "hotline"]) == 0
    capsys.readouterr()
    assert main(["webhooks", "add", "--client", "hotline", *hook]) == 2
    captured = capsys.readouterr()
    assert "'hotline' has been revoked" in captured.err and captured.out == ""
    assert raw_rows(database, "SELECT COUNT(*) FROM webhook_subscriptions") == [(0,)]


def test_the_configuration_file_sets_when_a_delivery_is_given_up(tmp_path: Path) -> None:
    path = tmp_path / "hv.toml"
    path.write_text("[outgoing_webhooks]\nmax_attempts = 4\n", encoding="utf-8")
    assert load_config({"HVCONNECT_CONFIG": str(path)}).webhook_max_attempts == 4
    assert load_config({}).webhook_max_attempts == 10
    path.write_text("[outgoing_webhooks]\nmax_attempts = 0\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"outgoing_webhooks\.max_attempts"):
        load_config({"HVCONNECT_CONFIG": str(path)})
