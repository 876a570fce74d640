"""SIGKILL at random moments while customers fill in their applications and staff work.

The bot runs as a real process (``python -m bot.cli.main run``) against the emulator in this
process; each round it is killed without warning, the database file is checked with the bot
down, and it is started again. After every restart: each application a customer was told
about exists, each answer the bot accepted is still there, and the customers carry on
where they were. At the end the outbox has delivered everything, and no message went out
twice beyond the README's window (one message in flight per crash).

``make test`` runs a short form (3 rounds); ``HVCONNECT_LONG_TESTS=1`` runs 20 rounds with
more customers.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
from collections import Counter
from pathlib import Path

from sandbox.emulator import BotApiEmulator
from sandbox.limits import RateLimits
from storage.db import Database
from tests.e2e.harness import shanghai
from tests.keys import TEST_SECRET_KEY, make_test_cipher
from tests.reliability.crash_rig import (
    BotProcess,
    FormFiller,
    bot_environment,
    describe,
    invite_manager,
    keep_filling,
)

LONG = os.environ.get("HVCONNECT_LONG_TESTS") == "1"
ROUNDS = 20 if LONG else 3
CUSTOMERS = 6 if LONG else 3
MANAGER = 2001
TEXT_FIELDS = ("applicant_name", "project_name", "site_address", "contact_name")


# The rounds are played on a fixed Friday morning. The bot process runs on the same clock
# through HVCONNECT_CLOCK_OFFSET, so the invite made here is as fresh for it as for the test.
START = shanghai(2026, 11, 27, 10, 0)


async def _check_what_survived(db_path: Path, fillers: list[FormFiller]) -> None:
    """With the bot down, read the file as it was left."""
    db = await Database.open(db_path, cipher=make_test_cipher())
    try:
        rows = await db.fetchone("PRAGMA integrity_check")
        assert rows is not None and rows[0] == "ok"
        for filler in fillers:
            customer = filler.user.id
            apps = await db.fetchall(
                f"SELECT number, {', '.join(TEXT_FIELDS)} FROM applications WHERE customer_id = ?",
                (customer,),
            )
            assert len(apps) <= 1, f"customer {customer} has {len(apps)} applications"
            for number in filler.numbers:
                assert [a["number"] for a in apps] == [number], (customer, number)
            if apps:
                for name in TEXT_FIELDS:
                    assert apps[0][name] == filler.answers[name]
                continue
            draft = await db.fetchone("SELECT fields FROM drafts WHERE user_id = ?", (customer,))
            fields = json.loads(draft["fields"]) if draft else {}
            missing = [name for name in filler.accepted if name not in fields]
            assert missing == [], f"customer {customer} lost accepted answers {missing}"
            for name in TEXT_FIELDS:
                if name in filler.accepted:
                    assert fields[name] == filler.answers[name]
    finally:
        await db.close()


async def _outbox_left(db_path: Path) -> int:
    db = await Database.open(db_path, cipher=make_test_cipher())
    try:
        row = await db.fetchone("SELECT COUNT(*) AS n FROM outbox WHERE status != 'sent'")
        return int(row["n"]) if row else 0
    finally:
        await db.close()


async def _duplicates(db_path: Path, emulator: BotApiEmulator) -> int:
    """Outbox messages a chat received more often than the outbox holds them."""
    db = await Database.open(db_path, cipher=make_test_cipher())
    try:
        rows = await db.fetchall(
            "SELECT chat_id, text FROM outbox WHERE document_file_id IS NULL "
            "AND photo_file_id IS NULL"
        )
    finally:
        await db.close()
    expected = Counter((r["chat_id"], r["text"]) for r in rows)
    extra = 0
    for (chat_id, text), n in expected.items():
        got = sum(1 for m in emulator.messages(chat_id) if (m.html or m.text) == text)
        assert got >= n, f"an outbox message never reached chat {chat_id}: {text[:80]!r}"
        extra += got - n
    return extra


async def test_sigkill_at_random_moments_loses_nothing_and_repeats_little(
    tmp_path: Path,
) -> None:
    rng = random.Random(2026)
    db_path = tmp_path / "hv.db"
    code = await invite_manager(db_path, START)
    async with BotApiEmulator(limits=RateLimits(enabled=False)) as emulator:
        env = bot_environment(emulator, db_path, TEST_SECRET_KEY, starting_at=START)
        bot = BotProcess(emulator, env, tmp_path)
        await bot.start()
        try:
            manager = emulator.user(MANAGER, first_name="王经理")
            await manager.send_text(f"/join {code}")
            await manager.wait_for(lambda m: "客户经理" in (m.text or ""), timeout=60)
            fillers = [
                FormFiller(emulator.user(1001 + i, first_name=f"客户{i}")) for i in range(CUSTOMERS)
            ]
            for _ in range(ROUNDS):
                stop = asyncio.Event()
                working = asyncio.create_task(keep_filling(fillers, stop))
                await asyncio.sleep(rng.uniform(0.3, 2.0))
                bot.kill()
                stop.set()
                await working
                await _check_what_survived(db_path, fillers)
                await bot.start()
            # The last start stays up: everyone finishes where they were.
            try:
                await asyncio.wait_for(keep_filling(fillers, asyncio.Event()), timeout=300)
            except TimeoutError:
                raise AssertionError(f"{describe(fillers)}\n{bot.log_tail()}") from None
            assert all(f.done for f in fillers)
            await _check_what_survived(db_path, fillers)
            # The outbox catches up; the ceiling names one that never will, it measures nothing.
            deadline = asyncio.get_running_loop().time() + 120
            while (left := await _outbox_left(db_path)) != 0:
                assert asyncio.get_running_loop().time() < deadline, f"{left} never sent"
                await asyncio.sleep(0.1)
            await emulator.wait_idle(quiet=0.3, timeout=60)
            # Each new application reached the manager; at most one repeat per crash.
            alerts = [m for m in emulator.messages(MANAGER) if "新申请" in (m.text or "")]
            numbers = {n for f in fillers for n in f.numbers}
            assert numbers <= {n for m in alerts for n in numbers if n in (m.text or "")}
            assert await _duplicates(db_path, emulator) <= ROUNDS
        finally:
            if bot.stop() not in (0, None):
                raise AssertionError(bot.log_tail())
