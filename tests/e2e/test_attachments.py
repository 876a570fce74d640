"""Files the bot passes on arrive as Telegram takes them: a supply plan sent as a photo goes
to the customer as a photo, and a relayed caption longer than Telegram allows on a file
follows the file as a message of its own."""

from __future__ import annotations

from process.roles import Role
from sandbox.emulator import BotApiEmulator
from tests.e2e.apply_walk import submit_application
from tests.e2e.customer import PNG, Customer
from tests.e2e.harness import BotRunner
from tests.e2e.staffing import enrol
from tests.e2e.test_five_stages import act


async def test_a_supply_plan_sent_as_a_photo_reaches_the_customer_as_a_photo(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    manager = await enrol(emulator, bot, 2001, Role.CUSTOMER_MANAGER, "王经理")
    alice = Customer(emulator, emulator.user(1001, first_name="张伟"))
    number = await submit_application(alice)
    await manager.user.wait_for(lambda m: number in (m.text or ""))
    await act(manager, number, "受理")
    await act(manager, number, "提出勘查时间")
    await manager.say("2026-11-30 09:00\n2026-12-01 14:30")
    offer = await alice.user.wait_for(lambda m: "选择现场勘查时间" in (m.text or ""))
    await alice.press(offer, "2026-12-01 14:30")
    await act(manager, number, "现场勘查完成")
    await act(manager, number, "答复供电方案")
    received = await manager.upload_photo()  # a phone photo of the signed plan
    await manager.press(received, "✅ 文件已发完")
    await manager.say("计量方式：高供高计\n业务费用：0 元")

    plan = await alice.user.wait_for(lambda m: m.photo is not None)
    assert "供电方案已答复" in (plan.caption or "") and "高供高计" in (plan.caption or "")
    assert "确认供电方案" in plan.buttons
    assert await bot.query("SELECT 1 FROM outbox WHERE status = 'dead'") == []


async def test_a_relayed_caption_too_long_for_a_file_follows_it_as_a_message(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    manager = await enrol(emulator, bot, 2001, Role.CUSTOMER_MANAGER, "王经理")
    alice = Customer(emulator, emulator.user(1001, first_name="张伟"))
    number = await submit_application(alice)
    await manager.user.wait_for(lambda m: number in (m.text or ""))
    await alice.say("/contact")
    caption = "现场配电室照片说明，" * 150  # 1,500 characters, as a Premium user may send
    await alice.user.send_photo(PNG, caption=caption)

    text = await manager.user.wait_for(lambda m: caption.strip() in (m.text or ""))
    photo = manager.user.messages()[-2]
    assert photo.photo is not None and photo.caption is None
    assert number in (text.text or "") and "↩️ 回复" in text.buttons
    assert await bot.query("SELECT 1 FROM outbox WHERE status = 'dead'") == []
