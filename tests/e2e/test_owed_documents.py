"""A document promised under the commitment rule (告知承诺) is sent after submission: through
the card's "📎 补交" button, as a customer does, with the manager told and the promise kept;
and a send left half-way never holds the chat hostage."""

from __future__ import annotations

from process.roles import Role
from sandbox.emulator import BotApiEmulator
from sandbox.messages import SentMessage
from storage.workflow import add_owed
from tests.e2e.apply_walk import submit_application
from tests.e2e.customer import Customer
from tests.e2e.harness import BotRunner, shanghai
from tests.e2e.staffing import enrol
from tests.e2e.survey_walk import customer_with_chat, energized, run_sweep, svc_of
from tests.e2e.test_five_stages import act, open_card

SITE_PROOF = "用电地址产权证明或租赁合同"
SEND_SITE_PROOF = f"📎 补交：{SITE_PROOF}"
NOT_SAVED = ("出了点问题", "请发送文字、照片或文件")


def text_of(message: SentMessage | None) -> str:
    assert message is not None
    return message.text or ""


def said_since(person: Customer, count: int) -> list[str]:
    return [m.text or "" for m in person.user.messages()[count:]]


async def test_a_promised_document_is_sent_after_acceptance_and_the_manager_is_told(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    manager = await enrol(emulator, bot, 2001, Role.CUSTOMER_MANAGER, "王经理")
    alice = Customer(emulator, emulator.user(1001, first_name="张伟"))
    number = await submit_application(alice)  # the site proof is promised for later
    await manager.user.wait_for(lambda m: number in (m.text or "") and "新申请" in (m.text or ""))
    assert f"补交{SITE_PROOF}" in text_of(await open_card(manager, number))
    await act(manager, number, "受理")
    await alice.user.wait_for(lambda m: "已受理" in (m.text or ""))

    status = await alice.say(f"/status {number}")
    asked = await alice.press(status, SEND_SITE_PROOF)
    assert f"补交：{SITE_PROOF}" in text_of(asked) and number in text_of(asked)
    received = await alice.upload_pdf("lease.pdf")
    assert "已收到 1 个文件" in text_of(received)
    before = len(alice.user.messages())
    done = await alice.press(received, "✅ 文件已发完")

    assert f"已收到补交的“{SITE_PROOF}”" in text_of(done) and "客户经理会收到通知" in text_of(done)
    assert not any(bad in text for text in said_since(alice, before) for bad in NOT_SAVED)
    told = await manager.user.wait_for(lambda m: "客户补交了" in (m.text or ""))
    assert number in text_of(told) and SITE_PROOF in text_of(told) and "1 个文件" in text_of(told)
    assert f"补交{SITE_PROOF}" not in text_of(await open_card(manager, number))
    [owed] = await bot.query(
        "SELECT resolved_at FROM owed_items WHERE kind = 'document:site_proof'"
    )
    assert owed["resolved_at"] is not None
    [doc] = await bot.query("SELECT file_name FROM documents WHERE kind = 'site_proof'")
    assert doc["file_name"] == "lease.pdf"
    assert await bot.query("SELECT 1 FROM events WHERE kind = 'owed_document_supplied'")

    # The conversation is over: a command and free text get their own answers.
    assert number in text_of(await alice.say("/status"))
    before = len(alice.user.messages())
    await alice.say("谢谢，资料都齐了")
    assert not any(bad in text for text in said_since(alice, before) for bad in NOT_SAVED)
    assert not any("照片或 PDF" in text for text in said_since(alice, before))


async def test_a_send_left_half_way_does_not_catch_the_survey_comment_days_later(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    await enrol(emulator, bot, 2001, Role.CUSTOMER_MANAGER, "王经理")
    alice = await customer_with_chat(emulator, 1001, "张伟")
    app = await energized(bot, alice, manager_id=2001)  # Friday 27 Nov 2026, 10:00
    svc = svc_of(bot)
    async with svc.db.transaction() as conn:
        await add_owed(conn, app.id, "document:site_proof", None, bot.clock.now())

    status = await alice.say(f"/status {app.number}")
    await alice.press(status, SEND_SITE_PROOF)
    assert "已收到 1 个文件" in text_of(await alice.upload_pdf("lease.pdf"))
    # Text while the files are awaited says what is awaited.
    waiting = await alice.say("稍等，另一页还在打印")
    assert f"请发送“{SITE_PROOF}”的照片或 PDF 文件" in text_of(waiting)
    assert waiting.buttons == ["✅ 文件已发完"]

    # The customer never pressed "all files sent"; the survey comes on Monday.
    assert await run_sweep(bot, shanghai(2026, 11, 30, 10, 0)) == 1
    invitation = await alice.user.wait_for(lambda m: "满意度调查" in (m.text or ""))
    before = len(alice.user.messages())
    speed = await alice.press(invitation, "4")
    assert "2/6" in text_of(speed)
    interrupted = said_since(alice, before)
    assert any(f"补交“{SITE_PROOF}”已中断" in t and "1 个文件没有提交" in t for t in interrupted)
    service = await alice.press(speed, "3")
    informed = await alice.press(service, "5")
    recommend = await alice.press(informed, "4")
    comment = await alice.press(recommend, "9")
    assert "6/6" in text_of(comment)

    thanks = await alice.say("客户经理很负责")
    assert "感谢您的评价" in text_of(thanks)
    [row] = await bot.query(
        "SELECT comment FROM survey_responses WHERE application_id = ?", (app.id,)
    )
    assert row["comment"] == "客户经理很负责"
    # The files were not handed in, and the promise is still open.
    assert await bot.query("SELECT 1 FROM documents WHERE kind = 'site_proof'") == []
    assert await bot.query("SELECT 1 FROM pending_inputs") == []
    [owed] = await bot.query("SELECT resolved_at FROM owed_items")
    assert owed["resolved_at"] is None


async def test_help_is_answered_while_a_promised_document_is_awaited(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    """Pressing "send the promised document" opens a conversation for files; a command typed
    then is answered, not taken for a file that never came."""
    manager = await enrol(emulator, bot, 2001, Role.CUSTOMER_MANAGER, "王经理")
    alice = Customer(emulator, emulator.user(1001, first_name="张伟"))
    number = await submit_application(alice)
    await manager.user.wait_for(lambda m: number in (m.text or "") and "新申请" in (m.text or ""))

    status = await alice.say(f"/status {number}")
    asked = await alice.press(status, SEND_SITE_PROOF)
    assert f"补交：{SITE_PROOF}" in text_of(asked)
    helped = await alice.say("/help")
    assert "您可以" in text_of(helped)
    # The promise still stands and can be kept afterwards.
    card = await alice.say(f"/status {number}")
    assert card is not None and SEND_SITE_PROOF in [b.text for b in card.inline_buttons]
