"""The load on the integration API in the API benchmark: a few clients calling over HTTP,
in a process of their own, as the marketing system would from its own machine.

``python -m benchmarks.api_load URL KEY --clients 4 --card HV-… [--seconds S]`` reads one
card again and again; ``--events N`` pages the event feed instead, each client from its
own place among N events, a hundred a page, starting over at the end. With ``--seconds 0``
it calls until a line arrives on its standard input (the benchmark's signal that what ran
beside it is done). It prints ``ready`` once every client has had an answer, then, when it
stops, one line of JSON: each call's milliseconds, the seconds measured, the failures.
The clients live in their own process so that their work is not counted against the
bot's: the bot's process serves the API and the chat, as in production.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from dataclasses import dataclass, field

import httpx

from api.cursor import encode_cursor

PAGE = 100


@dataclass
class Calls:
    latencies_ms: list[float] = field(default_factory=list)
    failures: int = 0
    first_failure: str = ""


async def _client(
    http: httpx.AsyncClient,
    path: str,
    params: dict[str, str | int],
    calls: Calls,
    answered: asyncio.Event,
    stop: asyncio.Event,
    events: int,
) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        answer = await http.get(path, params=params)
        calls.latencies_ms.append((time.perf_counter() - started) * 1000)
        answered.set()
        if answer.status_code != 200:
            calls.failures += 1
            calls.first_failure = calls.first_failure or f"{answer.status_code} {answer.text}"
            continue
        if events:  # the next page, or the start again after the last
            page = answer.json()
            params["after"] = page["next_cursor"] if page["items"] else encode_cursor(0)


async def load(
    base_url: str, key: str, *, clients: int, card: str | None, events: int, seconds: float
) -> dict[str, object]:
    calls = Calls()
    stop = asyncio.Event()
    headers = {"Authorization": f"Bearer {key}"}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(
        base_url=base_url, headers=headers, limits=limits, timeout=60
    ) as http:
        answered = [asyncio.Event() for _ in range(clients)]
        tasks = []
        for i in range(clients):
            if events:
                path = "/v1/events"
                params: dict[str, str | int] = {
                    "after": encode_cursor(events * i // clients),
                    "limit": PAGE,
                }
            else:
                path, params = f"/v1/applications/{card}", {}
            tasks.append(
                asyncio.create_task(_client(http, path, params, calls, answered[i], stop, events))
            )
        for each in answered:
            await each.wait()
        print("ready", flush=True)
        calls.latencies_ms.clear()  # the first calls of each client warm up
        calls.failures = 0
        started = time.perf_counter()
        if seconds > 0:
            await asyncio.sleep(seconds)
        else:
            await asyncio.to_thread(sys.stdin.readline)
        stop.set()
        elapsed = time.perf_counter() - started
        await asyncio.gather(*tasks)
    return {
        "latencies_ms": calls.latencies_ms,
        "seconds": elapsed,
        "failures": calls.failures,
        "first_failure": calls.first_failure[:300],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.api_load")
    parser.add_argument("base_url")
    parser.add_argument("key")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--card", help="the application whose card is read")
    parser.add_argument("--events", type=int, default=0, help="page the feed of this many")
    parser.add_argument("--seconds", type=float, default=0.0)
    args = parser.parse_args(argv)
    found = asyncio.run(
        load(
            args.base_url,
            args.key,
            clients=args.clients,
            card=args.card,
            events=args.events,
            seconds=args.seconds,
        )
    )
    print(json.dumps(found), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
