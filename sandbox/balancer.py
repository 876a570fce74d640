"""A local load balancer: one address in front of several bot instances' webhook servers.

It stands in for the HTTPS load balancer of a real deployment in tests of several
instances: each request goes to a backend picked at random among the live ones, and
backends come and go while it runs (:meth:`Balancer.add`, :meth:`Balancer.remove`).

When a backend fails, it does what nginx does by default for a POST:

* a refused connection (the instance is down, or not listening yet) never reached it, so
  the request goes to another backend — nothing was handled, and sending it on spares
  Telegram a retry and its backoff; the backend is then passed over for ``fail_timeout``
  seconds unless no other is left;
* a connection that breaks after the request was sent (the instance died mid-request)
  may have been handled or not: the balancer answers 502 and leaves the retry to the
  sender (Telegram, or the emulator), who retries every update until it gets a 2xx. A
  second try here would hide nothing the bot need not cope with anyway, but 502 is what
  a real balancer sends, and the test should meet that.

No live backend at all is 502 too.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

# Hop-by-hop headers and the ones aiohttp sets itself are not passed on.
_NOT_FORWARDED = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "upgrade"}
)


@dataclass
class BalancerStats:
    """Requests per backend (answered), refusals per backend, and 502s given."""

    forwarded: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    bad_gateway: int = 0


class Balancer:
    """An aiohttp reverse proxy spreading requests over ``backends`` (base URLs)."""

    def __init__(
        self,
        backends: list[str] | None = None,
        *,
        seed: int | None = None,
        fail_timeout: float = 1.0,
    ) -> None:
        self._backends: list[str] = []
        self._failed_at: dict[str, float] = {}
        for backend in backends or []:
            self.add(backend)
        self._random = random.Random(seed)
        self._fail_timeout = fail_timeout
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.stats = BalancerStats()
        self.address = ""

    @property
    def backends(self) -> list[str]:
        return list(self._backends)

    def add(self, backend: str) -> None:
        """Send requests to ``backend`` (``http://host:port``) from now on."""
        backend = backend.rstrip("/")
        if backend not in self._backends:
            self._backends.append(backend)
        self._failed_at.pop(backend, None)  # added again: it is back, try it at once

    def remove(self, backend: str) -> None:
        """No new request goes to ``backend``; those under way finish."""
        backend = backend.rstrip("/")
        if backend in self._backends:
            self._backends.remove(backend)

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on ``host:port`` (0 picks a free port); returns ``http://host:port``."""
        # A fresh connection per request: a pooled one to an instance killed meanwhile
        # would break after the request was written, a 502 for a request never delivered.
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(force_close=True), auto_decompress=False
        )
        app = web.Application(client_max_size=4 << 20)
        app.router.add_route("*", "/{tail:.*}", self._forward)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        await web.TCPSite(runner, host, port).start()
        self._runner = runner
        bound = runner.addresses[0][1]
        self.address = f"http://{host}:{bound}"
        return self.address

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _candidates(self) -> list[str]:
        """Live backends in random order; those that refused lately last, not left out."""
        now = asyncio.get_running_loop().time()
        order = self._backends[:]
        self._random.shuffle(order)
        fresh = [b for b in order if now - self._failed_at.get(b, -1e9) >= self._fail_timeout]
        return fresh + [b for b in order if b not in fresh]

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _NOT_FORWARDED}
        for backend in self._candidates():
            try:
                async with self._session.request(
                    request.method, backend + request.path_qs, data=body, headers=headers
                ) as answer:
                    payload = await answer.read()
                    self.stats.forwarded[backend] += 1
                    passed = {
                        k: v for k, v in answer.headers.items() if k.lower() not in _NOT_FORWARDED
                    }
                    return web.Response(status=answer.status, body=payload, headers=passed)
            except aiohttp.ClientConnectorError:
                self.stats.refused[backend] += 1
                self._failed_at[backend] = asyncio.get_running_loop().time()
                continue  # never reached it: another backend may take the request
            except (aiohttp.ClientError, TimeoutError):
                break  # reached it, then lost it: handled or not, the sender retries
        self.stats.bad_gateway += 1
        return web.Response(status=502, text="bad gateway")
