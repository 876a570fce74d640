"""The webhook worker: the task in the bot's process that POSTs delivery rows to subscribers.

Each active subscription's head (its open delivery with the lowest event id) is claimed,
posted and its outcome recorded before the next one of that subscription is looked at, so
a receiver sees a subscription's events in order; different subscriptions are posted side
by side, up to ``max_in_flight`` at once.

A 2xx answer delivers. Anything else fails the attempt: a 5xx, a timeout, a refused
connection, a redirect, and a 4xx too (a receiver that refuses today may be fixed
tomorrow); the row is tried again after an exponential back-off with jitter, or after the
``Retry-After`` of a 429. After ``max_attempts`` failures it is dead, and the
subscription's next event goes; ``hvconnect webhooks replay --dead`` queues it again.

Delivery is at least once. A row is marked in flight before it is posted; one still marked
at start-up was cut off by a crash or a stop, and is posted again, so a receiver may see an
event twice and must dedupe by its id (the ``Idempotency-Key`` header).

Several instances (PostgreSQL): the worker runs on the leader only (bot/app.py hands its
start and stop to the scheduler's ``while_leading``), so "in flight at start-up" still means
"cut off": a new leader starts it after the old one lost the lead, and posts again what the
old one had in flight — at least once, as after a crash.

Waking: new rows are written by a trigger in whatever transaction appends an event, so
there is no single place that could announce them. The worker looks every
``poll_interval`` seconds, and :meth:`wake` makes it look at once; the bot connects it to
the outbox's nudge, which the services call after their changes. Whether a row is due is
domain time from the injected clock, so tests move time instead of waiting for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx

from notifications.webhooks.payload import body_of, headers_for
from process.clock import Clock
from storage.db import Database
from storage.webhooks import Delivery, WebhooksRepo

log = logging.getLogger("hvconnect.webhooks")

STOP_TIMEOUT = 15.0
# Kept short: a receiver's answer is a receipt, not a computation.
REQUEST_TIMEOUT = 10.0
ERROR_WIDTH = 200


class Failure(Exception):
    """An attempt that did not deliver; ``retry_after`` when the receiver asked for a pause."""

    def __init__(self, description: str, retry_after: float | None = None) -> None:
        super().__init__(description)
        self.retry_after = retry_after


class WebhookWorker:
    """Posts due deliveries, one per subscription at a time, until stopped."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        client: httpx.AsyncClient | None = None,
        max_attempts: int = 10,
        base_backoff: float = 5.0,
        max_backoff: float = 3600.0,
        request_timeout: float = REQUEST_TIMEOUT,
        poll_interval: float = 2.0,
        max_in_flight: int = 8,
        rng: random.Random | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if base_backoff <= 0 or max_backoff < base_backoff:
            raise ValueError("back-off must be positive and max_backoff >= base_backoff")
        if poll_interval <= 0 or max_in_flight < 1:
            raise ValueError("poll_interval must be positive and max_in_flight at least 1")
        self._repo = WebhooksRepo(db)
        self._clock = clock
        self._given_client = client
        self._request_timeout = request_timeout
        self._client: httpx.AsyncClient | None = None
        self._max_attempts = max_attempts
        self._base_backoff = base_backoff
        self._max_backoff = max_backoff
        self._poll_interval = poll_interval
        self._max_in_flight = max_in_flight
        self._rng = rng or random.Random()
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._posting: dict[int, asyncio.Task[None]] = {}  # subscription id -> its post

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        """Release what a previous process left in flight, then start posting."""
        if self._task is not None:
            raise RuntimeError("the webhook worker is already running")
        requeued = await self._repo.requeue_interrupted()
        if requeued:
            log.warning("%d webhook delivery(ies) were in flight at the last stop", requeued)
        self._client = self._given_client or httpx.AsyncClient(
            timeout=self._request_timeout, follow_redirects=False
        )
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name="webhook-worker")

    async def stop(self, timeout: float = STOP_TIMEOUT) -> None:  # noqa: ASYNC109 - a grace period
        """Let the posts in flight finish (recording their outcome) for ``timeout`` seconds,
        then cut them off: those are posted again at the next start."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping.set()
        self._wake.set()
        # The loop first (a look at the queue in progress ends quickly and starts nothing
        # more), then the posts it started.
        await asyncio.wait({task})
        if not task.cancelled() and task.exception() is not None:
            log.error("webhook worker had stopped on an error", exc_info=task.exception())
        posts = set(self._posting.values())
        if posts:
            _, late = await asyncio.wait(posts, timeout=timeout)
            for post in late:
                post.cancel()
            if late:
                log.warning("%d webhook post(s) cut off by the stop", len(late))
                await asyncio.wait(late)
        client, self._client = self._client, None
        if client is not None and client is not self._given_client:
            await client.aclose()

    def wake(self) -> None:
        """Look at the queue now rather than at the next poll (e.g. after a commit)."""
        self._wake.set()

    # -- the loop -------------------------------------------------------------------------

    async def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()  # before looking, so a wake() during the look is not lost
            try:
                idle_for = await self._start_due()
            except Exception:
                log.exception("webhook worker failed; trying again in %.1f s", self._poll_interval)
                idle_for = self._poll_interval
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), idle_for)

    async def _start_due(self) -> float:
        """Start posting every due head; returns how long to wait before looking again."""
        now = self._clock.now()
        idle_for = self._poll_interval
        for head in await self._repo.heads():
            if self._stopping.is_set() or len(self._posting) >= self._max_in_flight:
                break
            if head.subscription_id in self._posting or head.in_flight_since is not None:
                continue
            if head.next_attempt_at > now:
                wait = (head.next_attempt_at - now).total_seconds()
                idle_for = min(idle_for, wait)
                continue
            if not await self._repo.claim(head.id, now):
                continue
            post = asyncio.create_task(self._post(head), name=f"webhook-{head.id}")
            self._posting[head.subscription_id] = post
            post.add_done_callback(functools.partial(self._done, head.subscription_id))
        return idle_for

    def _done(self, subscription_id: int, _: object) -> None:
        self._posting.pop(subscription_id, None)
        self._wake.set()  # the subscription's next event may go now

    # -- one delivery ---------------------------------------------------------------------

    async def _post(self, delivery: Delivery) -> None:
        # Any error that is not the receiver's (the database, say) leaves the row in flight,
        # holding its subscription until the next start posts it again, as after a crash:
        # posting it again now, while its outcome cannot be recorded, could repeat it forever.
        attempts = delivery.attempts + 1
        try:
            try:
                await self._attempt(delivery)
            except Failure as failure:
                await asyncio.shield(self._failed(delivery, attempts, failure))
                return
            # Shielded: once the receiver has it, a stop must not lose the record of it.
            await asyncio.shield(
                self._repo.mark_delivered(delivery.id, attempts=attempts, now=self._clock.now())
            )
        except Exception:
            log.exception("webhook delivery %d could not be posted or recorded", delivery.id)

    async def _attempt(self, delivery: Delivery) -> None:
        subscription = await self._repo.subscription(delivery.subscription_id)
        event = await self._repo.event(delivery.event_id)
        if subscription is None or event is None:
            raise Failure("the subscription or the event is gone")
        body = body_of(event)
        timestamp = int(self._clock.now().timestamp())
        headers = headers_for(event, subscription.signing_secret, timestamp, body)
        if self._client is None:
            raise RuntimeError("the webhook worker was not started")
        try:
            answer = await self._client.post(
                subscription.url, content=body.encode(), headers=headers
            )
        except httpx.TimeoutException as error:
            raise Failure(f"timeout: {type(error).__name__}") from error
        except httpx.HTTPError as error:
            raise Failure(f"{type(error).__name__}: {error}"[:ERROR_WIDTH]) from error
        if answer.is_success:
            return
        retry_after = (
            _retry_after(answer.headers.get("Retry-After"), self._clock.now())
            if answer.status_code == httpx.codes.TOO_MANY_REQUESTS
            else None
        )
        raise Failure(f"HTTP {answer.status_code}", retry_after)

    async def _failed(self, delivery: Delivery, attempts: int, failure: Failure) -> None:
        now = self._clock.now()
        error = str(failure)
        if attempts >= self._max_attempts:
            log.error("webhook delivery %d dead after %d tries: %s", delivery.id, attempts, error)
            await self._repo.mark_dead(delivery.id, attempts=attempts, error=error, now=now)
            return
        wait = failure.retry_after if failure.retry_after is not None else self._backoff(attempts)
        log.info("webhook delivery %d attempt %d failed: %s", delivery.id, attempts, error)
        await self._repo.mark_failed(
            delivery.id,
            attempts=attempts,
            error=error,
            next_attempt_at=now + timedelta(seconds=wait),
        )

    def _backoff(self, attempts: int) -> float:
        """Exponential in the number of failures, capped, with jitter so retries spread out."""
        ceiling = min(self._max_backoff, self._base_backoff * 2.0 ** min(attempts - 1, 32))
        return ceiling * (0.5 + self._rng.random() / 2)


def _retry_after(value: str | None, now: datetime) -> float | None:
    """``Retry-After`` in seconds: a number of seconds or an HTTP date (RFC 9110)."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - now).total_seconds())
