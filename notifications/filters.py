"""Jinja2 filters for dates, numbers and masked personal data, shared by all templates."""

from __future__ import annotations

from datetime import date, datetime

from jinja2 import Environment

WEEKDAYS_ZH = ("一", "二", "三", "四", "五", "六", "日")


def install(env: Environment) -> None:
    env.filters["day"] = format_day
    env.filters["moment"] = format_moment
    env.filters["mask_phone"] = mask_phone
    env.filters["thousands"] = lambda n: f"{int(n):,}"


def format_day(value: date | str | None, locale: str = "zh_CN") -> str:
    """``2026年12月21日（周一）`` or ``Mon 21 Dec 2026``."""
    if value is None:
        return "—"
    if isinstance(value, str):
        value = date.fromisoformat(value)
    if locale == "zh_CN":
        return f"{value.year}年{value.month}月{value.day}日（周{WEEKDAYS_ZH[value.weekday()]}）"
    return value.strftime("%a %d %b %Y")


def format_moment(value: datetime | None, tz: object = None, locale: str = "zh_CN") -> str:
    """A timestamp in the reader's time zone, minutes precision."""
    if value is None:
        return "—"
    if tz is not None:
        value = value.astimezone(tz)  # type: ignore[arg-type]
    if locale == "zh_CN":
        return f"{value.year}-{value.month:02d}-{value.day:02d} {value:%H:%M}"
    return value.strftime("%d %b %Y %H:%M")


def mask_phone(phone: str | None) -> str:
    """``138****5678``: enough to recognise one's own number, not to harvest it."""
    if not phone:
        return "—"
    if len(phone) < 7:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[-4:]}"
