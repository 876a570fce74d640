"""Outgoing webhooks end to end: events appended in the database reach a real HTTP receiver,
signed, in order, at least once, through failures, crashes and replays."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from storage.events import append_event
from tests.notifications.webhook_rig import SECRET, Received, eventually, rig
from tests.storage.staff_samples import submit

TOLERANCE_S = 300


def verify(secret: str, received: Received, now_unix: int) -> dict[str, object]:
    """An independent receiver's check: the signature over ``t.body`` and the time."""
    header = received.headers["X-Hvconnect-Signature"]
    fields = dict(part.split("=", 1) for part in header.split(","))
    timestamp = int(fields["t"])
    assert abs(now_unix - timestamp) <= TOLERANCE_S
    expected = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + received.body, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(expected, fields["v1"])
    parsed = json.loads(received.body)
    assert isinstance(parsed, dict)
    return parsed


async def test_an_event_is_posted_signed_with_no_personal_data(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        await r.subscribe()
        application = await submit(
            r.db, 1001, contact_name="张三", contact_mobile="13800138000", now=r.clock.now()
        )
        await r.worker()
        await eventually(lambda: len(r.receiver.accepted) == 1)
        got = r.receiver.received[0]
        body = verify(SECRET, got, int(r.clock.now().timestamp()))
        assert body["kind"] == "submitted" == got.headers["X-Hvconnect-Event"]
        assert body["application"] == application.number
        assert body["actor_role"] == "customer"
        assert got.headers["Idempotency-Key"] == str(body["id"])
        text = got.body.decode()
        for personal in ("张三", "13800138000", application.uscc, "1001"):
            assert personal not in text
        # A tampered body fails the same check.
        forged = Received(got.path, got.headers, got.body.replace(b"submitted", b"energized"))
        with pytest.raises(AssertionError):
            verify(SECRET, forged, int(r.clock.now().timestamp()))


async def test_only_the_kinds_subscribed_are_queued(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        wanted = await r.subscribe("/plans", kinds=["plan_approved"])
        everything = await r.subscribe("/all")
        await r.event("note_added")
        approved = await r.event("plan_approved")
        assert [d.event_id for d in await r.repo.deliveries(wanted)] == [approved]
        assert len(await r.repo.deliveries(everything)) == 2


async def test_an_event_rolled_back_is_never_delivered(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        sub = await r.subscribe()
        with pytest.raises(RuntimeError):
            async with r.db.transaction() as conn:
                await append_event(
                    conn,
                    application_id=None,
                    actor_id=None,
                    actor_role="operator",
                    kind="note_added",
                    now=r.clock.now(),
                )
                raise RuntimeError("the change fails after its event was written")
        assert await r.repo.deliveries(sub) == []
        kept = await r.event()
        worker = await r.worker()
        await eventually(lambda: r.receiver.accepted == [kept])
        await worker.stop()
        assert len(r.receiver.received) == 1


async def test_a_failing_receiver_gets_every_event_once_in_order_after_it_recovers(
    tmp_path: Path,
) -> None:
    async with rig(tmp_path) as r:
        sub = await r.subscribe()
        failures = 7

        async def down_for_a_while(_: Received) -> int:
            return 500 if len(r.receiver.received) <= failures else 200

        r.receiver.answer = down_for_a_while
        events = [await r.event() for _ in range(5)]
        worker = await r.worker()
        await r.drive(lambda: r.settled(sub))
        # Meanwhile more events come, while the first are still retried.
        events += [await r.event() for _ in range(3)]
        worker.wake()
        await r.drive(lambda: r.settled(sub))
        assert r.receiver.accepted == events
        ids = [int(g.headers["Idempotency-Key"]) for g in r.receiver.received]
        # The order holds on the wire too: an event never goes before the one ahead of it.
        assert ids == sorted(ids)
        rows = await r.repo.deliveries(sub)
        assert all(row.delivered_at is not None for row in rows)
        assert rows[0].attempts == failures + 1


async def test_a_dead_delivery_lets_the_next_go_and_replay_sends_it(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        sub = await r.subscribe()
        refused: set[int] = set()

        async def refuse_the_first(got: Received) -> int:
            event_id = int(got.headers["Idempotency-Key"])
            return 404 if event_id in refused else 200

        r.receiver.answer = refuse_the_first
        first = await r.event()
        refused.add(first)
        second = await r.event()
        await r.worker(max_attempts=3)
        await r.drive(lambda: r.settled(sub))
        rows = {row.event_id: row for row in await r.repo.deliveries(sub)}
        assert rows[first].dead_at is not None and rows[first].attempts == 3
        assert rows[first].last_error == "HTTP 404"
        assert r.receiver.accepted == [second]
        assert len(r.receiver.received) == 4  # three tries of the first, then the second

        refused.clear()
        assert await r.repo.replay(now=r.clock.now(), dead_only=True) == 1
        await r.drive(lambda: r.settled(sub))
        assert r.receiver.accepted == [second, first]


async def test_replay_since_an_event_resends_and_fills_in_older_events(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        before = await r.event()
        sub = await r.subscribe()
        after = await r.event()
        await r.worker()
        await r.drive(lambda: r.settled(sub))
        assert r.receiver.accepted == [after]
        assert await r.repo.replay(now=r.clock.now(), since_event=before, subscription_id=sub) == 2
        await r.drive(lambda: r.settled(sub))
        ids = [int(g.headers["Idempotency-Key"]) for g in r.receiver.received]
        assert ids == [after, before, after]


async def test_one_post_in_flight_per_subscription(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        slow = await r.subscribe("/slow")
        fast = await r.subscribe("/fast")
        release = asyncio.Event()

        async def hold_the_slow_one(got: Received) -> int:
            if got.path == "/slow":
                await release.wait()
            return 200

        r.receiver.answer = hold_the_slow_one
        first = await r.event()
        await r.worker()
        await eventually(lambda: len(r.receiver.to("/slow")) == 1)
        second = await r.event()
        r.workers[0].wake()
        # The fast subscription got the second event: the worker has looked at the queue
        # since it was appended, and still posted nothing more to the slow one.
        await eventually(lambda: len(r.receiver.to("/fast")) == 2)
        assert len(r.receiver.to("/slow")) == 1
        release.set()
        await r.drive(lambda: r.settled(slow))
        assert [int(g.headers["Idempotency-Key"]) for g in r.receiver.to("/slow")] == [
            first,
            second,
        ]
        assert await r.settled(fast)


async def test_a_post_cut_off_by_a_stop_is_posted_again_at_the_next_start(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        sub = await r.subscribe()
        never = asyncio.Event()

        async def hang(_: Received) -> int:
            await never.wait()
            return 200

        r.receiver.answer = hang
        event = await r.event()
        worker = await r.worker()
        await eventually(lambda: len(r.receiver.received) == 1)
        await worker.stop(timeout=0)  # the process goes away mid-flight
        (row,) = await r.repo.deliveries(sub)
        assert row.in_flight_since is not None and row.delivered_at is None

        r.receiver.answer = None
        await r.worker()
        await r.drive(lambda: r.settled(sub))
        ids = [int(g.headers["Idempotency-Key"]) for g in r.receiver.received]
        assert ids == [event, event]  # at least once: the receiver sees it twice
        assert r.receiver.accepted == [event]  # and keeps it once
        never.set()


async def test_too_many_requests_waits_as_long_as_the_receiver_asks(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        sub = await r.subscribe()

        async def busy(_: Received) -> int:
            return 429

        r.receiver.answer = busy
        r.receiver.extra_headers = {"Retry-After": "120"}
        await r.event()
        await r.worker()
        await eventually(lambda: len(r.receiver.received) == 1)

        async def failed_once() -> bool:
            (row,) = await r.repo.deliveries(sub)
            return row.attempts == 1 and row.in_flight_since is None

        await r.drive(failed_once, step=timedelta(0))
        (row,) = await r.repo.deliveries(sub)
        assert (row.next_attempt_at - r.clock.now()).total_seconds() == 120


async def test_the_readme_recipe_verifies_a_real_post(tmp_path: Path) -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("**Verifying a signature**", 1)[1]
    recipe = section.split("```python\n", 1)[1].split("```", 1)[0]
    assert len(recipe.strip().splitlines()) <= 10
    namespace: dict[str, object] = {}
    exec(recipe, namespace)
    verify_as_documented = namespace["verify"]
    assert callable(verify_as_documented)
    async with rig(tmp_path) as r:
        r.clock.set(datetime.now(r.clock.tz))  # the recipe compares with the real time
        await r.subscribe()
        await r.event()
        await r.worker()
        await eventually(lambda: len(r.receiver.accepted) == 1)
        got = r.receiver.received[0]
        header = got.headers["X-Hvconnect-Signature"]
        assert verify_as_documented(SECRET, header, got.body)
        assert not verify_as_documented("another secret", header, got.body)
        assert not verify_as_documented(SECRET, header, got.body + b" ")
