"""Counters of what the bot asked of the emulated Telegram, for tests and benchmarks."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class SandboxStats:
    """What happened since the emulator started (or since :meth:`reset`)."""

    requests: Counter[str] = field(default_factory=Counter)
    errors: Counter[int] = field(default_factory=Counter)
    messages_sent: int = 0
    edits: int = 0
    deletions: int = 0
    too_many_requests: int = 0
    updates_enqueued: int = 0
    updates_delivered: int = 0
    # Webhook delivery: POSTs made, of them failed (refused, timed out, non-2xx), and
    # acknowledged updates delivered again by the duplicate fault.
    webhook_posts: int = 0
    webhook_failures: int = 0
    webhook_duplicates: int = 0

    def reset(self) -> None:
        self.requests.clear()
        self.errors.clear()
        self.messages_sent = self.edits = self.deletions = self.too_many_requests = 0
        self.updates_enqueued = self.updates_delivered = 0
        self.webhook_posts = self.webhook_failures = self.webhook_duplicates = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": dict(self.requests),
            "errors": {str(code): count for code, count in self.errors.items()},
            "messages_sent": self.messages_sent,
            "edits": self.edits,
            "deletions": self.deletions,
            "too_many_requests": self.too_many_requests,
            "updates_enqueued": self.updates_enqueued,
            "updates_delivered": self.updates_delivered,
            "webhook_posts": self.webhook_posts,
            "webhook_failures": self.webhook_failures,
            "webhook_duplicates": self.webhook_duplicates,
        }
