"""``hvconnect staff invite | list | disable`` against a database in a temporary directory."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.cli.main import main
from bot.cli.staff import display_width
from process.roles import Role
from storage.db import Database
from storage.migrate import migrate
from storage.staff.members import StaffRepo
from tests.storage.staff_samples import add_user, enrol, submit
from tests.storage_steps import redeem_in

CODE = re.compile(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{2}")
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def database(cli_database: Path | str, monkeypatch: pytest.MonkeyPatch) -> Path | str:
    path = cli_database
    for name in ("HVCONNECT_CONFIG", "HVCONNECT_TOKEN", "TELEGRAM_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HVCONNECT_DB", str(path))
    monkeypatch.setenv("HVCONNECT_ADMINS", "9001")
    return path


def _in_db(path: Path | str, work: object) -> object:
    async def go() -> object:
        db = await Database.open(path)
        try:
            await migrate(db, NOW)
            assert callable(work)
            return await work(db)
        finally:
            await db.close()

    return asyncio.run(go())


def test_invite_prints_a_code_that_enrols(
    database: Path | str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["staff", "invite", "--role", "cm", "--name", "李娜", "--district", "汉台区"]) == 0
    out = capsys.readouterr().out
    match = CODE.search(out)
    assert match is not None
    assert "李娜 (customer_manager, 汉台区)" in out and f"/join {match.group()}" in out
    assert "Valid once, until" in out

    async def redeem(db: Database) -> object:
        await add_user(db, 2001)
        return await redeem_in(db, match.group(), user_id=2001, now=NOW)

    member = _in_db(database, redeem)
    assert getattr(member, "role", None) is Role.CUSTOMER_MANAGER


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--role", "boss", "--name", "李娜"], "--role: expected one of"),
        (["--role", "admin", "--name", "李娜2"], "--name: not a usable name"),
        (["--role", "pm", "--name", "李娜", "--district", "Atlantis"], "--district: expected"),
    ],
)
def test_invite_refuses_bad_input_with_one_line(
    database: Path | str, capsys: pytest.CaptureFixture[str], args: list[str], complaint: str
) -> None:
    assert main(["staff", "invite", *args]) == 2
    captured = capsys.readouterr()
    assert complaint in captured.err and captured.out == ""


def test_list_shows_members_with_their_open_applications(
    database: Path | str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["staff", "list"]) == 0
    assert "No staff yet" in capsys.readouterr().out

    async def seed(db: Database) -> object:
        await enrol(db, 2001, Role.CUSTOMER_MANAGER, name="李娜", district="汉台区")
        await enrol(db, 3001, Role.SUPERVISOR, name="Wang")
        await submit(db, 1001, manager=2001)
        await submit(db, 1002, manager=2001)
        return None

    _in_db(database, seed)
    assert main(["staff", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["id", "name", "role", "district", "active", "open"]
    assert lines[1].split() == ["2001", "李娜", "customer_manager", "汉台区", "yes", "2"]
    assert lines[2].split() == ["3001", "Wang", "supervisor", "all", "yes", "0"]
    # Columns line up on a terminal, where a Chinese character takes two columns.
    before = [
        line[: line.index(role)] for line, role in zip(lines[1:], ("cus", "sup"), strict=True)
    ]
    assert display_width(before[0]) == display_width(before[1]) == len("2001  Wang  ")


def test_disable_hands_back_work_and_queues_alerts(
    database: Path | str, capsys: pytest.CaptureFixture[str]
) -> None:
    async def seed(db: Database) -> object:
        await enrol(db, 2001, Role.CUSTOMER_MANAGER, name="李娜", district="汉台区")
        await enrol(db, 3001, Role.SUPERVISOR, name="Wang", district="汉台区")
        await submit(db, 1001, manager=2001)
        return None

    _in_db(database, seed)
    assert main(["staff", "disable", "2001"]) == 0
    out = capsys.readouterr().out
    assert "Disabled 李娜 (2001, customer_manager). 1 open application(s)" in out

    async def check(db: Database) -> object:
        member = await StaffRepo(db).get(2001)
        outbox = await db.fetchall("SELECT user_id, kind FROM outbox")
        return member, [tuple(row) for row in outbox]

    member, outbox = _in_db(database, check)  # type: ignore[misc]
    assert not member.active
    assert outbox == [(3001, "staff.unassigned")]

    assert main(["staff", "disable", "2001"]) == 0
    assert "already disabled" in capsys.readouterr().out
    assert main(["staff", "disable", "404"]) == 1
    assert "no staff member 404" in capsys.readouterr().err


def test_disabling_a_configured_admin_warns(
    database: Path | str, capsys: pytest.CaptureFixture[str]
) -> None:
    _in_db(database, lambda db: enrol(db, 9001, Role.ADMIN))
    assert main(["staff", "disable", "9001"]) == 0
    assert "HVCONNECT_ADMINS" in capsys.readouterr().out
