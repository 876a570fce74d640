"""Fixtures for the service tests: the storage tests' database, and what a service needs
around it (an outbox that renders real templates), with no bot and no Telegram."""

from __future__ import annotations

import pytest

from notifications.outbox import Outbox
from notifications.render import Texts
from process.calendar import WorkingCalendar
from process.limits import TimeLimits
from services.context import ServiceContext
from storage.db import Database
from storage.outbox import OutboxRepo
from tests.storage.conftest import db, db_location, db_path
from tests.storage.samples import SHANGHAI

__all__ = ["context", "db", "db_location", "db_path"]


@pytest.fixture
def context(db: Database) -> ServiceContext:
    texts = Texts("zh_CN")
    return ServiceContext(
        db=db,
        outbox=Outbox(OutboxRepo(db), texts, tz=SHANGHAI),
        texts=texts,
        tz=SHANGHAI,
        calendar=WorkingCalendar(),
        limits=TimeLimits.default(),
    )
