"""Wrong answers, wrong kinds of message, old and forged buttons: each gets a clear answer,
the same question again, and nothing already entered is lost."""

from __future__ import annotations

import json

import pytest

from flows.apply.buttons import (
    ChoicePress,
    DocumentAction,
    DocumentPress,
    SummaryAction,
    SummaryPress,
)
from sandbox.emulator import BotApiEmulator
from tests.e2e.customer import ANSWERS, PDF, Customer
from tests.e2e.harness import BotRunner


async def answers_of(bot: BotRunner, user_id: int = 1001) -> dict[str, object]:
    [row] = await bot.query("SELECT fields FROM drafts WHERE user_id = ?", (user_id,))
    return json.loads(row["fields"])


async def reach(alice: Customer, field: str) -> None:
    await alice.say("/apply")
    await alice.fill_fields(until=field)


def texts_since(alice: Customer, count: int) -> list[str]:
    return [m.text or "" for m in alice.user.messages()[-count:]]


@pytest.mark.parametrize(
    ("field", "bad", "expected"),
    [
        ("applicant_name", "", "需要输入文字"),  # Telegram's empty text is no text at all
        ("applicant_name", "   ", "不能为空"),
        ("applicant_name", "公" * 5000, "最多 100 个字"),
        ("applicant_name", "🏭🏭 工厂", "不支持的字符"),
        ("applicant_name", "abc\x07def", "不支持的字符"),
        ("uscc", "91350100M000100Y44", "校验位不正确"),
        ("uscc", "9135010", "应为18位"),
        ("uscc", "91350100M000100YI3", "大写字母"),
        ("capacity_kva", "两千", "只填数字"),
        ("capacity_kva", "2000abc", "只填数字"),
        ("capacity_kva", "10", "之间"),
        ("wanted_date", "2026-11-26", "不能早于今天"),
        ("wanted_date", "明天", "日期"),
        ("wanted_date", "2027-02-30", "真实日期"),
        ("wanted_date", "2040-01-01", "年以内"),
        ("contact_name", "张3", "不应有数字"),
        ("contact_mobile", "12345", "11位"),
        ("contact_mobile", "23800138000", "11位"),
    ],
)
async def test_wrong_typed_answers_are_explained_and_asked_again(
    emulator: BotApiEmulator, bot: BotRunner, field: str, bad: str, expected: str
) -> None:
    alice = Customer(emulator, emulator.user(1001))
    await reach(alice, field)
    before = await answers_of(bot)
    asked_again = await alice.say(bad)
    error, again = texts_since(alice, 2)
    assert error.startswith("⚠️") and expected in error, error
    assert asked_again.text == again
    assert field not in await answers_of(bot)
    assert await answers_of(bot) == before
    # The right answer is then taken, and the form moves on.
    await alice.answer(field)
    assert (await answers_of(bot))[field] is not None


async def test_texts_that_are_not_choices_and_typed_choices(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    alice = Customer(emulator, emulator.user(1001))
    await reach(alice, "district")
    await alice.say("火星")
    error = texts_since(alice, 2)[0]
    assert "请点击按钮选择“所在区县”" in error
    # Typing a button's exact label is as good as pressing it.
    asked = await alice.say("汉台区")
    assert "6/14 用电类别" in (asked.text or "")
    assert (await answers_of(bot))["district"] == "汉台区"


@pytest.mark.parametrize("kind", ["sticker", "photo", "document", "location", "contact"])
async def test_wrong_kind_of_message_where_text_is_expected(
    emulator: BotApiEmulator, bot: BotRunner, kind: str
) -> None:
    alice = Customer(emulator, emulator.user(1001))
    await reach(alice, "uscc")
    if kind == "sticker":
        await alice.user.send_sticker()
    elif kind == "photo":
        await alice.user.send_photo(PDF)
    elif kind == "document":
        await alice.user.send_document("a.pdf", PDF, "application/pdf")
    elif kind == "location":
        await alice.user.send_location(33.07, 107.03)
    else:
        await alice.user.send_contact("13800138000")
    await alice.settle()
    error, again = texts_since(alice, 2)
    assert "这一步需要输入文字：统一社会信用代码" in error
    assert "2/14 统一社会信用代码" in again
    assert set(await answers_of(bot)) == {"applicant_name"}


async def test_documents_wrong_type_too_large_and_text_instead(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    alice = Customer(emulator, emulator.user(1001))
    await alice.say("/apply")
    await alice.fill_fields()
    said = await alice.say("营业执照稍后发")
    assert "需要上传“营业执照”的照片或 PDF 文件" in (said.text or "")
    await alice.user.send_document("virus.exe", b"MZ\x90\x00", "application/x-msdownload")
    rejected = await alice.settle()
    assert "只接受照片或 PDF 文件" in (rejected.text or "")
    await alice.user.send_document(
        "huge.pdf", PDF, "application/pdf", declared_size=25 * 1024 * 1024
    )
    rejected = await alice.settle()
    assert "超过 20 MB" in (rejected.text or "")
    await alice.user.send_sticker()
    said = await alice.settle()
    assert "需要上传“营业执照”" in (said.text or "")
    assert await bot.query("SELECT * FROM draft_documents") == []
    # An essential document cannot be promised for later, even with forged button data.
    prompt = alice.user.last_message()
    assert prompt is not None
    answer = await alice.press_stale(
        prompt.message_id, DocumentPress(DocumentAction.LATER, "business_licence", "0").encode()
    )
    assert "过期" in (answer.text or "")
    [draft] = await bot.query("SELECT deferred FROM drafts")
    assert json.loads(draft["deferred"]) == []
    # "Next" from before the files were cleared is out of date, and nothing moves on.
    received = await alice.upload_pdf()
    next_data = next(b.callback_data for b in received.inline_buttons if b.text == "下一步 ▶")
    assert next_data is not None
    await alice.press(received, "清除重传")
    answer = await alice.press_stale(received.message_id, next_data)
    assert answer.show_alert and "已过期" in (answer.text or "")
    assert await bot.query("SELECT * FROM draft_documents") == []


async def test_old_and_forged_buttons_change_nothing(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    alice = Customer(emulator, emulator.user(1001))
    await reach(alice, "district")
    district_prompt = alice.user.last_message()
    assert district_prompt is not None
    await alice.answer("district")
    # The district buttons were removed once used; pressing the old data again is stale.
    assert district_prompt.message_id in {m.message_id for m in alice.user.messages()}
    answer = await alice.press_stale(
        district_prompt.message_id, ChoicePress("district", 3).encode()
    )
    assert "过期" in (answer.text or "")
    for forged in (
        ChoicePress("usage_category", 99).encode(),
        ChoicePress("usage_category", -1).encode(),
        ChoicePress("uscc", 0).encode(),
        SummaryPress(SummaryAction.SUBMIT, "").encode(),
        SummaryPress(SummaryAction.EDIT, "uscc").encode(),
        "ap:c:usage_category:1",  # the form of before the presses were typed
        "xx",
        ChoicePress("usage_category", 1).encode() + ":extra" * 2,
    ):
        answer = await alice.press_stale(district_prompt.message_id, forged)
        assert "过期" in (answer.text or ""), forged
    answers = await answers_of(bot)
    assert answers["district"] == ANSWERS["district"]
    assert "usage_category" not in answers
    # The question on the screen is still the one asked.
    asked = await alice.answer("usage_category")
    assert "7/14 电压等级" in (asked.text or "")


async def test_a_button_pressed_twice_is_taken_once(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    alice = Customer(emulator, emulator.user(1001))
    await reach(alice, "usage_category")
    prompt = alice.user.last_message()
    assert prompt is not None
    data = next(b.callback_data for b in prompt.inline_buttons if b.text == "大工业")
    other = next(b.callback_data for b in prompt.inline_buttons if b.text == "其他")
    assert data and other
    await alice.user.press_raw(prompt.message_id, data)
    await alice.user.press_raw(prompt.message_id, other)
    await alice.settle()
    answers = await answers_of(bot)
    assert answers["usage_category"] == "large_industry"
    assert "voltage_kv" not in answers


async def test_buttons_after_the_conversation_ended(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    alice = Customer(emulator, emulator.user(1001))
    await reach(alice, "district")
    prompt = alice.user.last_message()
    assert prompt is not None
    await alice.say("/cancel")
    answer = await alice.press_stale(prompt.message_id, ChoicePress("district", 0).encode())
    assert answer.show_alert and "已失效" in (answer.text or "")
    assert "district" not in await answers_of(bot)


async def test_nothing_goes_unanswered_outside_the_form(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    alice = Customer(emulator, emulator.user(1001))
    cases = {
        "/nosuchcommand": "没有这个命令",
        "/cancel": "当前没有进行中的操作",
        "hello": "没有看懂",
    }
    for text, expected in cases.items():
        reply = await alice.say(text)
        assert expected in (reply.text or ""), text
    await alice.user.send_sticker()
    assert "没有看懂" in ((await alice.settle()).text or "")
    sent = await alice.user.send_text("原来的话")
    await alice.settle()
    assert sent.message_id is not None
    await alice.user.edit_text(sent.message_id, "改过的话")
    assert "修改过的消息不会被重新读取" in ((await alice.settle()).text or "")


async def test_phone_typed_checked_and_not_someone_elses_contact(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    alice = Customer(emulator, emulator.user(1001))
    await alice.say("/start")
    await alice.user.send_contact("13900000000", own=False)
    assert "您本人" in ((await alice.settle()).text or "")
    bad = await alice.say("1380013800")
    assert "11位" in (bad.text or "")
    good = await alice.say("+86 139-0000-1111")
    assert "139****1111" in (good.text or "")
    [user] = await bot.query("SELECT phone, phone_verified FROM users")
    assert (user["phone"], user["phone_verified"]) == ("13900001111", 0)
    # With a phone on file, the form offers it for the contact mobile.
    await alice.say("/apply")
    await alice.fill_fields(until="contact_mobile")
    prompt = alice.user.last_message()
    assert prompt is not None
    summary_or_doc = await alice.press(prompt, "使用 13900001111")
    assert "营业执照" in (summary_or_doc.text or "")
    assert (await answers_of(bot))["contact_mobile"] == "13900001111"


async def test_group_chats_are_told_to_talk_privately(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    group = emulator.group(-100123, title="厂区群")
    alice = emulator.user(1001)
    await alice.send_text("/apply", chat_id=-100123)
    reply = await group.next_reply()
    assert "只在私聊中办理业务" in (reply.text or "")
    assert await bot.query("SELECT * FROM drafts") == []


async def test_blocking_and_unblocking_the_bot_is_remembered(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    alice = Customer(emulator, emulator.user(1001))
    await alice.say("/start")
    await alice.user.block_bot()
    await emulator.wait_idle()
    [row] = await bot.query("SELECT unreachable_at FROM users WHERE user_id = 1001")
    assert row["unreachable_at"] is not None
    await alice.user.unblock_bot()
    await emulator.wait_idle()
    [row] = await bot.query("SELECT unreachable_at FROM users WHERE user_id = 1001")
    assert row["unreachable_at"] is None
