"""How Python values are written to and read from columns.

Timestamps are ISO-8601 text in UTC ("2026-11-27T01:48:00+00:00") so they sort as text
and read unambiguously in a ``sqlite3`` shell; dates are "YYYY-MM-DD"; JSON columns are
compact text. Every conversion lives here so that all repositories agree.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any


def time_to_db(moment: datetime) -> str:
    """A tz-aware moment as UTC ISO-8601 text; naive datetimes are refused."""
    if moment.tzinfo is None or moment.tzinfo.utcoffset(moment) is None:
        raise ValueError(f"timestamps must be time-zone aware, got {moment!r}")
    return moment.astimezone(UTC).isoformat()


def time_from_db(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"stored timestamp has no time zone: {text!r}")
    return moment.astimezone(UTC)


def optional_time_from_db(text: str | None) -> datetime | None:
    return None if text is None else time_from_db(text)


def date_to_db(day: date) -> str:
    if isinstance(day, datetime):
        # A datetime is a date subclass; storing one here would silently drop its time.
        raise TypeError(f"expected a date, got a datetime: {day!r}")
    return day.isoformat()


def date_from_db(text: str) -> date:
    return date.fromisoformat(text)


def optional_date_from_db(text: str | None) -> date | None:
    return None if text is None else date_from_db(text)


def json_to_db(value: Any) -> str:
    """Compact JSON text; raises TypeError for values JSON cannot represent."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def json_from_db(text: str) -> Any:
    return json.loads(text)


def plain(value: str) -> str:
    """The stored form of a string or StrEnum member (its value, never 'Stage.ACCEPT')."""
    return value.value if isinstance(value, Enum) else value
