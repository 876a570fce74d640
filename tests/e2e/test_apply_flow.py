"""A customer applies from /start to Submit, through the real bot and the emulator."""

from __future__ import annotations

import json

from notifications.buttons import SendOwed
from process.form import OwedDocument
from sandbox.emulator import BotApiEmulator
from tests.e2e.customer import ANSWERS, VALID_USCC, Customer
from tests.e2e.harness import BotRunner

ALL_FIELDS = list(ANSWERS)


async def walk_documents(alice: Customer) -> None:
    """Licence as PDF, identity as two photo pages, site proof later, equipment list PDF."""
    prompt = alice.user.last_message()
    assert prompt is not None and "营业执照" in (prompt.text or "")
    received = await alice.upload_pdf("licence.pdf")
    assert "第 1 个文件" in (received.text or "")
    prompt = await alice.press(received, "下一步 ▶")
    assert "身份证明" in (prompt.text or "")
    assert not any(b.text.startswith("后补") for b in prompt.inline_buttons)  # essential
    await alice.upload_photo()
    received = await alice.upload_photo()
    assert "第 2 个文件" in (received.text or "")
    prompt = await alice.press(received, "下一步 ▶")
    assert "产权证明" in (prompt.text or "")
    await alice.press(prompt, "后补（告知承诺）")
    prompt = alice.user.last_message()
    assert prompt is not None and "用电设备清单" in (prompt.text or "")
    received = await alice.upload_pdf("equipment.pdf")
    await alice.press(received, "下一步 ▶")


async def test_whole_application_is_submitted_and_stored(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    alice = Customer(
        emulator, emulator.user(1001, first_name="张伟", phone_number="+8613700001234")
    )
    await alice.say("/start")
    await alice.user.tap("📱 分享我的手机号")
    saved = await alice.settle()
    assert "已保存您的手机号 137****1234" in (saved.text or "")
    [user] = await bot.query("SELECT phone, phone_verified FROM users WHERE user_id = 1001")
    assert (user["phone"], user["phone_verified"]) == ("13700001234", 1)
    intro_and_first = await alice.say("/apply")
    assert "1/14" in (intro_and_first.text or "")
    summary = await alice.fill_fields()
    assert "营业执照" in (summary.text or "")
    await walk_documents(alice)
    summary = alice.user.last_message()
    assert summary is not None
    text = summary.text or ""
    assert "请核对申请信息" in text
    for shown in ("汉中市天汉机械制造有限公司", VALID_USCC, "汉台区", "大工业", "10 kV", "单电源"):
        assert shown in text
    assert "后补（告知承诺）" in text and "2 个文件" in text

    # Change one item from the summary: only that item changes, then the summary returns.
    prompt = await alice.press(summary, "改：申请容量（kVA）")
    assert "修改：申请容量（kVA）" in (prompt.text or "")
    summary = await alice.say("2500")
    assert "2500" in (summary.text or "") and "二期厂房新建工程" in (summary.text or "")

    done = await alice.press(summary, "✅ 提交申请")
    text = done.text or ""
    assert "HV-2026-000001" in text
    assert "业务受理" in text
    # Friday 27 Nov 2026 + (1 + 10) working days = Monday 14 Dec 2026 (no holidays between).
    assert "2026年12月14日（周一）" in text
    assert "暂定" not in text
    assert "用电地址产权证明或租赁合同" in text  # still owed

    [app] = await bot.query("SELECT * FROM applications")
    assert app["number"] == "HV-2026-000001"
    assert app["customer_id"] == 1001
    assert app["stage"] == "accept"
    assert app["capacity_kva"] == 2500
    assert app["uscc"] == VALID_USCC
    assert app["supply_mode"] == "single"
    assert app["wanted_date"] == "2027-06-30"
    assert app["plan_due_date"] == "2026-12-14"
    kinds = [r["kind"] for r in await bot.query("SELECT kind FROM documents ORDER BY id")]
    assert kinds == ["business_licence", "identity", "identity", "equipment_list"]
    file_ids = [r["file_id"] for r in await bot.query("SELECT file_id FROM documents")]
    assert all(file_ids)
    owed = [r["kind"] for r in await bot.query("SELECT kind FROM owed_items")]
    assert owed == ["document:site_proof"]
    events = await bot.query("SELECT kind, actor_id, actor_role FROM events")
    assert [(e["kind"], e["actor_id"], e["actor_role"]) for e in events] == [
        ("submitted", 1001, "customer"),
        ("unassigned", None, "system"),  # no staff enrolled in this test
    ]
    assert await bot.query("SELECT * FROM drafts") == []


async def test_status_list_and_card_show_only_own_applications(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    alice = Customer(emulator, emulator.user(1001, first_name="张伟"))
    await alice.say("/apply")
    await alice.fill_fields()
    await walk_documents(alice)
    summary = alice.user.last_message()
    assert summary is not None
    await alice.press(summary, "✅ 提交申请")

    listing = await alice.say("/status")
    assert "HV-2026-000001" in (listing.text or "") and "二期厂房新建工程" in (listing.text or "")
    card = await alice.say("/status hv-2026-1")
    text = card.text or ""
    assert "▶️ 1. 业务受理" in text and "⬜ 5. 投运送电" in text
    assert "0/1 个工作日" in text
    assert "期限：2026年11月30日（周一）" in text  # accept: one working day after Friday
    assert "2026年12月14日" not in text  # one deadline: the live one, not the estimate
    assert "补交用电地址产权证明或租赁合同" in text
    assert "提交申请" in text  # history

    bob = Customer(emulator, emulator.user(1002, first_name="李娜"))
    other = await bob.say("/status HV-2026-000001")
    missing = await bob.say("/status HV-2026-000999")
    assert "没有找到" in (other.text or "")
    assert (other.text or "").replace("000001", "") == (missing.text or "").replace("000999", "")
    none = await bob.say("/status")
    assert "您还没有申请" in (none.text or "")


async def test_cancel_keeps_the_draft_and_apply_offers_to_resume(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    alice = Customer(emulator, emulator.user(1001))
    await alice.say("/apply")
    await alice.fill_fields(until="site_address")
    left = await alice.say("/cancel")
    # What was left, and what is kept.
    assert left.text == "已退出申请表的填写。已填写的 3 项都已保存，随时发送 /apply 继续。"
    # Outside the form, text is not taken as an answer.
    await alice.say("随便说点什么")
    [draft] = await bot.query("SELECT fields FROM drafts WHERE user_id = 1001")
    assert set(json.loads(draft["fields"])) == {"applicant_name", "uscc", "project_name"}

    prompt = await alice.say("/apply")
    assert "3/14" in (prompt.text or "")
    asked = await alice.press(prompt, "继续填写")
    assert "4/14 用电地址" in (asked.text or "")

    await alice.say("/cancel")
    prompt = await alice.say("/apply")
    asked = await alice.press(prompt, "重新开始")
    assert "1/14 申请单位名称" in (asked.text or "")
    [draft] = await bot.query("SELECT fields FROM drafts WHERE user_id = 1001")
    assert json.loads(draft["fields"]) == {}


async def test_restart_between_two_answers_continues_where_it_was(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    alice = Customer(emulator, emulator.user(1001))
    await alice.say("/apply")
    await alice.fill_fields(until="project_name")
    await bot.restart()
    asked = await alice.say(ANSWERS["project_name"])
    assert "4/14 用电地址" in (asked.text or "")
    await bot.restart()
    # A choice step after a restart: its buttons still work.
    await alice.answer("site_address")
    await bot.restart()
    asked = await alice.answer("district")
    assert "6/14 用电类别" in (asked.text or "")
    [draft] = await bot.query("SELECT fields FROM drafts WHERE user_id = 1001")
    assert json.loads(draft["fields"])["district"] == "汉台区"


async def _crash_before_the_state_was_saved(bot: BotRunner, behind: str) -> None:
    """Stop the bot and put the conversation back one question, as a crash does that comes
    after the answer and the next question were sent but before the state was saved."""
    await bot.stop()
    await bot.write("UPDATE conversations SET state = ? WHERE name = 'apply'", (f"field:{behind}",))
    await bot.start()


async def test_an_answer_after_a_crash_between_draft_and_state_goes_to_the_question_shown(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    alice = Customer(emulator, emulator.user(1001))
    await alice.say("/apply")
    await alice.fill_fields(until="project_name")
    asked = await alice.say(ANSWERS["project_name"])
    assert "4/14 用电地址" in (asked.text or "")
    await _crash_before_the_state_was_saved(bot, behind="project_name")
    asked = await alice.say(ANSWERS["site_address"])
    assert "5/14" in (asked.text or "")
    # The same for a button: the district pressed while the state still says the address.
    await _crash_before_the_state_was_saved(bot, behind="site_address")
    asked = await alice.answer("district")
    assert "6/14 用电类别" in (asked.text or "")
    [draft] = await bot.query("SELECT fields FROM drafts WHERE user_id = 1001")
    fields = json.loads(draft["fields"])
    assert fields["project_name"] == ANSWERS["project_name"]  # not overwritten
    assert fields["site_address"] == ANSWERS["site_address"]
    assert fields["district"] == "汉台区"


async def test_submit_pressed_twice_makes_one_application(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    alice = Customer(emulator, emulator.user(1001))
    await alice.say("/apply")
    await alice.fill_fields()
    await walk_documents(alice)
    summary = alice.user.last_message()
    assert summary is not None
    submit = next(b.callback_data for b in summary.inline_buttons if b.text == "✅ 提交申请")
    assert submit is not None
    await alice.user.press_raw(summary.message_id, submit)
    await alice.user.press_raw(summary.message_id, submit)
    await alice.settle()
    assert len(await bot.query("SELECT id FROM applications")) == 1
    first, second = alice.user.callback_answers[-2:]
    assert first.text is None  # the press that submitted
    assert "已失效" in (second.text or "")  # the second press is answered, and does nothing


async def test_english_after_lang(emulator: BotApiEmulator, bot: BotRunner) -> None:
    alice = Customer(emulator, emulator.user(1001, language_code="zh-hans"))
    prompt = await alice.say("/lang")
    changed = await alice.press(prompt, "English")
    assert "English" in (changed.text or "")
    asked = await alice.say("/apply")
    assert "1/14 Applicant (company)" in (asked.text or "")
    [user] = await bot.query("SELECT locale, locale_chosen FROM users WHERE user_id = 1001")
    assert (user["locale"], user["locale_chosen"]) == ("en", 1)
    await bot.restart()
    helped = await alice.say("/help")
    assert "What you can do" in (helped.text or "")


async def test_english_speaking_telegram_user_is_answered_in_english(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    alice = Customer(emulator, emulator.user(1001, language_code="en-GB"))
    await alice.say("/start")
    assert "high-voltage connection service" in (alice.user.messages()[0].text or "")


async def test_commands_are_published_per_language(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    zh = emulator.commands(scope={"type": "all_private_chats"}, language_code="zh")
    en = emulator.commands(scope={"type": "all_private_chats"}, language_code="en")
    assert zh is not None and en is not None
    assert [c["command"] for c in en] == [
        "start",
        "apply",
        "status",
        "contact",
        "survey",
        "lang",
        "help",
        "cancel",
    ]
    assert any(c["description"] == "申请高压用电" for c in zh)


async def test_a_document_promised_for_later_is_sent_from_the_status_card(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    alice = Customer(emulator, emulator.user(1001))
    await alice.say("/apply")
    await alice.fill_fields()
    await walk_documents(alice)
    summary = alice.user.last_message()
    assert summary is not None
    await alice.press(summary, "✅ 提交申请")
    card = await alice.say("/status HV-2026-000001")
    prompt = await alice.press(card, "📎 补交：用电地址产权证明或租赁合同")
    assert "补交" in (prompt.text or "")
    received = await alice.upload_pdf("lease.pdf")
    done = await alice.press(received, "✅ 文件已发完")
    assert "已收到补交" in (done.text or "")
    owed = await bot.query("SELECT kind, resolved_at FROM owed_items")
    assert [(o["kind"], o["resolved_at"] is not None) for o in owed] == [
        ("document:site_proof", True)
    ]
    kinds = [r["kind"] for r in await bot.query("SELECT kind FROM documents ORDER BY id")]
    assert kinds[-1] == "site_proof"
    # Nothing is owed any more, so the card offers no such button, and an old one is refused.
    card = await alice.say("/status HV-2026-000001")
    assert not any(b.text.startswith("📎") for b in card.inline_buttons)
    answer = await alice.press_stale(card.message_id, SendOwed(1, OwedDocument.SITE_PROOF).encode())
    assert answer.show_alert
