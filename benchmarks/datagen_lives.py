"""The rows one application leaves behind on its way through the five stages.

Each application is replayed through :data:`process.workflow.ACTIONS` along the usual path
(with the occasional return for missing documents or a failed inspection), writing what the
bot itself writes for each action: the step change and its event, stage visits and clock
pauses, owed items, documents, survey times and the sent notices in the outbox. Reusing the
domain's own tables of steps and actions keeps the generated data consistent with the code.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from process.limits import TimeLimits
from process.stages import Stage, SupplyMode
from process.workflow import ACTIONS, STEP_STAGE, Act, Step, clock_paused

HAPPY_PATH = (
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
# Detours taken by about one application in ten, before the named action.
DETOURS = {
    "accept": ("return_missing", "supply_missing"),
    "inspection_pass": ("inspection_fail", "rectified"),
}
# Mirrors services/workflow_effects.py: what each action opens, settles and stores.
OWED_OPENED = {
    "return_missing": "supply:missing",
    "propose_slots": "pick:slot",
    "send_plan": "confirm:plan",
    "confirm_plan": "submit:design",
    "approve_design": "request:inspection",
    "inspection_fail": "rectify",
    "inspection_pass": "sign:contract",
}
OWED_SETTLED = {
    "supply_missing": "supply:missing",
    "pick_slot": "pick:slot",
    "confirm_plan": "confirm:plan",
    "submit_design": "submit:design",
    "request_inspection": "request:inspection",
    "rectified": "rectify",
    "sign_contract": "sign:contract",
}
DOCUMENT_KIND = {
    "supply_missing": "supplement",
    "send_plan": "supply_plan",
    "submit_design": "design",
    "inspection_pass": "contract",
}
CUSTOMER_ACTIONS = frozenset(
    name for name, action in ACTIONS.items() if {a.value for a in action.actors} == {"customer"}
)
SUBMITTED_DOCUMENTS = (
    ("business_licence", "licence.pdf", "application/pdf"),
    ("identity", "id-front.jpg", "image/jpeg"),
    ("identity", "id-back.jpg", "image/jpeg"),
    ("equipment_list", "equipment.pdf", "application/pdf"),
)
LIMITS = TimeLimits.default()


def stamp(seconds: float) -> str:
    """Unix seconds as the bot stores moments (storage.codec.time_to_db)."""
    return datetime.fromtimestamp(seconds, UTC).isoformat()


@dataclass
class Ids:
    """The next id of each table, so rows can refer to each other without a round trip."""

    visit: int = 0
    pause: int = 0
    event: int = 0
    message: int = 0

    def next(self, table: str) -> int:
        value: int = getattr(self, table) + 1
        setattr(self, table, value)
        return value


@dataclass
class Rows:
    """Rows to insert, per table, as tuples in the column order of :data:`COLUMNS`."""

    tables: defaultdict[str, list[Sequence[object]]] = field(
        default_factory=lambda: defaultdict(list)
    )

    def add(self, table: str, row: Sequence[object]) -> None:
        self.tables[table].append(row)

    def clear(self) -> None:
        self.tables.clear()


COLUMNS: dict[str, tuple[str, ...]] = {
    "stage_visits": ("id", "application_id", "stage", "limit_days", "started_at", "ended_at"),
    "clock_pauses": ("id", "stage_visit_id", "reason", "started_at", "ended_at"),
    "events": (
        "id",
        "application_id",
        "actor_id",
        "actor_role",
        "kind",
        "note",
        "data",
        "created_at",
    ),
    "documents": (
        "application_id",
        "kind",
        "file_id",
        "file_unique_id",
        "file_name",
        "mime_type",
        "file_size",
        "caption",
        "uploaded_by",
        "uploaded_at",
    ),
    "owed_items": ("application_id", "kind", "detail", "created_at", "resolved_at"),
    "survey_slots": ("application_id", "round", "starts_at", "chosen", "created_at"),
}


@dataclass(frozen=True)
class Life:
    """Who holds one application and how far it got."""

    application_id: int
    number: str
    customer_id: int
    manager_id: int | None
    project_id: int | None
    mode: SupplyMode
    submitted: float  # unix seconds
    actions: tuple[str, ...]  # taken after submission, in order
    until: float  # the last action happens before this moment


def plan_actions(rng: random.Random, *, finished: bool) -> tuple[str, ...]:
    """The actions of one application: all of them when finished, else a prefix."""
    path: list[str] = []
    for name in HAPPY_PATH:
        if name in DETOURS and rng.random() < 0.1:
            path.extend(DETOURS[name])
        path.append(name)
    if finished:
        return tuple(path)
    return tuple(path[: rng.randrange(len(path))])


@dataclass(frozen=True)
class _Move:
    """What one action does, looked up once rather than for every application."""

    target: str
    stage: Stage
    paused: bool
    by_customer: bool


_MOVES = {
    name: _Move(
        target=action.target.value,
        stage=STEP_STAGE[action.target],
        paused=clock_paused(action.target),
        by_customer=name in CUSTOMER_ACTIONS,
    )
    for name, action in ACTIONS.items()
}
_DATA: dict[tuple[str, str], str] = {}


def _data(before: str, target: str) -> str:
    found = _DATA.get((before, target))
    if found is None:
        found = _DATA[before, target] = json.dumps({"from": before, "to": target})
    return found


def replay(life: Life, rng: random.Random, ids: Ids, rows: Rows) -> tuple[str, int, float]:
    """Write ``life``'s rows; returns its final step, version and last change (unix s)."""
    tables = rows.tables
    visits, pauses, events = tables["stage_visits"], tables["clock_pauses"], tables["events"]
    now = life.submitted
    at = stamp(now)
    app_id = life.application_id
    gap = (life.until - now) / (len(life.actions) + 2)
    # Rows are lists so that the open visit and pause can be closed in place.
    visit: list[object] = [
        ids.next("visit"),
        app_id,
        "accept",
        _limit(Stage.ACCEPT, life),
        at,
        None,
    ]
    visits.append(visit)
    pause: list[object] | None = None
    for kind, name, mime in SUBMITTED_DOCUMENTS:
        _document(rows, ids, app_id, kind, name, mime, life.customer_id, at)
    submitted = json.dumps({"number": life.number, "documents": 4, "deferred": []})
    events.append(
        (ids.next("event"), app_id, life.customer_id, "customer", "submitted", None, submitted, at)
    )
    holders = json.dumps({"customer_manager": life.manager_id, "project_manager": life.project_id})
    events.append((ids.next("event"), app_id, None, "system", "assigned", None, holders, at))
    step, stage = Step.ACCEPT_REVIEW.value, Stage.ACCEPT
    owed: dict[str, list[object]] = {}
    for name in life.actions:
        move = _MOVES[Act(name)]
        now += gap * rng.uniform(0.5, 1.5)
        at = stamp(now)
        if move.stage is not stage:
            if pause is not None:
                pause[4], pause = at, None
            visit[5] = at
            if move.stage is not Stage.DONE:
                visit = [
                    ids.next("visit"),
                    app_id,
                    move.stage.value,
                    _limit(move.stage, life),
                    at,
                    None,
                ]
                visits.append(visit)
        if move.paused and pause is None and move.stage is not Stage.DONE:
            pause = [ids.next("pause"), visit[0], move.target, at, None]
            pauses.append(pause)
        elif not move.paused and pause is not None:
            pause[4], pause = at, None
        actor = life.customer_id if move.by_customer else life.manager_id
        role = "customer" if move.by_customer else "customer_manager"
        events.append(
            (ids.next("event"), app_id, actor, role, name, None, _data(step, move.target), at)
        )
        if name in OWED_SETTLED and OWED_SETTLED[name] in owed:
            owed.pop(OWED_SETTLED[name])[4] = at
        if name in OWED_OPENED:
            item: list[object] = [app_id, OWED_OPENED[name], None, at, None]
            owed[OWED_OPENED[name]] = item
            tables["owed_items"].append(item)
        if name in DOCUMENT_KIND:
            kind = DOCUMENT_KIND[name]
            _document(rows, ids, app_id, kind, f"{kind}.pdf", "application/pdf", actor, at)
        if name == "propose_slots":
            chosen = rng.randrange(3)
            for slot in range(3):
                starts = stamp(now + 86_400 * (slot + 2))
                tables["survey_slots"].append((app_id, 1, starts, int(slot == chosen), at))
        step, stage = move.target, move.stage
    return step, 1 + len(life.actions), now


def _limit(stage: Stage, life: Life) -> int:
    return LIMITS.for_stage(stage, life.mode)


def _document(
    rows: Rows,
    ids: Ids,
    app_id: int,
    kind: str,
    name: str,
    mime: str,
    uploader: int | None,
    moment: str,
) -> None:
    file_number = ids.next("message")
    rows.add(
        "documents",
        (
            app_id,
            kind,
            f"BQACAgUAAxkBAAI{file_number:012d}",
            f"AgAD{file_number:010d}",
            name,
            mime,
            180_000 + file_number % 5_000_000,
            None,
            uploader,
            moment,
        ),
    )
