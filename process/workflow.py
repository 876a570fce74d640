"""The steps inside the five stages, and the actions that move an application between them.

Each step belongs to a stage and says whose turn it is. While it is the customer's turn
(picking a survey slot, confirming the plan, designing, building, rectifying, signing) the
stage clock is paused: deadlines count only the utility's time. An action is allowed only
from its steps and only to its actors; everything else is refused, which is how a stale
card or a double press is caught.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from process.roles import OVERSEERS, Role
from process.stages import Stage


class Step(StrEnum):
    ACCEPT_REVIEW = "accept_review"  # utility checks the application
    ACCEPT_MISSING = "accept_missing"  # returned: customer supplies what is missing
    SURVEY_PROPOSE = "survey_propose"  # utility proposes site-survey times
    SURVEY_PICK = "survey_pick"  # customer picks a time
    SURVEY = "survey"  # survey booked; utility surveys
    PLAN_DRAFT = "plan_draft"  # utility drafts the supply plan
    PLAN_CONFIRM = "plan_confirm"  # customer confirms the plan
    DESIGN_AWAIT = "design_await"  # customer designs and submits
    DESIGN_REVIEW = "design_review"  # utility reviews the design
    BUILDING = "building"  # customer builds, then asks for the completion inspection
    INSPECTION = "inspection"  # utility inspects
    RECTIFY = "rectify"  # customer rectifies
    CONTRACT_SIGN = "contract_sign"  # customer signs the supply contract
    ENERGIZE_SCHEDULE = "energize_schedule"  # utility schedules meter + energization
    ENERGIZE_DAY = "energize_day"  # scheduled; utility energizes
    DONE = "done"


STEP_STAGE: Mapping[Step, Stage] = {
    Step.ACCEPT_REVIEW: Stage.ACCEPT,
    Step.ACCEPT_MISSING: Stage.ACCEPT,
    Step.SURVEY_PROPOSE: Stage.PLAN,
    Step.SURVEY_PICK: Stage.PLAN,
    Step.SURVEY: Stage.PLAN,
    Step.PLAN_DRAFT: Stage.PLAN,
    Step.PLAN_CONFIRM: Stage.PLAN,
    Step.DESIGN_AWAIT: Stage.DESIGN,
    Step.DESIGN_REVIEW: Stage.DESIGN,
    Step.BUILDING: Stage.DESIGN,
    Step.INSPECTION: Stage.CONTRACT,
    Step.RECTIFY: Stage.CONTRACT,
    Step.CONTRACT_SIGN: Stage.CONTRACT,
    Step.ENERGIZE_SCHEDULE: Stage.ENERGIZE,
    Step.ENERGIZE_DAY: Stage.ENERGIZE,
    Step.DONE: Stage.DONE,
}

CUSTOMERS_TURN: frozenset[Step] = frozenset(
    {
        Step.ACCEPT_MISSING,
        Step.SURVEY_PICK,
        Step.PLAN_CONFIRM,
        Step.DESIGN_AWAIT,
        Step.BUILDING,
        Step.RECTIFY,
        Step.CONTRACT_SIGN,
    }
)


def clock_paused(step: Step) -> bool:
    """True while the customer holds the ball."""
    return step in CUSTOMERS_TURN


class Actor(StrEnum):
    """Who performs an action, relative to the application."""

    CUSTOMER = "customer"  # the application's own customer
    MANAGER = "manager"  # its assigned customer manager
    PROJECT = "project"  # its assigned project manager
    OVERSEER = "overseer"  # a supervisor or admin


class Input(StrEnum):
    """What an action needs from the person performing it, besides the press."""

    NONE = "none"
    NOTE = "note"  # free text: what is missing, comments, a question
    SLOTS = "slots"  # two or three survey times
    SLOT = "slot"  # the index of a proposed slot
    PLAN = "plan"  # the plan document and its key figures
    RISKS = "risks"  # the hazard and risk points, told once and all together
    DOCUMENTS = "documents"  # files from the customer
    CONTRACT = "contract"  # the contract document
    DATE = "date"  # the energization day


class Act(StrEnum):
    """The name of every action: what a workflow button carries and an event records."""

    ACCEPT = "accept"
    RETURN_MISSING = "return_missing"
    SUPPLY_MISSING = "supply_missing"
    PROPOSE_SLOTS = "propose_slots"
    PICK_SLOT = "pick_slot"
    OTHER_SLOTS = "other_slots"
    SURVEY_DONE = "survey_done"
    SEND_PLAN = "send_plan"
    CONFIRM_PLAN = "confirm_plan"
    SUBMIT_DESIGN = "submit_design"
    APPROVE_DESIGN = "approve_design"
    RETURN_DESIGN = "return_design"
    REQUEST_INSPECTION = "request_inspection"
    INSPECTION_PASS = "inspection_pass"
    INSPECTION_FAIL = "inspection_fail"
    RECTIFIED = "rectified"
    SIGN_CONTRACT = "sign_contract"
    SCHEDULE_ENERGIZATION = "schedule_energization"
    ENERGIZED = "energized"


@dataclass(frozen=True)
class Action:
    name: Act
    sources: frozenset[Step]
    target: Step
    actors: frozenset[Actor]
    needs: Input = Input.NONE


STAFF = frozenset({Actor.MANAGER, Actor.OVERSEER})
REVIEWERS = frozenset({Actor.MANAGER, Actor.PROJECT, Actor.OVERSEER})
CUSTOMER = frozenset({Actor.CUSTOMER})


def _action(
    name: Act, sources: set[Step], target: Step, actors: frozenset[Actor], needs: Input = Input.NONE
) -> Action:
    return Action(name, frozenset(sources), target, actors, needs)


ACTIONS: Mapping[Act, Action] = {
    a.name: a
    for a in (
        _action(Act.ACCEPT, {Step.ACCEPT_REVIEW, Step.ACCEPT_MISSING}, Step.SURVEY_PROPOSE, STAFF),
        _action(Act.RETURN_MISSING, {Step.ACCEPT_REVIEW}, Step.ACCEPT_MISSING, STAFF, Input.NOTE),
        _action(
            Act.SUPPLY_MISSING, {Step.ACCEPT_MISSING}, Step.ACCEPT_REVIEW, CUSTOMER, Input.DOCUMENTS
        ),
        _action(Act.PROPOSE_SLOTS, {Step.SURVEY_PROPOSE}, Step.SURVEY_PICK, STAFF, Input.SLOTS),
        _action(Act.PICK_SLOT, {Step.SURVEY_PICK}, Step.SURVEY, CUSTOMER, Input.SLOT),
        _action(Act.OTHER_SLOTS, {Step.SURVEY_PICK}, Step.SURVEY_PROPOSE, CUSTOMER, Input.NOTE),
        _action(Act.SURVEY_DONE, {Step.SURVEY}, Step.PLAN_DRAFT, REVIEWERS),
        _action(Act.SEND_PLAN, {Step.PLAN_DRAFT}, Step.PLAN_CONFIRM, STAFF, Input.PLAN),
        _action(Act.CONFIRM_PLAN, {Step.PLAN_CONFIRM}, Step.DESIGN_AWAIT, CUSTOMER),
        _action(
            Act.SUBMIT_DESIGN, {Step.DESIGN_AWAIT}, Step.DESIGN_REVIEW, CUSTOMER, Input.DOCUMENTS
        ),
        _action(Act.APPROVE_DESIGN, {Step.DESIGN_REVIEW}, Step.BUILDING, REVIEWERS, Input.RISKS),
        _action(Act.RETURN_DESIGN, {Step.DESIGN_REVIEW}, Step.DESIGN_AWAIT, REVIEWERS, Input.NOTE),
        _action(Act.REQUEST_INSPECTION, {Step.BUILDING}, Step.INSPECTION, CUSTOMER),
        _action(
            Act.INSPECTION_PASS, {Step.INSPECTION}, Step.CONTRACT_SIGN, REVIEWERS, Input.CONTRACT
        ),
        _action(Act.INSPECTION_FAIL, {Step.INSPECTION}, Step.RECTIFY, REVIEWERS, Input.NOTE),
        _action(Act.RECTIFIED, {Step.RECTIFY}, Step.INSPECTION, CUSTOMER),
        _action(Act.SIGN_CONTRACT, {Step.CONTRACT_SIGN}, Step.ENERGIZE_SCHEDULE, CUSTOMER),
        _action(
            Act.SCHEDULE_ENERGIZATION,
            {Step.ENERGIZE_SCHEDULE},
            Step.ENERGIZE_DAY,
            STAFF,
            Input.DATE,
        ),
        _action(Act.ENERGIZED, {Step.ENERGIZE_DAY}, Step.DONE, STAFF),
    )
}


_NAMES = frozenset(Act)


class Refusal(StrEnum):
    """Why an action was refused; each has a message in the templates."""

    UNKNOWN_ACTION = "unknown_action"
    NOT_YOURS = "not_yours"  # not this actor's application or not their kind of action
    WRONG_STEP = "wrong_step"  # stale card, double press, out of order
    FINISHED = "finished"


def actors_for(
    *,
    user_id: int,
    role: Role | None,
    customer_id: int,
    customer_manager_id: int | None,
    project_manager_id: int | None,
) -> frozenset[Actor]:
    """Every capacity in which ``user_id`` may act on one application."""
    found: set[Actor] = set()
    if user_id == customer_id:
        found.add(Actor.CUSTOMER)
    if role is Role.CUSTOMER_MANAGER and user_id == customer_manager_id:
        found.add(Actor.MANAGER)
    if role is Role.PROJECT_MANAGER and user_id == project_manager_id:
        found.add(Actor.PROJECT)
    if role in OVERSEERS:
        found.add(Actor.OVERSEER)
    return frozenset(found)


def check(action_name: str, step: Step, actors: frozenset[Actor]) -> Action | Refusal:
    """The action, if these actors may take it from this step; otherwise why not."""
    if action_name not in _NAMES:  # a name typed by hand or kept from an older release
        return Refusal.UNKNOWN_ACTION
    action = ACTIONS[Act(action_name)]
    if not action.actors & actors:
        return Refusal.NOT_YOURS
    if step is Step.DONE:
        return Refusal.FINISHED
    if step not in action.sources:
        return Refusal.WRONG_STEP
    return action


def available(step: Step, actors: frozenset[Actor]) -> list[Action]:
    """The actions these actors can take now, in the order of the process."""
    return [a for a in ACTIONS.values() if step in a.sources and a.actors & actors]
