"""The integration API end to end: the bot started as production starts it with
HVCONNECT_API_LISTEN, a real HTTP client on a real socket, a real SQLite file."""

from __future__ import annotations

import asyncio
import io
from datetime import timedelta
from pathlib import Path

import pytest

from api.app import deps_of
from api.settings import ApiListenError, ApiSettings
from bot.app import api_server
from bot.cli.audit_print import print_audit
from process.clock import ManualClock
from sandbox.emulator import BotApiEmulator
from storage.api_clients import ApiClientsRepo
from storage.audit import audit_trail
from storage.events import append_event
from tests.e2e.api_harness import Api, api_of, api_of_new, copy_application
from tests.e2e.harness import SHANGHAI, BotRunner
from tests.e2e.staff_seed import seed_application
from tests.postgres import database_in

PROBLEM = "application/problem+json"


async def test_the_card_holds_fields_clocks_holders_and_history(api_client: Api) -> None:
    filed = await seed_application(api_client.svc, customer_id=7001)
    key = await api_client.key("marketing")
    answer = await api_client.get(f"/v1/applications/{filed.number}", key)
    assert answer.status_code == 200, answer.text
    card = answer.json()
    assert card["application"]["number"] == filed.number
    assert card["application"]["stage"] == "accept"
    assert card["application"]["version"] == filed.version
    [accept] = card["stages"]
    assert accept["stage"] == "accept" and accept["ended_at"] is None
    assert accept["clock"]["limit_days"] == 1
    assert accept["clock"]["provisional"] in (True, False)
    assert card["plan_due"] == {"date": "2026-12-14", "provisional": False}
    assert [e["kind"] for e in card["history"]] == ["submitted"]
    assert card["history"][0]["application"] == filed.number
    assert card["history"][0]["actor_role"] == "customer"


async def test_personal_data_is_masked_without_pii_read(api_client: Api) -> None:
    filed = await seed_application(api_client.svc, customer_id=7002)
    plain = await api_client.key("website")
    clear = await api_client.key("hotline", "applications:read,pii:read")
    masked = (await api_client.get(f"/v1/applications/{filed.number}", plain)).json()
    shown = (await api_client.get(f"/v1/applications/{filed.number}", clear)).json()
    assert masked["application"]["contact_mobile"] == "138****8000"
    assert masked["application"]["contact_name"] == "王*"
    assert masked["application"]["uscc"] == "91************3456"
    assert shown["application"]["contact_mobile"] == "13800138000"
    assert shown["application"]["contact_name"] == "王工"
    assert shown["application"]["uscc"] == "91310000MA1K123456"
    listed = (await api_client.get("/v1/applications", plain)).json()["items"]
    assert listed[0]["contact_mobile"] == "138****8000"


async def test_errors_are_problems_with_a_stable_type(api_client: Api) -> None:
    await seed_application(api_client.svc, customer_id=7003)
    events_only = await api_client.key("feed", "events:read")
    key = await api_client.key("marketing")
    cases = [
        (await api_client.get("/v1/applications", None), 401, "unauthorized"),
        (await api_client.get("/v1/applications", "hvk_not-a-key"), 401, "unauthorized"),
        (await api_client.get("/v1/applications", events_only), 403, "forbidden"),
        (await api_client.get("/v1/applications/HV-2026-999999", key), 404, "not-found"),
        (await api_client.get("/v1/applications", key, limit=0), 422, "invalid"),
        (await api_client.get("/v1/applications", key, stage="nowhere"), 422, "invalid"),
        (await api_client.get("/v1/applications", key, status="lost"), 422, "invalid"),
        (await api_client.get("/v1/applications", key, updated_since="0.5"), 422, "invalid"),
        (await api_client.get("/v1/applications", key, cursor="!!"), 400, "bad-request"),
        (await api_client.get("/v1/events", events_only, wait=31), 422, "invalid"),
        (await api_client.get("/v1/stats", key, to="2020-01-01"), 422, "invalid"),
        (await api_client.get("/v1/nothing", key), 404, "not-found"),
    ]
    for answer, status, kind in cases:
        assert answer.status_code == status, answer.text
        assert answer.headers["content-type"] == PROBLEM
        problem = answer.json()
        assert problem["type"] == f"urn:hvconnect:problem:{kind}"
        assert problem["status"] == status and problem["title"] and problem["detail"]
        assert "Traceback" not in answer.text
    limit = (await api_client.get("/v1/applications", key, limit=0)).json()
    assert limit["field"] == "limit"
    assert (await api_client.get("/v1/stats", key, to="2020-01-01")).json()["field"] == "from"


async def test_a_revoked_key_is_refused(api_client: Api) -> None:
    key = await api_client.key("old")
    assert (await api_client.get("/v1/applications", key)).status_code == 200
    assert await ApiClientsRepo(api_client.svc.db).revoke("old", api_client.svc.clock.now())
    assert (await api_client.get("/v1/applications", key)).status_code == 401


async def test_every_call_is_in_the_audit_trail_with_the_clients_name(api_client: Api) -> None:
    filed = await seed_application(api_client.svc, customer_id=7004)
    key = await api_client.key("marketing", "applications:read")
    await api_client.get(f"/v1/applications/{filed.number}", key)
    await api_client.get("/v1/stats", key)  # refused: no stats:read
    rows = await api_client.runner.query(
        "SELECT c.name, k.method, k.path, k.status, k.application_id "
        "FROM api_calls k JOIN api_clients c ON c.id = k.client_id ORDER BY k.id"
    )
    assert [tuple(r) for r in rows] == [
        ("marketing", "GET", f"/v1/applications/{filed.number}", 200, filed.id),
        ("marketing", "GET", "/v1/stats", 403, None),
    ]
    trail = await audit_trail(api_client.svc.db, filed.number)
    assert trail is not None
    printed = io.StringIO()
    print_audit(trail, SHANGHAI, printed)
    assert "integration API calls (1)" in printed.getvalue()
    assert f"marketing: GET /v1/applications/{filed.number} -> 200" in printed.getvalue()


async def test_stats_give_what_the_command_line_gives(api_client: Api) -> None:
    await seed_application(api_client.svc, customer_id=7005)
    key = await api_client.key("marketing")
    answer = await api_client.get("/v1/stats", key, **{"from": "2026-01-01", "to": "2026-12-31"})
    assert answer.status_code == 200, answer.text
    figures = answer.json()
    assert figures["period"] == {"from": "2026-01-01", "to": "2026-12-31"}
    assert figures["summary"]["applications"] == 1
    assert set(figures) >= {"by_district", "by_customer_manager", "satisfaction_by_month"}
    one = await api_client.get("/v1/stats", key, district="汉台区")
    assert one.json()["district"] == "汉台区"
    assert (await api_client.get("/v1/stats", key, district="火星")).json()["field"] == "district"


async def test_the_list_filters(api_client: Api) -> None:
    svc = api_client.svc
    first = await seed_application(svc, customer_id=7006, manager=5001)
    await seed_application(svc, customer_id=7007, district="南郑区")
    key = await api_client.key("marketing")

    async def numbers(**filters: object) -> list[str]:
        answer = await api_client.get("/v1/applications", key, **filters)
        assert answer.status_code == 200, answer.text
        return [a["number"] for a in answer.json()["items"]]

    assert len(await numbers()) == 2
    assert await numbers(district="汉台区") == [first.number]
    assert await numbers(holder=5001) == [first.number]
    assert len(await numbers(status="active", stage="accept")) == 2
    assert await numbers(status="done") == []
    later = (svc.clock.now() + timedelta(days=1)).isoformat()
    assert await numbers(updated_since=later) == []


async def test_pages_miss_and_repeat_nothing_while_writes_arrive(api_client: Api) -> None:
    svc = api_client.svc
    first = await seed_application(svc, customer_id=7100)
    await copy_application(svc, first.number, 2999)
    key = await api_client.key("marketing")
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, object] = {"limit": 97}
        if cursor is not None:
            params["cursor"] = cursor
        page = (await api_client.get("/v1/applications", key, **params)).json()
        seen += [a["number"] for a in page["items"]]
        cursor = page["next_cursor"]
        pages += 1
        if pages <= 5:  # new applications and events between pages, an old one changed
            await seed_application(svc, customer_id=7200 + pages)
            async with svc.db.transaction() as conn:
                await append_event(
                    conn,
                    application_id=first.id,
                    actor_id=None,
                    actor_role="system",
                    kind="api_test_touch",
                    now=svc.clock.now(),
                )
                await conn.execute(
                    "UPDATE applications SET updated_at = ?, version = version + 1 WHERE id = ?",
                    ((svc.clock.now() + timedelta(minutes=pages)).isoformat(), first.id),
                )
        if not page["has_more"]:
            break
    every = await api_client.runner.query("SELECT number FROM applications ORDER BY id")
    assert len(seen) == len(set(seen)) == 3005
    assert seen == [r["number"] for r in every]


async def test_the_feed_pages_through_events_in_order(api_client: Api) -> None:
    svc = api_client.svc
    for customer in range(7300, 7305):
        await seed_application(svc, customer_id=customer)
    key = await api_client.key("feed", "events:read")
    first = (await api_client.get("/v1/events", key, limit=3)).json()
    rest = (await api_client.get("/v1/events", key, after=first["next_cursor"])).json()
    events = first["items"] + rest["items"]
    assert [e["kind"] for e in events] == ["submitted"] * 5
    assert [e["id"] for e in events] == sorted({e["id"] for e in events})
    assert all(set(e) == {"id", "application", "kind", "at", "actor_role", "data"} for e in events)
    empty = (await api_client.get("/v1/events", key, after=rest["next_cursor"])).json()
    assert empty["items"] == [] and empty["next_cursor"] == rest["next_cursor"]


async def test_the_long_poll_wakes_when_an_event_is_appended(api_client: Api) -> None:
    svc = api_client.svc
    filed = await seed_application(svc, customer_id=7400)
    key = await api_client.key("feed", "events:read")
    caught_up = (await api_client.get("/v1/events", key)).json()["next_cursor"]
    waiting = asyncio.create_task(api_client.get("/v1/events", key, after=caught_up, wait=30))
    assert api_client.runner.app is not None
    server = api_server(api_client.runner.app)
    assert server is not None
    await deps_of(server.app).watch.waiting.wait()
    # Calls take turns, but one waiting steps aside: others are answered meanwhile.
    meanwhile = await api_client.get("/v1/events", key, after=caught_up)
    assert meanwhile.status_code == 200 and meanwhile.json()["items"] == []
    assert not waiting.done()
    await svc.events.record(
        application_id=filed.id,
        actor_id=None,
        actor_role="system",
        kind="api_test_wake",
        now=svc.clock.now(),
    )
    answer = await waiting
    assert [e["kind"] for e in answer.json()["items"]] == ["api_test_wake"]


async def test_a_client_over_its_rate_waits_as_told(
    emulator: BotApiEmulator, tmp_path: Path, clock: ManualClock
) -> None:
    settings = ApiSettings(host="127.0.0.1", port=0, rate_per_second=0.5, burst=3)
    runner = BotRunner(emulator, database_in(tmp_path, "hv.db"), clock, api=settings)
    await runner.start()
    try:
        async with api_of(runner) as api:
            key = await api.key("marketing")
            other = await api.key("website")
            for _ in range(3):
                assert (await api.get("/v1/applications", key)).status_code == 200
            refused = await api.get("/v1/applications", key)
            assert refused.status_code == 429
            assert refused.headers["content-type"] == PROBLEM
            assert refused.json()["type"] == "urn:hvconnect:problem:rate-limited"
            wait = int(refused.headers["Retry-After"])
            assert wait == 2
            # Another client has a bucket of its own.
            assert (await api.get("/v1/applications", other)).status_code == 200
            clock.advance(timedelta(seconds=wait))
            assert (await api.get("/v1/applications", key)).status_code == 200
    finally:
        await runner.stop()


async def test_stopping_the_bot_answers_a_waiting_long_poll(api_bot: BotRunner) -> None:
    async with api_of(api_bot) as api:
        key = await api.key("feed", "events:read")
        waiting = asyncio.create_task(api.get("/v1/events", key, wait=30))
        assert api_bot.app is not None
        server = api_server(api_bot.app)
        assert server is not None
        await deps_of(server.app).watch.waiting.wait()
        await api_bot.stop()
        answer = await waiting
        assert answer.status_code == 200
        assert answer.json()["items"] == []


async def test_a_taken_port_stops_the_start_with_the_variable_named(
    emulator: BotApiEmulator, tmp_path: Path, clock: ManualClock
) -> None:
    async with api_of_new(emulator, database_in(tmp_path, "one.db"), clock) as (first, port):
        taken = ApiSettings(host="127.0.0.1", port=port)
        second = BotRunner(emulator, database_in(tmp_path, "two.db"), clock, api=taken)
        with pytest.raises(ApiListenError, match=f"127.0.0.1:{port}"):
            await second.start()
        await second.stop()
        assert (await first.get("/v1/events", None)).status_code == 401
