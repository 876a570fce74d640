"""Which columns hold sealed personal data, and how a connection seals and opens them.

README's "Personal data is encrypted at rest" and docs/security.md list them, and say why
the few personal-looking columns left in clear are.

Repositories write sealed columns through SQL functions and read them back already opened,
so the records in :mod:`storage.models` (and every handler, sweep and statistic built on
them) only ever see plain values:

* ``hv_seal(value)`` seals a value with the connection's cipher (``hv_seal_json`` wraps the
  result in a JSON string, for columns whose CHECK wants valid JSON);
* ``hv_lookup(value)`` is the keyed hash stored beside a phone number or credit code, and
  ``hv_lookups(value)`` the JSON list of its hashes under every key, for searching while a
  rotation is under way;
* the connection's row factory opens every sealed column by name as rows are read.

Both are installed on the one connection :class:`storage.db.Database` opens, with the
cipher it was given: there is no global key. A connection without a cipher (tests and tools
that never hold personal data) stores values as given, and refuses to show sealed ones
rather than print ciphertext.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any

import aiosqlite

from storage.sealing.crypto import (
    SEALED_PREFIX,
    DataKey,
    FieldCipher,
    SealedWithoutKey,
    is_sealed,
)

# table -> its sealed columns. Column names are what the row factory goes by, so a sealed
# column's name must not be used for anything else in a query's result.
SEALED_COLUMNS: dict[str, tuple[str, ...]] = {
    "users": ("phone", "first_name", "username"),
    "applications": ("contact_name", "contact_mobile", "uscc", "applicant_name", "site_address"),
    "drafts": ("fields",),
    "draft_documents": ("file_name",),
    "thread_messages": ("text",),
    "documents": ("caption", "file_name"),
    "outbox": ("text",),
    "survey_responses": ("comment",),
    "notes": ("note",),
    # What an action half-done holds: the files (with their names) a customer is sending.
    "pending_inputs": ("data",),
    # Not personal, but a copy of the file must not let anyone sign as the bot.
    "webhook_subscriptions": ("signing_secret",),
    # The claim code an idempotent repeat of an intake answers with again.
    "intake_requests": ("claim_code",),
}
# Columns sealed only in the rows where this SQL condition holds: an applicant's name and
# site address are a person's only for a sole trader or a residential connection
# (storage/sealing/personal.py). A value that looks sealed is sealed whoever it belongs to.
_PERSONAL_APPLICANT = "(personal_applicant = 1 OR substr({column}, 1, 4) = 'hv1:')"
SEALED_WHEN: dict[tuple[str, str], str] = {
    ("applications", "applicant_name"): _PERSONAL_APPLICANT.format(column="applicant_name"),
    ("applications", "site_address"): _PERSONAL_APPLICANT.format(column="site_address"),
}
# (table, sealed column) -> the column holding its keyed hash, for exact look-ups.
LOOKUP_COLUMNS: dict[tuple[str, str], str] = {
    ("applications", "contact_mobile"): "contact_mobile_hash",
    ("applications", "uscc"): "uscc_hash",
    ("applications", "applicant_name"): "applicant_name_hash",
    ("notes", "note"): "note_hash",
}
# Sealed columns whose CHECK constraint wants JSON: the sealed text is stored as a JSON string.
JSON_COLUMNS: frozenset[tuple[str, str]] = frozenset(
    {("drafts", "fields"), ("pending_inputs", "data")}
)
SEALED_NAMES: frozenset[str] = frozenset(c for cols in SEALED_COLUMNS.values() for c in cols)

_JSON_SEALED_PREFIX = '"' + SEALED_PREFIX
# Without a key, hashes are still computed (so look-ups work in tests) under a fixed key
# everyone knows; a real deployment never runs without one.
_UNKEYED = DataKey.from_secret(bytes(32))


def open_value(cipher: FieldCipher | None, stored: str) -> str:
    """The plain text of a stored sealed-column value (either storage form)."""
    if stored.startswith(_JSON_SEALED_PREFIX):
        stored = json.loads(stored)
    if not is_sealed(stored):
        return stored  # written before encryption, or by a connection without a key
    if cipher is None:
        raise SealedWithoutKey()
    return cipher.open(stored)


def seal_value(cipher: FieldCipher | None, plain: str, *, as_json: bool = False) -> str:
    if cipher is None:
        return plain
    sealed = cipher.seal(plain)
    return json.dumps(sealed) if as_json else sealed


def lookup_hash(cipher: FieldCipher | None, plain: str) -> str:
    return (cipher.current if cipher else _UNKEYED).lookup_hash(plain)


def lookup_hashes(cipher: FieldCipher | None, plain: str) -> list[str]:
    return cipher.lookup_hashes(plain) if cipher else [_UNKEYED.lookup_hash(plain)]


def row_factory(cipher: FieldCipher | None) -> Callable[[sqlite3.Cursor, tuple[Any, ...]], Any]:
    """A sqlite3 row factory giving :class:`sqlite3.Row` objects with sealed columns opened."""

    def make_row(cursor: sqlite3.Cursor, values: tuple[Any, ...]) -> sqlite3.Row:
        names = cursor.description
        if any(d[0] in SEALED_NAMES for d in names):
            values = tuple(
                open_value(cipher, v) if isinstance(v, str) and d[0] in SEALED_NAMES else v
                for d, v in zip(names, values, strict=True)
            )
        return sqlite3.Row(cursor, values)

    return make_row


def _functions(cipher: FieldCipher | None) -> dict[str, Callable[[Any], Any]]:
    def seal(value: Any) -> Any:
        return None if value is None else seal_value(cipher, str(value))

    def seal_json(value: Any) -> Any:
        return None if value is None else seal_value(cipher, str(value), as_json=True)

    def lookup(value: Any) -> Any:
        return None if value is None else lookup_hash(cipher, str(value))

    def lookups(value: Any) -> Any:
        return "[]" if value is None else json.dumps(lookup_hashes(cipher, str(value)))

    return {"hv_seal": seal, "hv_seal_json": seal_json, "hv_lookup": lookup, "hv_lookups": lookups}


async def install(connection: aiosqlite.Connection, cipher: FieldCipher | None) -> None:
    """Give an aiosqlite connection the sealing functions and the opening row factory."""
    for name, function in _functions(cipher).items():
        # Sealing draws a fresh nonce, so only the hashes are deterministic.
        await connection.create_function(
            name, 1, function, deterministic=name in ("hv_lookup", "hv_lookups")
        )
    connection.row_factory = row_factory(cipher)  # type: ignore[assignment]


def install_sync(connection: sqlite3.Connection, cipher: FieldCipher | None) -> None:
    """The same for a plain sqlite3 connection (command-line tools, tests)."""
    for name, function in _functions(cipher).items():
        connection.create_function(
            name, 1, function, deterministic=name in ("hv_lookup", "hv_lookups")
        )
    connection.row_factory = row_factory(cipher)
