from __future__ import annotations

from sandbox.emulator import BotApiEmulator
from tests.e2e.customer import Customer
from tests.e2e.harness import BotRunner


async def test_start_welcomes_and_asks_for_phone(emulator: BotApiEmulator, bot: BotRunner) -> None:
    alice = Customer(emulator, emulator.user(1001, first_name="张伟"))
    last = await alice.say("/start")
    texts = [m.text or "" for m in alice.user.messages()]
    assert "高压用电报装服务" in texts[0]
    assert "张伟" in texts[0]
    assert "分享您的手机号" in (last.text or "")
