"""The world the crawler walks: staff of every role, and applications standing in every
stage and sub-step, made the way the bot makes them.

Staff join with invite codes in the chat (tests/e2e/staffing.py), the disabled member is
disabled by the admin's own buttons, one application is filled in and submitted through the
chat form (tests/e2e/apply_walk.py, with a document promised for later under 告知承诺), the
others are submitted through the bot's repositories (tests/e2e/survey_walk.py) and moved
along by :func:`services.workflow.supply`, the very service the workflow's inputs call, with
the inputs the buttons would have collected. Every step change is therefore a real one:
its events, owed items, documents, survey slots and outbox messages included.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from flows.deps import Services
from process.clock import today
from process.roles import Role
from process.workflow import ACTIONS
from sandbox.emulator import BotApiEmulator
from services.workflow import Done, Supplied, supply
from services.workflow_effects import Given
from storage.models import Application, DocumentInput
from storage.workflow import set_holder
from tests.crawl.probe import HandledUpdates
from tests.e2e.apply_walk import submit_application
from tests.e2e.customer import PDF, Customer
from tests.e2e.harness import BotRunner, shanghai
from tests.e2e.staffing import enrol
from tests.e2e.survey_walk import submitted, svc_of

# Wednesday 25 November 2026: the applications are moved along on this day, and the crawl
# runs a working day later, when the survey is due and the one-day acceptances are late.
SEED_AT = shanghai(2026, 11, 25, 9, 30)
CRAWL_AT = shanghai(2026, 11, 26, 10, 0)

MANAGER, PROJECT, SUPERVISOR, ADMIN, DISABLED, STRANGER = 2001, 2002, 2003, 9001, 2004, 3999
ROLES = ("customer", "manager", "project", "supervisor", "admin", "disabled", "stranger")

# The happy path: each action and the step it leaves from.
PATH: tuple[str, ...] = (
    "accept",
    "propose_slots",
    "pick_slot",
    "survey_done",
    "send_plan",
    "confirm_plan",
    "submit_design",
    "approve_design",
    "request_inspection",
    "inspection_pass",
    "sign_contract",
    "schedule_energization",
    "energized",
)


@dataclass(frozen=True)
class Target:
    """One seeded application: where it stands and what is special about it."""

    customer_id: int
    actions: tuple[str, ...]
    project_manager: bool = False
    unassigned: bool = False
    blocked: bool = False


def along(last: str, *detour: str) -> tuple[str, ...]:
    """The happy path up to and including ``last``, then ``detour``."""
    return (*PATH[: PATH.index(last) + 1], *detour) if last else detour


TARGETS: tuple[Target, ...] = (
    Target(1002, ()),  # accept_review
    Target(1003, ("return_missing",)),  # accept_missing, clock paused
    Target(1004, along("propose_slots")),  # survey_pick: the customer chooses a time
    Target(1005, along("pick_slot")),  # survey booked
    Target(1006, along("survey_done")),  # plan_draft
    Target(1007, along("send_plan")),  # plan_confirm
    Target(1008, along("confirm_plan")),  # design_await
    Target(1009, along("submit_design"), project_manager=True),  # design_review
    Target(1010, along("approve_design")),  # building
    Target(1011, along("request_inspection"), project_manager=True),  # inspection
    Target(1012, along("request_inspection", "inspection_fail")),  # rectify
    Target(1013, along("inspection_pass")),  # contract_sign
    Target(1014, along("sign_contract")),  # energize_schedule
    Target(1015, along("schedule_energization")),  # energize_day
    Target(1016, along("energized")),  # done; the survey comes a working day later
    Target(1017, along("survey_done"), blocked=True),  # plan_draft, customer blocked the bot
    Target(1018, (), unassigned=True),  # accept_review with nobody assigned
)


@dataclass
class World:
    emulator: BotApiEmulator
    bot: BotRunner
    handled: HandledUpdates
    people: dict[int, Customer] = field(default_factory=dict)
    # Application id -> its customer's user id, for every application the crawl watches.
    applications: dict[int, int] = field(default_factory=dict)
    blocked: set[int] = field(default_factory=set)

    @property
    def svc(self) -> Services:
        return svc_of(self.bot)

    async def tell(self, person: Customer, text: str, seconds: float = 10.0) -> None:
        """Send text and wait until the bot has handled it: no quiet period needed."""
        sent = await person.user.send_text(text)
        assert await self.handled.wait(sent.update_id, seconds), text

    def person(self, user_id: int, name: str = "Test") -> Customer:
        if user_id not in self.people:
            self.people[user_id] = Customer(
                self.emulator, self.emulator.user(user_id, first_name=name)
            )
        return self.people[user_id]


async def build_world(emulator: BotApiEmulator, bot: BotRunner, handled: HandledUpdates) -> World:
    world = World(emulator, bot, handled)
    bot.clock.set(SEED_AT)
    admin = world.person(ADMIN, "Admin")
    await admin.say("/staff")  # a configured admin becomes one on first contact
    for user_id, role, name in (
        (MANAGER, Role.CUSTOMER_MANAGER, "王经理"),
        (PROJECT, Role.PROJECT_MANAGER, "赵工"),
        (SUPERVISOR, Role.SUPERVISOR, "陈主管"),
    ):
        world.people[user_id] = await enrol(emulator, bot, user_id, role, name)
    # The member who will be disabled: a supervisor of every district, with a card and a
    # queue in the chat from before, whose buttons the crawl presses again afterwards.
    world.people[DISABLED] = await enrol(
        emulator, bot, DISABLED, Role.SUPERVISOR, "孙主管", district=None
    )

    # One application through the chat form, grid works needed (a project manager is
    # attached) and the third document promised for later; then accepted.
    walker = world.person(1001, "张伟")
    number = await submit_application(walker, grid_works="需要")
    owed = await _by_number(world, number)
    world.applications[owed.id] = walker.user.id
    await advance(world, owed, ("accept",))

    for target in TARGETS:
        customer = world.person(target.customer_id, f"客户{target.customer_id}")
        await world.tell(customer, "/start")
        app = await submitted(
            bot,
            customer,
            manager_id=None if target.unassigned else MANAGER,
            project=f"工程{target.customer_id}",
        )
        if target.project_manager:
            async with world.svc.db.transaction() as conn:
                app = await set_holder(
                    conn,
                    application_id=app.id,
                    expected_version=app.version,
                    role="project_manager",
                    user_id=PROJECT,
                    now=bot.clock.now(),
                )
        world.applications[app.id] = target.customer_id
        await advance(world, app, target.actions)
        if target.blocked:
            await drain(world)  # what they were sent so far reached them
            await customer.user.block_bot()
            world.blocked.add(target.customer_id)

    sun = world.people[DISABLED]
    await world.tell(sun, "/queue")
    await world.tell(sun, f"/app {number}")
    listing = await admin.say("/staff")
    confirm = await admin.press(listing, "停用 孙主管")
    await admin.press(confirm, "确定停用")

    # A working day later: the survey is due, acceptances are late, reminders go out.
    bot.clock.set(CRAWL_AT)
    await world.svc.scheduler.run_once(bot.clock.now())
    await drain(world)
    return world


async def _by_number(world: World, number: str) -> Application:
    application = await world.svc.applications.get_by_number(number)
    assert application is not None, number
    return application


async def advance(world: World, app: Application, actions: tuple[str, ...]) -> Application:
    """Take ``app`` through ``actions`` as its holders would, one real transition each.

    The outbox sends the messages of all of them meanwhile: the crawl begins once it drained.
    """
    svc = world.svc
    for name in actions:
        action = ACTIONS[name]
        actor_id = _actor(app, name)
        actor = await svc.users.get(actor_id)
        assert actor is not None, actor_id
        result = await supply(
            svc.context,
            Supplied(
                actor_id=actor.user_id,
                application_id=app.id,
                action=action.name,
                version=app.version,
                given=await given_for(world, app, name),
                now=svc.clock.now(),
            ),
        )
        assert isinstance(result, Done), (name, result)
        app = result.application
    return app


def _actor(app: Application, action: str) -> int:
    if "customer" in {a.value for a in ACTIONS[action].actors}:
        return app.customer_id
    return app.customer_manager_id or SUPERVISOR


async def given_for(world: World, app: Application, action: str) -> Given:
    """What the person pressing the button would have supplied, derived from the clock."""
    svc = world.svc
    day = today(svc.clock)
    if action == "propose_slots":
        first = svc.calendar.next_workday(day + timedelta(days=1))
        second = svc.calendar.next_workday(first + timedelta(days=1))
        return Given(slots=(_at(first, 9), _at(second, 14)))
    if action == "pick_slot":
        return Given(slot_id=(await svc.workflow.slots(app.id))[0].id)
    if action == "schedule_energization":
        return Given(day=svc.calendar.next_workday(day + timedelta(days=3)))
    if action in ("return_missing", "inspection_fail"):
        return Given(note="缺少电缆标识牌")
    if action == "approve_design":
        return Given(note="高压开关柜需五防闭锁\n配电室需两个出口")
    kinds = {"send_plan": "plan", "submit_design": "design", "inspection_pass": "contract"}
    if action in kinds:
        note = "计量方式：高供高计" if action == "send_plan" else None
        return Given(documents=(uploaded(world, f"{kinds[action]}.pdf", action),), note=note)
    return Given()


def uploaded(world: World, name: str, kind: str) -> DocumentInput:
    """A PDF as Telegram holds it after a user sent it: the bot may re-send its file id."""
    stored = world.emulator.state.files.add(
        "document", PDF, file_name=name, mime_type="application/pdf"
    )
    info: dict[str, Any] = stored.document()
    return DocumentInput(
        kind=kind,
        file_id=info["file_id"],
        file_unique_id=info["file_unique_id"],
        file_name=name,
        mime_type="application/pdf",
        file_size=info["file_size"],
    )


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=SEED_AT.tzinfo)


async def drain(world: World, seconds: float = 10.0) -> None:
    """Wait until the outbox has sent what is due now and the bot has gone quiet."""
    await wait_outbox(world, seconds)
    await world.emulator.wait_idle(quiet=0.05, timeout=seconds)


async def wait_outbox(world: World, seconds: float) -> bool:
    """True once no outbox row is due and unsent (a row for later may wait)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    now = world.bot.clock.now()
    while True:
        rows = await world.svc.db.fetchall(
            "SELECT not_before, next_attempt_at FROM outbox WHERE status IN ('pending', 'sending')"
        )
        due = [r for r in rows if datetime.fromisoformat(max(r[0], r[1])) <= now]
        if not due:
            return True
        if loop.time() >= deadline:
            return False
        world.svc.outbox.wake()
        await asyncio.sleep(0.02)
