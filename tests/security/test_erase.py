"""Erasing one customer on request: their personal data goes, everyone else's stays, and
the anonymous history is whole."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.applications import ApplicationsRepo
from storage.db import Database
from storage.events import EventsRepo
from storage.migrate import migrate
from storage.sealing.erase import ERASED_EVENT, UnknownCustomer, erase_customer
from storage.sealing.rotate import checkpoint
from storage.survey import SurveyRepo
from storage.users import UsersRepo
from tests.keys import make_test_cipher
from tests.security.sample_data import (
    CONTACT,
    CUSTOMER,
    PERSONAL_VALUES,
    SOLE_TRADER,
    found_on_disk,
    write_everything,
    write_personal_fields,
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


async def test_one_customer_is_erased_and_the_others_are_kept(db: Database) -> None:
    other = await write_everything(db)
    application = await write_personal_fields(db)
    events_before = await EventsRepo(db).for_application(application.id)

    done = await erase_customer(db, SOLE_TRADER, by="ops", now=NOW)
    await checkpoint(db)

    assert (done.applications, done.documents, done.notes, done.surveys) == (1, 1, 1, 1)
    assert found_on_disk(Path(db.path), PERSONAL_VALUES) == {}
    user = await UsersRepo(db).get(SOLE_TRADER)
    assert user is not None and (user.first_name, user.username, user.phone) == (None,) * 3
    erased = await ApplicationsRepo(db).get(application.id)
    assert erased is not None
    assert (erased.applicant_name, erased.site_address, erased.contact_mobile) == ("", "", "")
    assert (erased.stage, erased.district, erased.capacity_kva) == (
        application.stage,
        application.district,
        application.capacity_kva,
    )
    survey = await SurveyRepo(db).get(application.id)
    assert survey is not None and survey.comment is None and survey.overall == 5
    events_after = await EventsRepo(db).for_application(application.id)
    assert [e.id for e in events_after[:-1]] == [e.id for e in events_before]
    assert (events_after[-1].kind, events_after[-1].data) == (ERASED_EVENT, {"by": "ops"})
    # The other customer is untouched.
    kept = await ApplicationsRepo(db).get(other.id)
    assert kept is not None and kept.contact_name == CONTACT
    assert (await UsersRepo(db).get(CUSTOMER)) is not None


async def test_an_unknown_customer_is_refused(db: Database) -> None:
    with pytest.raises(UnknownCustomer):
        await erase_customer(db, 999, by="ops", now=NOW)
