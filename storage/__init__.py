"""Everything the bot keeps on disk, in one SQLite database reached through aiosqlite.

Open one :class:`Database` per process, run :func:`migrate` at start-up, and build the
repositories on top of it. Conversation persistence for python-telegram-bot lives in
:mod:`storage.persistence`, and the handlers that open and close every update's unit of work
in :mod:`storage.update_handling`; both are imported from there.
"""

from storage.applications import ApplicationsRepo
from storage.db import Database
from storage.drafts import DraftsRepo
from storage.errors import (
    DraftMissing,
    MigrationError,
    NestedTransaction,
    SchemaTooNew,
    StorageError,
    UnknownUser,
)
from storage.events import EventsRepo
from storage.migrate import LATEST_VERSION, migrate, schema_version
from storage.models import (
    Application,
    Document,
    DocumentInput,
    Draft,
    DraftDocument,
    Event,
    NewApplication,
    OwedItem,
    PauseRow,
    StageVisit,
    User,
)
from storage.users import UsersRepo

__all__ = [
    "LATEST_VERSION",
    "Application",
    "ApplicationsRepo",
    "Database",
    "Document",
    "DocumentInput",
    "Draft",
    "DraftDocument",
    "DraftMissing",
    "DraftsRepo",
    "Event",
    "EventsRepo",
    "MigrationError",
    "NestedTransaction",
    "NewApplication",
    "OwedItem",
    "PauseRow",
    "SchemaTooNew",
    "StageVisit",
    "StorageError",
    "UnknownUser",
    "User",
    "UsersRepo",
    "migrate",
    "schema_version",
]
