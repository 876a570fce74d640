"""What the business operations need from the running bot, handed to them explicitly.

The chat builds one from its dependencies (:class:`flows.deps.Services`), a test or another
caller from its own; a service reads nothing else, so it runs the same under any of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from notifications.outbox import Outbox
from notifications.render import Texts
from storage.db import Database


def at_once(now: datetime) -> datetime | None:
    """Staff may be written to at any moment (no working hours kept)."""
    return None


@dataclass(frozen=True)
class ServiceContext:
    db: Database
    outbox: Outbox
    texts: Texts  # the labels of the buttons on queued messages
    # When a message to staff written at ``now`` may go: None for at once, otherwise the
    # start of their next working hours (nothing a service tells staff is urgent at night).
    staff_send_at: Callable[[datetime], datetime | None] = at_once
