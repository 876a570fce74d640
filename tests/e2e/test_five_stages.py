"""One application walks all five stages in the chat, with staff enrolled by code."""

from __future__ import annotations

from datetime import timedelta

from notifications.buttons import StageActionPress
from process.roles import Role
from process.workflow import Act
from sandbox.emulator import BotApiEmulator
from sandbox.messages import SentMessage
from tests.e2e.apply_walk import submit_application
from tests.e2e.customer import Customer
from tests.e2e.harness import BotRunner
from tests.e2e.staffing import enrol


async def open_card(member: Customer, number: str) -> SentMessage:
    """Send /app and take the card itself, whatever else arrives meanwhile."""
    await member.say(f"/app {number}")
    for message in reversed(member.user.messages()):
        if any(b.text == "🔄 刷新" for b in message.inline_buttons):
            assert number in (message.text or "")
            return message
    raise AssertionError([m.text for m in member.user.messages()[-4:]])


async def act(member: Customer, number: str, label: str) -> SentMessage:
    """Open the card fresh and press one of its action buttons."""
    card = await open_card(member, number)
    return await member.press(card, label)


async def latest_with_button(person: Customer, label: str) -> SentMessage:
    for message in reversed(person.user.messages()):
        if any(b.text == label for b in message.inline_buttons):
            return message
    raise AssertionError(
        f"no message with {label!r}: {[m.text for m in person.user.messages()[-3:]]}"
    )


async def test_application_walks_from_acceptance_to_energized(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    manager = await enrol(emulator, bot, 2001, Role.CUSTOMER_MANAGER, "王经理")
    project = await enrol(emulator, bot, 2002, Role.PROJECT_MANAGER, "赵工")
    await enrol(emulator, bot, 2003, Role.SUPERVISOR, "陈主管")
    alice = Customer(emulator, emulator.user(1001, first_name="张伟"))
    bob = Customer(emulator, emulator.user(1002, first_name="李娜"))
    number = await submit_application(alice, grid_works="需要")
    bobs = await submit_application(bob, project_name="冷库扩容工程")
    assert bobs != number
    assert "您的客户经理是王经理" in (alice.user.last_message().text or "")  # type: ignore[union-attr]

    alert = await manager.user.wait_for(lambda m: "新申请" in (m.text or ""))
    assert number in (alert.text or "")
    assert "新申请" in (
        (await project.user.wait_for(lambda m: number in (m.text or ""))).text or ""
    )
    card = await manager.press(alert, "打开申请")
    assert "受理审核中" in (card.text or "") and "赵工" in (card.text or "")
    assert {"受理", "退回补正资料"} <= {b.text for b in card.inline_buttons}

    # 1. Returned for a missing document; the clock pauses until the customer supplies it.
    asked = await act(manager, number, "退回补正资料")
    assert "请写明缺少" in (asked.text or "")
    await manager.say("缺少法定代表人身份证反面")
    notice = await alice.user.wait_for(lambda m: "需要补正资料" in (m.text or ""))
    assert "缺少法定代表人身份证反面" in (notice.text or "")
    prompt = await alice.press(notice, "补交资料")
    assert "文件已发完" in (prompt.text or "")
    received = await alice.upload_pdf("id-back.pdf")
    done = await alice.press(received, "✅ 文件已发完")
    assert "已完成：补交资料" in (done.text or "")
    await manager.user.wait_for(lambda m: "补交资料" in (m.text or ""))
    await act(manager, number, "受理")
    accepted = await alice.user.wait_for(lambda m: "已受理" in (m.text or ""))
    assert "王经理" in (accepted.text or "")

    # 2. Survey times offered, one picked; survey; the plan with its document; confirmed.
    await act(manager, number, "提出勘查时间")
    await manager.say("2026-11-30 09:00\n2026-12-01 14:30")
    offer = await alice.user.wait_for(lambda m: "选择现场勘查时间" in (m.text or ""))
    assert "2026-11-30 09:00" in (offer.text or "")
    await alice.press(offer, "2026-12-01 14:30")
    picked = await manager.user.wait_for(lambda m: "选择勘查时间" in (m.text or ""))
    assert "2026-12-01 14:30" in (picked.text or "")
    await act(manager, number, "现场勘查完成")
    await alice.user.wait_for(lambda m: "现场勘查已完成" in (m.text or ""))
    await act(manager, number, "答复供电方案")
    received = await manager.upload_pdf("plan.pdf")
    figures_prompt = await manager.press(received, "✅ 文件已发完")
    assert "关键指标" in (figures_prompt.text or "")
    await manager.say("计量方式：高供高计\n业务费用：0 元")
    plan = await alice.user.wait_for(lambda m: m.document is not None)
    assert "高供高计" in (plan.caption or "") and "10 kV" in (plan.caption or "")
    await alice.press(plan, "确认供电方案")

    # 3. Design: returned once, resubmitted, approved by the project manager with all risks.
    card = await open_card(manager, number)
    assert "计时暂停" in (card.text or "") and "设计检查" in (card.text or "")
    prompt = await alice.press(await latest_with_button(alice, "提交设计文件"), "提交设计文件")
    await alice.upload_pdf("design-v1.pdf")
    await alice.press(alice.user.last_message(), "✅ 文件已发完")  # type: ignore[arg-type]
    await act(project, number, "设计退回修改")
    await project.say("接地电阻计算缺失")
    returned = await alice.user.wait_for(lambda m: "需要修改" in (m.text or ""))
    await alice.press(returned, "提交设计文件")
    await alice.upload_pdf("design-v2.pdf")
    await alice.press(alice.user.last_message(), "✅ 文件已发完")  # type: ignore[arg-type]
    await act(project, number, "设计审查通过")
    await project.say("高压开关柜需五防闭锁\n电缆沟需防水封堵\n配电室需两个出口")
    risks = await alice.user.wait_for(lambda m: "一次性告知" in (m.text or ""))
    for point in ("五防闭锁", "防水封堵", "两个出口"):
        assert point in (risks.text or "")
    assert sum("一次性告知" in (m.text or "") for m in alice.user.messages()) == 1

    # 4. Completion inspection: a rectification, then a pass with the contract, signed.
    await alice.press(risks, "申请竣工检验")
    await act(manager, number, "需要整改")
    await manager.say("电缆标识牌缺失")
    fix = await alice.user.wait_for(lambda m: "需要整改" in (m.text or ""))
    await alice.press(fix, "整改完成")
    await act(manager, number, "检验合格，发送合同")
    received = await manager.upload_pdf("contract.pdf")
    await manager.press(received, "✅ 文件已发完")
    contract = await alice.user.wait_for(lambda m: "合同" in (m.caption or ""))
    await alice.press(contract, "确认已签订合同")

    # 5. Meter installation and energization on one day.
    await act(manager, number, "安排装表送电")
    bad = await manager.say("2026-12-05")  # a Saturday
    assert "不是工作日" in (bad.text or "")
    await manager.say("2026-12-07")
    await alice.user.wait_for(lambda m: "2026年12月7日" in (m.text or ""))
    bot.clock.advance(timedelta(days=10))
    await act(manager, number, "已送电")
    await alice.user.wait_for(lambda m: "已送电" in (m.text or ""))

    # The other customer saw none of it, and cannot act on it.
    assert not any(number in (m.text or m.caption or "") for m in bob.user.messages())
    # Forged for the other customer's application: refused whatever the version says.
    refused = await bob.press_stale(
        bob.user.messages()[-1].message_id, StageActionPress(Act.ENERGIZED, 1, 99).encode()
    )
    assert "不能" in (refused.text or "")
    other = await bob.say(f"/status {number}")
    assert "没有找到" in (other.text or "")

    [app] = await bot.query(
        "SELECT stage, step, status, version FROM applications WHERE number = ?", (number,)
    )
    assert (app["stage"], app["step"], app["status"]) == ("done", "done", "done")
    visits = await bot.query(
        "SELECT stage, ended_at FROM stage_visits WHERE application_id = 1 ORDER BY id"
    )
    assert [v["stage"] for v in visits] == ["accept", "plan", "design", "contract", "energize"]
    assert all(v["ended_at"] for v in visits)
    kinds = [
        e["kind"]
        for e in await bot.query("SELECT kind FROM events WHERE application_id = 1 ORDER BY id")
    ]
    for expected in (
        "submitted",
        "assigned",
        "return_missing",
        "supply_missing",
        "accept",
        "propose_slots",
        "pick_slot",
        "survey_done",
        "send_plan",
        "confirm_plan",
        "submit_design",
        "return_design",
        "approve_design",
        "request_inspection",
        "inspection_fail",
        "rectified",
        "inspection_pass",
        "sign_contract",
        "schedule_energization",
        "energized",
    ):
        assert expected in kinds, expected
    docs = [
        d["kind"] for d in await bot.query("SELECT kind FROM documents WHERE application_id = 1")
    ]
    assert {"supplement", "supply_plan", "design", "contract"} <= set(docs)
    assert (
        await bot.query(
            "SELECT * FROM owed_items WHERE resolved_at IS NULL AND kind NOT LIKE 'document:%'"
        )
        == []
    )
