"""Stored due dates follow the counting rule: when the rule changes, as when the calendar
does, the sweeps' fingerprint changes and every stage is counted again."""

from __future__ import annotations

import pytest

from notifications.reminders import context
from notifications.reminders.context import calendar_fingerprint
from process.calendar import WorkingCalendar


def test_the_fingerprint_covers_the_counting_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    calendar = WorkingCalendar()
    before = calendar_fingerprint(calendar, 2026)
    assert calendar_fingerprint(calendar, 2026) == before
    monkeypatch.setattr(context, "COUNTING_RULE", "the day a pause begins is the customer's")
    assert calendar_fingerprint(calendar, 2026) != before
