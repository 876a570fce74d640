"""A client manages its own webhook subscriptions over HTTP (``/v1/webhooks``), against the
running bot: it subscribes a local receiver, the bot posts it a signed event that the test
verifies with its own HMAC, removing the subscription stops the posts, another client's
ids are unknown to it, and a key without ``webhooks:manage`` is refused."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
from collections.abc import AsyncIterator

import pytest

from tests.e2e.api_harness import Api
from tests.notifications.webhook_rig import Receiver, eventually
from tests.services.intake_samples import FORM

PROBLEM = "application/problem+json"
MANAGER = "applications:write,webhooks:manage"
BODY = dataclasses.asdict(FORM)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    server = Receiver()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def verified(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The receiver's check, written from the README's recipe alone."""
    fields = dict(part.split("=", 1) for part in headers["X-Hvconnect-Signature"].split(","))
    expected = hmac.new(secret.encode(), fields["t"].encode() + b"." + body, hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), fields["v1"])


async def _file(api: Api, key: str, idempotency_key: str) -> str:
    body = BODY | {"project_name": f"工程 {idempotency_key}"}
    filed = await api.post(
        "/v1/applications", key, body, headers={"Idempotency-Key": idempotency_key}
    )
    assert filed.status_code == 201, filed.text
    return str(filed.json()["number"])


async def _delete(api: Api, key: str, path: str) -> int:
    answer = await api.http.delete(path, headers={"Authorization": f"Bearer {key}"})
    if answer.status_code != 204:
        assert answer.headers["content-type"] == PROBLEM
    return answer.status_code


async def test_a_client_subscribes_receives_signed_events_and_unsubscribes(
    api_client: Api, receiver: Receiver
) -> None:
    key = await api_client.key("marketing", MANAGER)
    made = await api_client.post(
        "/v1/webhooks", key, {"url": receiver.url + "/events", "kinds": ["taken_in"]}
    )
    assert made.status_code == 201, made.text
    subscription = made.json()
    secret = subscription["signing_secret"]
    assert secret.startswith("whsec_") and subscription["kinds"] == ["taken_in"]
    assert subscription["url"] == receiver.url + "/events"

    listed = await api_client.get("/v1/webhooks", key)
    assert listed.status_code == 200, listed.text
    [item] = listed.json()["items"]
    assert item["id"] == subscription["id"] and item["kinds"] == ["taken_in"]
    assert secret not in listed.text and "signing_secret" not in item

    number = await _file(api_client, key, "call-1")
    await eventually(lambda: len(receiver.accepted) == 1)
    [got] = receiver.to("/events")
    assert verified(secret, got.headers, got.body)
    assert not verified(secret + "x", got.headers, got.body)
    event = json.loads(got.body)
    assert (event["kind"], event["application"]) == ("taken_in", number)
    assert "王工" not in got.body.decode() and "13800138000" not in got.body.decode()
    counted = (await api_client.get("/v1/webhooks", key)).json()["items"][0]["deliveries"]
    assert counted == {"waiting": 0, "delivered": 1, "dead": 0}

    # The delivered event sent again, on request.
    path = f"/v1/webhooks/{subscription['id']}"
    replayed = await api_client.post(f"{path}/replay", key, {"since_event": event["id"]})
    assert replayed.status_code == 200 and replayed.json() == {"queued": 1}
    await eventually(lambda: len(receiver.to("/events")) == 2)
    again = receiver.to("/events")[1]
    assert again.body == got.body and verified(secret, again.headers, again.body)
    nothing_dead = await api_client.post(f"{path}/replay", key, None)
    assert nothing_dead.status_code == 200 and nothing_dead.json() == {"queued": 0}

    # Removed: the next event is not queued for it, while a second subscription gets it.
    assert await _delete(api_client, key, path) == 204
    assert (await api_client.get("/v1/webhooks", key)).json()["items"] == []
    other = await api_client.post("/v1/webhooks", key, {"url": receiver.url + "/other"})
    assert other.status_code == 201 and other.json()["kinds"] is None
    second = await _file(api_client, key, "call-2")
    # Every kind: the filing's events, the last of them the filing itself.
    await eventually(
        lambda: any(json.loads(r.body)["kind"] == "taken_in" for r in receiver.to("/other"))
    )
    assert {json.loads(r.body)["application"] for r in receiver.to("/other")} == {second}
    assert len(receiver.to("/events")) == 2
    queued = await api_client.runner.query(
        "SELECT COUNT(*) AS n FROM webhook_deliveries WHERE subscription_id = ?",
        (subscription["id"],),
    )
    assert queued[0]["n"] == 1
    assert await _delete(api_client, key, path) == 404

    # Each call is on the audit trail under the client's name.
    calls = await api_client.runner.query(
        "SELECT c.method, c.path, c.status FROM api_calls AS c "
        "JOIN api_clients AS k ON k.id = c.client_id "
        "WHERE k.name = 'marketing' AND c.path LIKE '/v1/webhooks%' ORDER BY c.id"
    )
    assert [(r["method"], r["path"], r["status"]) for r in calls] == [
        ("POST", "/v1/webhooks", 201),
        ("GET", "/v1/webhooks", 200),
        ("GET", "/v1/webhooks", 200),
        ("POST", f"{path}/replay", 200),
        ("POST", f"{path}/replay", 200),
        ("DELETE", path, 204),
        ("GET", "/v1/webhooks", 200),
        ("POST", "/v1/webhooks", 201),
        ("DELETE", path, 404),
    ]


async def test_a_client_sees_only_its_own_subscriptions_and_needs_the_scope(
    api_client: Api, receiver: Receiver
) -> None:
    marketing = await api_client.key("marketing", MANAGER)
    website = await api_client.key("website", MANAGER)
    reader = await api_client.key("hotline", "applications:read,events:read")
    made = await api_client.post("/v1/webhooks", marketing, {"url": receiver.url + "/m"})
    assert made.status_code == 201, made.text
    path = f"/v1/webhooks/{made.json()['id']}"

    assert (await api_client.get("/v1/webhooks", website)).json()["items"] == []
    for answer in (
        await api_client.post(f"{path}/replay", website, {"since_event": 1}),
        await api_client.post("/v1/webhooks/999999/replay", marketing, None),
    ):
        assert answer.status_code == 404 and answer.headers["content-type"] == PROBLEM
        assert answer.json()["type"] == "urn:hvconnect:problem:not-found"
    assert await _delete(api_client, website, path) == 404
    assert await _delete(api_client, marketing, "/v1/webhooks/999999") == 404
    [still] = (await api_client.get("/v1/webhooks", marketing)).json()["items"]
    assert still["id"] == made.json()["id"]

    refused = [
        await api_client.post("/v1/webhooks", reader, {"url": receiver.url + "/r"}),
        await api_client.get("/v1/webhooks", reader),
        await api_client.post(f"{path}/replay", reader, None),
    ]
    assert await _delete(api_client, reader, path) == 403
    for answer in refused:
        assert answer.status_code == 403 and answer.headers["content-type"] == PROBLEM
        assert answer.json()["type"] == "urn:hvconnect:problem:forbidden"
        assert "webhooks:manage" in answer.json()["detail"]
    assert (await api_client.get("/v1/webhooks", None)).status_code == 401


BAD_SUBSCRIPTIONS: list[tuple[dict[str, object], str]] = [
    ({"url": "http://marketing.example.cn/hook"}, "url"),  # plain http off this machine
    ({"url": "ftp://127.0.0.1/hook"}, "url"),
    ({"url": "https://user:pw@marketing.example.cn/hook"}, "url"),
    ({"url": "https://[::1/hook"}, "url"),
    ({"url": "https://marketing.example.cn/a b"}, "url"),
    ({"url": "https://marketing.example.cn/hook", "kinds": ["Plan Approved"]}, "kinds"),
    ({"url": "https://marketing.example.cn/hook", "kinds": []}, "kinds"),
    ({"kinds": ["submitted"]}, "url"),
    ({"url": "https://marketing.example.cn/hook", "secret": "mine"}, "secret"),
]


async def test_a_bad_subscription_is_a_problem_naming_the_field(api_client: Api) -> None:
    key = await api_client.key("marketing", MANAGER)
    for body, field in BAD_SUBSCRIPTIONS:
        answer = await api_client.post("/v1/webhooks", key, body)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.headers["content-type"] == PROBLEM
        assert answer.json()["type"] == "urn:hvconnect:problem:invalid"
        assert answer.json()["field"] == field, (body, answer.text)
    assert (await api_client.get("/v1/webhooks", key)).json()["items"] == []
