"""The HTTP client for the bot's direct replies: a lost connection or a 5xx is tried again.

A reply that fails on the network would otherwise leave the user without an answer (and, the
handler having raised, with a "something went wrong" at best). Telegram's own advice for 5xx
answers and dropped connections is to try again shortly, so this client does, a few times
with growing pauses, before it lets the error through. A call whose answer was lost after
Telegram acted on it may then show twice: the same window the outbox documents ("An answer
lost on the way back" in the README). ``getUpdates`` has its own client and its own retry
loop in python-telegram-bot, and the outbox sender its own policy; neither uses this one.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Sequence
from typing import Any

from telegram.error import NetworkError
from telegram.request import RequestData

from bot.aiohttp_request import AiohttpRequest

log = logging.getLogger("hvconnect.request")
RETRY_STATUSES = frozenset({500, 502, 503, 504})
DEFAULT_PAUSES = (0.25, 0.5, 1.0, 2.0)


class RetryingRequest(AiohttpRequest):
    """The bot's Bot API client that tries a call again after a network error or a 5xx."""

    def __init__(self, *args: Any, pauses: Sequence[float] = DEFAULT_PAUSES, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pauses = tuple(pauses)

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        endpoint = url.rsplit("/", 1)[-1]
        for attempt, pause in enumerate((*self._pauses, None), start=1):
            try:
                status, payload = await super().do_request(
                    url,
                    method,
                    request_data=request_data,
                    read_timeout=read_timeout,
                    write_timeout=write_timeout,
                    connect_timeout=connect_timeout,
                    pool_timeout=pool_timeout,
                )
            except NetworkError as error:
                if pause is None:
                    raise
                log.info("%s attempt %d failed (%s); trying again", endpoint, attempt, error)
            else:
                if status not in RETRY_STATUSES or pause is None:
                    return status, payload
                log.info("%s attempt %d got HTTP %d; trying again", endpoint, attempt, status)
            await asyncio.sleep(pause * random.uniform(0.8, 1.2))
        raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover
