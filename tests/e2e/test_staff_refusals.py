"""Every staff action checks role, assignment, step and version on the server."""

from __future__ import annotations

import asyncio

import pytest

from flows.workflow.buttons import DocumentsPress
from notifications.buttons import (
    HandOverPress,
    HeldAs,
    HolderChange,
    ManagePress,
    OpenCardPress,
    StageActionPress,
)
from process.roles import Role
from process.workflow import Act
from sandbox.emulator import BotApiEmulator
from tests.e2e.apply_walk import submit_application
from tests.e2e.customer import Customer
from tests.e2e.harness import BotRunner
from tests.e2e.staffing import enrol
from tests.storage_steps import disable_in


async def app_row(bot: BotRunner) -> dict[str, object]:
    [row] = await bot.query("SELECT id, step, version, customer_manager_id FROM applications")
    return dict(row)


@pytest.fixture
async def scene(emulator: BotApiEmulator, bot: BotRunner) -> dict[str, object]:
    manager = await enrol(emulator, bot, 2001, Role.CUSTOMER_MANAGER, "王经理")
    other_manager = await enrol(emulator, bot, 2004, Role.CUSTOMER_MANAGER, "李经理", "南郑区")
    project = await enrol(emulator, bot, 2002, Role.PROJECT_MANAGER, "赵工")
    supervisor = await enrol(emulator, bot, 2003, Role.SUPERVISOR, "陈主管")
    alice = Customer(emulator, emulator.user(1001, first_name="张伟"))
    number = await submit_application(alice)
    return {
        "manager": manager,
        "other": other_manager,
        "project": project,
        "supervisor": supervisor,
        "alice": alice,
        "number": number,
    }


async def test_forged_and_foreign_presses_are_refused(
    scene: dict[str, object], bot: BotRunner
) -> None:
    alice, other, project = scene["alice"], scene["other"], scene["project"]
    assert isinstance(alice, Customer) and isinstance(other, Customer)
    assert isinstance(project, Customer)
    app = await app_row(bot)
    assert app["customer_manager_id"] == 2001  # the district's own manager
    accept = StageActionPress(Act.ACCEPT, app["id"], app["version"]).encode()
    for person in (alice, other, project):
        last = person.user.last_message()
        assert last is not None
        answer = await person.press_stale(last.message_id, accept)
        assert answer.show_alert and "不能" in (answer.text or "")
    for forged in (
        StageActionPress(Act.ACCEPT, app["id"], 999).encode(),
        StageActionPress(Act.ACCEPT, 99999, 1).encode(),
        "1:wf:nuke:1:1:",
        StageActionPress(Act.ACCEPT, app["id"], app["version"]).encode() + ":7:8",
        HandOverPress(1, 1, HeldAs.CUSTOMER_MANAGER, 2004).encode(),
        ManagePress(HolderChange.REASSIGN, app["id"], app["version"]).encode(),
        OpenCardPress(1).encode(),
        DocumentsPress(1).encode(),
    ):
        last = alice.user.last_message()
        assert last is not None
        answer = await alice.press_stale(last.message_id, forged)
        assert answer.text, forged
    assert await app_row(bot) == app
    # A customer learns nothing from /app or /queue either.
    for command in (f"/app {scene['number']}", "/queue", "/find 汉中"):
        reply = await alice.say(command)
        assert "HV-" not in (reply.text or ""), command
    # Another district's manager cannot open the card.
    reply = await other.say(f"/app {scene['number']}")
    assert "没有找到" in (reply.text or "")


async def test_twice_out_of_order_and_concurrently(
    scene: dict[str, object], bot: BotRunner
) -> None:
    manager = scene["manager"]
    assert isinstance(manager, Customer)
    app = await app_row(bot)
    accept = StageActionPress(Act.ACCEPT, app["id"], app["version"]).encode()
    card = await manager.say(f"/app {scene['number']}")
    # Out of order: the survey cannot be done before it is proposed.
    answer = await manager.press_stale(
        card.message_id, StageActionPress(Act.SURVEY_DONE, app["id"], app["version"]).encode()
    )
    assert "不能" in (answer.text or "") or "过期" in (answer.text or "")
    # Two presses at once (as two staff pressing together): exactly one applies.
    first = await manager.user.press_raw(card.message_id, accept)
    second = await manager.user.press_raw(card.message_id, accept)
    await manager.user.callback_answer(first)
    refused = await manager.user.callback_answer(second)
    await manager.emulator.wait_idle()
    assert "过期" in (refused.text or "")
    after = await app_row(bot)
    assert after["step"] == "survey_propose" and after["version"] == int(app["version"]) + 1
    events = await bot.query("SELECT kind FROM events WHERE kind = 'accept'")
    assert len(events) == 1


async def test_disabled_member_loses_powers_at_once(
    scene: dict[str, object], bot: BotRunner
) -> None:
    manager = scene["manager"]
    assert isinstance(manager, Customer) and bot.app is not None
    app = await app_row(bot)
    card = await manager.say(f"/app {scene['number']}")
    from bot.app import services_of

    returned = await disable_in(services_of(bot.app).db, 2001, bot.clock.now())
    assert returned == [app["id"]]
    accept = StageActionPress(Act.ACCEPT, app["id"], app["version"]).encode()
    answer = await manager.press_stale(card.message_id, accept)
    assert "不能" in (answer.text or "")
    reply = await manager.say(f"/app {scene['number']}")
    assert "HV-" not in (reply.text or "") or "没有找到" in (reply.text or "")
    after = await app_row(bot)
    assert after["step"] == "accept_review" and after["customer_manager_id"] is None


async def test_reassignment_and_project_manager_are_told(
    scene: dict[str, object], emulator: BotApiEmulator, bot: BotRunner
) -> None:
    manager, supervisor, alice, project = (
        scene[k] for k in ("manager", "supervisor", "alice", "project")
    )
    # A supervisor of the district hands it to a manager of the same district.
    other = await enrol(emulator, bot, 2005, Role.CUSTOMER_MANAGER, "李经理")
    assert isinstance(manager, Customer) and isinstance(other, Customer)
    assert isinstance(supervisor, Customer) and isinstance(alice, Customer)
    assert isinstance(project, Customer)
    number = scene["number"]
    card = await manager.say(f"/app {number}")
    await manager.press(card, "指派项目经理")
    attached = await project.user.wait_for(lambda m: number in (m.text or ""))
    # Attached to an application in progress, by whom, and where it stands: not "new".
    assert "王经理将您指派为这件办理中申请的项目经理" in (attached.text or "")
    assert "目前在：业务受理 · 受理审核中" in (attached.text or "")
    assert "新申请" not in (attached.text or "")
    card = await supervisor.say(f"/app {number}")
    choose = await supervisor.press(card, "改派")
    await supervisor.press(choose, "客户经理 · 李经理")
    taken = await other.user.wait_for(lambda m: number in (m.text or ""))
    assert "陈主管将您指派为这件办理中申请的客户经理" in (taken.text or "")
    await manager.user.wait_for(lambda m: "不再负责" in (m.text or ""))
    told = await alice.user.wait_for(lambda m: "改由" in (m.text or ""))
    assert "李经理" in (told.text or "")
    [row] = await bot.query("SELECT customer_manager_id, project_manager_id FROM applications")
    assert (row["customer_manager_id"], row["project_manager_id"]) == (2005, 2002)
    kinds = [e["kind"] for e in await bot.query("SELECT kind FROM events")]
    assert "reassigned" in kinds and "project_attached" in kinds
    # The old manager's powers over it are gone.
    reply = await manager.say(f"/app {number}")
    assert "没有找到" in (reply.text or "")


async def test_messages_relay_both_ways_and_stay_on_the_card(
    scene: dict[str, object], bot: BotRunner
) -> None:
    manager, alice = scene["manager"], scene["alice"]
    assert isinstance(manager, Customer) and isinstance(alice, Customer)
    prompt = await alice.say("/contact")
    assert "王经理" in (prompt.text or "")
    await alice.say("请问什么时候来现场勘查？")
    relayed = await manager.user.wait_for(lambda m: "现场勘查？" in (m.text or ""))
    assert str(scene["number"]) in (relayed.text or "")
    await manager.press(relayed, "↩️ 回复")
    await manager.say("下周一上午")
    reply = await alice.user.wait_for(lambda m: "下周一上午" in (m.text or ""))
    assert "王经理" in (reply.text or "")
    await alice.press(reply, "↩️ 回复")
    await alice.upload_pdf("site-photo.pdf")
    attachment = await manager.user.wait_for(lambda m: m.document is not None)
    assert "附件" in (attachment.caption or "")
    card = await manager.say(f"/app {scene['number']}")
    assert "请问什么时候来现场勘查？" in (card.text or "") and "下周一上午" in (card.text or "")
    rows = await bot.query("SELECT sender_role FROM thread_messages ORDER BY id")
    assert [r["sender_role"] for r in rows] == ["customer", "customer_manager", "customer"]


async def test_before_assignment_messages_go_to_supervisors(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    supervisor = await enrol(emulator, bot, 2003, Role.SUPERVISOR, "陈主管")
    alice = Customer(emulator, emulator.user(1001, first_name="张伟"))
    number = await submit_application(alice)
    done = alice.user.last_message()
    assert done is not None and "正在为您指派客户经理" in (done.text or "")
    alert = await supervisor.user.wait_for(lambda m: "无人可接" in (m.text or ""))
    assert number in (alert.text or "")
    await alice.say("/contact")
    await alice.say("有人吗？")
    await supervisor.user.wait_for(lambda m: "有人吗？" in (m.text or ""))
    await asyncio.sleep(0)


async def test_a_press_that_does_not_decode_is_answered_like_an_old_button(
    scene: dict[str, object], bot: BotRunner
) -> None:
    """Through the bot's own handlers: data no press class reads (an older release's shape,
    an unknown action, a field too many, a letter for an id) reaches no workflow handler
    and gets the answer any out-of-date button gets; nothing changes."""
    manager = scene["manager"]
    assert isinstance(manager, Customer)
    app = await app_row(bot)
    card = await manager.say(f"/app {scene['number']}")
    accept = StageActionPress(Act.ACCEPT, app["id"], app["version"]).encode()
    old_button = await manager.press_stale(card.message_id, "zz:from-a-removed-feature")
    assert old_button.show_alert and old_button.text
    for forged in (
        f"wf:accept:{app['id']}:{app['version']}",  # before the codec
        accept.replace(":accept:", ":nuke:"),
        accept + ":7",
        accept.replace(f":{app['id']}:", ":x:"),
        f"1:wfe:maybe:{app['id']}:{app['version']}",
        "1:card:",
        "1:docs:-",
    ):
        answer = await manager.press_stale(card.message_id, forged)
        assert (answer.text, answer.show_alert) == (old_button.text, old_button.show_alert), forged
    assert await app_row(bot) == app
    # The genuine press still works afterwards: the forged ones left no state behind.
    await manager.press_stale(card.message_id, accept)
    assert (await app_row(bot))["step"] == "survey_propose"
