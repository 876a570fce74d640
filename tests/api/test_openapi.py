"""The committed docs/openapi.json is the document the code generates (``python -m
api.openapi`` rewrites it), and it is the one the running API serves."""

from __future__ import annotations

import json

from api.openapi import DOCUMENT, generate, main, rendered


def test_the_committed_document_is_the_generated_one() -> None:
    assert DOCUMENT.read_text(encoding="utf-8") == rendered(generate()), (
        "docs/openapi.json is out of date: run python -m api.openapi"
    )
    assert main(["api.openapi", "--check"]) == 0


def test_the_document_is_openapi_3_1_with_bearer_keys_and_problems() -> None:
    document = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    assert document["openapi"].startswith("3.1")
    assert set(document["paths"]) == {
        "/v1/applications",
        "/v1/applications/{number}",
        "/v1/applications/{number}/actions",
        "/v1/events",
        "/v1/stats",
        "/v1/webhooks",
        "/v1/webhooks/{subscription_id}",
        "/v1/webhooks/{subscription_id}/replay",
    }
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    for path in document["paths"].values():
        for operation in path.values():
            responses = operation["responses"]
            for status in ("401", "403", "422", "429"):
                assert "application/problem+json" in responses[status]["content"]
    create = document["paths"]["/v1/applications"]["post"]
    [key] = [p for p in create["parameters"] if p["name"] == "Idempotency-Key"]
    assert key["in"] == "header" and key["required"] is True
    assert {"201", "200", "409"} <= set(create["responses"])
    act = document["paths"]["/v1/applications/{number}/actions"]["post"]
    assert {"404", "409"} <= set(act["responses"])
