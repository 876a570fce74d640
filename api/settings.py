"""What a deployment may change about the integration API (read by bot/config), and the
error its address may give: light on purpose, so that the command line and the bot's
configuration need not load the web framework."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ApiSettings:
    # None: no API. Otherwise the address uvicorn listens on, in the bot's own process.
    host: str | None = None
    port: int = 8080
    # Each client's token bucket: this many calls a second on average, bursts up to ``burst``.
    rate_per_second: float = 10.0
    burst: int = 20
    # The feed's long poll re-reads the newest event id this often while anyone waits.
    feed_poll_seconds: float = 0.5
    # Calls served at a time; the rest wait their turn, so that the chat keeps its pace
    # (api/turns.py says why one).
    calls_at_once: int = 1

    @property
    def enabled(self) -> bool:
        return self.host is not None


class ApiListenError(OSError):
    """The API's address cannot be listened on (taken, or not this machine's)."""
