"""/stats, /overdue and /export in the chat: for supervisors and admins only, scoped to the
supervisor's district, with a real PNG chart and a workbook that opens."""

from __future__ import annotations

import io
import struct

from openpyxl import load_workbook

from process.metrics import QUESTIONS
from process.roles import Role
from sandbox.emulator import BotApiEmulator
from sandbox.messages import SentMessage
from storage.survey import save_answer, save_submission, survey_of
from tests.e2e.apply_walk import submit_application
from tests.e2e.customer import Customer
from tests.e2e.harness import BotRunner, shanghai
from tests.e2e.staffing import enrol
from tests.e2e.survey_walk import (
    customer_with_chat,
    energized,
    run_sweep,
    submitted,
    svc_of,
)


async def _answer(
    bot: BotRunner,
    application_id: int,
    customer_id: int,
    scores: tuple[int, int, int, int, int],
    comment: str | None,
) -> None:
    # Written straight to the tables, as answers the chat stored: no low-score alert here.
    now = bot.clock.now()
    async with svc_of(bot).db.transaction() as conn:
        survey = await survey_of(conn, application_id)
        assert survey is not None and survey.customer_id == customer_id
        for question, value in zip(QUESTIONS, scores, strict=True):
            await save_answer(conn, survey.id, question, value, now)
        await save_submission(conn, survey.id, comment, now)


async def _download(emulator: BotApiEmulator, message: SentMessage) -> bytes:
    if message.photo:
        return emulator.file_content(message.photo[-1]["file_id"])
    assert message.document is not None
    return emulator.file_content(message.document["file_id"])


async def _setting(emulator: BotApiEmulator, bot: BotRunner) -> dict[str, object]:
    """Four applications: two energized and surveyed, one overdue in acceptance (汉台区), and
    one open in 南郑区."""
    await enrol(emulator, bot, 2001, Role.CUSTOMER_MANAGER, "王经理")
    await enrol(emulator, bot, 2005, Role.CUSTOMER_MANAGER, "孙经理", district="南郑区")
    customers: list[Customer] = [
        await customer_with_chat(emulator, 1001 + i, name)
        for i, name in enumerate(("张伟", "李强", "赵敏", "钱进"))
    ]
    happy = await energized(bot, customers[0], manager_id=2001)
    unhappy = await energized(bot, customers[1], manager_id=2001, project="三期仓库")
    late = await submitted(bot, customers[2], manager_id=2001, project="冷库扩建")
    south = await submitted(
        bot, customers[3], manager_id=2005, project="南郑新厂", district="南郑区"
    )
    await run_sweep(bot, shanghai(2026, 11, 30, 10, 0))
    await _answer(bot, happy.id, 1001, (5, 4, 5, 5, 10), "很满意")
    await _answer(bot, unhappy.id, 1002, (2, 1, 3, 2, 3), "太慢了")
    bot.clock.set(shanghai(2026, 12, 2, 10, 0))
    return {"happy": happy, "unhappy": unhappy, "late": late, "south": south}


async def test_stats_for_a_district_supervisor_with_a_png_chart(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    apps = await _setting(emulator, bot)
    supervisor = await enrol(emulator, bot, 2003, Role.SUPERVISOR, "陈主管")
    manager = Customer(emulator, emulator.user(2001))
    customer = Customer(emulator, emulator.user(1001))
    # A customer hears it is for staff; a customer manager, which roles it is for.
    for outsider, answer in ((manager, "仅供主管和管理员使用"), (customer, "工作人员")):
        assert answer in ((await outsider.say("/stats")).text or "")
        assert answer in ((await outsider.say("/export")).text or "")
        assert answer in ((await outsider.say("/overdue")).text or "")

    supervisor.user.mark()
    await supervisor.user.send_text("/stats")
    summary = await supervisor.user.wait_for(lambda m: "业扩报装统计" in (m.text or ""))
    chart = await supervisor.user.wait_for(lambda m: bool(m.photo))
    text = summary.text or ""
    assert "业扩报装统计 · 2026（汉台区" in text
    assert "申请 3 件：已送电 2，办理中 1" in text
    assert "满意率 50.0%（4–5 分）· NPS 0.0 · 回复率 100.0%（2/2）" in text
    assert "平均分：总体 3.5 · 速度 2.5 · 服务 4.0 · 告知 3.5 · 推荐 6.5/10" in text
    assert "单电源：平均 0.0 天，原九环节 40 天，节约 100.0%（2 件）" in text
    assert "1. 业务受理：0.0 / 0.0 / 0.0 · 时限 1 · 100.0% · ⚠️ 1" in text
    assert "王经理：3 件 · 50.0% · 100.0% · ⚠️ 1" in text
    assert "按区县" not in text  # one district's supervisor sees one district
    assert "南郑" not in text and "孙经理" not in text
    png = await _download(emulator, chart)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert png[12:16] == b"IHDR"
    assert struct.unpack(">II", png[16:24]) == (1000, 450)
    assert "各环节平均用时" in (chart.caption or "")

    await supervisor.user.send_text("/stats 2026-13")
    bad = await supervisor.user.wait_for(lambda m: "没有看懂" in (m.text or ""))
    assert "/stats 2026-10-01..2026-11-30" in (bad.text or "")
    await supervisor.user.send_text("/stats 2026-10")
    await supervisor.user.wait_for(lambda m: "这段时间没有提交的申请" in (m.text or ""))
    await supervisor.user.wait_for(lambda m: bool(m.photo))  # a chart even without data

    overdue = await supervisor.say("/overdue")
    assert "超期申请 · 汉台区</b>" in (overdue.html or "") or "超期申请 · 汉台区" in (
        overdue.text or ""
    )
    late = apps["late"]
    assert late.number in (overdue.text or "")  # type: ignore[attr-defined]
    assert "期限 2026年11月30日（周一） · 超 2 个工作日" in (overdue.text or "")
    assert "客户经理：王经理" in (overdue.text or "")
    assert apps["south"].number not in (overdue.text or "")  # type: ignore[attr-defined]


async def test_an_admin_sees_every_district_and_exports_a_workbook(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    apps = await _setting(emulator, bot)
    head = await enrol(emulator, bot, 2009, Role.SUPERVISOR, "总主管", district=None)
    head.user.mark()
    await head.user.send_text("/stats 2026-11")
    summary = await head.user.wait_for(lambda m: "业扩报装统计" in (m.text or ""))
    assert "申请 4 件" in (summary.text or "")
    assert "汉台区：3 件 · 50.0%" in (summary.text or "")
    assert "南郑区：1 件 · —" in (summary.text or "")
    assert "孙经理：1 件" in (summary.text or "")

    overdue = await head.say("/overdue")
    numbers = [apps[k].number for k in ("late", "south")]  # type: ignore[attr-defined]
    assert all(n in (overdue.text or "") for n in numbers)
    assert "2 件" in (overdue.text or "")

    await head.user.send_text("/export 2026")
    sent = await head.user.wait_for(lambda m: m.document is not None)
    assert sent.document is not None and sent.document["file_name"] == "hvconnect-2026.xlsx"
    assert "申请 4 件" in (sent.caption or "")
    book = load_workbook(io.BytesIO(await _download(emulator, sent)))
    assert book.sheetnames == ["申请", "事件", "满意度调查", "汇总"]
    applications = list(book["申请"].iter_rows(values_only=True))
    assert applications[0][:3] == ("申请编号", "申请单位", "项目名称")
    assert sorted(row[0] for row in applications[1:]) == sorted(
        a.number
        for a in apps.values()  # type: ignore[attr-defined]
    )
    surveys = list(book["满意度调查"].iter_rows(values_only=True))
    assert [(r[4], r[9]) for r in surveys[1:]] == [(5, "很满意"), (2, "太慢了")]
    events = list(book["事件"].iter_rows(values_only=True))
    assert events[0] == ("申请编号", "时间", "事件", "操作人", "角色", "备注")
    # Words a supervisor reads, and names, never internal codes or Telegram ids.
    rows = {(r[0], r[2]): r for r in events[1:]}
    happy = apps["happy"].number  # type: ignore[attr-defined]
    assert rows[(happy, "提交申请")][3:5] == ("张伟", "客户")
    assert rows[(happy, "已送电")][3:5] == ("王经理", "客户经理")
    codes = {"submitted", "energized", "assigned", "customer", "customer_manager", "system"}
    assert not codes & {cell for r in events[1:] for cell in r[2:5]}
    assert not [r for r in events[1:] if str(r[3]).isdigit()]
    figures = {row[0]: row[1] for row in book["汇总"].iter_rows(min_row=2, values_only=True)}
    assert (figures["申请数"], figures["已送电"], figures["办理中"]) == (4, 2, 2)
    assert (figures["满意率（4–5分）"], figures["已邀请"], figures["已答复"]) == (50.0, 2, 2)
    assert figures["单电源：时间节约率"] == 100.0
    assert figures["业务受理：当前超期"] == 2


async def test_the_export_names_a_customer_who_applied_in_the_chat(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    await enrol(emulator, bot, 2001, Role.CUSTOMER_MANAGER, "王经理")
    head = await enrol(emulator, bot, 2009, Role.SUPERVISOR, "总主管", district=None)
    customer = Customer(emulator, emulator.user(1001, first_name="Liu"))
    number = await submit_application(customer, contact_name="刘洋")

    head.user.mark()
    await head.user.send_text("/export 2026")
    sent = await head.user.wait_for(lambda m: m.document is not None)
    book = load_workbook(io.BytesIO(await _download(emulator, sent)))
    events = [r for r in book["事件"].iter_rows(min_row=2, values_only=True) if r[0] == number]
    assert [r[2:5] for r in events] == [
        ("提交申请", "刘洋", "客户"),
        ("指派", None, "系统（自动）"),
    ]
