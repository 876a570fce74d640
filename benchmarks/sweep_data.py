"""Open applications written straight into a database with SQL, for the sweep benchmarks.

Open applications in every stage and step, most of them waiting on their customers as in
real life, with their stage visits, clock pauses, events, owed items and the messages
already sent; rows are built in Python and inserted with ``executemany``. The triggers of
migration 0005 mark every stage visit and owed item for a first look, as an upgrade would.
"""

from __future__ import annotations

import asyncio
import random
import shutil
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.config.settings import DEFAULT_DISTRICTS
from storage.db import Database
from storage.migrate import migrate

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)  # a Tuesday
STAFF_BASE = 9_000_000
# (stage, step, limit in working days, clock paused, what the customer owes, share in %).
STEP_MIX = (
    ("accept", "accept_review", 1, False, None, 4),
    ("plan", "survey_propose", 10, False, None, 4),
    ("plan", "survey_pick", 10, True, "pick:slot", 4),
    ("plan", "survey", 10, False, None, 4),
    ("plan", "plan_draft", 10, False, None, 6),
    ("plan", "plan_confirm", 10, True, "confirm:plan", 5),
    ("design", "design_await", 5, True, "submit:design", 14),
    ("design", "design_review", 5, False, None, 5),
    ("design", "building", 5, True, "request:inspection", 30),
    ("contract", "inspection", 3, False, None, 4),
    ("contract", "rectify", 3, True, "rectify", 4),
    ("contract", "contract_sign", 3, True, "sign:contract", 5),
    ("energize", "energize_schedule", 3, False, None, 5),
    ("energize", "energize_day", 3, False, None, 6),
)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


# Every application's stage begun an hour before START, the utility's turn, nothing owed:
# each has reminders ahead of it and none due yet (the job-store comparison's data).
JUST_BEGUN = (("plan", "survey_propose", 10, False, None, 1),)


def generate(
    path: Path,
    applications: int,
    seed: int = 7,
    mix: tuple[tuple[str, str, int, bool, str | None, int], ...] = STEP_MIX,
) -> float:
    """Write ``applications`` open applications into a new database; returns seconds taken."""
    started = time.perf_counter()

    async def schema() -> None:
        db = await Database.open(path)
        await migrate(db, START)
        await db.close()

    asyncio.run(schema())
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous = OFF")
    rng = random.Random(seed)
    created = _stamp(START - timedelta(days=90))
    staff = _staff_rows()
    conn.executemany(
        "INSERT INTO users (user_id, chat_id, first_name, locale, created_at, updated_at) "
        "VALUES (?, ?, ?, 'zh_CN', ?, ?)",
        [(uid, uid, name, created, created) for uid, name, *_ in staff],
    )
    conn.executemany(
        "INSERT INTO staff (user_id, name, role, district, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [(uid, name, role, district, created, created) for uid, name, role, district in staff],
    )
    managers = {
        d: [s[0] for s in staff if s[2] == "customer_manager" and s[3] == d]
        for d in DEFAULT_DISTRICTS
    }
    weighted = [entry for entry in mix for _ in range(entry[5])]
    rows = _Rows()
    for app_id in range(1, applications + 1):
        _application(rows, rng, app_id, weighted, managers, just_begun=mix == JUST_BEGUN)
        if len(rows.applications) >= 20_000:
            rows.flush(conn)
    rows.flush(conn)
    conn.commit()
    conn.close()
    return time.perf_counter() - started


def _staff_rows() -> list[tuple[int, str, str, str | None]]:
    found: list[tuple[int, str, str, str | None]] = []
    uid = STAFF_BASE
    for district in DEFAULT_DISTRICTS:
        for role, count in (("customer_manager", 3), ("project_manager", 1), ("supervisor", 1)):
            for n in range(count):
                uid += 1
                found.append((uid, f"{district}{role[:2]}{n}", role, district))
    found.append((uid + 1, "管理员", "admin", None))
    return found


class _Rows:
    def __init__(self) -> None:
        self.users: list[tuple[object, ...]] = []
        self.applications: list[tuple[object, ...]] = []
        self.visits: list[tuple[object, ...]] = []
        self.pauses: list[tuple[object, ...]] = []
        self.events: list[tuple[object, ...]] = []
        self.owed: list[tuple[object, ...]] = []
        self.outbox: list[tuple[object, ...]] = []
        self.visit_id = 0

    def flush(self, conn: sqlite3.Connection) -> None:
        conn.executemany(
            "INSERT INTO users (user_id, chat_id, first_name, locale, created_at, updated_at) "
            "VALUES (?, ?, ?, 'zh_CN', ?, ?)",
            self.users,
        )
        conn.executemany(
            "INSERT INTO applications (id, number, customer_id, applicant_name, uscc, "
            "project_name, site_address, district, usage_category, voltage_kv, capacity_kva, "
            "supply_mode, important_load, grid_works, wanted_date, contact_name, "
            "contact_mobile, stage, step, status, customer_manager_id, submitted_at, "
            "updated_at) "
            "VALUES (?, ?, ?, ?, '91350100M000100Y43', ?, '北一环路88号', ?, 'large_industry', "
            "10, 2000, 'single', 0, 'no', '2027-06-30', '张工', '13800138000', ?, ?, "
            "'active', ?, ?, ?)",
            self.applications,
        )
        conn.executemany(
            "INSERT INTO stage_visits (id, application_id, stage, limit_days, started_at, "
            "ended_at) VALUES (?, ?, ?, ?, ?, ?)",
            self.visits,
        )
        conn.executemany(
            "INSERT INTO clock_pauses (stage_visit_id, reason, started_at, ended_at) "
            "VALUES (?, ?, ?, ?)",
            self.pauses,
        )
        conn.executemany(
            "INSERT INTO events (application_id, actor_role, kind, created_at) "
            "VALUES (?, 'system', ?, ?)",
            self.events,
        )
        conn.executemany(
            "INSERT INTO owed_items (application_id, kind, created_at, resolved_at) "
            "VALUES (?, ?, ?, ?)",
            self.owed,
        )
        conn.executemany(
            "INSERT INTO outbox (key, chat_id, user_id, kind, application_id, text, not_before, "
            "status, next_attempt_at, created_at, updated_at, sent_at) "
            "VALUES (?, ?, ?, 'wf.notice', ?, '通知', ?, 'sent', ?, ?, ?, ?)",
            self.outbox,
        )
        for batch in (self.users, self.applications, self.visits, self.pauses, self.events):
            batch.clear()
        self.owed.clear()
        self.outbox.clear()


def _application(
    rows: _Rows,
    rng: random.Random,
    app_id: int,
    mix: list[tuple[str, str, int, bool, str | None, int]],
    managers: dict[str, list[int]],
    *,
    just_begun: bool = False,
) -> None:
    stage, step, limit, paused, owes, _ = rng.choice(mix)
    district = DEFAULT_DISTRICTS[app_id % len(DEFAULT_DISTRICTS)]
    if just_begun:
        begun = START - timedelta(hours=1)
    elif paused:
        # Waiting on the customer: anything from a day to a few months.
        begun = START - timedelta(days=rng.uniform(1, 90))
    else:
        # The utility's turn: mostly within the limit, some past it.
        begun = START - timedelta(days=rng.uniform(0, limit * 1.15) * 7 / 5)
    submitted = begun - timedelta(days=rng.uniform(0, 30) if stage != "accept" else 0)
    manager = rng.choice(managers[district]) if rng.random() > 0.01 else None
    rows.users.append((app_id, app_id, f"客户{app_id}", _stamp(submitted), _stamp(submitted)))
    rows.applications.append(
        (
            app_id,
            f"HV-2026-{app_id:06d}",
            app_id,
            f"测试企业{app_id}",
            f"项目{app_id}",
            district,
            stage,
            step,
            manager,
            _stamp(submitted),
            _stamp(begun),
        )
    )
    if stage != "accept":  # the acceptance stage, long over
        rows.visit_id += 1
        rows.visits.append(
            (
                rows.visit_id,
                app_id,
                "accept",
                1,
                _stamp(submitted),
                _stamp(submitted + timedelta(hours=3)),
            )
        )
    rows.visit_id += 1
    rows.visits.append((rows.visit_id, app_id, stage, limit, _stamp(begun), None))
    rows.events.append((app_id, "submitted", _stamp(submitted)))
    rows.events.append((app_id, step, _stamp(begun)))
    if paused:
        pause_at = begun + timedelta(minutes=5)
        rows.pauses.append((rows.visit_id, step, _stamp(pause_at), None))
        rows.owed.append((app_id, owes, _stamp(pause_at), None))
    elif rng.random() < 0.2:  # an earlier wait on the customer, over now
        until = begun + timedelta(hours=rng.uniform(2, 30))
        rows.pauses.append((rows.visit_id, "survey_pick", _stamp(begun), _stamp(until)))
    if not just_begun and rng.random() < 0.1:  # a document promised for later (告知承诺)
        rows.owed.append((app_id, "document:site_proof", _stamp(submitted), None))
    rows.owed.append(
        (app_id, "supply:missing", _stamp(submitted), _stamp(submitted + timedelta(hours=2)))
    )
    notice = _stamp(begun + timedelta(minutes=1))
    rows.outbox.append(
        (f"wf:{app_id}:1:{app_id}", app_id, app_id, app_id, notice, notice, notice, notice, notice)
    )


def copy_database(source: Path, target: Path) -> Path:
    """A copy of a database file with its WAL, replacing ``target``."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
        if Path(f"{source}{suffix}").exists():
            shutil.copyfile(f"{source}{suffix}", f"{target}{suffix}")
    return target
