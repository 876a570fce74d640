"""Errors that storage raises on purpose, so callers can tell them from driver failures."""

from __future__ import annotations


class StorageError(Exception):
    """Base class for the errors this package raises deliberately."""


class NestedTransaction(StorageError):
    """A coroutine asked the database for more work while holding its transaction."""


class UnknownUser(StorageError, LookupError):
    """An operation names a user the bot has never seen (``touch`` was never called)."""

    def __init__(self, user_id: int) -> None:
        super().__init__(f"no user {user_id}")
        self.user_id = user_id


class DraftMissing(StorageError):
    """There is no draft to act on, typically because Submit was pressed a second time."""

    def __init__(self, user_id: int) -> None:
        super().__init__(f"user {user_id} has no draft application")
        self.user_id = user_id


class MigrationError(StorageError):
    """The migration files shipped with the code are malformed."""


class SchemaTooNew(StorageError):
    """The database was migrated by a newer release than the one now running."""

    def __init__(self, database_version: int, code_version: int) -> None:
        super().__init__(
            f"database schema is version {database_version}, but this release only knows "
            f"up to version {code_version}; run a newer release"
        )
        self.database_version = database_version
        self.code_version = code_version
