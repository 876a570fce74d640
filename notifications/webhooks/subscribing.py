"""Subscribing a URL to events: what a subscription may be, and its signing secret.

The command line (``hvconnect webhooks add``) and the API (``POST /v1/webhooks``) both
subscribe through this module, so the rules live in one place: the URL is https, or plain
http to this machine only (a receiver being tried out next to the bot); event kinds are
names like ``plan_approved``; the secret is drawn here, shown once and stored sealed.
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
URL, KINDS = "url", "kinds"  # the fields a refusal names


class BadSubscription(ValueError):
    """A subscription that cannot be made; the message names what is wrong, ``field`` the
    part at fault (``url``, ``kinds`` or ``client``) for a caller that reports it apart."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class Subscribed:
    id: int
    secret: str  # shown once; only its sealed form is kept


def check_url(url: str) -> str:
    """``url`` if a webhook may be sent to it, else :class:`BadSubscription`."""
    text = url.strip()
    if any(c.isspace() or not c.isprintable() for c in text):
        raise BadSubscription(f"a URL holds no spaces or control characters: {url!r}", field=URL)
    try:
        parts = urlsplit(text)
        hostname, _ = parts.hostname, parts.port  # a bad port or IPv6 literal raises here
    except ValueError:
        raise BadSubscription(f"not a URL: {url!r}", field=URL) from None
    if parts.scheme not in ("https", "http") or not hostname:
        raise BadSubscription(f"expected an https:// URL, got {url!r}", field=URL)
    if parts.scheme == "http" and hostname not in LOCAL_HOSTS:
        raise BadSubscription(f"plain http is for localhost only; use https: {url!r}", field=URL)
    if parts.username or parts.password:
        raise BadSubscription("a webhook URL must not carry credentials", field=URL)
    return text


def parse_kinds(text: str | None) -> tuple[str, ...] | None:
    """``"a,b"`` as event kinds; None (or empty) for every kind."""
    if text is None or not text.strip():
        return None
    return check_kinds(text.split(","))


def check_kinds(kinds: Sequence[str]) -> tuple[str, ...] | None:
    """The event kinds named, each once, in order; None (none named) for every kind."""
    named = tuple(dict.fromkeys(k.strip() for k in kinds if k.strip()))
    for kind in named:
        if not _KIND.match(kind):
            raise BadSubscription(f"not an event kind: {kind!r}", field=KINDS)
    return named or None


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
        raise BadSubscription("a subscription needs the client's name", field="client")
    checked_url = check_url(url)
    checked_kinds = None if event_kinds is None else check_kinds(event_kinds)
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    subscription_id = await repo.add(
        client_name=name,
        url=checked_url,
        event_kinds=checked_kinds,
        signing_secret=secret,
        now=now,
    )
    return Subscribed(subscription_id, secret)
