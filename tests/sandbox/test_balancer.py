"""The local load balancer: spreads requests, sends a refused one on, answers 502 for a
backend lost mid-request, takes backends added and removed while it runs."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from sandbox import BotApiEmulator, RateLimits
from sandbox.balancer import Balancer
from sandbox.webhook import WebhookRetry
from tests.sandbox.helpers import TOKEN, raw_call
from tests.sandbox.receiver import Receiver


def _closed_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
async def receivers() -> AsyncIterator[list[Receiver]]:
    started = [Receiver(), Receiver(), Receiver()]
    for receiver in started:
        await receiver.start()
    yield started
    for receiver in started:
        await receiver.stop()


@pytest.fixture
async def balancer() -> AsyncIterator[Balancer]:
    lb = Balancer(seed=1)
    await lb.start()
    yield lb
    await lb.stop()


async def _post(http: aiohttp.ClientSession, url: str, n: int) -> tuple[int, str]:
    async with http.post(
        f"{url}/hook?x=1", json={"update_id": n}, headers={"X-Telegram-Bot-Api-Secret-Token": "t"}
    ) as response:
        return response.status, await response.text()


async def test_requests_are_spread_over_the_backends_as_they_were_sent(
    balancer: Balancer, receivers: list[Receiver], http: aiohttp.ClientSession
) -> None:
    for receiver in receivers:
        balancer.add(receiver.base_url)
    results = [await _post(http, balancer.address, n) for n in range(30)]
    assert results == [(200, "ok")] * 30
    assert all(len(r.received) > 0 for r in receivers)
    got = sorted(n for r in receivers for n in r.ids())
    assert got == list(range(30))
    assert {x.secret for r in receivers for x in r.received} == {"t"}
    assert {x.path for r in receivers for x in r.received} == {"/hook"}
    assert sum(balancer.stats.forwarded.values()) == 30


async def test_a_backend_that_refuses_is_passed_over_for_another(
    balancer: Balancer, receivers: list[Receiver], http: aiohttp.ClientSession
) -> None:
    down = _closed_port()
    balancer.add(down)
    balancer.add(receivers[0].base_url)
    results = [await _post(http, balancer.address, n) for n in range(10)]
    assert results == [(200, "ok")] * 10
    assert receivers[0].ids() == list(range(10))
    assert balancer.stats.refused[down] >= 1
    assert balancer.stats.bad_gateway == 0


async def test_no_live_backend_is_502(balancer: Balancer, http: aiohttp.ClientSession) -> None:
    assert (await _post(http, balancer.address, 1))[0] == 502
    balancer.add(_closed_port())
    assert (await _post(http, balancer.address, 2))[0] == 502
    assert balancer.stats.bad_gateway == 2


async def test_a_backend_lost_mid_request_is_502_and_not_tried_elsewhere(
    balancer: Balancer, receivers: list[Receiver], http: aiohttp.ClientSession
) -> None:
    async def die(request: web.Request) -> web.Response:
        await request.read()
        assert request.transport is not None
        request.transport.abort()  # as a SIGKILLed instance would
        return web.Response()

    app = web.Application()
    app.router.add_post("/{tail:.*}", die)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    dying = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        balancer.add(dying)
        assert (await _post(http, balancer.address, 1))[0] == 502
        balancer.add(receivers[0].base_url)
        balancer.remove(dying)
        assert await _post(http, balancer.address, 2) == (200, "ok")
        assert receivers[0].ids() == [2]
    finally:
        await runner.cleanup()


async def test_backends_come_and_go_while_it_runs(
    balancer: Balancer, receivers: list[Receiver], http: aiohttp.ClientSession
) -> None:
    first, second, _ = receivers
    balancer.add(first.base_url)
    await _post(http, balancer.address, 1)
    balancer.add(second.base_url)
    balancer.remove(first.base_url)
    for n in range(2, 6):
        await _post(http, balancer.address, n)
    assert first.ids() == [1]
    assert second.ids() == [2, 3, 4, 5]
    assert balancer.backends == [second.base_url]


async def test_the_status_of_the_backend_is_passed_back(
    balancer: Balancer, receivers: list[Receiver], http: aiohttp.ClientSession
) -> None:
    receivers[0].plan.append(403)
    balancer.add(receivers[0].base_url)
    assert (await _post(http, balancer.address, 1))[0] == 403


async def test_the_emulator_delivers_everything_through_it_while_backends_die(
    balancer: Balancer, receivers: list[Receiver], http: aiohttp.ClientSession
) -> None:
    async with BotApiEmulator(
        token=TOKEN,
        limits=RateLimits(enabled=False),
        webhook_retry=WebhookRetry(first_delay=0.02, max_delay=0.2, timeout=5.0),
    ) as emulator:
        emulator.route_webhook("bot.example.com", balancer.address)
        for receiver in receivers:
            balancer.add(receiver.base_url)
        status, _ = await raw_call(
            http, emulator, "setWebhook", {"url": "https://bot.example.com/hook"}
        )
        assert status == 200
        users = [emulator.user(1001 + i) for i in range(5)]
        for n in range(4):
            for user in users:
                await user.send_text(f"{user.id}:{n}")
        # One backend goes away for good while updates flow; nothing is lost.
        await receivers[0].stop()
        for n in range(4, 8):
            for user in users:
                await user.send_text(f"{user.id}:{n}")

        def delivered() -> bool:
            return emulator.pending_updates == 0 and emulator.webhook_in_flight == 0

        await receivers[1].wait(delivered)
        texts: list[str] = [t for r in receivers for t in r.texts()]
        for user in users:
            assert sorted({t for t in texts if t.startswith(f"{user.id}:")}) == [
                f"{user.id}:{n}" for n in range(8)
            ]
