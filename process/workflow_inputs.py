"""Checks for what staff and customers type during the workflow: survey times, notes,
the energization day. Pure functions, like every validator: raw text in, a value or a
:class:`ValidationError` with a code out.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from process.calendar import WorkingCalendar
from process.validators import (
    TEXT_CONTROL,
    TEXT_EMPTY,
    TEXT_TOO_LONG,
    ValidationError,
    parse_date,
)

MAX_NOTE = 1000
MAX_RISKS = 3000
MIN_SLOTS, MAX_SLOTS = 2, 3
WORKING_HOURS = (time(8, 0), time(18, 0))
_SLOT = re.compile(
    r"^\s*(?P<date>\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?)\s*(?P<h>\d{1,2})[:：点](?P<m>\d{2})?\s*$"
)


def parse_note(text: str, *, max_len: int = MAX_NOTE) -> str:
    """Free text people write to each other (a note, a question, a relayed message, a list):
    anything that can be stored and shown is kept as typed, emoji, ``<``, ``$``, ``=``,
    right-to-left scripts and links with their query strings included; it is escaped where
    it is shown. Refused, naming the character and where it is: control characters other
    than newline and tab, and lone surrogates (half of a character, which cannot be stored).
    Blank lines and the spaces around each line are dropped."""
    typed = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    for position, char in enumerate(typed, start=1):
        if _unstorable(char):
            raise ValidationError(TEXT_CONTROL, char=f"U+{ord(char):04X}", position=position)
    lines = [line.strip() for line in typed.split("\n") if line.strip()]
    if not lines:
        raise ValidationError(TEXT_EMPTY)
    if len(typed) > max_len:
        raise ValidationError(TEXT_TOO_LONG, max_len=max_len)
    return "\n".join(lines)


def _unstorable(char: str) -> bool:
    """A control character (other than newline and tab) or a lone surrogate."""
    category = unicodedata.category(char)
    return (category == "Cc" and char not in "\n\t") or category == "Cs"


@dataclass(frozen=True)
class Examples:
    """Examples shown in prompts, taken from the clock and the calendar so that an example
    is never in the past nor on a day the bot itself would refuse."""

    slots: tuple[datetime, datetime]  # survey times: working days, within working hours
    energize_day: date  # a working day a few days ahead
    wanted_day: date  # a wanted energization date, about three months ahead


def examples(now: datetime, tz: tzinfo, calendar: WorkingCalendar) -> Examples:
    today = now.astimezone(tz).date()

    def ahead(working_days: int) -> date:
        return calendar.add_working_days(today, working_days).day

    return Examples(
        slots=(
            datetime.combine(ahead(2), time(9, 0), tzinfo=tz),
            datetime.combine(ahead(3), time(14, 30), tzinfo=tz),
        ),
        energize_day=ahead(3),
        wanted_day=ahead(60),
    )


def parse_slots(
    text: str, *, now: datetime, tz: tzinfo, calendar: WorkingCalendar
) -> list[datetime]:
    """Two or three survey times, one per line, on working days within working hours."""
    lines = [line for line in (text or "").splitlines() if line.strip()]
    if not MIN_SLOTS <= len(lines) <= MAX_SLOTS:
        raise ValidationError("slots.count", min=MIN_SLOTS, max=MAX_SLOTS)
    today = now.astimezone(tz).date()
    slots: list[datetime] = []
    for line in lines:
        match = _SLOT.match(line.replace("　", " "))
        if match is None:
            example = examples(now, tz, calendar).slots[0]
            raise ValidationError("slots.format", line=line.strip()[:40], example=example)
        day = parse_date(match["date"], today=today, max_years_ahead=1)
        hour, minute = int(match["h"]), int(match["m"] or 0)
        if hour > 23 or minute > 59:
            example = examples(now, tz, calendar).slots[0]
            raise ValidationError("slots.format", line=line.strip()[:40], example=example)
        moment = datetime.combine(day, time(hour, minute), tzinfo=tz)
        if moment <= now:
            raise ValidationError("date.past")
        if not calendar.is_workday(day) or not (
            WORKING_HOURS[0] <= moment.time() <= WORKING_HOURS[1]
        ):
            raise ValidationError("slots.hours", line=line.strip()[:40])
        slots.append(moment)
    if len(set(slots)) != len(slots):
        raise ValidationError("slots.duplicate")
    return sorted(slots)


def parse_energize_day(text: str, *, today: date, calendar: WorkingCalendar) -> date:
    """The day the meter is installed and the power switched on: a working day ahead."""
    day = parse_date(text, today=today, max_years_ahead=1)
    if not calendar.is_workday(day):
        raise ValidationError("date.not_workday")
    return day


def slot_window_end(start: datetime) -> datetime:
    """A survey is booked as a two-hour window."""
    return start + timedelta(hours=2)
