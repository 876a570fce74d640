"""Webhook subscriptions and their deliveries: the rows the webhook worker sends from.

A delivery row is written by the database in the transaction that appends its event
(the ``events_to_webhooks`` trigger of the migration), so nothing here writes one for a new
event; this module reads the queue, claims a subscription's head and records outcomes, and
manages subscriptions for the command line and the API.

Order: a subscription's deliveries go out in event id order, one at a time. Its head is the
open row (neither delivered nor dead) with the lowest event id, and only the head is sent;
a row marked in flight holds its subscription until its outcome is recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from storage.codec import json_from_db, json_to_db, optional_time_from_db, time_from_db, time_to_db
from storage.db import Database, insert, run

_SUBSCRIPTION_COLUMNS = "id, client_name, url, event_kinds, signing_secret, active, created_at"
_DELIVERY_COLUMNS = (
    "d.id, d.subscription_id, d.event_id, d.attempts, d.next_attempt_at, d.in_flight_since, "
    "d.last_error, d.delivered_at, d.dead_at"
)
_OPEN = "d.delivered_at IS NULL AND d.dead_at IS NULL"


@dataclass(frozen=True, slots=True)
class Subscription:
    id: int
    client_name: str
    url: str
    event_kinds: tuple[str, ...] | None  # None: every kind
    signing_secret: str
    active: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    subscription_id: int
    event_id: int
    attempts: int
    next_attempt_at: datetime
    in_flight_since: datetime | None
    last_error: str | None
    delivered_at: datetime | None
    dead_at: datetime | None


@dataclass(frozen=True, slots=True)
class EventRecord:
    """What a webhook tells of an event: the event row and its application's number."""

    id: int
    kind: str
    actor_role: str
    created_at: datetime
    application_number: str | None
    data: dict[str, Any]


def _subscription(row: aiosqlite.Row) -> Subscription:
    kinds = row["event_kinds"]
    return Subscription(
        id=int(row["id"]),
        client_name=str(row["client_name"]),
        url=str(row["url"]),
        event_kinds=None if kinds is None else tuple(json_from_db(kinds)),
        signing_secret=str(row["signing_secret"]),
        active=bool(row["active"]),
        created_at=time_from_db(row["created_at"]),
    )


def _delivery(row: aiosqlite.Row) -> Delivery:
    return Delivery(
        id=int(row["id"]),
        subscription_id=int(row["subscription_id"]),
        event_id=int(row["event_id"]),
        attempts=int(row["attempts"]),
        next_attempt_at=time_from_db(row["next_attempt_at"]),
        in_flight_since=optional_time_from_db(row["in_flight_since"]),
        last_error=row["last_error"],
        delivered_at=optional_time_from_db(row["delivered_at"]),
        dead_at=optional_time_from_db(row["dead_at"]),
    )


class WebhooksRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    # -- subscriptions --------------------------------------------------------------------

    async def add(
        self,
        *,
        client_name: str,
        url: str,
        event_kinds: Sequence[str] | None,
        signing_secret: str,
        now: datetime,
    ) -> int:
        """A new active subscription; it receives the events appended from now on."""
        async with self._db.transaction() as conn:
            return await insert(
                conn,
                """
                INSERT INTO webhook_subscriptions
                    (client_name, url, event_kinds, signing_secret, active, created_at)
                VALUES (?, ?, ?, hv_seal(?), 1, ?)
                """,
                (
                    client_name,
                    url,
                    None if event_kinds is None else json_to_db(list(event_kinds)),
                    signing_secret,
                    time_to_db(now),
                ),
            )

    async def subscriptions(
        self, *, active_only: bool = False, client_name: str | None = None
    ) -> list[Subscription]:
        """Every subscription by id, or the active ones, or (``client_name``) one client's."""
        conditions = ["active = 1"] if active_only else []
        if client_name is not None:
            conditions.append("client_name = :client")
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        rows = await self._db.fetchall(
            f"SELECT {_SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions {where} ORDER BY id",
            {"client": client_name},
        )
        return [_subscription(row) for row in rows]

    async def subscription(self, subscription_id: int) -> Subscription | None:
        row = await self._db.fetchone(
            f"SELECT {_SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions WHERE id = ?",
            (subscription_id,),
        )
        return None if row is None else _subscription(row)

    async def deactivate(self, subscription_id: int) -> bool:
        """Stop sending to a subscription; False if there is no active one by that id."""
        changed = await self._db.execute(
            "UPDATE webhook_subscriptions SET active = 0 WHERE id = ? AND active = 1",
            (subscription_id,),
        )
        return changed == 1

    async def counts(self) -> dict[int, dict[str, int]]:
        """Per subscription: deliveries waiting, delivered and dead."""
        rows = await self._db.fetchall(
            """
            SELECT subscription_id,
                   SUM(CASE WHEN delivered_at IS NULL AND dead_at IS NULL THEN 1 ELSE 0 END)
                       AS waiting,
                   SUM(CASE WHEN delivered_at IS NOT NULL THEN 1 ELSE 0 END) AS delivered,
                   SUM(CASE WHEN dead_at IS NOT NULL THEN 1 ELSE 0 END) AS dead
            FROM webhook_deliveries GROUP BY subscription_id
            """
        )
        return {
            int(r["subscription_id"]): {
                "waiting": int(r["waiting"]),
                "delivered": int(r["delivered"]),
                "dead": int(r["dead"]),
            }
            for r in rows
        }

    # -- the worker's queue ---------------------------------------------------------------

    async def requeue_interrupted(self) -> int:
        """Release the rows a previous process left in flight, to be posted again."""
        return await self._db.execute(
            "UPDATE webhook_deliveries SET in_flight_since = NULL "
            "WHERE in_flight_since IS NOT NULL AND delivered_at IS NULL AND dead_at IS NULL"
        )

    async def heads(self) -> list[Delivery]:
        """Each active subscription's head: its open delivery with the lowest event id."""
        rows = await self._db.fetchall(
            f"""
            SELECT {_DELIVERY_COLUMNS}
            FROM webhook_subscriptions AS s
            JOIN webhook_deliveries AS d ON d.subscription_id = s.id
            WHERE s.active = 1 AND {_OPEN}
              AND d.event_id = (SELECT MIN(o.event_id) FROM webhook_deliveries AS o
                                WHERE o.subscription_id = s.id
                                  AND o.delivered_at IS NULL AND o.dead_at IS NULL)
            ORDER BY d.next_attempt_at, d.id
            """
        )
        return [_delivery(row) for row in rows]

    async def claim(self, delivery_id: int, now: datetime) -> bool:
        """Mark an open, idle delivery in flight; False if it is not (any more)."""
        changed = await self._db.execute(
            f"UPDATE webhook_deliveries AS d SET in_flight_since = ? "
            f"WHERE d.id = ? AND d.in_flight_since IS NULL AND {_OPEN}",
            (time_to_db(now), delivery_id),
        )
        return changed == 1

    async def mark_delivered(self, delivery_id: int, *, attempts: int, now: datetime) -> None:
        await self._db.execute(
            "UPDATE webhook_deliveries SET delivered_at = ?, attempts = ?, "
            "in_flight_since = NULL, last_error = NULL WHERE id = ?",
            (time_to_db(now), attempts, delivery_id),
        )

    async def mark_failed(
        self, delivery_id: int, *, attempts: int, error: str, next_attempt_at: datetime
    ) -> None:
        await self._db.execute(
            "UPDATE webhook_deliveries SET attempts = ?, last_error = ?, next_attempt_at = ?, "
            "in_flight_since = NULL WHERE id = ?",
            (attempts, error, time_to_db(next_attempt_at), delivery_id),
        )

    async def mark_dead(
        self, delivery_id: int, *, attempts: int, error: str, now: datetime
    ) -> None:
        await self._db.execute(
            "UPDATE webhook_deliveries SET attempts = ?, last_error = ?, dead_at = ?, "
            "in_flight_since = NULL WHERE id = ?",
            (attempts, error, time_to_db(now), delivery_id),
        )

    async def delivery(self, delivery_id: int) -> Delivery | None:
        row = await self._db.fetchone(
            f"SELECT {_DELIVERY_COLUMNS} FROM webhook_deliveries AS d WHERE d.id = ?",
            (delivery_id,),
        )
        return None if row is None else _delivery(row)

    async def deliveries(self, subscription_id: int) -> list[Delivery]:
        rows = await self._db.fetchall(
            f"SELECT {_DELIVERY_COLUMNS} FROM webhook_deliveries AS d "
            "WHERE d.subscription_id = ? ORDER BY d.event_id",
            (subscription_id,),
        )
        return [_delivery(row) for row in rows]

    async def event(self, event_id: int) -> EventRecord | None:
        """The event a delivery tells of, with its application's number."""
        row = await self._db.fetchone(
            """
            SELECT e.id, e.kind, e.actor_role, e.created_at, e.data, a.number
            FROM events AS e LEFT JOIN applications AS a ON a.id = e.application_id
            WHERE e.id = ?
            """,
            (event_id,),
        )
        if row is None:
            return None
        data = json_from_db(row["data"]) if row["data"] is not None else {}
        return EventRecord(
            id=int(row["id"]),
            kind=str(row["kind"]),
            actor_role=str(row["actor_role"]),
            created_at=time_from_db(row["created_at"]),
            application_number=None if row["number"] is None else str(row["number"]),
            data=data if isinstance(data, dict) else {},
        )

    # -- replay ---------------------------------------------------------------------------

    async def replay(
        self,
        *,
        now: datetime,
        subscription_id: int | None = None,
        since_event: int | None = None,
        dead_only: bool = False,
    ) -> int:
        """Queue deliveries again; the number of rows queued.

        ``dead_only``: the dead ones. ``since_event``: every event from that id on that the
        subscription wants, delivered or not, including events appended before it was
        made. A replayed row starts over (no attempts, due now) and takes its place in its
        subscription's order by event id. Rows in flight are left alone.
        """
        if dead_only == (since_event is not None):
            raise ValueError("replay either the dead deliveries or those since an event")
        async with self._db.transaction() as conn:
            return await replay_in(
                conn,
                now=now,
                subscription_id=subscription_id,
                since_event=since_event,
                dead_only=dead_only,
            )


async def replay_in(
    conn: aiosqlite.Connection,
    *,
    now: datetime,
    subscription_id: int | None,
    since_event: int | None,
    dead_only: bool,
) -> int:
    """:meth:`WebhooksRepo.replay` on an open transaction's connection."""
    which = "" if subscription_id is None else "AND s.id = :sub"
    params: dict[str, object] = {"now": time_to_db(now), "sub": subscription_id}
    if dead_only:
        return await run(
            conn,
            f"""
            UPDATE webhook_deliveries SET dead_at = NULL, attempts = 0, last_error = NULL,
                   next_attempt_at = :now
            WHERE dead_at IS NOT NULL AND in_flight_since IS NULL AND subscription_id IN
                  (SELECT s.id FROM webhook_subscriptions AS s WHERE s.active = 1 {which})
            """,
            params,
        )
    params["since"] = since_event
    reset = await run(
        conn,
        f"""
        UPDATE webhook_deliveries SET dead_at = NULL, delivered_at = NULL, attempts = 0,
               last_error = NULL, next_attempt_at = :now
        WHERE event_id >= :since AND in_flight_since IS NULL AND subscription_id IN
              (SELECT s.id FROM webhook_subscriptions AS s WHERE s.active = 1 {which})
        """,
        params,
    )
    added = await run(
        conn,
        f"""
        INSERT OR IGNORE INTO webhook_deliveries (subscription_id, event_id, next_attempt_at)
        SELECT s.id, e.id, :now
        FROM webhook_subscriptions AS s JOIN events AS e ON e.id >= :since
        WHERE s.active = 1 {which}
          AND (s.event_kinds IS NULL
               OR EXISTS (SELECT 1 FROM json_each(s.event_kinds) AS k WHERE k.value = e.kind))
        """,
        params,
    )
    return reset + added
