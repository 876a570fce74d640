"""What a client's key may be used for; kept apart from the web framework so that
``hvconnect api-client`` can name the scopes without loading it."""

from __future__ import annotations

from enum import StrEnum


class Scope(StrEnum):
    APPLICATIONS_READ = "applications:read"
    APPLICATIONS_WRITE = "applications:write"
    EVENTS_READ = "events:read"
    STATS_READ = "stats:read"
    PII_READ = "pii:read"  # personal data in clear; others see it masked
    WEBHOOKS_MANAGE = "webhooks:manage"  # the client's own webhook subscriptions
