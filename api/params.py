"""Times and days in query parameters, read strictly as ISO 8601: pydantic's lax parsing
would take ``0.5`` for a moment in 1970, which no client means."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from api.problems import Kind, ProblemError

MOMENT: dict[str, Any] = {"format": "date-time", "examples": ["2026-11-27T10:00:00+08:00"]}
DAY: dict[str, Any] = {"format": "date", "examples": ["2026-11-27"]}


def moment(text: str | None, field: str) -> datetime | None:
    """A moment with its zone, such as 2026-11-27T10:00:00+08:00; 422 naming ``field``."""
    if text is None:
        return None
    try:
        found = datetime.fromisoformat(text) if "T" in text.upper() else None
    except ValueError:
        found = None
    if found is None or found.tzinfo is None or found.utcoffset() is None:
        raise ProblemError(
            Kind.INVALID,
            f"{field}: expected a time with its zone, e.g. 2026-11-27T10:00:00+08:00",
            field=field,
        )
    return found


def day(text: str | None, field: str) -> date | None:
    """A day such as 2026-11-27; 422 naming ``field``."""
    if text is None:
        return None
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise ProblemError(Kind.INVALID, f"{field}: expected a day like 2026-11-27", field=field)
