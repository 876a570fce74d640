"""The clock panel moves the bot's own clock; "reset sandbox" starts everything over."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import aiohttp
import aiosqlite

from bot.app import services_of
from bot.sandbox.run import SandboxRunner
from process.clock import ManualClock
from tests.e2e.apply_walk import submit_application
from tests.e2e.customer import Customer
from tests.e2e.harness import shanghai
from tests.e2e.webchat_client import PageClient, running_sandbox


async def staff_ids(runner: SandboxRunner) -> list[int]:
    async with aiosqlite.connect(runner.settings.db_path) as conn:
        async with conn.execute("SELECT user_id FROM users ORDER BY user_id") as cursor:
            return [row[0] for row in await cursor.fetchall()]


async def test_plus_one_hour_moves_the_bots_now_and_its_message_dates(tmp_path: Path) -> None:
    async with (
        running_sandbox(tmp_path) as sandbox,
        aiohttp.ClientSession(base_url=sandbox.url) as session,
    ):
        page = PageClient(session)
        _, clock = await page.get("/api/clock")
        assert (clock["date"], clock["time"], clock["weekday"]) == ("2026-11-27", "10:00", 5)
        assert clock["workday"] is True and clock["provisional"] is False
        assert clock["tz"] == "Asia/Shanghai" and clock["next_deadline"] is None

        status, clock = await page.post("/api/clock", {"step": "hour"})
        assert status == 200 and clock["time"] == "11:00" and clock["offset_seconds"] == 3600
        assert sandbox.app is not None
        assert services_of(sandbox.app).clock.now() == shanghai(2026, 11, 27, 11, 0)
        customer = await page.add_customer()
        await page.say(customer, "/help")
        [answer] = await page.wait_for_bot(customer, lambda ms: len(ms) == 1)
        assert answer["date"] == int(shanghai(2026, 11, 27, 11, 0).timestamp())
        assert sandbox.panel.offset_file.read_text().strip() == "3600"


async def test_plus_one_working_day_skips_the_weekend(tmp_path: Path) -> None:
    async with (
        running_sandbox(tmp_path) as sandbox,
        aiohttp.ClientSession(base_url=sandbox.url) as session,
    ):
        _, clock = await PageClient(session).post("/api/clock", {"step": "workday"})
    assert (clock["date"], clock["time"], clock["weekday"]) == ("2026-11-30", "10:00", 1)


async def test_a_saturday_is_no_working_day_and_past_the_official_data_is_provisional(
    tmp_path: Path,
) -> None:
    saturday = ManualClock(shanghai(2026, 11, 28, 9, 30))
    async with (
        running_sandbox(tmp_path, saturday) as sandbox,
        aiohttp.ClientSession(base_url=sandbox.url) as session,
    ):
        _, clock = await PageClient(session).get("/api/clock")
        assert clock["workday"] is False and clock["provisional"] is False
        _, clock = await PageClient(session).post("/api/clock", {"step": "workday"})
        assert (clock["date"], clock["time"]) == ("2026-11-30", "09:30")
    later = ManualClock(shanghai(2031, 3, 3, 9, 0))  # a Monday, years past the official data
    async with (
        running_sandbox(tmp_path / "later", later) as sandbox,
        aiohttp.ClientSession(base_url=sandbox.url) as session,
    ):
        _, clock = await PageClient(session).get("/api/clock")
    assert clock["workday"] is True and clock["provisional"] is True


async def test_to_the_next_deadline_goes_to_the_open_stages_due_date(tmp_path: Path) -> None:
    async with (
        running_sandbox(tmp_path) as sandbox,
        aiohttp.ClientSession(base_url=sandbox.url) as session,
    ):
        page = PageClient(session)
        status, refused = await page.post("/api/clock", {"step": "deadline"})
        assert status == 409 and "no open stage" in refused["description"]

        customer_id = await page.add_customer()
        persona = sandbox.webchat.persona(customer_id)
        assert persona is not None
        await submit_application(Customer(sandbox.emulator, sandbox.webchat.fake_user(persona)))
        _, clock = await page.get("/api/clock")
        assert clock["next_deadline"] == "2026-11-30"  # acceptance: one working day

        status, clock = await page.post("/api/clock", {"step": "deadline"})
        assert status == 200 and (clock["date"], clock["time"]) == ("2026-11-30", "10:00")
        assert sandbox.clock.now() == datetime.fromisoformat(clock["now"])
        status, _ = await page.post("/api/clock", {"step": "deadline"})
        assert status == 409  # due today is no deadline ahead


async def test_reset_starts_over_with_only_the_seeded_staff(tmp_path: Path) -> None:
    async with (
        running_sandbox(tmp_path) as sandbox,
        aiohttp.ClientSession(base_url=sandbox.url) as session,
    ):
        page = PageClient(session)
        seeded = await staff_ids(sandbox)
        customer = await page.add_customer()
        await page.say(customer, "/start")
        await page.wait_for_bot(customer, lambda ms: len(ms) >= 2)
        await page.post("/api/clock", {"step": "workday"})
        old_emulator = sandbox.emulator
        _, before = await page.get("/api/personas")

        status, after = await page.post("/api/reset")

        assert status == 200 and after["generation"] == before["generation"] + 1
        assert [p["role"] for p in after["personas"]] == [
            "customer_manager",
            "project_manager",
            "supervisor",
            "admin",
        ]
        assert (await page.get(f"/api/chats/{customer}"))[0] == 404
        assert await staff_ids(sandbox) == seeded
        assert sandbox.emulator is not old_emulator
        _, clock = await page.get("/api/clock")
        assert (clock["time"], clock["offset_seconds"]) == ("10:00", 0)
        assert not sandbox.panel.offset_file.exists()
        assert await page.add_customer() == customer  # numbering starts over too
