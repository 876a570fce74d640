"""Run the emulator on its own: ``python -m sandbox --port 8081``.

Useful to point a locally started bot at it and play users through the JSON user API.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from sandbox.emulator import BotApiEmulator
from sandbox.limits import RateLimits


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default="123456:TEST")
    parser.add_argument("--bot-username", default="hvconnect_bot")
    parser.add_argument("--no-limits", action="store_true", help="switch flood control off")
    parser.add_argument("--strict-html", action="store_true", help="reject unknown &entities;")
    return parser.parse_args(argv)


async def serve(arguments: argparse.Namespace) -> None:
    emulator = BotApiEmulator(
        token=arguments.token,
        bot_username=arguments.bot_username,
        limits=RateLimits(enabled=not arguments.no_limits),
        strict_html=arguments.strict_html,
    )
    base_url = await emulator.start(arguments.host, arguments.port)
    print(f"Bot API emulator on {base_url}", flush=True)
    print(f"  base_url={emulator.api_url}  base_file_url={emulator.file_url}", flush=True)
    print(f"  user API: {base_url}/sandbox/api/users/<id>/messages", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await emulator.stop()


def main(argv: list[str] | None = None) -> None:
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(_arguments(argv)))


if __name__ == "__main__":
    main()
