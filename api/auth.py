"""Who is calling: the bearer key, the client's scopes, its rate, and the audit line.

Every call but the OpenAPI document names a key in ``Authorization: Bearer KEY``: no key or
an unknown or revoked one is 401; a known client over its rate is 429 with ``Retry-After``
(checked before the scope, so that calls refused for scope count too); a client without
the scope the call needs is 403. Every call from a recognised client, whatever its answer,
is written to the audit trail (``api_calls``) with the client's name once it is answered.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.problems import Kind, ProblemError
from api.scopes import Scope
from process.clock import Clock
from storage.api_clients import ApiClient, ApiClientsRepo


@dataclass
class _Bucket:
    tokens: float
    at: datetime


class RateLimiter:
    """A token bucket per client: ``rate`` calls a second on average, ``burst`` at once.

    It reads the injected clock, so tests move time rather than wait. In memory: a restart
    gives every client a full bucket, which is harmless at these rates.
    """

    def __init__(self, clock: Clock, rate: float, burst: int) -> None:
        self._clock, self._rate, self._burst = clock, rate, burst
        self._buckets: dict[int, _Bucket] = {}

    def take(self, client_id: int) -> float | None:
        """Take one call from the client's bucket: None if allowed, else the seconds until
        the next call would be."""
        now = self._clock.now()
        bucket = self._buckets.setdefault(client_id, _Bucket(float(self._burst), now))
        elapsed = max(0.0, (now - bucket.at).total_seconds())
        bucket.tokens = min(float(self._burst), bucket.tokens + elapsed * self._rate)
        bucket.at = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return None
        return (1.0 - bucket.tokens) / self._rate


@dataclass(frozen=True)
class Caller:
    client: ApiClient

    @property
    def sees_personal_data(self) -> bool:
        return Scope.PII_READ in self.client.scopes


_bearer = HTTPBearer(auto_error=False, description="the key `hvconnect api-client create` printed")


@dataclass(frozen=True)
class Gate:
    clients: ApiClientsRepo
    limiter: RateLimiter

    def require(self, scope: Scope) -> Callable[..., Awaitable[Caller]]:
        """The dependency of a route that needs ``scope``."""

        async def caller(
            request: Request,
            credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),  # noqa: B008
        ) -> Caller:
            if credentials is None or credentials.scheme.lower() != "bearer":
                raise ProblemError(
                    Kind.UNAUTHORIZED,
                    "send the client's key as Authorization: Bearer KEY",
                    headers={"WWW-Authenticate": "Bearer"},
                )
            client = await self.clients.by_key(credentials.credentials.strip())
            if client is None:
                raise ProblemError(
                    Kind.UNAUTHORIZED,
                    "the key is unknown or has been revoked",
                    headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
                )
            request.state.client = client  # for the audit line (see api.app)
            wait = self.limiter.take(client.id)
            if wait is not None:
                raise ProblemError(
                    Kind.RATE_LIMITED,
                    f"client {client.name} is over its rate; retry after {math.ceil(wait)} s",
                    headers={"Retry-After": str(max(1, math.ceil(wait)))},
                )
            if scope not in client.scopes:
                raise ProblemError(Kind.FORBIDDEN, f"this call needs the scope {scope.value}")
            return Caller(client)

        return caller
