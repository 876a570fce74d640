"""Found by the crawl: a message that a flow waited for, after its input was given up.

The workflow, the message to the manager and the promised documents keep one pending input
per user. Pressing a card's button for one flow while another waits for a message used to
leave that other conversation holding the user's next message with nothing to do with it:
the text was swallowed without a word, or the handler failed on the other flow's input.
"""

from __future__ import annotations

from process.roles import Role
from sandbox.emulator import BotApiEmulator
from tests.crawl.probe import HandledUpdates
from tests.crawl.world import World, advance, along, drain
from tests.e2e.customer import Customer
from tests.e2e.harness import BotRunner
from tests.e2e.staffing import enrol
from tests.e2e.survey_walk import customer_with_chat, submitted

CONTACT = "✉️ 联系客户经理"
UNKNOWN = "没有看懂这条消息"


async def _customer_at(
    emulator: BotApiEmulator, bot: BotRunner, handled: HandledUpdates, last_action: str
) -> tuple[Customer, str]:
    await enrol(emulator, bot, 2001, Role.CUSTOMER_MANAGER, "王经理")
    alice = await customer_with_chat(emulator, 1001, "张伟")
    world = World(emulator, bot, handled)
    app = await submitted(bot, alice, manager_id=2001)
    app = await advance(world, app, along(last_action))
    await drain(world)
    alice.user.mark()
    return alice, app.number


async def test_text_after_contact_was_overtaken_by_an_action_is_answered(
    emulator: BotApiEmulator, bot: BotRunner, handled: HandledUpdates
) -> None:
    alice, number = await _customer_at(emulator, bot, handled, "approve_design")
    card = await alice.say(f"/status {number}")
    compose = await alice.press(card, CONTACT)
    assert "王经理" in (compose.text or "")
    done = await alice.press(card, "申请竣工检验")  # changed their mind: asks instead
    assert "已完成：申请竣工检验" in (done.text or "")

    answer = await alice.say("请问什么时候来检验？")
    assert UNKNOWN in (answer.text or "")
    # Nothing reached the manager, and the next message is no longer taken for one.
    assert not await bot.query("SELECT * FROM events WHERE kind = 'message_from_customer'")
    assert "您可以" in ((await alice.say("/help")).text or "")


async def test_text_for_a_workflow_input_overtaken_by_contact_is_answered(
    emulator: BotApiEmulator, bot: BotRunner, handled: HandledUpdates
) -> None:
    alice, number = await _customer_at(emulator, bot, handled, "propose_slots")
    card = await alice.say(f"/status {number}")
    asked = await alice.press(card, "这些时间都不行")
    assert asked.text
    compose = await alice.press(card, CONTACT)
    assert "王经理" in (compose.text or "")

    answer = await alice.say("下周三下午可以吗？")
    assert "出错了" not in (answer.text or "") and UNKNOWN in (answer.text or "")
    [app] = await bot.query("SELECT step FROM applications")
    assert app["step"] == "survey_pick"  # the other times were not asked for by this text
    # The message to the manager is still being written: the next text goes to them.
    sent = await alice.say("下周三下午可以吗？")
    assert "王经理" in (sent.text or "") or "已发送" in (sent.text or ""), sent.text
    assert await bot.query("SELECT * FROM events WHERE kind = 'message_from_customer'")
