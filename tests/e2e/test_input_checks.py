"""What is typed and sent is checked for what it must be, no more: a real company name, a
capacity within its bounds (both included), files that are not empty and are what they
claim to be; while messages people write to each other are relayed as written."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from process.roles import Role
from sandbox.emulator import BotApiEmulator
from sandbox.messages import SentMessage
from tests.e2e.apply_walk import submit_application
from tests.e2e.customer import PDF, Customer
from tests.e2e.harness import BotRunner
from tests.e2e.staffing import enrol

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(200)


def _holding(text: str) -> Callable[[SentMessage], bool]:
    return lambda message: text in (message.text or "")


async def _answers(bot: BotRunner) -> dict[str, object]:
    [row] = await bot.query("SELECT fields FROM drafts WHERE user_id = 1001")
    return dict(json.loads(row["fields"]))


@pytest.mark.parametrize("typed", ["1234567", "公", "……"])
async def test_a_company_name_must_be_a_name(
    emulator: BotApiEmulator, bot: BotRunner, typed: str
) -> None:
    alice = Customer(emulator, emulator.user(1001))
    await alice.say("/apply")
    await alice.say(typed)
    error, again = [m.text or "" for m in alice.user.messages()[-2:]]
    assert error.startswith("⚠️") and "真实的名称" in error and "至少 2 个字" in error, error
    assert "申请单位" in again
    assert "applicant_name" not in await _answers(bot)


@pytest.mark.parametrize("typed", ["50", "50 kVA", "2000000"])
async def test_the_capacity_bounds_are_accepted(
    emulator: BotApiEmulator, bot: BotRunner, typed: str
) -> None:
    alice = Customer(emulator, emulator.user(1001))
    await alice.say("/apply")
    await alice.fill_fields(until="capacity_kva")
    reply = await alice.say(typed)
    assert "之间" not in (reply.text or "") and "供电方式" in (reply.text or "")
    assert (await _answers(bot))["capacity_kva"] == int(typed.split()[0])


async def test_an_empty_or_disguised_document_is_refused(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    alice = Customer(emulator, emulator.user(1001))
    await alice.say("/apply")
    await alice.fill_fields()
    await alice.user.send_document("营业执照.pdf", b"", "application/pdf")
    empty = await alice.settle()
    assert "空的" in (empty.text or ""), empty.text
    await alice.user.send_document("virus.exe", EXE, "application/pdf")
    disguised = await alice.settle()
    assert "不符" in (disguised.text or ""), disguised.text
    await alice.user.send_document("licence.pdf", EXE, "application/octet-stream")
    renamed = await alice.settle()
    assert "不符" in (renamed.text or ""), renamed.text
    assert await bot.query("SELECT file_name FROM draft_documents") == []
    received = await alice.upload_pdf("营业执照.pdf")
    assert "已收到" in (received.text or "")
    assert len(await bot.query("SELECT file_name FROM draft_documents")) == 1


async def test_relayed_messages_arrive_as_written(emulator: BotApiEmulator, bot: BotRunner) -> None:
    manager = await enrol(emulator, bot, 2001, Role.CUSTOMER_MANAGER, "王经理")
    alice = Customer(emulator, emulator.user(1001, first_name="张伟"))
    number = await submit_application(alice)
    written = [
        "价格<5万",
        "好的，谢谢 👍🙏",
        "مرحبا، السعر ٥٠ ألف",
        "方案见 https://example.com/plan?a=1&b=2",
        "a = b, $100 & <b>5%</b>",
    ]
    for text in written:
        await alice.say("/contact")
        sent = await alice.say(text)
        assert "⚠️" not in (sent.text or ""), (text, sent.text)
        relayed = await manager.user.wait_for(_holding(text))
        assert number in (relayed.text or "")
    # A link keeps its query string whole, and the manager's answer comes back as written.
    last = manager.user.last_message()
    assert last is not None
    await manager.press(last, "↩️ 回复")
    await manager.say("已收到 ✅ 报价 ≤ 5万，详见 https://example.com/q?x=1&y=2")
    back = await alice.user.wait_for(lambda m: "已收到 ✅" in (m.text or ""))
    assert "报价 ≤ 5万，详见 https://example.com/q?x=1&y=2" in (back.text or "")
    card = await manager.say(f"/app {number}")
    for text in written[-4:]:  # the card shows the thread's last five messages
        assert text in (card.text or ""), text
    stored = [r["text"] for r in await bot.query("SELECT text FROM thread_messages ORDER BY id")]
    assert stored[: len(written)] == written


async def test_a_control_character_is_refused_and_named(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    await enrol(emulator, bot, 2001, Role.CUSTOMER_MANAGER, "王经理")
    alice = Customer(emulator, emulator.user(1001, first_name="张伟"))
    await submit_application(alice)
    await alice.say("/contact")
    refused = await alice.say("响铃\x07了")
    assert "U+0007" in (refused.text or "") and "第 3 个字符" in (refused.text or "")
    assert "表情" not in (refused.text or "")
    assert await bot.query("SELECT id FROM thread_messages") == []
    await alice.user.send_document("报价.pdf", EXE, "application/pdf")
    disguised = await alice.settle()
    assert "不符" in (disguised.text or "")
    await alice.user.send_document("报价.pdf", PDF, "application/pdf")
    sent = await alice.settle()
    assert "⚠️" not in (sent.text or "")
    assert len(await bot.query("SELECT id FROM thread_messages")) == 1


async def test_a_staff_note_reaches_the_customer_as_written(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    manager = await enrol(emulator, bot, 2001, Role.CUSTOMER_MANAGER, "王经理")
    alice = Customer(emulator, emulator.user(1001, first_name="张伟"))
    number = await submit_application(alice)
    card = await manager.say(f"/app {number}")
    await manager.press(card, "退回补正资料")
    refused = await manager.say("缺少\x1b身份证")
    assert "U+001B" in (refused.text or "") and "第 3 个字符" in (refused.text or "")
    note = "缺少身份证反面 ⚠️ 容量<5万 kVA 时见 https://example.com/guide?a=1&b=2"
    await manager.say(note)
    notice = await alice.user.wait_for(lambda m: "需要补正资料" in (m.text or ""))
    assert note in (notice.text or "")
    # Notes are kept once, sealed, in their own table (they can be erased on request).
    [event] = await bot.query(
        "SELECT n.note FROM events e JOIN notes n ON n.id = e.note_id "
        "WHERE e.kind = 'return_missing'"
    )
    assert event["note"] == note
