"""API calls take turns (api/turns.py): one at a time, a waiting long poll stepping aside,
and a turn given back exactly once however a call ends."""

from __future__ import annotations

import asyncio

import pytest
from starlette.types import Message, Receive, Scope, Send

from api.turns import STATE_KEY, TakingTurns, Turn


async def _receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _send(message: Message) -> None:
    return None


async def test_calls_are_served_one_at_a_time_and_a_waiting_one_steps_aside() -> None:
    inside: list[str] = []
    most = 0
    release_poll = asyncio.Event()
    poll_waiting = asyncio.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        nonlocal most
        inside.append(scope["path"])
        most = max(most, len(inside))
        if scope["path"] == "/poll":
            async with scope["state"][STATE_KEY].aside():
                inside.remove("/poll")
                poll_waiting.set()
                await release_poll.wait()
                inside.append("/poll")
        for _ in range(3):
            await asyncio.sleep(0)  # others get the loop, not the turn
        inside.remove(scope["path"])

    taking = TakingTurns(app, at_once=1)

    def call(path: str) -> asyncio.Task[None]:
        scope: Scope = {"type": "http", "path": path}
        return asyncio.create_task(taking(scope, _receive, _send))

    poll = call("/poll")
    await poll_waiting.wait()
    await asyncio.gather(*(call(f"/card/{i}") for i in range(5)))  # served while it waits
    assert not poll.done()
    release_poll.set()
    await poll
    assert most == 1 and inside == []


async def test_a_turn_is_given_back_once_even_when_cancelled_while_taking_it_again() -> None:
    slots = asyncio.Semaphore(1)
    stepped_aside, go_on = asyncio.Event(), asyncio.Event()

    async def long_poll() -> None:
        async with Turn(slots) as turn, turn.aside():
            stepped_aside.set()
            await go_on.wait()

    polling = asyncio.create_task(long_poll())
    await stepped_aside.wait()
    other = await Turn(slots).__aenter__()  # another call has the turn meanwhile
    go_on.set()
    for _ in range(5):
        await asyncio.sleep(0)  # the poll now waits to take a turn again
    assert not polling.done()
    polling.cancel()
    with pytest.raises(asyncio.CancelledError):
        await polling
    await other.__aexit__(None, None, None)
    assert slots._value == 1  # neither lost nor given back twice


def test_at_least_one_call_is_served() -> None:
    with pytest.raises(ValueError):
        TakingTurns(lambda scope, receive, send: None, at_once=0)  # type: ignore[arg-type,return-value]
