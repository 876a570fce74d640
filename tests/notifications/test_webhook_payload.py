"""What a webhook body keeps of an event's data: the process, never a person."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from notifications.webhooks.payload import body_of, public_data
from notifications.webhooks.subscribing import BadSubscription, check_url, parse_kinds
from storage.webhooks import EventRecord


def test_stage_changes_counts_and_dates_pass() -> None:
    data = {"from": "plan_confirm", "to": "design_await", "documents": 2, "day": "2026-12-01"}
    assert public_data(data) == data


def test_names_user_ids_and_unknown_fields_stay_home() -> None:
    staff_joined = {"role": "customer_manager", "name": "王经理", "district": "汉台区"}
    assert public_data(staff_joined) == {"role": "customer_manager", "district": "汉台区"}
    reassigned = {"role": "customer_manager", "from": 2001, "to": 2002}
    assert public_data(reassigned) == {"role": "customer_manager"}
    erased = {"by": "operator", "customer": 1001}
    assert public_data(erased) == {}
    assert public_data({"thread_message": 5, "staff_id": 2001, "new_field": "x"}) == {}


def test_the_body_is_the_same_every_time_it_is_built() -> None:
    event = EventRecord(
        id=7,
        kind="confirm_plan",
        actor_role="customer",
        created_at=datetime(2026, 11, 27, 2, 31, 7, tzinfo=UTC),
        application_number="HV-2026-000123",
        data={"to": "design_await", "from": "plan_confirm"},
    )
    body = body_of(event)
    assert body == body_of(event)
    assert json.loads(body) == {
        "id": 7,
        "kind": "confirm_plan",
        "time": "2026-11-27T02:31:07+00:00",
        "application": "HV-2026-000123",
        "actor_role": "customer",
        "data": {"from": "plan_confirm", "to": "design_await"},
    }


@pytest.mark.parametrize(
    "url", ["https://crm.example/hv", "http://localhost:8080/in", "http://127.0.0.1/in"]
)
def test_https_anywhere_http_only_here(url: str) -> None:
    assert check_url(url) == url


@pytest.mark.parametrize(
    "url",
    ["http://crm.example/hv", "ftp://crm.example", "https://", "https://u:p@crm.example/"],
)
def test_other_urls_are_refused(url: str) -> None:
    with pytest.raises(BadSubscription):
        check_url(url)


def test_kinds() -> None:
    assert parse_kinds(None) is None and parse_kinds(" ") is None
    assert parse_kinds("submitted, confirm_plan,submitted") == ("submitted", "confirm_plan")
    with pytest.raises(BadSubscription):
        parse_kinds("submitted;drop")
