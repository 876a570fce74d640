"""Key rotation: every value re-sealed under the new key in small batches, reads never stop."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.cli.main import main
from storage.applications import ApplicationsRepo
from storage.db import Database
from storage.migrate import migrate
from storage.sealing.crypto import FieldCipher, sealed_key_id
from storage.sealing.rotate import NoCipher, count_stale, reseal
from storage.staff.members import StaffRepo
from storage.users import UsersRepo
from tests.keys import NEXT_SECRET_KEY, TEST_SECRET_KEY
from tests.security.sample_data import CONTACT, CUSTOMER, PHONE, USCC, write_everything
from tests.storage.samples import NOW

OLD = FieldCipher.from_secrets(TEST_SECRET_KEY)
ROTATING = FieldCipher.from_secrets(NEXT_SECRET_KEY, [TEST_SECRET_KEY])
NEW_ONLY = FieldCipher.from_secrets(NEXT_SECRET_KEY)


async def _old_database(path: Path) -> int:
    db = await Database.open(path, cipher=OLD)
    await migrate(db, NOW)
    application = await write_everything(db)
    await db.close()
    return application.id


def _key_ids(path: Path) -> set[str | None]:
    raw = sqlite3.connect(path)
    try:
        values = [
            r[0]
            for r in raw.execute(
                "SELECT phone FROM users WHERE phone IS NOT NULL UNION ALL "
                "SELECT contact_mobile FROM applications UNION ALL "
                "SELECT text FROM outbox UNION ALL SELECT text FROM thread_messages UNION ALL "
                "SELECT caption FROM documents WHERE caption IS NOT NULL"
            )
        ]
    finally:
        raw.close()
    return {sealed_key_id(v) for v in values}


async def test_rotation_in_batches_while_the_bot_keeps_reading(tmp_path: Path) -> None:
    path = tmp_path / "hv.db"
    application_id = await _old_database(path)
    # The bot, restarted with the new key and the old one still accepted.
    bot = await Database.open(path, cipher=ROTATING)
    tool = await Database.open(path, cipher=ROTATING)  # hvconnect rotate-key
    reads = 0
    try:
        rotation = asyncio.create_task(reseal(tool, batch_size=1))
        while not rotation.done():
            stored = await ApplicationsRepo(bot).get(application_id)
            user = await UsersRepo(bot).get(CUSTOMER)
            found = await StaffRepo(bot).find(PHONE)
            assert stored is not None and stored.contact_name == CONTACT and stored.uscc == USCC
            assert user is not None and user.phone == PHONE
            assert [a.id for a in found] == [application_id]
            reads += 1
            await asyncio.sleep(0)
        report = rotation.result()
    finally:
        await tool.close()
        await bot.close()
    assert reads > 1  # reads went on during the rotation
    assert report.remaining == 0 and report.total >= 8
    assert report.resealed["applications.contact_mobile"] == 1
    assert _key_ids(path) == {NEW_ONLY.current.key_id}

    # With the old key gone, everything still reads and is still found.
    after = await Database.open(path, cipher=NEW_ONLY)
    try:
        assert await count_stale(after) == 0
        stored = await ApplicationsRepo(after).get(application_id)
        assert stored is not None and stored.contact_mobile == PHONE
        assert [a.id for a in await StaffRepo(after).find(USCC)] == [application_id]
    finally:
        await after.close()


async def test_rotation_needs_a_key(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "hv.db")
    try:
        with pytest.raises(NoCipher):
            await reseal(db)
    finally:
        await db.close()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "hv.db"
    for name in ("HVCONNECT_CONFIG", "HVCONNECT_TOKEN", "TELEGRAM_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HVCONNECT_DB", str(path))
    monkeypatch.setenv("HVCONNECT_SECRET_KEY", TEST_SECRET_KEY)
    monkeypatch.delenv("HVCONNECT_OLD_SECRET_KEYS", raising=False)
    return path


def test_rotate_key_command(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    asyncio.run(_old_database(env))
    assert main(["rotate-key", "--new-key", NEXT_SECRET_KEY, "--batch", "2"]) == 0
    out = capsys.readouterr().out
    assert f"re-sealed under key {NEW_ONLY.current.key_id}" in out
    assert "applications.contact_mobile 1" in out and "HVCONNECT_OLD_SECRET_KEYS" in out
    assert _key_ids(env) == {NEW_ONLY.current.key_id}
    # Nothing left to do the second time (the old key is still configured: harmless).
    assert main(["rotate-key", "--new-key", NEXT_SECRET_KEY]) == 0
    assert "nothing" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--new-key", "short"], "--new-key: expected 32 random bytes"),
        (["--new-key", NEXT_SECRET_KEY, "--batch", "0"], "--batch must be at least 1"),
    ],
)
def test_rotate_key_refuses_bad_input_with_one_line(
    env: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(["rotate-key", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_rotate_key_without_the_current_key_says_so(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(_old_database(env))
    monkeypatch.delenv("HVCONNECT_SECRET_KEY")
    assert main(["rotate-key", "--new-key", NEXT_SECRET_KEY]) == 2
    assert "HVCONNECT_SECRET_KEY" in capsys.readouterr().err
    # With a wrong current key the sealed values do not open: refused, nothing changed.
    monkeypatch.setenv("HVCONNECT_SECRET_KEY", NEXT_SECRET_KEY)
    other = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
    assert main(["rotate-key", "--new-key", other]) == 1
    assert "not among the configured keys" in capsys.readouterr().err
    assert _key_ids(env) == {OLD.current.key_id}
