"""An application typed in for a customer (95598, the service hall) is claimed in the chat
through its link, ``/start CODE``: the customer sees its card and sends the documents it
owes; whoever else opens the link is told why nothing happened."""

from __future__ import annotations

from process.roles import Role
from sandbox.emulator import BotApiEmulator
from services.intake import Filed, Intake, take_in
from tests.e2e.customer import Customer
from tests.e2e.harness import BotRunner
from tests.e2e.staffing import enrol
from tests.e2e.survey_walk import svc_of
from tests.e2e.test_owed_documents import said_since, text_of
from tests.services.intake_samples import FORM

LICENCE = "营业执照"


async def _taken_in(bot: BotRunner, key: str = "k-1") -> Filed:
    svc = svc_of(bot)
    filed = await take_in(svc.context, Intake("hotline", key, FORM, bot.clock.now()))
    assert isinstance(filed, Filed)
    return filed


async def test_the_customer_claims_the_application_and_sends_an_owed_document(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    manager = await enrol(emulator, bot, 2001, Role.CUSTOMER_MANAGER, "王经理")
    filed = await _taken_in(bot)
    number = filed.application.number
    await manager.user.wait_for(lambda m: number in (m.text or "") and "新申请" in (m.text or ""))

    alice = Customer(emulator, emulator.user(1001, first_name="张伟", language_code="zh-hans"))
    card = await alice.say(f"/start {filed.claim_code}")
    said = said_since(alice, 0)
    assert any(f"申请 {number} 已关联到本聊天" in t for t in said)
    assert number in text_of(card) and "营业厅或 95598 代客户受理" in text_of(card)
    assert f"📎 补交：{LICENCE}" in card.buttons
    linked = await manager.user.wait_for(lambda m: "已通过链接关联 Telegram" in (m.text or ""))
    assert number in text_of(linked)
    # Linked: /status lists it as the customer's own.
    assert number in text_of(await alice.say("/status"))

    card = await alice.say(f"/status {number}")
    asked = await alice.press(card, f"📎 补交：{LICENCE}")
    assert f"补交：{LICENCE}" in text_of(asked)
    received = await alice.upload_pdf("licence.pdf")
    assert "已收到 1 个文件" in text_of(received)
    done = await alice.press(received, "✅ 文件已发完")
    assert f"已收到补交的“{LICENCE}”" in text_of(done)
    told = await manager.user.wait_for(lambda m: "客户补交了" in (m.text or ""))
    assert number in text_of(told) and LICENCE in text_of(told)

    # The link works once: someone else is told it was used; Alice sees her card again.
    bob = Customer(emulator, emulator.user(1002, first_name="李强", language_code="zh-hans"))
    assert "已被另一个 Telegram 账号使用" in text_of(await bob.say(f"/start {filed.claim_code}"))
    again = await alice.say(f"/start {filed.claim_code}")
    assert number in text_of(again)
    assert any("您已在本聊天中跟进申请" in t for t in said_since(alice, len(said)))


async def test_staff_and_a_bad_code_are_answered_and_plain_start_is_unchanged(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    manager = await enrol(emulator, bot, 2001, Role.CUSTOMER_MANAGER, "王经理")
    filed = await _taken_in(bot)
    number = filed.application.number
    await manager.user.wait_for(lambda m: number in (m.text or "") and "新申请" in (m.text or ""))
    await emulator.wait_idle(quiet=0.2, timeout=60)
    manager.user.mark()
    answer = await manager.say(f"/start {filed.claim_code}")
    assert "此链接是发给客户的" in text_of(answer)
    bob = Customer(emulator, emulator.user(1002, first_name="李强", language_code="zh-hans"))
    assert "此链接无效" in text_of(await bob.say("/start not-a-real-code"))
    # The code was not spent by the manager; plain /start still welcomes and asks the phone.
    welcome = await bob.say("/start")
    assert "手机号" in text_of(welcome) or any("手机号" in t for t in said_since(bob, 0))
    rows = await bot.query("SELECT claimed_at FROM claim_codes")
    assert [r["claimed_at"] for r in rows] == [None]
