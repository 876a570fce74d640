"""The settings of security and backups: keys, webhook, daily backups.

Read by :func:`bot.config.settings.load_config` with the rest of the configuration; every bad value
stops start-up with one line naming the variable, like every other setting.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from process.limits import ConfigError
from storage.sealing.crypto import GENERATE_HINT, BadSecretKey, parse_secret_key

_WEBHOOK_SECRET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


@dataclass(frozen=True)
class Backups:
    """The daily backup: where it goes, how long it is kept, whether the file is encrypted."""

    directory: Path | None = None  # None: no daily backup
    keep_days: int = 14
    encrypt: bool = True


@dataclass(frozen=True)
class Webhook:
    """Telegram pushes updates to ``url``; we listen on ``host:port`` (behind a TLS proxy)."""

    url: str
    secret: str
    host: str = "127.0.0.1"
    port: int = 8443


def _value(env: Mapping[str, str], name: str) -> str | None:
    return env.get(name, "").strip() or None


def secret_keys(env: Mapping[str, str], token: str | None) -> tuple[str | None, tuple[str, ...]]:
    """HVCONNECT_SECRET_KEY (required with a token) and HVCONNECT_OLD_SECRET_KEYS, checked."""
    key = _value(env, "HVCONNECT_SECRET_KEY")
    if key is None and token is not None:
        raise ConfigError(
            "HVCONNECT_SECRET_KEY: required with a bot token, it encrypts personal data at "
            f"rest; generate one with: {GENERATE_HINT}"
        )
    raw_old = (_value(env, "HVCONNECT_OLD_SECRET_KEYS") or "").split(",")
    old = tuple(part.strip() for part in raw_old if part.strip())
    try:
        if key is not None:
            parse_secret_key(key)
        for previous in old:
            parse_secret_key(previous, name="HVCONNECT_OLD_SECRET_KEYS")
    except BadSecretKey as exc:
        raise ConfigError(str(exc)) from None
    if old and key is None:
        raise ConfigError("HVCONNECT_OLD_SECRET_KEYS: only meaningful with HVCONNECT_SECRET_KEY")
    return key, old


def webhook(env: Mapping[str, str]) -> Webhook | None:
    """HVCONNECT_WEBHOOK_URL, _SECRET and _LISTEN; no URL means long polling."""
    url = _value(env, "HVCONNECT_WEBHOOK_URL")
    if url is None:
        return None
    if not url.startswith("https://"):
        raise ConfigError(f"HVCONNECT_WEBHOOK_URL: expected an https:// URL, got {url!r}")
    secret = _value(env, "HVCONNECT_WEBHOOK_SECRET")
    if secret is None or not 16 <= len(secret) <= 256 or not set(secret) <= _WEBHOOK_SECRET:
        raise ConfigError(
            "HVCONNECT_WEBHOOK_SECRET: required with a webhook, 16 to 256 characters of "
            "A-Z, a-z, 0-9, _ and -"
        )
    listen = _value(env, "HVCONNECT_WEBHOOK_LISTEN") or "127.0.0.1:8443"
    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) <= 65535:
        raise ConfigError(
            f"HVCONNECT_WEBHOOK_LISTEN: expected host:port such as 127.0.0.1:8443, got {listen!r}"
        )
    return Webhook(url=url, secret=secret, host=host.strip("[]"), port=int(port))


def backups(table: Mapping[str, Any]) -> Backups:
    """The ``[backup]`` table of the TOML file."""
    raw_dir = table.get("dir")
    if raw_dir is not None and (not isinstance(raw_dir, str) or not raw_dir.strip()):
        raise ConfigError("HVCONNECT_CONFIG: backup.dir: expected a directory path")
    encrypt = table.get("encrypt", True)
    if not isinstance(encrypt, bool):
        raise ConfigError("HVCONNECT_CONFIG: backup.encrypt: expected true or false")
    keep = table.get("keep_days", 14)
    if isinstance(keep, bool) or not isinstance(keep, int) or not 1 <= keep <= 3650:
        raise ConfigError(
            f"HVCONNECT_CONFIG: backup.keep_days: expected a whole number from 1 to 3650, "
            f"got {keep!r}"
        )
    return Backups(directory=Path(raw_dir) if raw_dir else None, keep_days=keep, encrypt=encrypt)
