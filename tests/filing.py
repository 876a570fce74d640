"""Seeding applications: the storage step of submitting, without assignment or alerts.

Tests that want an application in a given state file the draft directly and set its
holders themselves; the submission as customers make it is :func:`services.submission.submit`.
"""

from __future__ import annotations

from typing import Any

from storage.applications import file_draft
from storage.db import Database
from storage.models import Application


async def file_draft_in(db: Database, **fields: Any) -> Application:
    """:func:`storage.applications.file_draft` in a transaction of its own."""
    async with db.transaction() as conn:
        return await file_draft(conn, **fields)
