"""What a webhook says about an event, and how it is signed.

The body names the event (id, kind, time), the application by its number, the role of who
acted, and the event's data cut down to the fields that hold no personal data. An event's
data is the process history (stages, counts, dates, document kinds), but a few kinds carry
a staff member's name or Telegram user ids; a receiver outside the utility's bot has no use
for a Telegram id, and a name is a person's. So the data is filtered by an allow-list: a
field added to some event later is left out until someone decides it may leave.

The signature is HMAC-SHA256, keyed with the subscription's secret, over
``f"{t}.{body}"``, where ``t`` is the sending moment in unix seconds; it travels as
``X-Hvconnect-Signature: t=<t>,v1=<hex>``. Signing the time with the body lets a receiver
refuse an old request replayed by someone who recorded it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from storage.webhooks import EventRecord

SIGNATURE_HEADER = "X-Hvconnect-Signature"
EVENT_HEADER = "X-Hvconnect-Event"
# The event id: the same event posted twice (a retry after a lost answer, a replay) carries
# the same one, and receivers dedupe by it.
IDEMPOTENCY_HEADER = "Idempotency-Key"

# Event data fields that may leave: none names or reaches a person.
PUBLIC_DATA_FIELDS: frozenset[str] = frozenset(
    {
        "number",  # the application's number
        "documents",  # how many documents came with the step
        "deferred",  # which documents the customer will bring later (kinds)
        "round",  # a round of proposed survey slots
        "slots",  # the proposed moments
        "slot_id",
        "day",  # a date: the energisation scheduled or done
        "scheduled",
        "kind",  # an owed document's kind
        "files",
        "role",  # a staff role
        "roles",
        "reason",
        "returned",
        "overall",  # a survey's score
        "finished",
        "alerted",
        "district",
    }
)
# Fields that are steps for a stage change but user ids for a reassignment: only text passes.
STAGE_FIELDS: frozenset[str] = frozenset({"from", "to"})


def public_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` without the fields that could name or reach a person."""
    kept: dict[str, Any] = {}
    for name, value in data.items():
        if name in PUBLIC_DATA_FIELDS or (name in STAGE_FIELDS and isinstance(value, str)):
            kept[name] = value
    return kept


def body_of(event: EventRecord) -> str:
    """The JSON body posted for ``event``: compact, keys sorted, the same every time."""
    document = {
        "id": event.id,
        "kind": event.kind,
        "time": event.created_at.isoformat(),
        "application": event.application_number,
        "actor_role": event.actor_role,
        "data": public_data(event.data),
    }
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def signature(secret: str, timestamp: int, body: str) -> str:
    """The hex HMAC-SHA256 of ``f"{timestamp}.{body}"`` under ``secret``."""
    message = f"{timestamp}.{body}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def headers_for(event: EventRecord, secret: str, timestamp: int, body: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json; charset=utf-8",
        SIGNATURE_HEADER: f"t={timestamp},v1={signature(secret, timestamp, body)}",
        EVENT_HEADER: event.kind,
        IDEMPOTENCY_HEADER: str(event.id),
    }
