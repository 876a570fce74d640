"""The sweeps' table in storage: its triggers keep it in step with the stage visits, clock
pauses and owed items; the reads a run makes every minute use an index."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from process.roles import Role
from storage.db import Database
from storage.reminders.reads import unreachable_holdings
from storage.reminders.watch import (
    LOOK_NOW,
    NEVER,
    StageState,
    WatchKind,
    WatchUpdate,
    count_by_kind,
    due_subjects,
    sync_calendar,
    update_watches,
)
from tests.notifications.sweep_rig import at, sweep_rig

MANAGER, CUSTOMER = 2001, 1001


async def _rows(db: Database) -> list[tuple[str, int, str, str]]:
    rows = await db.fetchall(
        "SELECT kind, subject_id, check_on, state FROM reminder_watch ORDER BY kind, subject_id"
    )
    return [(r["kind"], r["subject_id"], r["check_on"], r["state"]) for r in rows]


async def _plan(db: Database, sql: str, params: tuple[object, ...] = ()) -> str:
    rows = await db.fetchall(f"EXPLAIN QUERY PLAN {sql}", params)
    return " | ".join(row["detail"] for row in rows)


async def test_triggers_follow_visits_pauses_and_owed_items(tmp_path: Path) -> None:
    async with sweep_rig(tmp_path, at(2026, 12, 1, 9)) as rig:
        await rig.staff(MANAGER, Role.CUSTOMER_MANAGER, "王经理")
        app = await rig.submit(CUSTOMER, manager=MANAGER, deferred=("site_proof",))
        assert await _rows(rig.db) == [
            ("followup", 1, LOOK_NOW, "new"),
            ("owed", 1, LOOK_NOW, "new"),
            ("stage", 1, LOOK_NOW, "new"),
        ]
        await rig.run()
        assert [(k, s, c) for k, s, c, _ in await _rows(rig.db)] == [
            ("followup", 1, "2026-12-04"),  # three working days of silence ahead
            ("owed", 1, "2026-12-04"),
            ("stage", 1, NEVER),  # its point dates decide from now on
        ]
        (dated,) = await rig.db.fetchall(
            "SELECT deadline_on, dated_on, application_id, cm, stage, limit_days "
            "FROM reminder_watch WHERE kind = 'stage'"
        )
        # The acceptance stage is due tomorrow; what the reminders need is on the row.
        assert tuple(dated) == ("2026-12-02", "2026-12-01", app.id, MANAGER, "accept", 1)

        await rig.act(app.id, "accept", MANAGER)  # visit 1 closed, visit 2 opened
        await rig.act(app.id, "propose_slots", MANAGER)  # its clock pauses; pick:slot owed
        rows = await _rows(rig.db)
        assert [r[:2] for r in rows] == [("followup", 2), ("owed", 1), ("owed", 2), ("stage", 2)]
        assert {r[2] for r in rows if r[1] == 2} == {LOOK_NOW}
        await rig.run()
        assert ("stage", 2, NEVER, StageState.PAUSED.value) in await _rows(rig.db)

        await rig.act(app.id, "pick_slot", CUSTOMER, role="customer")  # resumes, settles
        rows = await _rows(rig.db)
        assert ("owed", 2) not in [r[:2] for r in rows]
        assert ("stage", 2, LOOK_NOW, "new") in rows


async def test_a_changed_calendar_has_every_row_looked_at_again(tmp_path: Path) -> None:
    async with sweep_rig(tmp_path, at(2026, 12, 1, 9)) as rig:
        await rig.submit(CUSTOMER)
        await rig.run()
        assert await sync_calendar(rig.db, "first") is True  # the rig ran with the real one
        async with rig.db.transaction() as conn:
            await update_watches(
                conn, WatchKind.STAGE, [WatchUpdate(1, date(2026, 12, 9), StageState.RUNNING)]
            )
        assert await sync_calendar(rig.db, "first") is False
        assert ("stage", 1, "2026-12-09", "running") in await _rows(rig.db)
        assert await sync_calendar(rig.db, "second") is True
        assert {r[2] for r in await _rows(rig.db)} == {LOOK_NOW}


@pytest.mark.sqlite_only("reads SQLite's EXPLAIN QUERY PLAN")
async def test_the_reads_made_every_minute_use_their_indexes(tmp_path: Path) -> None:
    async with sweep_rig(tmp_path, at(2026, 12, 1, 9)) as rig:
        await rig.submit(CUSTOMER)
        plan = await _plan(
            rig.db,
            "SELECT subject_id FROM reminder_watch WHERE check_on <= ? AND kind = ? "
            "ORDER BY check_on, subject_id LIMIT 500",
            ("2026-12-01", "stage"),
        )
        assert "reminder_watch_check" in plan and "SCAN" not in plan
        # The stages to count afresh are found through their partial index, without reading
        # the rows whose stored point dates decide.
        plan = await _plan(
            rig.db,
            "SELECT subject_id FROM reminder_watch INDEXED BY reminder_watch_to_count "
            "WHERE kind = 'stage' AND check_on <= ? "
            "AND (check_on = '' OR state != 'running' OR deadline_on IS NULL) "
            "ORDER BY check_on, subject_id LIMIT 500",
            ("2026-12-01",),
        )
        assert "reminder_watch_to_count" in plan and "SCAN" not in plan
        async with rig.db.snapshot() as conn:
            assert await unreachable_holdings(conn) == []
            assert await due_subjects(conn, WatchKind.OWED, date(2026, 12, 1), limit=10) == []
        rows = await rig.db.fetchall(
            "SELECT sql FROM sqlite_master WHERE name = 'users_unreachable'"
        )
        assert "WHERE unreachable_at IS NOT NULL" in rows[0]["sql"]


async def test_counts_by_kind_name_every_kind(tmp_path: Path) -> None:
    async with sweep_rig(tmp_path, at(2026, 12, 1, 9)) as rig:
        assert await count_by_kind(rig.db) == {"stage": 0, "followup": 0, "owed": 0}
        with pytest.raises(Exception, match="CHECK"):
            await rig.db.execute("INSERT INTO reminder_watch (kind, subject_id) VALUES ('job', 1)")
