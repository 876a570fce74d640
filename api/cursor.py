"""Opaque page cursors: a client hands back what it was given and never builds one.

A cursor carries the last id a page ended on; it is base64url text so that a client cannot
mistake it for a number to do arithmetic on, and so that what it carries can change later
without breaking clients that treat it as opaque.
"""

from __future__ import annotations

import base64
import binascii
import json

from api.problems import Kind, ProblemError

SQLITE_MAX = 2**63 - 1  # the largest id SQLite stores; beyond it a query would fail


def encode_cursor(last_id: int) -> str:
    raw = json.dumps({"after": last_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, field: str = "cursor") -> int:
    """The id a page resumes after; 0 without a cursor; 400 naming ``field`` on a bad one."""
    if cursor is None or cursor == "":
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        after = json.loads(raw)["after"]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        after = None
    if isinstance(after, bool) or not isinstance(after, int) or not 0 <= after <= SQLITE_MAX:
        raise ProblemError(
            Kind.BAD_REQUEST, f"{field}: not a cursor this API gave out", field=field
        )
    return after
