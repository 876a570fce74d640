"""The step machine: who may do what from where, and when the stage clock stops."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from process.calendar import WorkingCalendar
from process.roles import Role, parse_role
from process.stages import STAGE_ORDER, Stage
from process.validators import ValidationError
from process.workflow import (
    ACTIONS,
    STEP_STAGE,
    Action,
    Actor,
    Refusal,
    Step,
    actors_for,
    available,
    check,
    clock_paused,
)
from process.workflow_inputs import parse_energize_day, parse_note, parse_slots

TZ = ZoneInfo("Asia/Shanghai")
CAL = WorkingCalendar()
CUSTOMER = frozenset({Actor.CUSTOMER})
MANAGER = frozenset({Actor.MANAGER})

HAPPY_PATH = [
    ("accept", MANAGER),
    ("propose_slots", MANAGER),
    ("pick_slot", CUSTOMER),
    ("survey_done", MANAGER),
    ("send_plan", MANAGER),
    ("confirm_plan", CUSTOMER),
    ("submit_design", CUSTOMER),
    ("approve_design", MANAGER),
    ("request_inspection", CUSTOMER),
    ("inspection_pass", MANAGER),
    ("sign_contract", CUSTOMER),
    ("schedule_energization", MANAGER),
    ("energized", MANAGER),
]


def test_the_happy_path_visits_every_stage_in_order() -> None:
    step = Step.ACCEPT_REVIEW
    stages = [STEP_STAGE[step]]
    for name, actors in HAPPY_PATH:
        verdict = check(name, step, actors)
        assert isinstance(verdict, Action), (name, step, verdict)
        step = verdict.target
        if STEP_STAGE[step] is not stages[-1]:
            stages.append(STEP_STAGE[step])
    assert step is Step.DONE
    assert stages == list(STAGE_ORDER)


def test_every_customer_turn_pauses_the_clock_and_no_staff_turn_does() -> None:
    for action in ACTIONS.values():
        if action.actors == CUSTOMER:
            # Whatever the customer does hands the ball back to the utility.
            assert not clock_paused(action.target) or action.name == "confirm_plan"
            assert all(clock_paused(s) for s in action.sources)


@pytest.mark.parametrize(
    ("name", "step", "actors", "expected"),
    [
        ("accept", Step.ACCEPT_REVIEW, CUSTOMER, Refusal.NOT_YOURS),
        ("confirm_plan", Step.PLAN_CONFIRM, MANAGER, Refusal.NOT_YOURS),
        ("accept", Step.SURVEY, MANAGER, Refusal.WRONG_STEP),
        ("energized", Step.DONE, MANAGER, Refusal.FINISHED),
        ("blow_up", Step.ACCEPT_REVIEW, MANAGER, Refusal.UNKNOWN_ACTION),
        ("accept", Step.ACCEPT_REVIEW, frozenset(), Refusal.NOT_YOURS),
        ("approve_design", Step.DESIGN_REVIEW, frozenset({Actor.PROJECT}), None),
        ("send_plan", Step.PLAN_DRAFT, frozenset({Actor.PROJECT}), Refusal.NOT_YOURS),
        ("accept", Step.ACCEPT_REVIEW, frozenset({Actor.OVERSEER}), None),
    ],
)
def test_refusals(
    name: str, step: Step, actors: frozenset[Actor], expected: Refusal | None
) -> None:
    verdict = check(name, step, actors)
    if expected is None:
        assert isinstance(verdict, Action)
    else:
        assert verdict is expected


def test_actors_follow_role_and_assignment() -> None:
    base = dict(customer_id=1, customer_manager_id=2, project_manager_id=3)
    assert actors_for(user_id=1, role=None, **base) == CUSTOMER
    assert actors_for(user_id=2, role=Role.CUSTOMER_MANAGER, **base) == MANAGER
    # A customer manager who is not this application's manager has no say in it.
    assert actors_for(user_id=9, role=Role.CUSTOMER_MANAGER, **base) == frozenset()
    # A disabled member is passed with no role: nothing.
    assert actors_for(user_id=2, role=None, **base) == frozenset()
    assert actors_for(user_id=3, role=Role.PROJECT_MANAGER, **base) == {Actor.PROJECT}
    assert actors_for(user_id=7, role=Role.SUPERVISOR, **base) == {Actor.OVERSEER}
    assert actors_for(user_id=7, role=Role.ADMIN, **base) == {Actor.OVERSEER}


@given(st.sampled_from(list(Step)), st.sets(st.sampled_from(list(Actor))))
def test_available_actions_are_exactly_the_checked_ones(step: Step, actors: set[Actor]) -> None:
    frozen = frozenset(actors)
    offered = {a.name for a in available(step, frozen)}
    allowed = {n for n in ACTIONS if isinstance(check(n, step, frozen), Action)}
    assert offered == allowed


def test_parse_role_aliases() -> None:
    assert parse_role("cm") is Role.CUSTOMER_MANAGER
    assert parse_role(" Project-Manager ") is Role.PROJECT_MANAGER
    assert parse_role("king") is None


NOW = datetime(2026, 11, 27, 10, 0, tzinfo=TZ)  # a Friday


def test_slots_are_parsed_sorted_and_checked() -> None:
    slots = parse_slots("2026-12-01 14:30\n2026年11月30日 9:00", now=NOW, tz=TZ, calendar=CAL)
    assert slots == [
        datetime(2026, 11, 30, 9, 0, tzinfo=TZ),
        datetime(2026, 12, 1, 14, 30, tzinfo=TZ),
    ]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("2026-12-01 09:00", "slots.count"),
        ("a\nb\nc\nd", "slots.count"),
        ("明天上午\n后天下午", "slots.format"),
        ("2026-11-28 09:00\n2026-12-01 09:00", "slots.hours"),  # a Saturday
        ("2026-11-30 20:00\n2026-12-01 09:00", "slots.hours"),
        ("2026-11-27 09:00\n2026-12-01 09:00", "date.past"),
        ("2026-12-01 09:00\n2026-12-01 09:00", "slots.duplicate"),
        ("2026-12-01 25:00\n2026-12-02 09:00", "slots.format"),
    ],
)
def test_bad_slots(text: str, code: str) -> None:
    with pytest.raises(ValidationError) as raised:
        parse_slots(text, now=NOW, tz=TZ, calendar=CAL)
    assert raised.value.code == code


def test_energize_day_must_be_a_working_day() -> None:
    assert parse_energize_day("2026-12-07", today=date(2026, 11, 27), calendar=CAL) == date(
        2026, 12, 7
    )
    with pytest.raises(ValidationError) as raised:
        parse_energize_day("2026-12-05", today=date(2026, 11, 27), calendar=CAL)
    assert raised.value.code == "date.not_workday"


def test_notes_keep_lines_and_refuse_junk() -> None:
    assert parse_note(" 第一项 \r\n\n第二项") == "第一项\n第二项"
    assert parse_note("x" * 1000) == "x" * 1000
    for bad, code in (
        ("", "text.empty"),
        ("   \n ", "text.empty"),
        ("x" * 1001, "text.too_long"),
    ):
        with pytest.raises(ValidationError) as raised:
            parse_note(bad)
        assert raised.value.code == code


@pytest.mark.parametrize(
    "typed",
    [
        "价格<5万",
        "👍 好的，谢谢！🙏",
        "a = b, $100 & 50%",
        "مرحبا بكم",  # right to left
        "שלום",
        "https://example.com/plan?a=1&b=2#top",
        "<b>not markup</b>",
        "第一列\t第二列",
        "👨\u200d👩\u200d👧",  # a joined emoji keeps its joiners
    ],
)
def test_notes_keep_what_people_write(typed: str) -> None:
    assert parse_note(typed) == typed


@pytest.mark.parametrize(
    ("typed", "char", "position"),
    [
        ("ab\x07c", "U+0007", 3),
        ("\x00", "U+0000", 1),
        ("ok\x1b[31m", "U+001B", 3),
        ("half \ud800 a character", "U+D800", 6),
        ("x\x85", "U+0085", 2),
    ],
)
def test_notes_name_the_character_that_cannot_be_stored(
    typed: str, char: str, position: int
) -> None:
    with pytest.raises(ValidationError) as raised:
        parse_note(typed)
    assert raised.value.code == "text.control"
    assert raised.value.params == {"char": char, "position": position}


def test_stage_of_every_step_is_a_stage() -> None:
    assert set(STEP_STAGE) == set(Step)
    assert set(STEP_STAGE.values()) == set(Stage)
