"""The integration API's clients, their keys, and the record of every call they make.

A key is 32 random bytes (``secrets.token_urlsafe``), shown once when the client is created;
only its SHA-256 is stored. A plain hash is enough here, unlike for a password: a key has
256 bits of entropy chosen by the machine, so no dictionary or brute force reaches it from
its hash, and a salt or a slow hash would only slow down every call, whose key must be
found by an indexed equality on the hash. Whoever reads the database (a backup, an auditor)
learns the hashes and cannot call the API with them.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime

from storage.codec import json_from_db, json_to_db, optional_time_from_db, time_from_db, time_to_db
from storage.db import Database, fetch_one, insert, run
from storage.errors import StorageError

KEY_PREFIX = "hvk_"  # tells a leaked key apart in a log or a repository scan
CLIENT_COLUMNS = "id, name, scopes, created_at, revoked_at"


class ClientNameTaken(StorageError):
    """A client of that name exists already (perhaps revoked: names are never reused, so
    that the audit trail names one client)."""


@dataclass(frozen=True, slots=True)
class ApiClient:
    id: int
    name: str
    scopes: frozenset[str]
    created_at: datetime
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _client(row: sqlite3.Row) -> ApiClient:
    return ApiClient(
        id=row["id"],
        name=row["name"],
        scopes=frozenset(json_from_db(row["scopes"])),
        created_at=time_from_db(row["created_at"]),
        revoked_at=optional_time_from_db(row["revoked_at"]),
    )


class ApiClientsRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self, name: str, scopes: frozenset[str], now: datetime
    ) -> tuple[ApiClient, str]:
        """A new client and its key, which is returned here and nowhere else ever again."""
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        async with self._db.transaction() as conn:
            if await fetch_one(conn, "SELECT 1 FROM api_clients WHERE name = ?", (name,)):
                raise ClientNameTaken(name)
            client_id = await insert(
                conn,
                "INSERT INTO api_clients (name, key_hash, scopes, created_at) VALUES (?, ?, ?, ?)",
                (name, key_hash(key), json_to_db(sorted(scopes)), time_to_db(now)),
            )
        return ApiClient(client_id, name, scopes, now, None), key

    async def list_all(self) -> list[ApiClient]:
        rows = await self._db.fetchall(f"SELECT {CLIENT_COLUMNS} FROM api_clients ORDER BY id")
        return [_client(row) for row in rows]

    async def revoke(self, name: str, now: datetime) -> bool:
        """Take the key of an active client away; False if there is no such active client."""
        async with self._db.transaction() as conn:
            changed = await run(
                conn,
                "UPDATE api_clients SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                (time_to_db(now), name),
            )
        return changed > 0

    async def by_key(self, key: str) -> ApiClient | None:
        """The active client holding ``key``, or None."""
        row = await self._db.fetchone(
            f"SELECT {CLIENT_COLUMNS} FROM api_clients WHERE key_hash = ? AND revoked_at IS NULL",
            (key_hash(key),),
        )
        return None if row is None else _client(row)

    async def record_call(
        self,
        client_id: int,
        *,
        method: str,
        path: str,
        status: int,
        application_id: int | None,
        now: datetime,
    ) -> None:
        """One line of the audit trail: which client called what, and how it was answered."""
        await self._db.execute_alone(
            "INSERT INTO api_calls (client_id, method, path, status, application_id, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (client_id, method, path, status, application_id, time_to_db(now)),
        )
