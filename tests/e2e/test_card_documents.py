"""Staff read an application's documents from its card: every file comes, a photo as a
photo and a file as a file, and a file that cannot be sent is named, never left out quietly."""

from __future__ import annotations

from process.roles import Role
from sandbox.emulator import BotApiEmulator
from sandbox.messages import SentMessage
from tests.e2e.apply_walk import submit_application
from tests.e2e.customer import Customer
from tests.e2e.harness import BotRunner
from tests.e2e.staffing import enrol
from tests.e2e.test_five_stages import open_card

DOCUMENTS = "📎 查看资料"
LICENCE, EQUIPMENT = "营业执照", "用电设备清单"
IDENTITY = "法定代表人或经办人身份证明（经办人另附授权委托书）"


async def press_documents(manager: Customer, number: str) -> list[SentMessage]:
    """Press the card's documents button; the bot's messages that follow."""
    card = await open_card(manager, number)
    before = len(manager.user.messages())
    await manager.press(card, DOCUMENTS)
    return manager.user.messages()[before:]


async def test_documents_come_as_sent_a_photo_between_two_pdfs_too(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    manager = await enrol(emulator, bot, 2001, Role.CUSTOMER_MANAGER, "王经理")
    alice = Customer(emulator, emulator.user(1001, first_name="张伟"))
    # The licence as a PDF, the identity as a photo, the equipment list as a PDF.
    number = await submit_application(alice)
    await manager.user.wait_for(lambda m: number in (m.text or ""))

    sent = await press_documents(manager, number)

    assert [(m.document is not None, m.photo is not None) for m in sent] == [
        (True, False),
        (False, True),
        (True, False),
    ]
    assert [m.document["file_name"] for m in sent if m.document] == [
        "licence.pdf",
        "equipment.pdf",
    ]
    for message, label in zip(sent, (LICENCE, IDENTITY, EQUIPMENT), strict=True):
        assert message.caption == f"{number} · {label}"
    rows = await bot.query("SELECT kind, sent_as FROM documents ORDER BY id")
    assert [(r["kind"], r["sent_as"]) for r in rows] == [
        ("business_licence", "document"),
        ("identity", "photo"),
        ("equipment_list", "document"),
    ]


async def test_a_file_that_cannot_be_sent_is_named_and_the_others_still_come(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    manager = await enrol(emulator, bot, 2001, Role.CUSTOMER_MANAGER, "王经理")
    alice = Customer(emulator, emulator.user(1001, first_name="张伟"))
    number = await submit_application(alice)
    await manager.user.wait_for(lambda m: number in (m.text or ""))
    # A file id Telegram no longer knows (one from another bot, say).
    await bot.write("UPDATE documents SET file_id = 'AgACAgUAAxkBAAIgone' WHERE kind = 'identity'")

    sent = await press_documents(manager, number)

    assert [m.caption for m in sent if m.document] == [
        f"{number} · {LICENCE}",
        f"{number} · {EQUIPMENT}",
    ]
    assert sent[-1].text == f"⚠️ {number}：3 个文件中有 1 个没能发出：{IDENTITY}。" + (
        f"请稍后再点“{DOCUMENTS}”；仍然不行请告诉管理员。"
    )
