"""Every staff action is in the audit trail, and ``hvconnect audit`` prints the whole record."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.app import services_of
from bot.cli.audit_print import print_audit
from bot.cli.main import main
from process.roles import Role
from sandbox.emulator import BotApiEmulator
from storage.audit import audit_trail
from storage.db import Database
from storage.events import EventsRepo
from storage.migrate import migrate
from storage.staff.members import StaffRepo
from storage.users import UsersRepo
from tests.e2e.customer import Customer
from tests.e2e.harness import BotRunner
from tests.e2e.staff_seed import seed_application
from tests.e2e.staffing import enrol
from tests.e2e.test_five_stages import act
from tests.keys import TEST_SECRET_KEY, make_test_cipher
from tests.security.sample_data import CONTACT, PHONE, RELAYED, write_everything
from tests.storage.samples import NOW
from tests.storage_steps import disable_in, ensure_admin_in, redeem_in

ADMIN, MEMBER = 9001, 2001


async def _staff_events(db: Database) -> list[tuple[str, int | None, str, object]]:
    rows = await db.fetchall(
        "SELECT kind, actor_id, actor_role, data FROM events WHERE application_id IS NULL "
        "ORDER BY id"
    )
    return [(r["kind"], r["actor_id"], r["actor_role"], r["data"]) for r in rows]


async def test_changes_to_the_staff_are_events_with_their_actor(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "hv.db", cipher=make_test_cipher())
    await migrate(db, NOW)
    try:
        users, staff = UsersRepo(db), StaffRepo(db)
        for user_id in (ADMIN, MEMBER):
            await users.touch(
                user_id=user_id,
                chat_id=user_id,
                first_name=None,
                username=None,
                default_locale="zh_CN",
                now=NOW,
            )
        await ensure_admin_in(db, ADMIN, name="管理员", now=NOW)
        await ensure_admin_in(db, ADMIN, name="管理员", now=NOW)  # no change, no event
        code = await staff.create_invite(
            role=Role.CUSTOMER_MANAGER, name="王经理", district="汉台区", created_by=ADMIN, now=NOW
        )
        await redeem_in(db, code, user_id=MEMBER, now=NOW)
        await disable_in(db, MEMBER, NOW, by=ADMIN)
        await disable_in(db, MEMBER, NOW, by=ADMIN)  # already disabled: nothing new
        kinds = [(kind, actor, role) for kind, actor, role, _ in await _staff_events(db)]
        assert kinds == [
            ("staff_admin_configured", None, "operator"),
            ("staff_invited", ADMIN, "admin"),
            ("staff_joined", MEMBER, "customer_manager"),
            ("staff_disabled", ADMIN, "admin"),
        ]
        assert code.replace("-", "") not in str(await _staff_events(db))  # codes never logged
    finally:
        await db.close()


async def test_staff_actions_on_an_application_name_who_did_them(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    manager = await enrol(emulator, bot, MEMBER, Role.CUSTOMER_MANAGER, "王经理")
    assert bot.app is not None
    svc = services_of(bot.app)
    application = await seed_application(
        svc, customer_id=1001, manager=MEMBER, contact_name=CONTACT, contact_mobile=PHONE
    )
    alice = Customer(emulator, emulator.user(1001, first_name="Alice"))
    await alice.say("/start")
    await alice.say("/contact")
    await alice.say(RELAYED)
    relayed = await manager.user.wait_for(lambda m: RELAYED in (m.text or ""))
    await manager.press(relayed, "↩️ 回复")
    await manager.say("明天上午到")
    await alice.user.wait_for(lambda m: "明天上午到" in (m.text or ""))
    await act(manager, application.number, "受理")
    await alice.user.wait_for(lambda m: "已受理" in (m.text or ""))
    events = await EventsRepo(svc.db).for_application(application.id)
    by_staff = [(e.kind, e.actor_role) for e in events if e.actor_id == MEMBER]
    assert ("message_to_customer", "customer_manager") in by_staff
    assert ("accept", "customer_manager") in by_staff

    trail = await audit_trail(svc.db, application.number)
    assert trail is not None
    out = io.StringIO()
    print_audit(trail, ZoneInfo("Asia/Shanghai"), out)
    text = out.getvalue()
    assert text.startswith(application.number)
    assert f"contact {CONTACT} {PHONE}" in text  # opened for the auditor
    assert "submitted" in text and "customer: Alice (#1001)" in text
    assert "accept" in text and "customer manager: 王经理 (#2001)" in text
    assert f"customer Alice (#1001): {RELAYED}" in text
    assert "customer manager 王经理 (#2001): 明天上午到" in text
    assert f"history ({len(events)} events)" in text and "documents (0)" in text


def test_the_audit_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "hv.db"

    async def prepare() -> str:
        db = await Database.open(path, cipher=make_test_cipher())
        await migrate(db, NOW)
        application = await write_everything(db)
        await db.close()
        return application.number

    number = asyncio.run(prepare())
    for name in ("HVCONNECT_CONFIG", "HVCONNECT_TOKEN", "TELEGRAM_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HVCONNECT_DB", str(path))
    monkeypatch.setenv("HVCONNECT_SECRET_KEY", TEST_SECRET_KEY)
    assert main(["audit", number.lower()]) == 0
    out = capsys.readouterr().out
    assert out.startswith(number) and CONTACT in out and RELAYED in out
    assert "nameplate: nameplate.jpg (image/jpeg, 1234 bytes) by Alice (#4242)" in out
    assert main(["audit", "HV-2026-999999"]) == 1
    assert "no application HV-2026-999999" in capsys.readouterr().err
    monkeypatch.delenv("HVCONNECT_SECRET_KEY")
    assert main(["audit", number]) == 1  # sealed data and no key: refused, not garbled
    assert "HVCONNECT_SECRET_KEY" in capsys.readouterr().err
