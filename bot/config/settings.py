"""Configuration from the environment and an optional TOML file.

Everything a deployment may change lives here, read once at start-up. A bad value stops
start-up with one line that names the variable (or TOML key) and says what is expected,
because a utility's operator should not have to read a traceback to fix a typo.

Why not pydantic-settings: it was weighed for this module and left out, because the code
would not get shorter and the messages would get worse. Nearly every line here is a check
of our own (a token's shape, an API URL with a host, a database file whose directory can be
written, comma-separated user ids, an IANA zone, a bounded clock offset, staff hours around
the digest), and each would stay as a validator; what pydantic-settings would take over is
only the reading of strings from the environment. Its ``ValidationError`` lists every
problem over several lines in pydantic's words ("Value error, ..." with the input and a
documentation link), so a translation from each error's location back to the variable's
name would have to be written for the one-line messages the tests require. The TOML file
is named by ``HVCONNECT_CONFIG`` and its errors are reported under that name, and its
stage limits are parsed by :mod:`process.limits`, which must not depend on a settings
library. And it would add pydantic, its compiled core and python-dotenv to a deployment
that needs none of them.
"""

from __future__ import annotations

import importlib.util
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from api.settings import ApiSettings
from bot.config.api import api_listen, api_table
from bot.config.security import Backups as Backups
from bot.config.security import Webhook as Webhook
from bot.config.security import backups, secret_keys, webhook
from process.clock import Clock, OffsetClock, SystemClock
from process.limits import ConfigError as ConfigError
from process.limits import TimeLimits
from storage.dialect import POSTGRESQL_SCHEMES

LOCALES = ("zh_CN", "en")
TELEGRAM_API_URL = "https://api.telegram.org"
DEFAULT_DISTRICTS = (
    "汉台区",
    "南郑区",
    "城固县",
    "洋县",
    "西乡县",
    "勉县",
    "宁强县",
    "略阳县",
    "镇巴县",
    "留坝县",
    "佛坪县",
)


@dataclass(frozen=True)
class Reminders:
    """When the bot may speak on its own initiative."""

    quiet_start: time = time(21, 0)
    quiet_end: time = time(8, 0)
    followup_after_days: int = 3
    owed_every_days: int = 3
    digest_at: time = time(8, 30)
    # Staff are written to from here to there on working days; what is not urgent waits.
    staff_hours_start: time = time(8, 0)
    staff_hours_end: time = time(18, 0)


@dataclass(frozen=True)
class Config:
    token: str | None = None
    api_url: str | None = None
    # The SQLite file; on PostgreSQL (``db_url`` set) no file is meant and this goes unused.
    db_path: Path = Path("data/hvconnect.db")
    # ``HVCONNECT_DB`` when it is a PostgreSQL URL; None for the embedded SQLite file.
    db_url: str | None = None
    admins: frozenset[int] = frozenset()
    secret_key: str | None = None
    old_secret_keys: tuple[str, ...] = ()
    webhook: Webhook | None = None
    backups: Backups = field(default_factory=Backups)
    locale: str = "zh_CN"
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    limits: TimeLimits = field(default_factory=TimeLimits.default)
    extra_holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()
    confirmed_years: frozenset[int] = frozenset()
    districts: tuple[str, ...] = DEFAULT_DISTRICTS
    reminders: Reminders = field(default_factory=Reminders)
    max_document_mb: int = 20
    # Outgoing webhooks: failed posts of one event before it is given up (dead).
    webhook_max_attempts: int = 10
    # How many days the one-time link that hands an application typed in for a customer
    # (95598, the service hall) over to their Telegram chat stays valid.
    claim_days: int = 14
    # The integration API: off unless HVCONNECT_API_LISTEN names an address.
    api: ApiSettings = field(default_factory=ApiSettings)
    # Tests and rehearsals only: the bot's clock runs this far from the real one, so that a
    # test which fixes its date and the bot process it starts agree on "now".
    clock_offset: timedelta = timedelta(0)

    @property
    def database(self) -> Path | str:
        """What :meth:`storage.db.Database.open` takes: the SQLite file or the URL."""
        return self.db_url if self.db_url is not None else self.db_path

    @property
    def on_postgresql(self) -> bool:
        return self.db_url is not None

    @property
    def database_name(self) -> str:
        """The database as messages and logs may name it: the URL without its password."""
        return without_password(self.db_url) if self.db_url is not None else str(self.db_path)

    @property
    def database_password(self) -> str | None:
        """The password in the URL, for the log redaction (bot/logging_redact.py)."""
        return urlsplit(self.db_url).password if self.db_url is not None else None

    @property
    def sandbox(self) -> bool:
        """Without a token there is no real Telegram to talk to: run the local emulator."""
        return self.token is None


def load_config(environ: Mapping[str, str] | None = None) -> Config:
    """Read the configuration; raise :class:`ConfigError` with one line on a bad value."""
    env = os.environ if environ is None else environ
    token = _get(env, "HVCONNECT_TOKEN") or _get(env, "TELEGRAM_BOT_TOKEN")
    if token is not None and (":" not in token or any(c.isspace() for c in token)):
        raise ConfigError(
            "HVCONNECT_TOKEN: expected a bot token like 123456789:ABC... from @BotFather"
        )
    api_url = _api_url(_get(env, "HVCONNECT_API_URL"))
    locale = _get(env, "HVCONNECT_LOCALE") or "zh_CN"
    if locale not in LOCALES:
        raise ConfigError(f"HVCONNECT_LOCALE: expected zh_CN or en, got {locale!r}")
    tz_name = _get(env, "HVCONNECT_TZ") or "Asia/Shanghai"
    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"HVCONNECT_TZ: expected an IANA time zone such as Asia/Shanghai, got {tz_name!r}"
        ) from None
    secret_key, old_keys = secret_keys(env, token)
    db_path, db_url = _database(_get(env, "HVCONNECT_DB") or "data/hvconnect.db")
    config = Config(
        token=token,
        api_url=api_url,
        db_path=db_path,
        db_url=db_url,
        admins=_parse_admins(_get(env, "HVCONNECT_ADMINS")),
        secret_key=secret_key,
        old_secret_keys=old_keys,
        webhook=webhook(env),
        api=api_listen(env),
        locale=locale,
        tz=tz,
        clock_offset=_clock_offset(_get(env, "HVCONNECT_CLOCK_OFFSET")),
        claim_days=_claim_days(_get(env, "HVCONNECT_API_CLAIM_DAYS")),
    )
    config_file = _get(env, "HVCONNECT_CONFIG")
    if config_file is not None:
        config = _apply_file(config, Path(config_file))
    return config


def _api_url(raw: str | None) -> str | None:
    """The Bot API's base URL, checked whole here: a URL without a host or with a space in
    it would otherwise be retried for ever as if the network were down."""
    if raw is None:
        return None
    expected = "expected an http:// or https:// URL with a host, such as http://127.0.0.1:8081"
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018 - raises ValueError on a port that is no number or too large
    except ValueError:
        raise ConfigError(f"HVCONNECT_API_URL: {expected}, got {raw!r}") from None
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or any(c.isspace() or ord(c) < 0x20 for c in raw)
        or parts.query
        or parts.fragment
    ):
        raise ConfigError(f"HVCONNECT_API_URL: {expected}, got {raw!r}")
    return raw.rstrip("/")


def _database(raw: str) -> tuple[Path, str | None]:
    """A PostgreSQL URL, or else the path of the SQLite file (the default's when a URL)."""
    if "://" not in raw:
        return _db_path(raw), None
    return Config.db_path, _postgresql_url(raw)


def _postgresql_url(raw: str) -> str:
    """A ``postgresql://`` URL checked for the shape libpq expects, so that a typo stops
    start-up with one line instead of a connection error later; the password is never
    repeated in the message (it may be the typo's neighbour)."""
    shown = without_password(raw)
    expected = (
        "expected a database file path or a URL like postgresql://user:password@host:5432/hvconnect"
    )
    if not raw.startswith(POSTGRESQL_SCHEMES):
        raise ConfigError(f"HVCONNECT_DB: {expected}, got {shown!r}")
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018 - raises ValueError on a port that is no number or too large
    except ValueError:
        raise ConfigError(
            f"HVCONNECT_DB: {expected}; the host or port is not valid in {shown!r}"
        ) from None
    if any(c.isspace() or ord(c) < 0x20 for c in raw) or parts.fragment:
        raise ConfigError(f"HVCONNECT_DB: {expected}; {shown!r} has spaces or a '#'")
    name = unquote(parts.path.lstrip("/"))
    if not name or "/" in name:
        raise ConfigError(f"HVCONNECT_DB: {expected}; {shown!r} names no database")
    # A unix socket folder may be given as ?host=/run/postgresql instead of in the address.
    if not parts.hostname and "host" not in parse_qs(parts.query):
        raise ConfigError(f"HVCONNECT_DB: {expected}; {shown!r} names no host")
    if importlib.util.find_spec("psycopg") is None:
        raise ConfigError(
            "HVCONNECT_DB: a PostgreSQL database needs psycopg; install hvconnect with its "
            "postgresql extra (pip install 'hvconnect[postgresql]')"
        )
    return raw


def without_password(url: str) -> str:
    """``url`` with its password, if any, replaced by ``***``."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:  # too broken to take apart: whatever stands before the last @ goes
        return re.sub(r"^([^:/@]*://[^:/@]*):.*@", r"\1:***@", url)
    if password is None:
        return url
    user, _, host = parts.netloc.rpartition("@")
    name = user.split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{name}:***@{host}"))


def _db_path(raw: str) -> Path:
    """The database file: refused at once if it is a directory, or if the place it would be
    created in is no directory or cannot be written, rather than with a traceback later."""
    path = Path(raw)
    expected = "expected the path of a database file in a directory the bot can write"
    if path.is_dir():
        raise ConfigError(f"HVCONNECT_DB: {expected}; {raw!r} is a directory")
    if path.exists() and not (path.is_file() and os.access(path, os.R_OK | os.W_OK)):
        raise ConfigError(f"HVCONNECT_DB: {expected}; {raw!r} cannot be read and written")
    # The nearest existing ancestor is where the missing directories would be created.
    parent = path.absolute().parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise ConfigError(f"HVCONNECT_DB: {expected}; {str(parent)!r} cannot be written")
    return path


def _get(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def _clock_offset(raw: str | None) -> timedelta:
    if raw is None:
        return timedelta(0)
    try:
        seconds = float(raw)
    except ValueError:
        seconds = float("nan")
    if seconds != seconds or abs(seconds) > 100 * 366 * 86400:
        raise ConfigError(
            f"HVCONNECT_CLOCK_OFFSET: expected a number of seconds such as -86400, got {raw!r}"
        )
    return timedelta(seconds=seconds)


def clock_of(config: Config) -> Clock:
    """The clock every command of this process reads: real time, moved by the offset."""
    system = SystemClock(config.tz)
    return OffsetClock(system, config.clock_offset) if config.clock_offset else system


def _parse_admins(raw: str | None) -> frozenset[int]:
    if raw is None:
        return frozenset()
    ids: set[int] = set()
    for part in raw.split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit():
            raise ConfigError(
                f"HVCONNECT_ADMINS: expected comma-separated Telegram user ids, got {part!r}"
            )
        ids.add(int(part))
    return frozenset(ids)


def _claim_days(raw: str | None) -> int:
    if raw is None:
        return Config.claim_days
    if not raw.strip().isdigit() or not 1 <= int(raw) <= 365:
        raise ConfigError(
            f"HVCONNECT_API_CLAIM_DAYS: expected a whole number of days from 1 to 365, got {raw!r}"
        )
    return int(raw)


def _apply_file(config: Config, path: Path) -> Config:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"HVCONNECT_CONFIG: no such file {str(path)!r}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"HVCONNECT_CONFIG: {path} is not valid TOML ({exc})") from None
    known = {
        "stages",
        "legacy",
        "calendar",
        "districts",
        "reminders",
        "documents",
        "backup",
        "outgoing_webhooks",
        "api",
    }
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(
            f"HVCONNECT_CONFIG: unknown section {unknown[0]!r}; expected one of {sorted(known)}"
        )
    try:
        limits = TimeLimits.from_mapping(data.get("stages"), data.get("legacy"))
    except ConfigError as exc:  # the limits name their key; the file is named here
        raise ConfigError(f"HVCONNECT_CONFIG: {exc}") from None
    calendar = _table(data, "calendar")
    return Config(
        token=config.token,
        api_url=config.api_url,
        db_path=config.db_path,
        db_url=config.db_url,
        admins=config.admins,
        secret_key=config.secret_key,
        old_secret_keys=config.old_secret_keys,
        webhook=config.webhook,
        backups=backups(_table(data, "backup")),
        locale=config.locale,
        tz=config.tz,
        limits=limits,
        extra_holidays=_dates(calendar, "calendar.extra_holidays"),
        extra_workdays=_dates(calendar, "calendar.extra_workdays"),
        confirmed_years=_years(calendar.get("confirmed_years", [])),
        districts=_districts(data.get("districts", list(DEFAULT_DISTRICTS))),
        reminders=_reminders(_table(data, "reminders")),
        max_document_mb=_whole(_table(data, "documents"), "documents.max_mb", 20, 1, 2000),
        webhook_max_attempts=_whole(
            _table(data, "outgoing_webhooks"), "outgoing_webhooks.max_attempts", 10, 1, 100
        ),
        claim_days=_whole(_table(data, "api"), "api.claim_days", config.claim_days, 1, 365),
        api=api_table(config.api, _table(data, "api")),
    )


def _table(data: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"HVCONNECT_CONFIG: [{name}] must be a table")
    return value


def _dates(table: Mapping[str, Any], key: str) -> frozenset[date]:
    raw = table.get(key.split(".")[1], [])
    if not isinstance(raw, list):
        raise ConfigError(f"HVCONNECT_CONFIG: {key}: expected a list of dates like 2027-02-08")
    days: set[date] = set()
    for item in raw:
        if isinstance(item, date):
            days.add(item)
            continue
        try:
            days.add(date.fromisoformat(str(item)))
        except ValueError:
            raise ConfigError(
                f"HVCONNECT_CONFIG: {key}: expected dates like 2027-02-08, got {item!r}"
            ) from None
    return frozenset(days)


def _years(raw: object) -> frozenset[int]:
    if not isinstance(raw, list) or not all(
        isinstance(y, int) and not isinstance(y, bool) and 2000 <= y <= 2200 for y in raw
    ):
        raise ConfigError(
            "HVCONNECT_CONFIG: calendar.confirmed_years: expected a list of years like [2027]"
        )
    return frozenset(raw)


def _districts(raw: object) -> tuple[str, ...]:
    if (
        not isinstance(raw, list)
        or not raw
        or not all(isinstance(d, str) and 0 < len(d.strip()) <= 30 for d in raw)
    ):
        raise ConfigError(
            "HVCONNECT_CONFIG: districts: expected a non-empty list of names of at most 30 "
            "characters"
        )
    return tuple(d.strip() for d in raw)


def _clock_time(table: Mapping[str, Any], key: str, default: time) -> time:
    raw = table.get(key)
    if raw is None:
        return default
    if isinstance(raw, time):
        return raw
    try:
        return time.fromisoformat(str(raw))
    except ValueError:
        raise ConfigError(
            f"HVCONNECT_CONFIG: reminders.{key}: expected a time like 08:30, got {raw!r}"
        ) from None


def _whole(table: Mapping[str, Any], key: str, default: int, low: int, high: int) -> int:
    raw = table.get(key.split(".")[1], default)
    if isinstance(raw, bool) or not isinstance(raw, int) or not low <= raw <= high:
        raise ConfigError(
            f"HVCONNECT_CONFIG: {key}: expected a whole number from {low} to {high}, got {raw!r}"
        )
    return raw


def _reminders(table: Mapping[str, Any]) -> Reminders:
    defaults = Reminders()
    reminders = Reminders(
        quiet_start=_clock_time(table, "quiet_start", defaults.quiet_start),
        quiet_end=_clock_time(table, "quiet_end", defaults.quiet_end),
        followup_after_days=_whole(table, "reminders.followup_after_days", 3, 1, 60),
        owed_every_days=_whole(table, "reminders.owed_every_days", 3, 1, 60),
        digest_at=_clock_time(table, "digest_at", defaults.digest_at),
        staff_hours_start=_clock_time(table, "staff_hours_start", defaults.staff_hours_start),
        staff_hours_end=_clock_time(table, "staff_hours_end", defaults.staff_hours_end),
    )
    if not reminders.staff_hours_start < reminders.staff_hours_end:
        raise ConfigError(
            "HVCONNECT_CONFIG: reminders.staff_hours_start: expected a time before "
            f"staff_hours_end ({reminders.staff_hours_end:%H:%M}), got "
            f"{reminders.staff_hours_start:%H:%M}"
        )
    if not reminders.staff_hours_start <= reminders.digest_at < reminders.staff_hours_end:
        raise ConfigError(
            "HVCONNECT_CONFIG: reminders.digest_at: expected a time within the staff hours "
            f"({reminders.staff_hours_start:%H:%M}–{reminders.staff_hours_end:%H:%M}), got "
            f"{reminders.digest_at:%H:%M}"
        )
    return reminders
