"""The rig the sweep tests share: a sealed database, staff, applications moved through the
workflow the way the bot moves them, the three sweeps on a manual clock, and what they queued.

It holds no tests itself. Messages are read back from the outbox as (local time queued,
key, recipient, text): what each person will receive, and when it was decided.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.sweeps import default_sweeps
from notifications.outbox import Outbox
from notifications.reminders.context import ReminderPolicy, SweepContext
from notifications.reminders.scheduler import Scheduler
from notifications.render import Texts
from process.calendar import WorkingCalendar
from process.clock import ManualClock
from process.limits import TimeLimits
from process.roles import Role
from process.stages import Stage, SupplyMode
from process.workflow import ACTIONS, STEP_STAGE
from services.workflow_effects import Given, write_effects
from storage.applications import ApplicationsRepo
from storage.codec import time_from_db
from storage.db import Database
from storage.drafts import DraftsRepo
from storage.migrate import migrate
from storage.models import Application
from storage.outbox import OutboxRepo
from storage.workflow import transition
from tests.keys import make_test_cipher
from tests.postgres import database_in, forget_database
from tests.storage.samples import new_application
from tests.storage.staff_samples import add_user, enrol
from tests.storage_steps import file_draft_in

SHANGHAI = ZoneInfo("Asia/Shanghai")
LIMITS = TimeLimits.default()


def at(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


@dataclass(frozen=True)
class Sent:
    """One queued message: when it was queued (local), its key, for whom, and the text."""

    queued: datetime
    not_before: datetime
    key: str
    user_id: int
    kind: str
    text: str

    @property
    def day(self) -> date:
        return self.queued.date()


class SweepRig:
    def __init__(self, db: Database, clock: ManualClock, policy: ReminderPolicy) -> None:
        self.db = db
        self.clock = clock
        self.calendar = WorkingCalendar()
        self.texts = Texts("zh_CN")
        self.outbox = Outbox(OutboxRepo(db), self.texts, tz=SHANGHAI)
        self.context = SweepContext(
            db=db, outbox=self.outbox, calendar=self.calendar, tz=SHANGHAI, policy=policy
        )
        self.scheduler = self.fresh_scheduler()
        self.apps = ApplicationsRepo(db)

    def fresh_scheduler(self) -> Scheduler:
        """The sweeps as a new process builds them (nothing remembered in memory)."""
        context = SweepContext(
            db=self.db,
            outbox=self.outbox,
            calendar=self.calendar,
            tz=SHANGHAI,
            policy=self.context.policy,
        )
        scheduler = Scheduler(self.clock)
        for name, sweep in default_sweeps(context):
            scheduler.register(name, sweep)
        return scheduler

    # -- people and applications ------------------------------------------------------------

    async def staff(
        self, user_id: int, role: Role, name: str, district: str | None = "汉台区"
    ) -> int:
        await enrol(self.db, user_id, role, name=name, district=district, now=self.clock.now())
        return user_id

    async def submit(
        self,
        customer_id: int,
        *,
        manager: int | None = None,
        project: int | None = None,
        district: str = "汉台区",
        mode: SupplyMode = SupplyMode.SINGLE,
        deferred: tuple[str, ...] = (),
    ) -> Application:
        """Submitted now, held by ``manager`` (and ``project``) as assignment would do."""
        now = self.clock.now()
        await add_user(self.db, customer_id, "张伟")
        drafts = DraftsRepo(self.db)
        await drafts.start(customer_id, now)
        for kind in deferred:
            await drafts.set_deferred(customer_id, kind, True, now)
        app = await file_draft_in(
            self.db,
            customer_id=customer_id,
            year=now.year,
            application=new_application(district=district, supply_mode=mode),
            now=now,
            accept_limit_days=LIMITS.for_stage(Stage.ACCEPT, mode),
            plan_due=date(2026, 12, 31),
            plan_due_provisional=False,
        )
        await self.db.execute(
            "UPDATE applications SET customer_manager_id = ?, project_manager_id = ? WHERE id = ?",
            (manager, project, app.id),
        )
        return await self.get(app.id)

    async def get(self, app_id: int) -> Application:
        found = await self.apps.get(app_id)
        assert found is not None
        return found

    async def act(
        self,
        app_id: int,
        action_name: str,
        actor_id: int,
        role: str = "customer_manager",
        note: str | None = None,
    ) -> Application:
        """Take a workflow action now, with its owed items, as the flows do."""
        app = await self.get(app_id)
        action = ACTIONS[action_name]
        stage = STEP_STAGE[action.target]
        mode = SupplyMode(app.supply_mode)
        limit = 0 if stage is Stage.DONE else LIMITS.for_stage(stage, mode)
        now = self.clock.now()
        async with self.db.transaction() as conn:
            facts = await write_effects(
                conn,
                action=action_name,
                application=app,
                given=Given(note=note),
                actor_id=actor_id,
                now=now,
            )
            await transition(
                conn,
                application_id=app.id,
                expected_version=app.version,
                action=action_name,
                target=action.target,
                actor_id=actor_id,
                actor_role=role,
                now=now,
                next_limit_days=limit,
                note=note,
                data=facts,
            )
        return await self.get(app_id)

    async def walk(self, app_id: int, actions: list[tuple[str, int]]) -> Application:
        app = await self.get(app_id)
        for name, actor in actions:
            app = await self.act(app_id, name, actor)
        return app

    # -- time and sweeps --------------------------------------------------------------------

    async def run(self, moment: datetime | None = None) -> dict[str, int]:
        if moment is not None:
            self.clock.set(moment)
        return await self.scheduler.run_once()

    async def run_days(
        self, first: date, last: date, hours: tuple[time, ...] = (time(0, 5), time(9, 0))
    ) -> None:
        """Run the sweeps at each of ``hours`` on every calendar day from first to last."""
        day = first
        while day <= last:
            for hour in hours:
                await self.run(datetime.combine(day, hour, tzinfo=SHANGHAI))
            day += timedelta(days=1)

    async def sent(self, user_id: int | None = None, kind_prefix: str = "") -> list[Sent]:
        rows = await self.db.fetchall(
            "SELECT key, user_id, kind, text, not_before, created_at FROM outbox ORDER BY id"
        )
        found = [
            Sent(
                time_from_db(r["created_at"]).astimezone(SHANGHAI),
                time_from_db(r["not_before"]).astimezone(SHANGHAI),
                r["key"],
                r["user_id"],
                r["kind"],
                r["text"],
            )
            for r in rows
        ]
        return [
            s
            for s in found
            if (user_id is None or s.user_id == user_id) and s.kind.startswith(kind_prefix)
        ]

    async def keys(self, user_id: int | None = None, kind_prefix: str = "remind.") -> list[str]:
        return [s.key for s in await self.sent(user_id, kind_prefix)]


@asynccontextmanager
async def sweep_rig(
    tmp_path: Path, start: datetime, policy: ReminderPolicy | None = None
) -> AsyncIterator[SweepRig]:
    location = database_in(tmp_path, "sweeps.db")
    db = await Database.open(location, cipher=make_test_cipher())
    clock = ManualClock(start)
    await migrate(db, clock.now())
    try:
        yield SweepRig(db, clock, policy or ReminderPolicy())
    finally:
        await db.close()
        forget_database(location)
