"""The personal data sealed since the second round: Telegram names, file names, a sole
trader's name and home, notes and survey comments. None of it is readable in the database
file, its WAL or a plain backup; the records hold it plain; a note is stored once and can be
erased while its event stays."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config.settings import Config
from bot.secure_db import open_bot_database
from storage.applications import ApplicationsRepo
from storage.backup.snapshot import take_backup
from storage.db import Database
from storage.events import EventsRepo
from storage.migrate import MIGRATIONS, migrate
from storage.notes import erase_notes
from storage.sealing.rotate import count_stale
from storage.staff.members import StaffRepo
from storage.survey import SurveyRepo
from storage.users import UsersRepo
from storage.workflow import WorkflowRepo
from tests.keys import TEST_SECRET_KEY, make_test_cipher
from tests.security.sample_data import (
    COMMENT,
    DOC_NAME,
    FIRST_NAME,
    HOME_ADDRESS,
    NOTE,
    PENDING_DOC_NAME,
    PERSONAL_VALUES,
    PLAIN_VALUES,
    SOLE_TRADER,
    SOLE_TRADER_NAME,
    SOLE_TRADER_USCC,
    USERNAME,
    file_sizes,
    found_on_disk,
    write_everything,
    write_personal_fields,
)
from tests.storage.samples import NOW

PERSONAL_FIELDS_VERSION = 13  # 0013_personal_fields.sql


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "hv.db", cipher=make_test_cipher())
    await migrate(database, NOW)
    try:
        yield database
    finally:
        await database.close()


async def test_none_of_it_is_in_the_file_its_wal_or_a_plain_backup(
    db: Database, tmp_path: Path
) -> None:
    await write_everything(db)
    await write_personal_fields(db)
    values = (*PLAIN_VALUES, *PERSONAL_VALUES)
    assert file_sizes(Path(db.path))["-wal"] > 0  # recent pages are in the WAL: scanned too
    assert found_on_disk(Path(db.path), values) == {}
    backup = tmp_path / "plain-backup.db"
    await take_backup(Path(db.path), backup, NOW)  # no --encrypt: the file itself is plain
    assert found_on_disk(backup, values) == {}
    await db.fetchone("PRAGMA wal_checkpoint(TRUNCATE)")
    assert found_on_disk(Path(db.path), values) == {}


async def test_the_records_hold_them_plain(db: Database) -> None:
    application = await write_personal_fields(db)
    user = await UsersRepo(db).get(SOLE_TRADER)
    assert user is not None and (user.first_name, user.username) == (FIRST_NAME, USERNAME)
    stored = await ApplicationsRepo(db).get(application.id)
    assert stored is not None
    assert (stored.applicant_name, stored.uscc, stored.site_address) == (
        SOLE_TRADER_NAME,
        SOLE_TRADER_USCC,
        HOME_ADDRESS,
    )
    [document] = await ApplicationsRepo(db).documents(application.id)
    assert document.file_name == DOC_NAME
    [owed] = await ApplicationsRepo(db).owed_items(application.id)
    assert owed.detail == NOTE
    returned = [e for e in await EventsRepo(db).for_application(application.id) if e.note]
    assert [e.note for e in returned] == [NOTE]
    survey = await SurveyRepo(db).get(application.id)
    assert survey is not None and survey.comment == COMMENT
    pending = await WorkflowRepo(db).pending(SOLE_TRADER)
    assert pending is not None and pending.data["files"][0]["file_name"] == PENDING_DOC_NAME


async def test_a_company_name_stays_in_clear_and_searchable_a_sole_traders_is_found_whole(
    db: Database,
) -> None:
    company = await write_everything(db)
    trader = await write_personal_fields(db)
    raw = sqlite3.connect(db.path)
    try:
        names = dict(raw.execute("SELECT id, applicant_name FROM applications").fetchall())
        pairs = {r[0] for r in raw.execute("SELECT pair FROM application_name_pairs")}
    finally:
        raw.close()
    assert names[company.id] == company.applicant_name  # a company's name is not personal
    assert names[trader.id].startswith("hv1:")
    assert "七七" not in pairs and "五金" not in pairs  # no pair gives the name away
    staff = StaffRepo(db)
    assert [a.id for a in await staff.find(company.applicant_name[2:6])] == [company.id]
    assert await staff.find("七七五金") == []
    assert [a.id for a in await staff.find(SOLE_TRADER_NAME)] == [trader.id]
    assert [a.id for a in await staff.find(SOLE_TRADER_USCC)] == [trader.id]


async def test_a_note_is_stored_once_sealed_and_can_be_erased_while_its_event_stays(
    db: Database,
) -> None:
    application = await write_personal_fields(db)
    raw = sqlite3.connect(db.path)
    try:
        notes = raw.execute("SELECT note FROM notes").fetchall()
        clear = raw.execute(
            "SELECT COUNT(*) FROM events WHERE note IS NOT NULL "
            "UNION ALL SELECT COUNT(*) FROM owed_items WHERE detail IS NOT NULL"
        ).fetchall()
    finally:
        raw.close()
    assert len(notes) == 1 and notes[0][0].startswith("hv1:")  # one row for both writes
    assert clear == [(0,), (0,)]
    events_before = await EventsRepo(db).for_application(application.id)

    async with db.transaction() as conn:
        assert await erase_notes(conn, [application.id], NOW) == 1
    events_after = await EventsRepo(db).for_application(application.id)
    assert [(e.id, e.kind, e.data) for e in events_after] == [
        (e.id, e.kind, e.data) for e in events_before
    ]
    assert all(e.note is None for e in events_after)
    [owed] = await ApplicationsRepo(db).owed_items(application.id)
    assert owed.detail is None
    assert found_on_disk(Path(db.path), (NOTE,)) == {}


async def test_a_note_in_clear_is_refused_by_the_database(db: Database) -> None:
    application = await write_personal_fields(db)
    with pytest.raises(sqlite3.IntegrityError, match="belongs in notes"):
        await db.execute(
            "INSERT INTO events (application_id, actor_role, kind, note, created_at) "
            "VALUES (?, 'customer_manager', 'return_missing', '13811112222', '2026-11-27')",
            (application.id,),
        )


async def test_an_older_database_is_sealed_and_its_notes_moved_when_the_bot_opens_it(
    tmp_path: Path,
) -> None:
    """What release 11 wrote in clear (names, file names, a sole trader, a note in the event
    and again in the owed item, a comment) is sealed at the first start of this one."""
    path = tmp_path / "old.db"
    old = await Database.open(path, cipher=make_test_cipher())
    await migrate(old, NOW, tuple(m for m in MIGRATIONS if m.version < PERSONAL_FIELDS_VERSION))
    stamp = "2026-11-27T01:48:00+00:00"
    await old.execute(
        "INSERT INTO users (user_id, chat_id, first_name, username, locale, created_at, "
        "updated_at) VALUES (?1, ?1, ?2, ?3, 'zh_CN', ?4, ?4)",
        (SOLE_TRADER, FIRST_NAME, USERNAME, stamp),
    )
    await old.execute(
        "INSERT INTO applications (id, number, customer_id, applicant_name, uscc, project_name, "
        "site_address, district, usage_category, voltage_kv, capacity_kva, supply_mode, "
        "important_load, grid_works, wanted_date, contact_name, contact_mobile, stage, "
        "submitted_at, updated_at) VALUES (1, 'HV-2026-000001', ?1, ?2, hv_seal(?3), '门店用电', "
        "?4, '汉台区', 'commercial', 10, 200, 'single', 0, 'no', '2027-03-01', hv_seal('钱七七'), "
        "hv_seal('13811112222'), 'accept', ?5, ?5)",
        (SOLE_TRADER, SOLE_TRADER_NAME, SOLE_TRADER_USCC, HOME_ADDRESS, stamp),
    )
    await old.execute(
        "INSERT INTO documents (application_id, kind, file_id, file_name, uploaded_at) "
        "VALUES (1, 'licence', 'F1', ?, ?)",
        (DOC_NAME, stamp),
    )
    await old.execute(
        "INSERT INTO owed_items (application_id, kind, detail, created_at) "
        "VALUES (1, 'supply:missing', ?, ?)",
        (NOTE, stamp),
    )
    await old.execute(
        "INSERT INTO events (application_id, actor_id, actor_role, kind, note, created_at) "
        "VALUES (1, 2001, 'customer_manager', 'return_missing', ?, ?)",
        (NOTE, stamp),
    )
    await old.execute(
        "INSERT INTO survey_responses (application_id, customer_id, comment, invited_at, "
        "updated_at) VALUES (1, ?, ?, ?, ?)",
        (SOLE_TRADER, COMMENT, stamp, stamp),
    )
    await old.close()
    assert found_on_disk(path, PERSONAL_VALUES)  # in clear, as that release kept them

    db = await open_bot_database(Config(db_path=path, secret_key=TEST_SECRET_KEY), NOW)
    try:
        assert await count_stale(db, only_unsealed=True) == 0
        user = await UsersRepo(db).get(SOLE_TRADER)
        assert user is not None and (user.first_name, user.username) == (FIRST_NAME, USERNAME)
        stored = await ApplicationsRepo(db).get(1)
        assert stored is not None and stored.applicant_name == SOLE_TRADER_NAME
        assert stored.site_address == HOME_ADDRESS
        [owed] = await ApplicationsRepo(db).owed_items(1)
        [event] = await EventsRepo(db).for_application(1)
        assert owed.detail == event.note == NOTE
        assert len(await db.fetchall("SELECT id FROM notes")) == 1
        assert [a.id for a in await StaffRepo(db).find(SOLE_TRADER_NAME)] == [1]
    finally:
        await db.close()
    assert found_on_disk(path, PERSONAL_VALUES) == {}
