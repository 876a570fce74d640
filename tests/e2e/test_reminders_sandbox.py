"""The sandbox's clock panel runs the sweeps when it moves the bot's time, so a trainer sees
the reminders of the new moment at once."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from tests.e2e.apply_walk import submit_application
from tests.e2e.customer import Customer
from tests.e2e.webchat_client import PageClient, running_sandbox


async def test_jumping_to_the_deadline_brings_the_managers_reminder(tmp_path: Path) -> None:
    async with (
        running_sandbox(tmp_path) as sandbox,
        aiohttp.ClientSession(base_url=sandbox.url) as session,
    ):
        page = PageClient(session)
        _, personas = await page.get("/api/personas")
        manager = next(
            p["user_id"] for p in personas["personas"] if p["role"] == "customer_manager"
        )
        customer_id = await page.add_customer()
        persona = sandbox.webchat.persona(customer_id)
        assert persona is not None
        number = await submit_application(
            Customer(sandbox.emulator, sandbox.webchat.fake_user(persona))
        )
        before = len(await page.bot_messages(manager))

        status, clock = await page.post("/api/clock", {"step": "deadline"})  # Monday 10:00

        assert status == 200 and clock["date"] == "2026-11-30"
        messages = await page.wait_for_bot(manager, lambda ms: len(ms) > before)
        assert [m["text"].splitlines()[0] for m in messages[before:]] == [f"⏰ 今天到期 · {number}"]
