"""Application numbers: the canonical format and forgiving parsing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from process.numbers import format_application_number, parse_application_number


def test_format_pads_to_six_digits_and_grows_when_needed() -> None:
    assert format_application_number(2026, 123) == "HV-2026-000123"
    assert format_application_number(2026, 1) == "HV-2026-000001"
    assert format_application_number(2027, 1_234_567) == "HV-2027-1234567"


@pytest.mark.parametrize(("year", "seq"), [(2026, 0), (2026, -5), (999, 1), (10000, 1)])
def test_format_refuses_impossible_numbers(year: int, seq: int) -> None:
    with pytest.raises(ValueError):
        format_application_number(year, seq)


@pytest.mark.parametrize(
    "raw",
    [
        "HV-2026-000123",
        "hv-2026-123",
        "  Hv-2026-0123  ",
        "ＨＶ－２０２６－０００１２３",
        "HV 2026 123",
        "HV2026000123",
        "HV—2026—123",
        "HV_2026_000123",
    ],
)
def test_parse_accepts_what_people_type(raw: str) -> None:
    assert parse_application_number(raw) == "HV-2026-000123"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "HV-2026",
        "HV-2026-000000",
        "HX-2026-000123",
        "HV-26-000123",
        "HV-2026-00012a",
        "申请 HV-2026-000123",
        "HV-0999-000123",
        "HV--2026-123",
    ],
)
def test_parse_returns_none_for_anything_else(raw: str) -> None:
    assert parse_application_number(raw) is None


@given(st.integers(min_value=1000, max_value=9999), st.integers(min_value=1, max_value=10**9))
def test_format_and_parse_round_trip(year: int, seq: int) -> None:
    number = format_application_number(year, seq)
    assert parse_application_number(number) == number
    assert parse_application_number(f" {number.lower()} ") == number
