"""Webhook delivery: with a webhook set, the emulator POSTs each update to it, as Telegram does.

An update stays pending until the webhook answers 2xx. A refused connection, a dropped one,
a timeout or any other status is an error: the update is tried again after a delay that
doubles up to a ceiling, and ``getWebhookInfo`` reports the last error. At most
``max_connections`` requests are in flight at once.

Updates of one chat are delivered one at a time, in order: the next is posted only after
the previous one was acknowledged. That, and nothing on the bot's side, is what keeps a
chat's updates in order when several bot instances share the webhook: the instance that
gets the second update cannot see it before the first was handled (once the bot answers
only after it committed). Different chats go in parallel.

The sandbox has no network and no TLS: the ``https://`` URL the bot registers is mapped to
a local ``http://`` address given with :meth:`WebhookDelivery.route` (``host[:port]`` of the
URL -> a base URL; the path is kept), standing in for DNS and the TLS-terminating proxy. A
host without a route fails as an unresolvable name would.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from sandbox.state import SandboxState

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_UNRESOLVED = "Failed to resolve host: Name or service not known"


@dataclass(frozen=True)
class WebhookRetry:
    """How patiently the emulator delivers: Telegram's own waits are far longer; tests
    want a bot that comes back to get its updates within a moment."""

    first_delay: float = 0.1
    max_delay: float = 2.0
    # How long one POST may take; past it the update counts as failed and is posted again
    # (a bot still at work on it then sees it twice, as with Telegram).
    timeout: float = 30.0

    def delay(self, failures: int) -> float:
        return min(self.max_delay, self.first_delay * 2.0 ** max(0, failures - 1))


def chat_key(update: dict[str, Any]) -> tuple[str, int]:
    """What orders an update: its chat, else its user, else nothing (its own id)."""
    for key, value in update.items():
        if key == "update_id" or not isinstance(value, dict):
            continue
        message = value.get("message") if "chat" not in value else value
        if isinstance(message, dict) and isinstance(message.get("chat"), dict):
            return ("chat", int(message["chat"]["id"]))
        sender = value.get("from") or value.get("user")
        if isinstance(sender, dict) and "id" in sender:
            return ("chat", int(sender["id"]))
    return ("update", int(update["update_id"]))


class WebhookDelivery:
    """Posts pending updates to the webhook set in ``state.webhook``, from start to stop."""

    def __init__(self, state: SandboxState, retry: WebhookRetry) -> None:
        self._state = state
        self.retry = retry
        self._routes: dict[str, str] = {}
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        self._failures: dict[int, int] = {}
        self._retry_at: dict[int, float] = {}
        self._repeated: set[int] = set()  # updates the duplicate fault already posted twice
        # Every update a webhook acknowledged, in order: a test compares it with what the
        # bot recorded as handled, to find updates acknowledged and then lost.
        self.acknowledged: list[int] = []
        self._session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def route(self, host: str, base_url: str) -> None:
        """Post what is meant for ``https://host/...`` to ``base_url/...`` instead."""
        self._routes[host.lower()] = base_url.rstrip("/")
        self._state.updates.wake_all()

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    async def start(self) -> None:
        self._stopping = False
        # No connection reuse: a bot instance killed between two updates must not leave a
        # pooled socket that fails the next POST for a reason Telegram would not have.
        self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True))
        self._task = asyncio.create_task(self._run(), name="sandbox-webhook")

    async def stop(self) -> None:
        self._stopping = True
        tasks = [t for t in (self._task, *self._in_flight.values()) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._task = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stopping:
            ticket = self._state.updates.ticket()
            wait = self._dispatch(loop.time())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(ticket.wait(), None if math.isinf(wait) else wait)

    def _dispatch(self, now: float) -> float:
        """Start every delivery that may start; returns the seconds until a retry is due."""
        webhook = self._state.webhook
        if not webhook.get("url"):
            return math.inf
        limit = int(webhook.get("max_connections") or 40)
        heads: set[tuple[str, int]] = set()
        next_due = math.inf
        for update in self._state.updates.waiting():
            key = chat_key(update)
            if key in heads:
                continue  # an earlier update of this chat is not acknowledged yet
            heads.add(key)
            update_id = int(update["update_id"])
            if update_id in self._in_flight:
                continue
            due = self._retry_at.get(update_id, 0.0)
            if due > now:
                next_due = min(next_due, due)
                continue
            if len(self._in_flight) >= limit:
                break
            self._in_flight[update_id] = asyncio.create_task(self._deliver(update))
        return next_due - now

    def _target(self, url: str) -> str | None:
        parts = urlsplit(url)
        base = self._routes.get(parts.netloc.lower())
        if base is None:
            return None
        path = parts.path or "/"
        return f"{base}{path}" + (f"?{parts.query}" if parts.query else "")

    async def _deliver(self, update: dict[str, Any]) -> None:
        update_id = int(update["update_id"])
        try:
            error = await self._post(update)
            repeat = error is None and update_id not in self._repeated
            if repeat and self._state.webhook_faults.duplicate():
                self._repeated.add(update_id)
                self._state.stats.webhook_duplicates += 1
                return  # acknowledged, but taken for unanswered: posted again at once
            if error is None:
                self._repeated.discard(update_id)
                self._failures.pop(update_id, None)
                self._retry_at.pop(update_id, None)
                self._state.updates.acknowledge(update_id)
                self.acknowledged.append(update_id)
                self._state.stats.updates_delivered = self._state.updates.delivered
                return
            failures = self._failures.get(update_id, 0) + 1
            self._failures[update_id] = failures
            loop = asyncio.get_running_loop()
            self._retry_at[update_id] = loop.time() + self.retry.delay(failures)
            self._state.stats.webhook_failures += 1
            self._state.webhook["last_error_date"] = self._state.now()
            self._state.webhook["last_error_message"] = error
        finally:
            self._in_flight.pop(update_id, None)
            self._state.updates.wake_all()

    async def _post(self, update: dict[str, Any]) -> str | None:
        """One POST; None when acknowledged, else the error as getWebhookInfo words it."""
        webhook = self._state.webhook
        target = self._target(str(webhook.get("url", "")))
        if target is None:
            return _UNRESOLVED
        assert self._session is not None
        headers = {"Content-Type": "application/json"}
        if webhook.get("secret_token"):
            headers[SECRET_HEADER] = str(webhook["secret_token"])
        self._state.stats.webhook_posts += 1
        try:
            async with self._session.post(
                target,
                data=json.dumps(update, ensure_ascii=False).encode("utf-8"),
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.retry.timeout),
            ) as response:
                await response.read()
                if 200 <= response.status < 300:
                    return None
                return f"Wrong response from the webhook: {response.status} {response.reason}"
        except TimeoutError:
            return "Read timeout expired"
        except aiohttp.ClientConnectorError:
            return "Connection refused"
        except aiohttp.ClientError:
            return "Connection reset by peer"
