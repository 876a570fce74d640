"""When a handler fails, the user is told, also after a button press the handler already
answered; and "what you entered is saved" is said only when it is true."""

from __future__ import annotations

import json

from process.roles import Role
from sandbox.emulator import BotApiEmulator
from tests.e2e.apply_walk import submit_application
from tests.e2e.customer import ANSWERS, Customer
from tests.e2e.harness import BotRunner, shanghai
from tests.e2e.staffing import enrol
from tests.e2e.survey_walk import customer_with_chat, energized, run_sweep

ERROR = "抱歉，刚才出了点问题，这一步没有完成。"
DRAFT_KEPT = "您之前在申请表中填写的内容都已保存。"
SEND_SITE_PROOF = "📎 补交：用电地址产权证明或租赁合同"


async def refuse(bot: BotRunner, when: str, table: str) -> None:
    """Make the bot's database refuse ``when`` (e.g. ``INSERT``) on ``table``, behind its
    back, as a full disk would."""
    if bot.dialect == "postgresql":
        await bot.write(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'the disk refused'; END $$"
        )
        await bot.write(
            f"CREATE TRIGGER refuse BEFORE {when} ON {table} FOR EACH ROW EXECUTE FUNCTION refuse()"
        )
        return
    await bot.write(
        f"CREATE TRIGGER refuse BEFORE {when} ON {table} "
        "BEGIN SELECT RAISE(ABORT, 'the disk refused'); END"
    )


async def allow(bot: BotRunner, table: str) -> None:
    if bot.dialect == "postgresql":
        await bot.write(f"DROP TRIGGER refuse ON {table}")
        await bot.write("DROP FUNCTION refuse()")
        return
    await bot.write("DROP TRIGGER refuse")


async def test_a_failure_after_the_press_was_answered_still_reaches_the_customer(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    alice = Customer(emulator, emulator.user(1001, first_name="张伟"))
    number = await submit_application(alice)
    status = await alice.say(f"/status {number}")
    await alice.press(status, SEND_SITE_PROOF)
    received = await alice.upload_pdf("lease.pdf")
    # The files cannot be stored: the handler answers the press, then its transaction fails.
    await refuse(bot, "INSERT", "documents")

    press = await alice.user.press(received, "✅ 文件已发完")
    told = await alice.settle()

    assert told.text == ERROR + "请稍后再试一次。"  # no word of anything saved
    assert [a.query_id for a in alice.user.callback_answers].count(press.query_id) == 1
    [owed] = await bot.query("SELECT resolved_at FROM owed_items")
    assert owed["resolved_at"] is None
    assert await bot.query("SELECT 1 FROM documents WHERE kind = 'site_proof'") == []

    # Nothing was lost on the way: once the database takes writes again, it goes through.
    await allow(bot, "documents")
    again = await alice.press(received, "✅ 文件已发完")
    assert "已收到补交的“用电地址产权证明或租赁合同”" in (again.text or "")
    assert await bot.query("SELECT 1 FROM documents WHERE kind = 'site_proof'")


async def test_a_failure_in_the_form_says_the_answers_so_far_are_kept_and_they_are(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    alice = Customer(emulator, emulator.user(1001, first_name="张伟"))
    await alice.say("/apply")
    await alice.fill_fields(until="project_name")
    await refuse(bot, "UPDATE", "drafts")

    told = await alice.say(ANSWERS["project_name"])

    assert told.text == ERROR + DRAFT_KEPT + "请稍后再试一次。"
    await allow(bot, "drafts")
    asked = await alice.say(ANSWERS["project_name"])
    assert "用电地址" in (asked.text or "")
    [draft] = await bot.query("SELECT fields FROM drafts")
    fields = json.loads(draft["fields"])
    for field in ("applicant_name", "uscc", "project_name"):
        assert fields[field] == ANSWERS[field]


async def test_a_failure_before_the_press_was_answered_answers_it_and_tells_the_customer(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    await enrol(emulator, bot, 2001, Role.CUSTOMER_MANAGER, "王经理")
    alice = await customer_with_chat(emulator, 1001, "张伟")
    await energized(bot, alice, manager_id=2001)
    assert await run_sweep(bot, shanghai(2026, 11, 30, 10, 0)) == 1
    invitation = await alice.user.wait_for(lambda m: "满意度调查" in (m.text or ""))
    # The score cannot be saved: the handler fails before it answers the press.
    await refuse(bot, "UPDATE", "survey_responses")

    press = await alice.user.press(invitation, "4")
    told = await alice.settle()

    assert told.text == ERROR + "请稍后再试一次。"
    answers = [a for a in alice.user.callback_answers if a.query_id == press.query_id]
    assert [(a.text, a.show_alert) for a in answers] == [(None, False)]  # the spinner stops
    [row] = await bot.query("SELECT overall FROM survey_responses")
    assert row["overall"] is None
