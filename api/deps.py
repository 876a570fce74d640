"""What the routers are given: built once by :func:`api.app.build_api`, never global."""

from __future__ import annotations

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
