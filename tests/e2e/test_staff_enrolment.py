"""Staff through the real bot: /join, the wrong-code limit, refusals, /staff invite and disable."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.app import services_of
from flows.staff.disable import MemberAction, MemberPress
from process.roles import Role
from sandbox.emulator import BotApiEmulator
from tests.e2e.customer import Customer
from tests.e2e.harness import BotRunner
from tests.e2e.staff_seed import seed_application

CODE = re.compile(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{2}")
STAFF_ONLY = "仅供供电公司工作人员使用"


def chat_menu(emulator: BotApiEmulator, chat_id: int) -> list[str] | None:
    commands = emulator.commands({"type": "chat", "chat_id": chat_id})
    return None if commands is None else [c["command"] for c in commands]


async def test_join_with_a_code_and_the_wrong_code_limit(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    assert bot.app is not None
    svc = services_of(bot.app)
    code = await svc.staff.create_invite(
        role=Role.CUSTOMER_MANAGER,
        name="李娜",
        district="汉台区",
        created_by=None,
        now=bot.clock.now(),
    )
    lina = Customer(emulator, emulator.user(2001, first_name="Lina"))

    usage = await lina.say("/join")
    assert "/join ABCD-EFGH-JK" in (usage.text or "")
    for attempt in range(5):
        wrong = await lina.say("/join ABCD-EFGH-JK")
        assert "邀请码不正确" in (wrong.text or "")
        assert (f"还可以再试 {4 - attempt} 次" if attempt < 4 else "尝试次数已用完") in (
            wrong.text or ""
        )
    # The sixth attempt is refused unchecked, even with the right code.
    limited = await lina.say(f"/join {code}")
    assert "输错邀请码的次数太多" in (limited.text or "")
    assert "2026-11-27 11:00" in (limited.text or "")  # an hour after the first wrong code
    assert chat_menu(emulator, 2001) is None

    bot.clock.advance(timedelta(hours=1))
    welcome = await lina.say(f"/join {code.lower()}")
    text = welcome.text or ""
    assert "欢迎 李娜" in text and "汉台区的客户经理" in text
    assert "/queue" in text and "/staff" not in text
    assert chat_menu(emulator, 2001) == ["queue", "app", "find", "help", "lang", "cancel"]
    [row] = await bot.query("SELECT name, role, district, active FROM staff WHERE user_id = 2001")
    assert tuple(row) == ("李娜", "customer_manager", "汉台区", 1)

    again = await Customer(emulator, emulator.user(2002)).say(f"/join {code}")
    assert "已经被使用过" in (again.text or "")
    late = await svc.staff.create_invite(
        role=Role.SUPERVISOR, name="王", district=None, created_by=None, now=bot.clock.now()
    )
    bot.clock.advance(timedelta(hours=72))
    expired = await Customer(emulator, emulator.user(2003)).say(f"/join {late}")
    assert "已过期" in (expired.text or "")

    help_text = await lina.say("/help")
    assert "工作人员命令" in (help_text.text or "") and "/find" in (help_text.text or "")


async def test_customers_are_refused_staff_commands_politely(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    alice = Customer(emulator, emulator.user(1001, first_name="张伟"))
    for command in ("/queue", "/find 天汉", "/staff"):
        refused = await alice.say(command)
        assert STAFF_ONLY in (refused.text or ""), command
        assert not refused.inline_buttons
    forged = await alice.press_stale(0, MemberPress(MemberAction.DISABLE, 1001).encode())
    assert forged.text is None
    last = alice.user.last_message()
    assert last is not None and STAFF_ONLY in (last.text or "")
    help_text = await alice.say("/help")
    assert "/apply" in (help_text.text or "") and "/queue" not in (help_text.text or "")
    assert await bot.query("SELECT * FROM staff") == []


async def test_an_admin_invites_from_the_bot_then_disables_the_member(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    bot.reconfigure(admins=frozenset({9001}))
    await bot.restart()
    assert bot.app is not None
    svc = services_of(bot.app)
    admin = Customer(emulator, emulator.user(9001, first_name="Admin"))

    listing = await admin.say("/staff")  # a configured admin is made admin on first contact
    assert "在岗 1 人" in (listing.text or "")
    assert "staff" in (chat_menu(emulator, 9001) or [])
    assert not any(b.text.startswith("停用") for b in listing.inline_buttons)  # not oneself
    ask = await admin.press(listing, "➕ 客户经理")
    assert "请输入其姓名" in (ask.text or "")
    bad = await admin.say("李娜2")
    assert "姓名里不应有数字" in (admin.user.messages()[-2].text or "")
    assert "请输入其姓名" in (bad.text or "")
    districts = await admin.say("李娜")
    assert "负责哪个区县" in (districts.text or "")
    issued = await admin.press(districts, "汉台区")
    match = CODE.search(issued.text or "")
    assert match and "2026-11-30 10:00" in (issued.text or "")

    lina = Customer(emulator, emulator.user(2001, first_name="Lina"))
    assert "汉台区的客户经理" in ((await lina.say(f"/join {match.group()}")).text or "")
    supervisor = await svc.staff.create_invite(
        role=Role.SUPERVISOR,
        name="王主管",
        district="汉台区",
        created_by=None,
        now=bot.clock.now(),
    )
    wang = Customer(emulator, emulator.user(3001, first_name="Wang"))
    await wang.say(f"/join {supervisor}")
    application = await seed_application(svc, customer_id=1001, manager=2001)

    listing = await admin.say("/staff")
    assert "李娜 · 客户经理 · 汉台区 · 在办 1 件" in (listing.text or "")
    second_thoughts = await admin.press(listing, "停用 李娜")
    kept = await admin.user.callback_answer(await admin.user.press(second_thoughts, "不停用"))
    assert kept.text == "未做任何更改。"
    confirm = await admin.press(listing, "停用 李娜")
    assert "在办的 1 件申请将交回主管" in (confirm.text or "")
    done = await admin.press(confirm, "确定停用")
    assert "已停用 李娜" in (done.text or "") and "1 件申请已交回主管" in (done.text or "")

    # Powers go at once: the next command is refused, and the customer menu is back.
    refused = await lina.say("/queue")
    assert STAFF_ONLY in (refused.text or "")
    assert chat_menu(emulator, 2001) is None
    alert = await wang.user.wait_for(lambda m: "已停用" in (m.text or ""))
    assert "李娜（客户经理）已停用" in (alert.text or "") and "HV-2026-000001" in (alert.text or "")
    assert "HV-2026-000001" in alert.buttons
    await emulator.wait_idle(quiet=0.1)
    # The admin who did it was told in their own chat, and gets no alert on top.
    assert not any("需要重新指派" in (m.text or "") for m in admin.user.messages())
    old_button = MemberPress(MemberAction.DISABLE, 2001).encode()
    again = await admin.press_stale(listing.message_id, old_button)
    assert again.show_alert and "已停用" in (again.text or "")
    [app] = await bot.query(
        "SELECT customer_manager_id FROM applications WHERE id = ?", (application.id,)
    )
    assert app["customer_manager_id"] is None
