"""Subscribing a URL to events: what a subscription may be, and its signing secret.

The command line uses this, and any other way of managing subscriptions should too, so the
rules live in one place: the URL is https, or plain http to this machine only (a receiver
being tried out next to the bot); event kinds are names like ``plan_approved``; the secret
is drawn here, shown once and stored sealed.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from storage.webhooks import WebhooksRepo

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
_KIND = re.compile(r"^[a-z][a-z0-9_]*$")
SECRET_PREFIX = "whsec_"


class BadSubscription(ValueError):
    """A subscription that cannot be made; the message names what is wrong."""


@dataclass(frozen=True, slots=True)
class Subscribed:
    id: int
    secret: str  # shown once; only its sealed form is kept


def check_url(url: str) -> str:
    """``url`` if a webhook may be sent to it, else :class:`BadSubscription`."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise BadSubscription(f"expected an https:// URL, got {url!r}")
    if parts.scheme == "http" and parts.hostname not in LOCAL_HOSTS:
        raise BadSubscription(f"plain http is for localhost only; use https: {url!r}")
    if parts.username or parts.password:
        raise BadSubscription("a webhook URL must not carry credentials")
    return url.strip()


def parse_kinds(text: str | None) -> tuple[str, ...] | None:
    """``"a,b"`` as event kinds; None (or empty) for every kind."""
    if text is None or not text.strip():
        return None
    kinds = tuple(dict.fromkeys(k.strip() for k in text.split(",") if k.strip()))
    for kind in kinds:
        if not _KIND.match(kind):
            raise BadSubscription(f"not an event kind: {kind!r}")
    return kinds


async def subscribe(
    repo: WebhooksRepo,
    *,
    client_name: str,
    url: str,
    event_kinds: Sequence[str] | None,
    now: datetime,
) -> Subscribed:
    """A new active subscription with a fresh signing secret."""
    name = client_name.strip()
    if not name:
        raise BadSubscription("a subscription needs the client's name")
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    subscription_id = await repo.add(
        client_name=name,
        url=check_url(url),
        event_kinds=event_kinds,
        signing_secret=secret,
        now=now,
    )
    return Subscribed(subscription_id, secret)
