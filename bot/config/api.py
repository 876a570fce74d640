"""The integration API's settings: ``HVCONNECT_API_LISTEN`` turns it on, the ``[api]`` table
of the TOML file sets each client's rate."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from api.settings import ApiSettings
from process.limits import ConfigError


def api_listen(env: Mapping[str, str]) -> ApiSettings:
    """HVCONNECT_API_LISTEN (host:port); unset means no API."""
    listen = env.get("HVCONNECT_API_LISTEN", "").strip()
    if not listen:
        return ApiSettings()
    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigError(
            f"HVCONNECT_API_LISTEN: expected host:port such as 127.0.0.1:8080, got {listen!r}"
        )
    return ApiSettings(host=host.strip("[]"), port=int(port))


def api_table(settings: ApiSettings, table: Mapping[str, Any]) -> ApiSettings:
    """The ``[api]`` table: ``rate_per_second`` (a number above 0) and ``burst`` (calls)."""
    rate = table.get("rate_per_second", settings.rate_per_second)
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 < rate <= 10_000:
        raise ConfigError(
            "HVCONNECT_CONFIG: api.rate_per_second: expected a number above 0 and at most "
            f"10000, got {rate!r}"
        )
    burst = table.get("burst", settings.burst)
    if isinstance(burst, bool) or not isinstance(burst, int) or not 1 <= burst <= 100_000:
        raise ConfigError(
            f"HVCONNECT_CONFIG: api.burst: expected a whole number from 1 to 100000, got {burst!r}"
        )
    return replace(settings, rate_per_second=float(rate), burst=burst)
