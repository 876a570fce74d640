"""A member of staff who may answer the customer may also write first, from the
application's card: the relay's own conversation (a text, a file, /cancel), and the
customer answers under it. Anyone else neither sees the button nor gets anywhere by
forging its press."""

from __future__ import annotations

from bot.app import services_of
from flows.relay import WritePress
from process.roles import Role
from sandbox.emulator import BotApiEmulator
from tests.e2e.apply_walk import submit_application
from tests.e2e.customer import Customer
from tests.e2e.harness import BotRunner
from tests.e2e.staffing import enrol
from tests.storage_steps import disable_in

WRITE = "✉️ 联系客户"


async def _application_id(bot: BotRunner) -> int:
    [row] = await bot.query("SELECT id FROM applications")
    return int(row["id"])


async def test_the_manager_writes_first_from_the_card_and_the_customer_answers(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    manager = await enrol(emulator, bot, 2001, Role.CUSTOMER_MANAGER, "王经理")
    alice = Customer(emulator, emulator.user(1001, first_name="张伟"))
    number = await submit_application(alice)

    card = await manager.say(f"/app {number}")
    assert WRITE in card.buttons
    # /cancel gives up, and nothing reaches the customer.
    asked = await manager.press(card, WRITE)
    assert number in (asked.text or "") and "/cancel" in (asked.text or "")
    assert "尚未打开" not in (asked.text or "")
    await manager.say("/cancel")
    assert await bot.query("SELECT id FROM thread_messages") == []

    await manager.press(card, WRITE)
    sent = await manager.say("请补充一份近期的用电负荷说明")
    assert "已发送给客户" in (sent.text or "")
    written = await alice.user.wait_for(lambda m: "用电负荷说明" in (m.text or ""))
    assert number in (written.text or "") and "王经理" in (written.text or "")
    assert "↩️ 回复" in written.buttons

    # A file goes the same way, from the same button.
    await manager.press(card, WRITE)
    await manager.upload_pdf("load-form.pdf", caption="负荷说明模板")
    await alice.user.wait_for(lambda m: m.document is not None)

    # The customer answers under the message; the manager reads it with a reply button.
    await alice.press(written, "↩️ 回复")
    await alice.say("好的，本周内补交")
    answer = await manager.user.wait_for(lambda m: "本周内补交" in (m.text or ""))
    assert number in (answer.text or "") and "↩️ 回复" in answer.buttons
    kinds = [r["kind"] for r in await bot.query("SELECT kind FROM events ORDER BY id")]
    assert kinds.count("message_to_customer") == 2 and "message_from_customer" in kinds


async def test_a_member_who_may_not_write_has_no_button_and_a_forged_press_is_stale(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    manager = await enrol(emulator, bot, 2001, Role.CUSTOMER_MANAGER, "王经理")
    other = await enrol(emulator, bot, 2004, Role.CUSTOMER_MANAGER, "李经理", "南郑区")
    alice = Customer(emulator, emulator.user(1001, first_name="张伟"))
    number = await submit_application(alice)
    forged = WritePress(await _application_id(bot)).encode()

    # Another district's manager has no card of it, so no button, and a forged press reads
    # as out of date; so does the customer's.
    reply = await other.say(f"/app {number}")
    assert "没有找到" in (reply.text or "") and WRITE not in reply.buttons
    for person in (other, alice):
        last = person.user.last_message()
        assert last is not None
        answer = await person.press_stale(last.message_id, forged)
        assert answer.show_alert and "已失效" in (answer.text or "")

    # The manager saw the button, then lost the application: the button is out of date.
    card = await manager.say(f"/app {number}")
    assert WRITE in card.buttons
    assert bot.app is not None
    await disable_in(services_of(bot.app).db, 2001, bot.clock.now())
    answer = await manager.press_stale(card.message_id, forged)
    assert answer.show_alert and "已失效" in (answer.text or "")
    # Nothing was asked for, kept or sent.
    assert await bot.query("SELECT action FROM pending_inputs") == []
    assert await bot.query("SELECT id FROM thread_messages") == []
