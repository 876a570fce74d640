"""A button acts on what its message showed, or says that the message is out of date.

Customers scroll back and press buttons on old messages: a summary from before an edit, a
file step from before it was cleared, a language choice from before /lang. Each is walked
here through the real bot and the emulator.
"""

from __future__ import annotations

import json

from sandbox.emulator import BotApiEmulator
from tests.e2e.customer import Customer
from tests.e2e.harness import BotRunner
from tests.e2e.test_apply_flow import walk_documents


async def test_submit_on_an_older_summary_submits_nothing_and_shows_the_current_one(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    alice = Customer(emulator, emulator.user(1001))
    await alice.say("/apply")
    await alice.fill_fields(overrides={"capacity_kva": "3150"})
    await walk_documents(alice)
    older = alice.user.last_message()
    assert older is not None and "3150" in (older.text or "")

    # The capacity is changed from this summary; the later summary shows 4000.
    await alice.press(older, "改：申请容量（kVA）")
    later = await alice.say("4000")
    assert "4000" in (later.text or "")

    current = await alice.press(older, "✅ 提交申请")
    answer = alice.user.callback_answers[-1]
    assert (
        answer.show_alert and "已过期" in (answer.text or "") and "没有提交" in (answer.text or "")
    )
    assert await bot.query("SELECT id FROM applications") == []
    assert "请核对申请信息" in (current.text or "") and "4000" in (current.text or "")
    # The older summary can no longer be pressed; the current one submits what it shows.
    assert older.message_id not in {m.message_id for m in alice.user.messages() if m.inline_buttons}
    done = await alice.press(current, "✅ 提交申请")
    assert "HV-2026-000001" in (done.text or "")
    [app] = await bot.query("SELECT capacity_kva FROM applications")
    assert app["capacity_kva"] == 4000


async def test_next_on_a_file_message_from_before_the_step_was_cleared(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    alice = Customer(emulator, emulator.user(1001))
    await alice.say("/apply")
    await alice.fill_fields()
    first = await alice.upload_pdf("old-licence.pdf")
    second = await alice.upload_pdf("old-licence-page2.pdf")
    await alice.press(second, "清除重传")
    await alice.upload_pdf("new-licence.pdf")

    # "Next" on the first message still shows, but its files were cleared.
    prompt = await alice.press(first, "下一步 ▶")
    answer = alice.user.callback_answers[-1]
    assert answer.show_alert and "已过期" in (answer.text or "")
    assert "营业执照" in (prompt.text or "") and "已收到 1 个文件" in (prompt.text or "")
    [row] = await bot.query("SELECT COUNT(*) AS n FROM draft_documents")
    assert row["n"] == 1
    # Still at the licence: the current "Next" moves on to the identity document.
    prompt = await alice.press(prompt, "下一步 ▶")
    assert "身份证明" in (prompt.text or "")


async def test_more_pages_after_a_file_message_keep_its_next_button_valid(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    alice = Customer(emulator, emulator.user(1001))
    await alice.say("/apply")
    await alice.fill_fields()
    first = await alice.upload_pdf("licence-page1.pdf")
    await alice.upload_pdf("licence-page2.pdf")
    prompt = await alice.press(first, "下一步 ▶")
    assert "身份证明" in (prompt.text or "")
    assert not (alice.user.callback_answers[-1].text or "")


async def test_provide_later_on_a_message_from_before_a_file_was_sent_keeps_the_file(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    alice = Customer(emulator, emulator.user(1001))
    await alice.say("/apply")
    await alice.fill_fields()
    await alice.press(await alice.upload_pdf(), "下一步 ▶")
    prompt = await alice.press(await alice.upload_photo(), "下一步 ▶")
    assert "产权证明" in (prompt.text or "")
    await alice.upload_pdf("lease.pdf")
    await alice.press(prompt, "后补（告知承诺）")
    answer = alice.user.callback_answers[-1]
    assert answer.show_alert and "已过期" in (answer.text or "")
    [row] = await bot.query("SELECT COUNT(*) AS n FROM draft_documents WHERE kind = 'site_proof'")
    assert row["n"] == 1
    [draft] = await bot.query("SELECT deferred FROM drafts")
    assert json.loads(draft["deferred"]) == []


async def test_language_button_of_an_older_message_after_lang(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    alice = Customer(emulator, emulator.user(1001, language_code="zh-hans"))
    await alice.say("/start")
    welcome = next(m for m in alice.user.messages() if m.inline_buttons)
    chooser = await alice.say("/lang")
    changed = await alice.press(chooser, "English")
    assert "English" in (changed.text or "")
    # The chooser says what was chosen and can no longer be pressed.
    chooser_now = next(m for m in alice.user.messages() if m.message_id == chooser.message_id)
    assert "✓ 已选：English" in (chooser_now.text or "") and not chooser_now.inline_buttons

    # The welcome's buttons were shown before the change: pressing one changes nothing.
    press = await alice.user.press(welcome, "中文")
    answer = await alice.user.callback_answer(press)
    await emulator.wait_idle(quiet=0.2)
    assert answer.show_alert and "out of date" in (answer.text or "")
    [user] = await bot.query("SELECT locale FROM users WHERE user_id = 1001")
    assert user["locale"] == "en"
    welcome_now = next(m for m in alice.user.messages() if m.message_id == welcome.message_id)
    assert not welcome_now.inline_buttons
