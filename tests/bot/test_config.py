"""Configuration: defaults, every variable, and one clear line for each bad value."""

from __future__ import annotations

from datetime import date, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config.settings import ConfigError, clock_of, load_config
from process.clock import SystemClock
from process.stages import Stage, SupplyMode

TEST_KEY = "q6dN0Fg8l5m0cWZbqk0f3Sx3tIXt4JZ3oJvVq2y7n0c="


def test_defaults_without_anything_set() -> None:
    config = load_config({})
    assert config.token is None and config.sandbox
    assert config.locale == "zh_CN"
    assert str(config.tz) == "Asia/Shanghai"
    assert config.db_path == Path("data/hvconnect.db")
    assert config.limits.total(SupplyMode.SINGLE) == 22
    assert config.limits.total(SupplyMode.DUAL) == 32
    assert config.reminders.quiet_start == time(21, 0)


def test_every_variable_is_read() -> None:
    config = load_config(
        {
            "TELEGRAM_BOT_TOKEN": "123:abc",
            "HVCONNECT_API_URL": "http://127.0.0.1:8081/",
            "HVCONNECT_DB": "/tmp/x.db",
            "HVCONNECT_ADMINS": "1, 2,3",
            "HVCONNECT_SECRET_KEY": TEST_KEY,
            "HVCONNECT_LOCALE": "en",
            "HVCONNECT_TZ": "Asia/Urumqi",
        }
    )
    assert config.token == "123:abc" and not config.sandbox
    assert config.api_url == "http://127.0.0.1:8081"
    assert config.db_path == Path("/tmp/x.db")
    assert config.admins == frozenset({1, 2, 3})
    assert config.locale == "en"
    assert str(config.tz) == "Asia/Urumqi"


def test_the_clock_offset_moves_every_command_s_clock_and_is_off_by_default() -> None:
    assert load_config({}).clock_offset == timedelta(0)
    assert isinstance(clock_of(load_config({})), SystemClock)
    behind = clock_of(load_config({"HVCONNECT_CLOCK_OFFSET": "-86400"}))
    real = SystemClock(ZoneInfo("Asia/Shanghai")).now()
    # One day behind the real clock, give or take the moment between the two readings.
    assert timedelta(hours=23) < real - behind.now() < timedelta(hours=25)


def test_hvconnect_token_wins_over_telegram_bot_token() -> None:
    config = load_config(
        {"HVCONNECT_TOKEN": "1:a", "TELEGRAM_BOT_TOKEN": "2:b", "HVCONNECT_SECRET_KEY": TEST_KEY}
    )
    assert config.token == "1:a"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"HVCONNECT_TOKEN": "nocolon"}, "HVCONNECT_TOKEN"),
        ({"HVCONNECT_API_URL": "localhost:8081"}, "HVCONNECT_API_URL"),
        ({"HVCONNECT_ADMINS": "1,abc"}, "HVCONNECT_ADMINS"),
        ({"HVCONNECT_LOCALE": "fr"}, "HVCONNECT_LOCALE"),
        ({"HVCONNECT_TZ": "Mars/Olympus"}, "HVCONNECT_TZ"),
        ({"HVCONNECT_CONFIG": "/nonexistent.toml"}, "HVCONNECT_CONFIG"),
        ({"HVCONNECT_CLOCK_OFFSET": "3 days"}, "HVCONNECT_CLOCK_OFFSET"),
        ({"HVCONNECT_CLOCK_OFFSET": "nan"}, "HVCONNECT_CLOCK_OFFSET"),
        ({"HVCONNECT_CLOCK_OFFSET": "1e300"}, "HVCONNECT_CLOCK_OFFSET"),
        ({"HVCONNECT_API_LISTEN": "8080"}, "HVCONNECT_API_LISTEN"),
        ({"HVCONNECT_API_LISTEN": "127.0.0.1:http"}, "HVCONNECT_API_LISTEN"),
        ({"HVCONNECT_API_LISTEN": "127.0.0.1:70000"}, "HVCONNECT_API_LISTEN"),
    ],
)
def test_bad_values_name_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(env)
    message = str(raised.value)
    assert message.startswith(named)
    assert "\n" not in message


def test_toml_file(tmp_path: Path) -> None:
    path = tmp_path / "hv.toml"
    path.write_text(
        """
districts = ["东区", "西区"]
[stages]
plan = { single = 8, dual = 15 }
design = 4
[calendar]
extra_holidays = ["2027-02-08"]
extra_workdays = [2027-02-13]
confirmed_years = [2027]
[reminders]
quiet_start = "22:00"
followup_after_days = 2
staff_hours_start = "08:30"
staff_hours_end = "17:30"
digest_at = "09:00"
[documents]
max_mb = 10
""",
        encoding="utf-8",
    )
    config = load_config({"HVCONNECT_CONFIG": str(path)})
    assert config.districts == ("东区", "西区")
    assert config.limits.for_stage(Stage.PLAN, SupplyMode.SINGLE) == 8
    assert config.limits.for_stage(Stage.DESIGN, SupplyMode.DUAL) == 4
    assert config.limits.for_stage(Stage.ACCEPT, SupplyMode.SINGLE) == 1
    assert config.extra_holidays == frozenset({date(2027, 2, 8)})
    assert config.extra_workdays == frozenset({date(2027, 2, 13)})
    assert config.confirmed_years == frozenset({2027})
    assert config.reminders.quiet_start == time(22, 0)
    assert config.reminders.followup_after_days == 2
    assert (config.reminders.staff_hours_start, config.reminders.staff_hours_end) == (
        time(8, 30),
        time(17, 30),
    )
    assert load_config({}).reminders.staff_hours_start == time(8, 0)
    assert load_config({}).reminders.staff_hours_end == time(18, 0)
    assert config.max_document_mb == 10


@pytest.mark.parametrize(
    "body",
    [
        "[stages]\nplan = -1\n",
        "[stages]\nnosuchstage = 3\n",
        "[calendar]\nextra_holidays = ['soon']\n",
        "[calendar]\nconfirmed_years = ['x']\n",
        "districts = []\n",
        "[reminders]\nquiet_start = 'late'\n",
        "[reminders]\nfollowup_after_days = 0\n",
        "[reminders]\nstaff_hours_start = '18:00'\nstaff_hours_end = '08:00'\n",
        "[reminders]\nstaff_hours_start = '09:00'\n",  # after the 08:30 digest
        "[unknown]\nx = 1\n",
        "[api]\nrate_per_second = 0\n",
        "[api]\nburst = 'many'\n",
        "this is not toml",
    ],
)
def test_bad_toml_values_stop_with_one_line(tmp_path: Path, body: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_config({"HVCONNECT_CONFIG": str(path)})
    assert str(raised.value).startswith("HVCONNECT_CONFIG")
    assert "\n" not in str(raised.value)


def test_the_claim_links_lifetime(tmp_path: Path) -> None:
    assert load_config({}).claim_days == 14
    assert load_config({"HVCONNECT_API_CLAIM_DAYS": "30"}).claim_days == 30
    path = tmp_path / "hv.toml"
    path.write_text("[api]\nclaim_days = 7\n", encoding="utf-8")
    assert load_config({"HVCONNECT_CONFIG": str(path)}).claim_days == 7
    # The file's section left out, the variable stands.
    path.write_text("[documents]\nmax_mb = 10\n", encoding="utf-8")
    both = {"HVCONNECT_CONFIG": str(path), "HVCONNECT_API_CLAIM_DAYS": "3"}
    assert load_config(both).claim_days == 3
    for bad in ("0", "x", "366"):
        with pytest.raises(ConfigError, match="HVCONNECT_API_CLAIM_DAYS"):
            load_config({"HVCONNECT_API_CLAIM_DAYS": bad})
    path.write_text("[api]\nclaim_days = 0\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"api\.claim_days"):
        load_config({"HVCONNECT_CONFIG": str(path)})


def test_the_api_is_off_unless_an_address_is_given(tmp_path: Path) -> None:
    assert not load_config({}).api.enabled
    config = load_config({"HVCONNECT_API_LISTEN": "[::1]:8080"})
    assert (config.api.host, config.api.port) == ("::1", 8080)
    path = tmp_path / "api.toml"
    path.write_text("[api]\nrate_per_second = 2.5\nburst = 7\n", encoding="utf-8")
    tuned = load_config({"HVCONNECT_API_LISTEN": "0.0.0.0:9000", "HVCONNECT_CONFIG": str(path)})
    assert (tuned.api.host, tuned.api.rate_per_second, tuned.api.burst) == ("0.0.0.0", 2.5, 7)


def test_a_postgresql_url_chooses_postgresql_and_a_path_sqlite() -> None:
    url = "postgresql://hv:s3cret@db.example:5432/hvconnect?sslmode=require"
    config = load_config({"HVCONNECT_DB": url})
    assert config.on_postgresql and config.database == url and config.db_url == url
    assert config.database_password == "s3cret"
    assert config.database_name == "postgresql://hv:***@db.example:5432/hvconnect?sslmode=require"
    socket = load_config({"HVCONNECT_DB": "postgres://hv@/hvconnect?host=/run/postgresql"})
    assert socket.on_postgresql and socket.database_password is None
    assert socket.database_name == "postgres://hv@/hvconnect?host=/run/postgresql"
    sqlite = load_config({"HVCONNECT_DB": "/tmp/x.db"})
    assert not sqlite.on_postgresql and sqlite.database == Path("/tmp/x.db")
    assert sqlite.database_name == "/tmp/x.db" and sqlite.database_password is None


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("mysql://hv:pw@host/hvconnect", "expected a database file path or a URL"),
        ("postgresql://hv:s3cret@host:port/hvconnect", "port is not valid"),
        ("postgresql://hv:s3cret@host:99999/hvconnect", "port is not valid"),
        ("postgresql://hv:s3cret@host/", "names no database"),
        ("postgresql://hv:s3cret@host/a/b", "names no database"),
        ("postgresql://hv:s3cret@/hvconnect", "names no host"),
        ("postgresql://hv:s3cret@host/hv connect", "has spaces"),
        ("postgresql://hv:s3cret@host/hvconnect#x", "has spaces or a '#'"),
        ("postgresql://hv:s3cret@[::1/hvconnect", "port is not valid"),
    ],
)
def test_a_bad_postgresql_url_stops_with_one_line_without_the_password(url: str, says: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config({"HVCONNECT_DB": url})
    message = str(raised.value)
    assert message.startswith("HVCONNECT_DB: ") and says in message
    assert "\n" not in message and "s3cret" not in message


def test_a_postgresql_url_needs_psycopg(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "psycopg" else real(name)
    )
    with pytest.raises(ConfigError, match=r"^HVCONNECT_DB: .*needs psycopg.*postgresql"):
        load_config({"HVCONNECT_DB": "postgresql://hv@host/hvconnect"})


def test_the_database_password_never_reaches_a_log_line() -> None:
    import logging

    from bot.logging_redact import Redactor, scrub

    config = load_config({"HVCONNECT_DB": "postgresql://hv:Pa55-word@host/hvconnect"})
    redactor = Redactor()
    redactor.add_secret(config.database_password)
    record = logging.LogRecord(
        "psycopg", logging.WARNING, __file__, 1, "connecting with %s", (config.db_url,), None
    )
    scrub(record, redactor)
    assert "Pa55-word" not in record.getMessage() and "hv:" in record.getMessage()
