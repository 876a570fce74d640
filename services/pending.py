"""What a member of the chat is asked to type or send next, remembered across restarts.

A button that needs more than a press (a note, a file, a message to the manager) leaves a
pending input: the next message is read as that input, checked against the application's
version it was asked for. Starting and dropping one is all the chat does with it outside the
services that spend it (``services.workflow.supply`` clears it in the transaction that acts).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from services.context import ServiceContext
from storage.workflow import clear_pending, set_pending


async def wait_for_input(
    ctx: ServiceContext,
    *,
    user_id: int,
    application_id: int,
    action: str,
    version: int,
    now: datetime,
    data: Mapping[str, Any] | None = None,
) -> None:
    """Remember that ``user_id``'s next message answers ``action`` (one thing at a time:
    it replaces whatever was waited for before)."""
    async with ctx.db.transaction() as conn:
        await set_pending(
            conn,
            user_id=user_id,
            application_id=application_id,
            action=action,
            version=version,
            now=now,
            data=data,
        )


async def stop_waiting(ctx: ServiceContext, user_id: int) -> None:
    """Nothing is waited for from ``user_id`` any more (cancelled, refused or spent)."""
    async with ctx.db.transaction() as conn:
        await clear_pending(conn, user_id)
