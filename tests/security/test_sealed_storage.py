"""Personal data is sealed on disk and plain in the records the bot works with."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot import secure_db
from bot.config.settings import Config
from bot.secure_db import open_bot_database
from storage.applications import ApplicationsRepo
from storage.db import Database
from storage.drafts import DraftsRepo
from storage.migrate import migrate
from storage.outbox import OutboxRepo
from storage.sealing.crypto import FieldCipher, SealedWithoutKey
from storage.sealing.rotate import ResealReport, count_stale
from storage.staff.members import StaffRepo
from storage.threads import ThreadsRepo
from storage.users import UsersRepo
from tests.keys import TEST_SECRET_KEY, make_test_cipher
from tests.security.sample_data import (
    CAPTION,
    CONTACT,
    CUSTOMER,
    PHONE,
    PLAIN_VALUES,
    RELAYED,
    USCC,
    file_sizes,
    found_on_disk,
    write_everything,
)
from tests.storage.samples import NOW


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "hv.db", cipher=make_test_cipher())
    await migrate(database, NOW)
    try:
        yield database
    finally:
        await database.close()


async def test_no_plain_value_is_in_the_database_file_or_its_wal(db: Database) -> None:
    await write_everything(db)
    db_path = Path(db.path)
    assert file_sizes(db_path)["-wal"] > 0  # the WAL holds recent pages: scanned too
    assert found_on_disk(db_path) == {}
    # Also after a checkpoint folded the WAL into the file.
    await db.fetchone("PRAGMA wal_checkpoint(TRUNCATE)")
    assert found_on_disk(db_path) == {}


async def test_the_records_hold_plain_values(db: Database) -> None:
    application = await write_everything(db)
    user = await UsersRepo(db).get(CUSTOMER)
    assert user is not None and user.phone == PHONE
    stored = await ApplicationsRepo(db).get(application.id)
    assert stored is not None
    assert (stored.contact_name, stored.contact_mobile, stored.uscc) == (CONTACT, PHONE, USCC)
    [document] = [d for d in await ApplicationsRepo(db).documents(application.id) if d.caption]
    assert document.caption == CAPTION
    [message] = await ThreadsRepo(db).recent(application.id)
    assert message.text == RELAYED
    row = await OutboxRepo(db).by_key("relay:1")
    assert row is not None and RELAYED in row.text and CONTACT in row.text
    draft = await DraftsRepo(db).get(CUSTOMER + 1)
    assert draft is not None and draft.fields == {"contact_name": CONTACT, "contact_mobile": PHONE}


async def test_the_raw_columns_hold_only_sealed_values(db: Database) -> None:
    await write_everything(db)
    raw = sqlite3.connect(db.path)
    try:
        phones = [r[0] for r in raw.execute("SELECT phone FROM users WHERE phone IS NOT NULL")]
        row = raw.execute(
            "SELECT contact_name, contact_mobile, uscc, contact_mobile_hash, uscc_hash "
            "FROM applications"
        ).fetchone()
        texts = [
            r[0]
            for r in raw.execute(
                "SELECT text FROM outbox UNION ALL SELECT text FROM thread_messages"
            )
        ]
        fields = [r[0] for r in raw.execute("SELECT fields FROM drafts")]
    finally:
        raw.close()
    assert all(p.startswith("hv1:") for p in phones)
    assert all(v.startswith("hv1:") for v in row[:3])
    assert len(row[3]) == len(row[4]) == 64 and PHONE not in row[3]
    assert all(t.startswith("hv1:") for t in texts)
    assert fields and all(f.startswith('"hv1:') for f in fields)  # JSON strings, CHECK holds


async def test_staff_find_by_mobile_and_by_credit_code_through_keyed_hashes(db: Database) -> None:
    application = await write_everything(db)
    staff = StaffRepo(db)
    assert [a.id for a in await staff.find(PHONE)] == [application.id]
    assert [a.id for a in await staff.find("+86 139-1234-5678")] == [application.id]
    assert [a.id for a in await staff.find(USCC.lower())] == [application.id]
    assert await staff.find("13900000000") == []
    plan = await db.fetchall(
        "EXPLAIN QUERY PLAN SELECT id FROM applications "
        "WHERE contact_mobile_hash IN (SELECT value FROM json_each(hv_lookups(?)))",
        (PHONE,),
    )
    assert any("applications_by_mobile_hash" in str(r["detail"]) for r in plan)


async def test_a_database_with_sealed_values_is_refused_without_a_key(db: Database) -> None:
    await write_everything(db)
    keyless = await Database.open(db.path)
    try:
        with pytest.raises(SealedWithoutKey) as refused:
            await UsersRepo(keyless).get(CUSTOMER)
        assert "HVCONNECT_SECRET_KEY" in str(refused.value)
        # Columns that hold no personal data still read.
        assert await keyless.fetchone("SELECT COUNT(*) AS n FROM applications") is not None
    finally:
        await keyless.close()


async def test_data_from_before_encryption_is_sealed_when_the_bot_opens_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    legacy = await Database.open(path)  # no key: how an older release wrote
    await migrate(legacy, NOW)
    application = await write_everything(legacy)
    await legacy.close()
    assert set(found_on_disk(path)["old.db"]) | set(found_on_disk(path).get("old.db-wal", []))

    db = await open_bot_database(Config(db_path=path, secret_key=TEST_SECRET_KEY), NOW)
    try:
        assert await count_stale(db, only_unsealed=True) == 0
        stored = await ApplicationsRepo(db).get(application.id)
        assert stored is not None and stored.contact_mobile == PHONE
        assert [a.id for a in await StaffRepo(db).find(PHONE)] == [application.id]
        assert [a.id for a in await StaffRepo(db).find(USCC)] == [application.id]
    finally:
        await db.close()
    # secure_delete and the checkpoint leave no old copy in free pages or the WAL.
    assert found_on_disk(path, PLAIN_VALUES) == {}


async def test_on_postgresql_data_in_clear_is_sealed_when_the_bot_opens_it(
    postgres_url: str,
) -> None:
    legacy = await Database.open(postgres_url)  # no key: values go in as given
    application = await write_everything(legacy)
    await legacy.close()

    config = Config(db_url=postgres_url, secret_key=TEST_SECRET_KEY)
    db = await open_bot_database(config, NOW)
    try:
        assert await count_stale(db, only_unsealed=True) == 0
        stored = await ApplicationsRepo(db).get(application.id)
        assert stored is not None and stored.contact_mobile == PHONE
        # The keyed hashes were written with the sealed values: look-ups find them.
        assert [a.id for a in await StaffRepo(db).find(PHONE)] == [application.id]
        assert [a.id for a in await StaffRepo(db).find(USCC)] == [application.id]
    finally:
        await db.close()
    import psycopg

    with psycopg.connect(postgres_url) as raw:
        [(mobile, uscc)] = raw.execute("SELECT contact_mobile, uscc FROM applications").fetchall()
        [(phone,)] = raw.execute(
            "SELECT phone FROM users WHERE user_id = %s", (CUSTOMER,)
        ).fetchall()
    assert PHONE not in (mobile, phone) and USCC != uscc and mobile.startswith("hv1:")


async def test_the_scan_for_values_in_clear_runs_once_until_a_keyless_connection_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "hv.db"
    config = Config(db_path=path, secret_key=TEST_SECRET_KEY)
    scans: list[bool] = []
    real_reseal = secure_db.reseal

    async def counted(db: Database, **options: bool) -> ResealReport:
        scans.append(True)
        return await real_reseal(db, **options)

    monkeypatch.setattr(secure_db, "reseal", counted)
    for _ in range(2):
        db = await open_bot_database(config, NOW)
        await db.close()
    assert len(scans) == 1  # the second start trusts the recorded fact

    keyless = await Database.open(path)  # a tool without the key: values go in as given
    application = await write_everything(keyless)
    await keyless.close()
    db = await open_bot_database(config, NOW)
    try:
        assert len(scans) == 2
        assert await count_stale(db, only_unsealed=True) == 0
        stored = await ApplicationsRepo(db).get(application.id)
        assert stored is not None and stored.contact_mobile == PHONE
    finally:
        await db.close()
    assert found_on_disk(path, PLAIN_VALUES) == {}


async def test_another_key_cannot_read_what_this_one_sealed(db: Database) -> None:
    await write_everything(db)
    other = FieldCipher.from_secrets("Yx1QfCk2m6k3mR9vJ8g4c0lq5VbTzN7wEoPa1sUdXhI=")
    stranger = await Database.open(db.path, cipher=other)
    try:
        with pytest.raises(Exception, match="not among the configured keys"):
            await UsersRepo(stranger).get(CUSTOMER)
    finally:
        await stranger.close()
