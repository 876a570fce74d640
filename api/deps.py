"""What the routers are given: built once by :func:`api.app.build_api`, never global."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from api.auth import Gate
from api.feed_watch import EventWatch
from api.settings import ApiSettings
from process.clock import Clock
from services.context import ServiceContext


@dataclass(frozen=True)
class ApiDeps:
    ctx: ServiceContext
    clock: Clock
    settings: ApiSettings
    districts: tuple[str, ...]
    gate: Gate
    watch: EventWatch
    # The bot's Telegram username, for claim links; None until the bot has introduced itself
    # to Telegram (the API starts first, see bot.app.start).
    bot_username: Callable[[], str | None]
