"""Texts that say what the situation is: each produced by the real handler or sweep, read
in the chat as the user reads it."""

from __future__ import annotations

import json
import re
from datetime import date, datetime

from bot.app import services_of
from process.calendar import WorkingCalendar
from process.roles import Role
from process.stages import Stage
from process.workflow import ACTIONS, STEP_STAGE
from sandbox.emulator import BotApiEmulator
from services.workflow_effects import Given, write_effects
from storage.workflow import transition
from tests.e2e.apply_walk import submit_application
from tests.e2e.customer import VALID_USCC, Customer
from tests.e2e.harness import BotRunner, shanghai
from tests.e2e.staffing import enrol
from tests.e2e.survey_walk import customer_with_chat, energized, run_sweep
from tests.e2e.test_five_stages import act, open_card


async def test_a_follow_up_past_the_deadline_says_it_is_overdue_and_asks_for_what_is_owed(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    await enrol(emulator, bot, 2001, Role.CUSTOMER_MANAGER, "王经理")
    alice = Customer(emulator, emulator.user(1001))
    number = await submit_application(alice)  # the site proof is promised for later
    # Acceptance was due on Monday 30 Nov; on Thursday nothing has happened for three
    # working days and the stage is late.
    moment = shanghai(2026, 12, 3, 10, 0)
    bot.clock.set(moment)
    assert bot.app is not None
    svc = services_of(bot.app)
    alice.user.mark()
    await svc.scheduler.run_once(moment)
    svc.sender.wake()
    follow_up = await alice.user.wait_for(lambda m: "办理进度" in (m.text or ""), timeout=30)

    text = follow_up.text or ""
    assert number in text
    assert "本环节应于 2026年11月30日（周一）前完成，现已超期" in text
    assert "预计" not in text
    assert "用电地址产权证明或租赁合同" in text and "请点下方按钮补交" in text
    assert "无需做任何事" not in text
    assert any(b.text.startswith("📎") for b in follow_up.inline_buttons)


async def _walk(bot: BotRunner, number: str, actions: list[tuple[str, int, Given]]) -> None:
    """Take workflow actions as the flows record them, to reach a late step quickly."""
    assert bot.app is not None
    svc = services_of(bot.app)
    for name, actor, given in actions:
        app = await svc.applications.get_by_number(number)
        assert app is not None
        action = ACTIONS[name]
        stage = STEP_STAGE[action.target]
        limit = 0 if stage is Stage.DONE else 3
        now = bot.clock.now()
        async with svc.db.transaction() as conn:
            facts = await write_effects(
                conn, action=name, application=app, given=given, actor_id=actor, now=now
            )
            await transition(
                conn,
                application_id=app.id,
                expected_version=app.version,
                action=name,
                target=action.target,
                actor_id=actor,
                actor_role="customer" if actor < 2000 else "customer_manager",
                now=now,
                next_limit_days=limit,
                data=facts,
            )


async def test_energized_says_the_application_is_energized_once(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    manager = await enrol(emulator, bot, 2001, Role.CUSTOMER_MANAGER, "王经理")
    alice = Customer(emulator, emulator.user(1001))
    number = await submit_application(alice)
    nothing = Given()
    await _walk(
        bot,
        number,
        [
            ("accept", 2001, nothing),
            ("propose_slots", 2001, nothing),
            ("pick_slot", 1001, nothing),
            ("survey_done", 2001, nothing),
            ("send_plan", 2001, nothing),
            ("confirm_plan", 1001, nothing),
            ("submit_design", 1001, nothing),
            ("approve_design", 2001, nothing),
            ("request_inspection", 1001, nothing),
            ("inspection_pass", 2001, nothing),
            ("sign_contract", 1001, nothing),
            ("schedule_energization", 2001, Given(day=date(2026, 11, 30))),
        ],
    )
    bot.clock.set(shanghai(2026, 11, 30, 10, 0))
    done = await act(manager, number, "已送电")
    text = done.text or ""
    assert "已完成：已送电" in text
    assert f"{number} 现在：已送电" in text and "已送电 · 已送电" not in text
    card = await open_card(manager, number)
    assert "已送电" in (card.text or "") and "已送电 · 已送电" not in (card.text or "")


async def test_all_files_sent_before_any_file_names_the_button_on_the_screen(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    manager = await enrol(emulator, bot, 2001, Role.CUSTOMER_MANAGER, "王经理")
    alice = Customer(emulator, emulator.user(1001))
    number = await submit_application(alice)
    await act(manager, number, "退回补正资料")
    await manager.say("缺少法定代表人身份证反面")
    notice = await alice.user.wait_for(lambda m: "需要补正资料" in (m.text or ""))
    prompt = await alice.press(notice, "补交资料")
    press = await alice.user.press(prompt, "✅ 文件已发完")
    answer = await alice.user.callback_answer(press)
    assert answer.text == "请先发送文件，再点“✅ 文件已发完”。"
    assert "下一步" not in (answer.text or "")


async def test_the_english_form_names_districts_in_english_echoes_choices_and_counts_files(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    alice = Customer(emulator, emulator.user(1001, language_code="en"))
    await alice.say("/apply")
    for value in ("Tianhan Machinery Co.", VALID_USCC, "Phase 2 plant", "88 North Ring Road"):
        question = await alice.say(value)
    assert "District" in (question.text or "")
    labels = [b.text for b in question.inline_buttons]
    assert "Hantai District" in labels and not any("区" in t or "县" in t for t in labels)

    await alice.press(question, "Hantai District")
    # The question now says what was chosen, and can no longer be pressed.
    asked = next(m for m in alice.user.messages() if m.message_id == question.message_id)
    assert (asked.text or "").endswith("✓ Chosen: Hantai District") and not asked.inline_buttons
    [draft] = await bot.query("SELECT fields FROM drafts WHERE user_id = 1001")
    assert json.loads(draft["fields"])["district"] == "汉台区"  # the configured name

    for label in ("Large industry", "10 kV"):
        await alice.press(alice.user.last_message(), label)  # type: ignore[arg-type]
    await alice.say("2000")
    for label in ("Single supply", "No", "No"):
        await alice.press(alice.user.last_message(), label)  # type: ignore[arg-type]
    asked = await alice.say("31 March 2027")  # the wanted date, written out
    assert "Contact person" in (asked.text or ""), asked.text
    await alice.say("Zhang Wei")
    prompt = await alice.say("13800138000")
    prompt = await alice.press(await alice.upload_pdf(), "Next ▶")
    prompt = await alice.press(await alice.upload_photo(), "Next ▶")
    prompt = await alice.press(prompt, "Provide later (commitment)")
    summary = await alice.press(await alice.upload_pdf("equipment.pdf"), "Next ▶")
    text = summary.text or ""
    assert "District: Hantai District" in text
    assert "Wanted energization date: 2027-03-31" in text
    assert "Business licence: 1 file\n" in text and "(s)" not in text


async def test_the_credit_code_error_names_the_field_once(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    alice = Customer(emulator, emulator.user(1001))
    await alice.say("/apply")
    await alice.fill_fields(until="uscc")
    await alice.say("9135010")
    error = alice.user.messages()[-2]
    assert error.text == "⚠️ 统一社会信用代码：应为18位，您输入了 7 位。"


async def test_cancel_says_what_was_left_and_what_is_kept(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    alice = Customer(emulator, emulator.user(1001, language_code="en"))
    await alice.say("/apply")
    await alice.say("Tianhan Machinery Co.")
    left = await alice.say("/cancel")
    assert left.text == (
        "You left the application form. Your 1 answer is saved; "
        "send /apply to continue at any time."
    )


def _dates_in(text: str) -> list[str]:
    return re.findall(r"\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2})?", text)


async def test_examples_in_prompts_are_ahead_on_working_days_and_accepted_as_typed(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    manager = await enrol(emulator, bot, 2001, Role.CUSTOMER_MANAGER, "王经理")
    alice = Customer(emulator, emulator.user(1001))
    number = await submit_application(alice)
    # Thursday 17 Dec 2026: past the days the prompts once showed (1 and 2 Dec, and the
    # Sunday 20 Dec the bot refuses for energization).
    bot.clock.set(shanghai(2026, 12, 17, 10, 0))
    calendar = WorkingCalendar()
    today = date(2026, 12, 17)

    bob = Customer(emulator, emulator.user(1002))
    await bob.say("/apply")
    hint = await bob.fill_fields(until="wanted_date")
    [example] = _dates_in(hint.text or "")
    assert date.fromisoformat(example) > today
    asked = await bob.say(example)
    assert "联系人" in (asked.text or "")

    await act(manager, number, "受理")
    prompt = await act(manager, number, "提出勘查时间")
    slots = _dates_in(prompt.text or "")
    assert len(slots) == 2
    for slot in slots:
        moment = datetime.fromisoformat(slot)
        assert moment.date() > today and calendar.is_workday(moment.date())
        assert 8 <= moment.hour < 18
    await manager.say("\n".join(slots))
    offer = await alice.user.wait_for(lambda m: "选择现场勘查时间" in (m.text or ""))
    assert slots[0] in (offer.text or "")

    await alice.press(offer, slots[0])
    picked = next(m for m in alice.user.messages() if m.message_id == offer.message_id)
    assert (picked.text or "").endswith(f"✓ 已选：{slots[0]}") and not picked.inline_buttons
    nothing = Given()
    await _walk(
        bot,
        number,
        [
            ("survey_done", 2001, nothing),
            ("send_plan", 2001, nothing),
            ("confirm_plan", 1001, nothing),
            ("submit_design", 1001, nothing),
            ("approve_design", 2001, nothing),
            ("request_inspection", 1001, nothing),
            ("inspection_pass", 2001, nothing),
            ("sign_contract", 1001, nothing),
        ],
    )
    prompt = await act(manager, number, "安排装表送电")
    [day] = _dates_in(prompt.text or "")
    assert date.fromisoformat(day) > today and calendar.is_workday(date.fromisoformat(day))
    await manager.say(day)
    scheduled = await alice.user.wait_for(
        lambda m: "装表" in (m.text or "") and "送电" in (m.text or "")
    )
    [row] = await bot.query("SELECT step FROM applications WHERE number = ?", (number,))
    assert row["step"] == "energize_day", scheduled.text


async def test_a_survey_score_stays_visible_on_its_question(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    await enrol(emulator, bot, 2001, Role.CUSTOMER_MANAGER, "王经理")
    alice = await customer_with_chat(emulator, 1001, "张伟")
    await energized(bot, alice, manager_id=2001)
    await run_sweep(bot, shanghai(2026, 11, 30, 10, 0))
    invitation = await alice.user.wait_for(lambda m: "满意度调查" in (m.text or ""))
    await alice.press(invitation, "4")
    answered = next(m for m in alice.user.messages() if m.message_id == invitation.message_id)
    assert (answered.text or "").endswith("✓ 已选：4") and not answered.inline_buttons
