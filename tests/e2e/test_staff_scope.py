"""Staff see and act within their reach only: a supervisor their district, a manager what
they hold, admins and supervisors of every district everything. What lies outside is
answered exactly as what does not exist, whatever is typed or forged."""

from __future__ import annotations

import pytest

from flows.workflow.buttons import DocumentsPress
from notifications.buttons import HandOverPress, HeldAs, OpenCardPress, StageActionPress
from process.roles import Role
from process.workflow import Act
from sandbox.emulator import BotApiEmulator
from tests.e2e.apply_walk import submit_application
from tests.e2e.customer import Customer
from tests.e2e.harness import BotRunner
from tests.e2e.staffing import enrol

MISSING = "HV-2026-999999"


@pytest.fixture
async def scene(emulator: BotApiEmulator, bot: BotRunner) -> dict[str, Customer | str]:
    """Two districts, each with a customer manager and a supervisor; one supervisor of every
    district; one application in 汉台区."""
    people: dict[str, Customer | str] = {
        "hantai_cm": await enrol(emulator, bot, 2001, Role.CUSTOMER_MANAGER, "王经理"),
        "nanzheng_cm": await enrol(emulator, bot, 2004, Role.CUSTOMER_MANAGER, "李经理", "南郑区"),
        "hantai_sup": await enrol(emulator, bot, 3001, Role.SUPERVISOR, "陈主管"),
        "nanzheng_sup": await enrol(emulator, bot, 3002, Role.SUPERVISOR, "周主管", "南郑区"),
        "all_sup": await enrol(emulator, bot, 3003, Role.SUPERVISOR, "吴总", None),
    }
    alice = Customer(emulator, emulator.user(1001, first_name="张伟"))
    people["number"] = await submit_application(alice)
    return people


def _member(scene: dict[str, Customer | str], key: str) -> Customer:
    found = scene[key]
    assert isinstance(found, Customer)
    return found


async def _application(bot: BotRunner) -> dict[str, object]:
    [row] = await bot.query(
        "SELECT id, version, step, district, customer_manager_id, project_manager_id"
        " FROM applications"
    )
    return dict(row)


async def test_a_supervisor_of_another_district_learns_nothing(
    scene: dict[str, Customer | str], bot: BotRunner
) -> None:
    outsider = _member(scene, "nanzheng_sup")
    number = str(scene["number"])
    app = await _application(bot)
    assert app["district"] == "汉台区" and app["customer_manager_id"] == 2001

    # /app: the same answer as for a number that does not exist.
    seen = await outsider.say(f"/app {number}")
    missing = await outsider.say(f"/app {MISSING}")
    assert (seen.text or "").replace(number, "N") == (missing.text or "").replace(MISSING, "N")
    assert "没有找到" in (seen.text or "") and "北一环路" not in (seen.text or "")

    # /find by number, by name, by mobile, by credit code: nothing.
    for typed in (number, "天汉", "13800138000", "91350100M000100Y43"):
        found = await outsider.say(f"/find {typed}")
        assert (found.text or "").startswith("没有找到与"), typed

    # /queue and /overdue of 南郑区 hold nothing of 汉台区.
    queue = await outsider.say("/queue")
    assert number not in (queue.text or "") and "南郑区目前没有在办的申请" in (queue.text or "")
    overdue = await outsider.say("/overdue")
    assert number not in (overdue.text or "")
    exported = await outsider.say("/export")
    assert "（南郑区）：申请 0 件" in (exported.caption or ""), exported.caption

    # Forged buttons for the application, as for one that does not exist: the same answer,
    # and nothing changes.
    last = outsider.user.last_message()
    assert last is not None
    for forged in (
        OpenCardPress(0).encode().replace(":0", ":{id}"),
        DocumentsPress(0).encode().replace(":0", ":{id}"),
        "1:mg:reassign:{id}:{version}",
        "1:mgto:{id}:{version}:cm:2004",
        "1:mg:attach_pm:{id}:{version}",
        StageActionPress(Act.ACCEPT, 0, 0).encode().replace(":0:0", ":{id}:{version}"),
        "1:rp:{id}",
    ):
        real = await outsider.press_stale(last.message_id, forged.format(**app))
        absent = await outsider.press_stale(
            last.message_id, forged.format(id=987654, version=app["version"])
        )
        assert real.text and real.show_alert, forged
        assert (real.text, real.show_alert) == (absent.text, absent.show_alert), forged
    assert await _application(bot) == app
    kinds = [row["kind"] for row in await bot.query("SELECT kind FROM events")]
    assert "reassigned" not in kinds and "accept" not in kinds
    nanzheng_cm = _member(scene, "nanzheng_cm")
    assert not [m for m in nanzheng_cm.user.messages() if number in (m.text or "")]


async def test_the_district_supervisor_reassigns_within_the_district(
    scene: dict[str, Customer | str], emulator: BotApiEmulator, bot: BotRunner
) -> None:
    supervisor = _member(scene, "hantai_sup")
    number = str(scene["number"])
    await enrol(emulator, bot, 2005, Role.CUSTOMER_MANAGER, "赵经理")
    card = await supervisor.say(f"/app {number}")
    assert number in (card.text or "") and "北一环路" in (card.text or "")
    found = await supervisor.say("/find 天汉")
    assert number in (found.text or "")
    exported = await supervisor.say("/export")
    assert "（汉台区）：申请 1 件" in (exported.caption or ""), exported.caption
    choose = await supervisor.press(card, "改派")
    offered = choose.buttons
    assert "客户经理 · 赵经理" in offered
    assert not [text for text in offered if "李经理" in text]  # 南郑区's manager
    # A forged button for 南郑区's manager is refused; 汉台区's own is taken.
    app = await _application(bot)
    refused = await supervisor.press_stale(
        choose.message_id,
        HandOverPress(app["id"], app["version"], HeldAs.CUSTOMER_MANAGER, 2004).encode(),
    )
    assert refused.show_alert and "不能" in (refused.text or "")
    assert await _application(bot) == app
    await supervisor.press(choose, "客户经理 · 赵经理")
    assert (await _application(bot))["customer_manager_id"] == 2005


async def test_every_district_and_held_only(
    scene: dict[str, Customer | str], bot: BotRunner
) -> None:
    number = str(scene["number"])
    overall = _member(scene, "all_sup")
    card = await overall.say(f"/app {number}")
    assert "北一环路" in (card.text or "")
    assert number in ((await overall.say("/find 天汉")).text or "")
    assert number in ((await overall.say("/queue")).text or "")
    # A customer manager of another district, and one of the same district who does not
    # hold it, see nothing of it either.
    assert number not in ((await _member(scene, "nanzheng_cm").say("/find 天汉")).text or "")
    holder = _member(scene, "hantai_cm")
    assert number in ((await holder.say("/find 天汉")).text or "")
