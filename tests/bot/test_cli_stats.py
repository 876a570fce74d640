"""``hvconnect stats`` and ``hvconnect export`` against a database in a temporary directory."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from bot.cli.main import main
from process.metrics import Question
from process.roles import Role
from storage.db import Database
from storage.events import EventsRepo
from storage.migrate import migrate
from storage.sealing.crypto import FieldCipher, generate_secret_key
from storage.survey import save_answer, save_submission, survey_of
from tests.storage.staff_samples import enrol, submit
from tests.storage.survey_samples import invited

TZ = ZoneInfo("Asia/Shanghai")
NOV = datetime(2026, 11, 2, 10, 0, tzinfo=TZ)  # a Monday
PERIOD = ["--from", "2026-11-01", "--to", "2026-11-30"]


@pytest.fixture
def database(cli_database: Path | str, monkeypatch: pytest.MonkeyPatch) -> Path | str:
    path = cli_database
    for name in (
        "HVCONNECT_CONFIG",
        "HVCONNECT_TOKEN",
        "TELEGRAM_BOT_TOKEN",
        "HVCONNECT_SECRET_KEY",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HVCONNECT_DB", str(path))
    return path


def _with_db(
    path: Path | str, work: Callable[[Database], Awaitable[None]], cipher: FieldCipher | None = None
) -> None:
    async def go() -> None:
        db = await Database.open(path, cipher=cipher)
        try:
            await migrate(db, NOV)
            await work(db)
        finally:
            await db.close()

    asyncio.run(go())


async def _answer(
    db: Database,
    application_id: int,
    customer: int,
    overall: int,
    recommend: int,
    comment: str | None,
) -> None:
    when = NOV + timedelta(days=3)
    async with db.transaction() as conn:
        survey = await survey_of(conn, application_id)
        assert survey is not None and survey.customer_id == customer
        for question, value in (
            (Question.OVERALL, overall),
            (Question.SPEED, 4),
            (Question.SERVICE, 4),
            (Question.INFORMED, 4),
            (Question.RECOMMEND, recommend),
        ):
            await save_answer(conn, survey.id, question, value, when)
        await save_submission(conn, survey.id, comment, when)


async def _november(db: Database) -> None:
    """Three applications in November (two energized and answered) and one in October."""
    await enrol(db, 2001, Role.CUSTOMER_MANAGER, name="王经理", district="汉台区")
    first = await invited(
        db,
        1001,
        NOV + timedelta(days=2),
        submitted_at=NOV,
        applicant_name='=HYPERLINK("http://x","点我")',
    )
    second = await invited(db, 1002, NOV + timedelta(days=2), submitted_at=NOV, district="南郑区")
    await submit(db, 1003, now=NOV + timedelta(days=1), manager=2001)
    await submit(db, 1004, now=NOV - timedelta(days=5))  # October: outside the period
    await _answer(db, first.id, 1001, 5, 10, "=1+1 很好")
    await EventsRepo(db).record(
        application_id=first.id,
        actor_id=2001,
        actor_role="customer_manager",
        kind="service_recovery",
        now=NOV,
        note="回访\x07完成",
    )  # a control character Excel refuses
    await _answer(db, second.id, 1002, 3, 6, None)


def test_stats_prints_the_figures_of_the_period(
    database: Path | str, capsys: pytest.CaptureFixture[str]
) -> None:
    _with_db(database, _november)
    assert main(["stats", *PERIOD]) == 0
    out = capsys.readouterr().out
    assert "hvconnect statistics 2026-11 (all districts" in out
    assert "Applications: 3 (2 energized, 1 in progress, 0 withdrawn)" in out
    assert "Satisfaction: 50.0% satisfied (4-5), NPS 0.0, response rate 100.0% (2 of 2" in out
    assert "Time saving, single supply: T_after 2.0 working days against T_before 40: 95.0%" in out
    lines = out.splitlines()
    assert any(line.split()[:2] == ["accept", "2"] for line in lines)
    assert any(line.startswith("汉台区") and line.split()[1] == "2" for line in lines)
    assert any(line.startswith("王经理") for line in lines)

    assert main(["stats", *PERIOD, "--district", "南郑区", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["period"] == {"from": "2026-11-01", "to": "2026-11-30"}
    assert figures["district"] == "南郑区"
    summary = figures["summary"]
    assert (summary["applications"], summary["completed"]) == (1, 1)
    assert summary["survey"]["satisfaction_rate"] == 0.0 and summary["survey"]["nps"] == -100.0
    assert figures["by_district"] == {}
    assert [m["month"] for m in figures["satisfaction_by_month"]] == ["2026-11"]


def test_export_writes_a_workbook_and_a_csv(
    database: Path | str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _with_db(database, _november)
    book_path = tmp_path / "out" / "report.xlsx"
    book_path.parent.mkdir()
    assert main(["export", *PERIOD, "--out", str(book_path)]) == 0
    assert "wrote 3 application(s) submitted in 2026-11" in capsys.readouterr().out
    book = load_workbook(book_path)
    assert book.sheetnames == ["申请", "事件", "满意度调查", "汇总"]
    rows = list(book["申请"].iter_rows(values_only=True))
    assert len(rows) == 4 and rows[0][0] == "申请编号"
    # A name that looks like a formula stays text.
    cell = book["申请"]["B2"]
    assert cell.value == '=HYPERLINK("http://x","点我")' and cell.data_type == "s"
    assert [r[14] for r in rows[1:]] == [2, 2, None]  # utility days of energized ones
    assert [r[16] for r in rows[1:]] == ["是", "是", None]
    events = list(book["事件"].iter_rows(values_only=True))
    assert sum(r[2] == "已送电" for r in events[1:]) == 2
    assert ("已回访客户", "王经理", "客户经理", "回访完成") in {r[2:] for r in events[1:]}
    answers = list(book["满意度调查"].iter_rows(values_only=True))
    assert [(r[4], r[8], r[9]) for r in answers[1:]] == [(5, 10, "=1+1 很好"), (3, 6, None)]
    figures = {r[0]: r[1] for r in book["汇总"].iter_rows(min_row=2, values_only=True)}
    assert (figures["申请数"], figures["已送电"], figures["满意率（4–5分）"]) == (3, 2, 50.0)
    assert figures["单电源：平均用时（T_after）"] == 2.0

    csv_path = tmp_path / "out" / "report.csv"
    assert main(["export", *PERIOD, "--out", str(csv_path)]) == 0
    raw = csv_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads the Chinese as UTF-8
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert table[0][:2] == ["申请编号", "申请单位"] and table[0][-1] == "意见建议"
    assert len(table) == 4
    assert table[1][1] == '\'=HYPERLINK("http://x","点我")'  # not a formula in Excel
    assert table[1][-1] == "'=1+1 很好" and table[2][-1] == "" and table[3][-6] == ""


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["stats", "--from", "2026-13-01"], "--from: expected a day like 2026-11-30"),
        (["stats", "--from", "2026-12-01", "--to", "2026-11-01"], "comes after the last"),
        (["stats", "--district", "火星"], "--district: expected one of"),
        (["export", "--out", "report.txt"], "--out: expected a file ending in .xlsx or .csv"),
    ],
)
def test_bad_options_are_named(
    database: Path | str, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err
    if isinstance(database, Path):
        assert not database.exists()  # refused before anything was opened


def test_sealed_personal_data_needs_the_key(
    database: Path | str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    key = generate_secret_key()
    _with_db(database, _november, cipher=FieldCipher.from_secrets(key))
    assert main(["stats", *PERIOD]) == 1
    assert "HVCONNECT_SECRET_KEY" in capsys.readouterr().err
    monkeypatch.setenv("HVCONNECT_SECRET_KEY", key)
    assert main(["stats", *PERIOD]) == 0
    assert "Applications: 3" in capsys.readouterr().out
