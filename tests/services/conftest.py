"""Fixtures for the services' own tests: a migrated database and what the services are
given, with no Telegram anywhere."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from notifications.outbox import Outbox
from notifications.render import Texts
from process.calendar import WorkingCalendar
from process.limits import TimeLimits
from services.context import ServiceContext
from storage.db import Database
from storage.migrate import migrate
from storage.outbox import OutboxRepo
from tests.keys import make_test_cipher
from tests.storage.samples import NOW, SHANGHAI


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "hvconnect.db", cipher=make_test_cipher())
    await migrate(database, NOW)
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
def ctx(db: Database) -> ServiceContext:
    texts = Texts("zh_CN")
    return ServiceContext(
        db=db,
        outbox=Outbox(OutboxRepo(db), texts, tz=SHANGHAI),
        texts=texts,
        calendar=WorkingCalendar(),
        tz=SHANGHAI,
        limits=TimeLimits.default(),
    )
