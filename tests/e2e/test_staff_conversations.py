"""Staff are answered as staff, and everyone is answered in the language they chose.

Walked through the emulator as the people who found the dead ends did: a customer manager
enrolled by /join who types an action instead of pressing its button, an admin sending
/start, a member switching language, a customer manager trying /stats, and a new user whose
Telegram client names no language of ours.
"""

from __future__ import annotations

from process.roles import Role
from sandbox.emulator import BotApiEmulator
from tests.e2e.customer import Customer
from tests.e2e.harness import BotRunner
from tests.e2e.staffing import enrol


def _menu(emulator: BotApiEmulator, chat_id: int) -> dict[str, str]:
    commands = emulator.commands(scope={"type": "chat", "chat_id": chat_id}) or []
    return {c["command"]: c["description"] for c in commands}


async def test_staff_typing_free_text_get_a_staff_answer_not_the_phone_prompt(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    manager = await enrol(emulator, bot, 2001, Role.CUSTOMER_MANAGER, "王经理")
    reply = await manager.say("accept HV-2026-000001")
    text = reply.text or ""
    assert "11位" not in text and "分享" not in text
    assert reply.keyboard is None  # no "📱 分享手机号" button
    assert "/app HV-2026-000001" in text and "/queue" in text and "/help" in text
    plain = await manager.say("你好")
    assert "11位" not in (plain.text or "") and "/queue" in (plain.text or "")
    await manager.user.send_sticker()
    sticker = await manager.settle()
    assert "/apply" not in (sticker.text or "") and "/queue" in (sticker.text or "")
    [user] = await bot.query("SELECT phone FROM users WHERE user_id = 2001")
    assert user["phone"] is None  # nothing was taken for a number


async def test_an_admins_start_is_a_staff_welcome_without_a_phone_prompt(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    admin = await enrol(emulator, bot, 2009, Role.ADMIN, "赵管理", district=None)
    before = len(admin.user.messages())
    await admin.say("/start")
    answers = [m.text or "" for m in admin.user.messages()[before:] if m.from_bot]
    assert len(answers) == 1
    assert "分享您的手机号" not in answers[0] and "11位" not in answers[0]
    assert "管理员" in answers[0] and "/staff" in answers[0]
    assert admin.user.messages()[-1].buttons == ["中文", "English"]

    # A first admin named in HVCONNECT_ADMINS, writing for the first time, likewise.
    bot.reconfigure(admins=frozenset({2010}))
    await bot.restart()
    first = Customer(emulator, emulator.user(2010, first_name="钱管理"))
    await first.say("/start")
    [welcome] = [m.text or "" for m in first.user.messages() if m.from_bot]
    assert "管理员" in welcome and "分享您的手机号" not in welcome


async def test_a_language_switch_brings_the_staff_members_menu_along(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    manager = await enrol(emulator, bot, 2001, Role.CUSTOMER_MANAGER, "王经理")
    assert _menu(emulator, 2001)["queue"] == "我的待办（最紧急的在前）"
    prompt = await manager.say("/lang")
    await manager.press(prompt, "English")
    menu = _menu(emulator, 2001)
    assert list(menu) == ["queue", "app", "find", "help", "lang", "cancel"]
    assert menu["queue"] == "My open applications, most urgent first"
    await manager.say("/lang 中文")
    assert _menu(emulator, 2001)["queue"] == "我的待办（最紧急的在前）"


async def test_a_customer_managers_stats_names_the_roles_it_is_for(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    manager = await enrol(emulator, bot, 2001, Role.CUSTOMER_MANAGER, "王经理")
    reply = await manager.say("/stats")
    assert "/stats 仅供主管和管理员使用" in (reply.text or "")
    assert "工作人员使用" not in (reply.text or "")
    await manager.say("/lang en")
    reply = await manager.say("/export 2026")
    assert "/export is for supervisors and admins" in (reply.text or "")
    # A customer still hears that it is for staff, without learning more.
    alice = Customer(emulator, emulator.user(1001))
    reply = await alice.say("/stats")
    assert "工作人员" in (reply.text or "") and "主管" not in (reply.text or "")


async def test_the_phone_prompt_waits_for_the_language_when_the_client_names_none(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    bob = Customer(emulator, emulator.user(1002, first_name="Bob", language_code=None))
    welcome = await bob.say("/start")
    assert bob.user.messages()[-1] is welcome and welcome.buttons == ["中文", "English"]
    assert not any("手机号" in (m.text or "") for m in bob.user.messages())
    await bob.press(welcome, "English")
    changed, asked = bob.user.messages()[-2:]
    assert "English" in (changed.text or "")
    assert "share your phone number" in (asked.text or "")
    assert asked.keyboard == [["📱 Share my phone number"]]
    # A later language change does not ask again.
    again = await bob.say("/lang 中文")
    assert again.text == "已切换为中文。"
    # A client that does name our language is asked at once, in it.
    carol = Customer(emulator, emulator.user(1003, first_name="Carol", language_code="en-US"))
    await carol.say("/start")
    assert "share your phone number" in (carol.user.messages()[-1].text or "")


async def test_lang_with_an_argument_switches_directly(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    alice = Customer(emulator, emulator.user(1001))
    reply = await alice.say("/lang en")
    assert reply.text == "The bot now speaks English to you." and not reply.buttons
    [user] = await bot.query("SELECT locale, locale_chosen FROM users WHERE user_id = 1001")
    assert (user["locale"], user["locale_chosen"]) == ("en", 1)
    assert _menu(emulator, 1001)["apply"] == "Apply for a high-voltage supply"
    reply = await alice.say("/lang 中文")
    assert reply.text == "已切换为中文。"
    reply = await alice.say("/lang ZH")
    assert reply.text == "已切换为中文。"
    reply = await alice.say("/lang klingon")
    assert "klingon" in (reply.text or "") and reply.buttons == ["中文", "English"]
    [user] = await bot.query("SELECT locale FROM users WHERE user_id = 1001")
    assert user["locale"] == "zh_CN"
