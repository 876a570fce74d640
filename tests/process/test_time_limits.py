"""Time limits: State Grid's defaults, the legacy baseline, and configuration errors."""

from __future__ import annotations

import pytest

from process.limits import MAX_LIMIT_DAYS, ConfigError, ModeDays, TimeLimits
from process.stages import LegacyStep, Stage, SupplyMode

SINGLE, DUAL = SupplyMode.SINGLE, SupplyMode.DUAL


def test_default_stage_limits() -> None:
    limits = TimeLimits.default()
    assert [limits.for_stage(stage, SINGLE) for stage in list(Stage)[:-1]] == [1, 10, 5, 3, 3]
    assert [limits.for_stage(stage, DUAL) for stage in list(Stage)[:-1]] == [1, 20, 5, 3, 3]
    assert limits.total(SINGLE) == 22
    assert limits.total(DUAL) == 32


def test_default_legacy_baseline() -> None:
    limits = TimeLimits.default()
    assert limits.legacy_total(SINGLE) == 40
    assert limits.legacy_total(DUAL) == 55
    assert limits.legacy_for_step(LegacyStep.PLAN_REPLY, SINGLE) == 15
    assert limits.legacy_for_step(LegacyStep.PLAN_REPLY, DUAL) == 30
    assert limits.legacy_for_step(LegacyStep.DESIGN_REVIEW, DUAL) == 10
    assert limits.legacy_for_step(LegacyStep.CONTRACT_SIGNING, SINGLE) == 0


def test_done_has_no_limit() -> None:
    with pytest.raises(ValueError, match="completed"):
        TimeLimits.default().for_stage(Stage.DONE, SINGLE)


def test_from_mapping_with_nothing_is_the_default() -> None:
    assert TimeLimits.from_mapping(None, None) == TimeLimits.default()
    assert TimeLimits.from_mapping({}, {}) == TimeLimits.default()


def test_from_mapping_overrides_only_what_is_given() -> None:
    limits = TimeLimits.from_mapping(
        {"accept": 2, "plan": {"dual": 15}, "energize": {"single": 4, "dual": 6}},
        {"plan_reply": {"single": 20}, "contract_signing": 2},
    )
    assert limits.for_stage(Stage.ACCEPT, SINGLE) == 2
    assert limits.for_stage(Stage.ACCEPT, DUAL) == 2
    assert limits.for_stage(Stage.PLAN, SINGLE) == 10
    assert limits.for_stage(Stage.PLAN, DUAL) == 15
    assert limits.for_stage(Stage.ENERGIZE, SINGLE) == 4
    assert limits.for_stage(Stage.ENERGIZE, DUAL) == 6
    assert limits.total(SINGLE) == 2 + 10 + 5 + 3 + 4
    assert limits.legacy_for_step(LegacyStep.PLAN_REPLY, SINGLE) == 20
    assert limits.legacy_for_step(LegacyStep.PLAN_REPLY, DUAL) == 30
    assert limits.legacy_total(SINGLE) == 40 + 5 + 2


@pytest.mark.parametrize(
    ("stages", "legacy", "message"),
    [
        (
            {"plan": {"dual": "x"}},
            None,
            "stages.plan.dual: expected a whole number of working days >= 0, got 'x'",
        ),
        (
            {"accept": -1},
            None,
            "stages.accept: expected a whole number of working days >= 0, got -1",
        ),
        (
            {"accept": True},
            None,
            "stages.accept: expected a whole number of working days >= 0, got True",
        ),
        (
            {"design": 2.5},
            None,
            "stages.design: expected a whole number of working days >= 0, got 2.5",
        ),
        (
            {"design": None},
            None,
            "stages.design: expected a whole number of working days >= 0, got None",
        ),
        (
            {"survey": 3},
            None,
            "stages.survey: unknown name; expected one of accept, plan, design, contract, energize",
        ),
        ({"done": 3}, None, "stages.done: unknown name"),
        (
            {"plan": {"triple": 3}},
            None,
            "stages.plan.triple: unknown supply mode; expected one of single, dual",
        ),
        (
            {"plan": MAX_LIMIT_DAYS + 1},
            None,
            f"stages.plan: expected at most {MAX_LIMIT_DAYS} working days",
        ),
        (None, {"paperwork": 1}, "legacy.paperwork: unknown name; expected one of acceptance,"),
        (None, {"plan_reply": {"single": -3}}, "legacy.plan_reply.single: expected a whole number"),
        ([1, 2], None, "stages: expected a table of limits, got [1, 2]"),
        ({3: 1}, None, "stages.3: unknown name"),
    ],
)
def test_from_mapping_rejects_bad_settings_naming_the_key(
    stages: object, legacy: object, message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        TimeLimits.from_mapping(stages, legacy)  # type: ignore[arg-type]
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_config_error_is_a_value_error() -> None:
    assert issubclass(ConfigError, ValueError)


def test_limits_are_read_only_and_hashable() -> None:
    limits = TimeLimits.default()
    with pytest.raises(TypeError):
        limits.stages[Stage.PLAN] = ModeDays.same(1)  # type: ignore[index]
    assert hash(limits) == hash(TimeLimits.from_mapping({}, {}))


def test_incomplete_tables_are_refused() -> None:
    with pytest.raises(ValueError, match="missing"):
        TimeLimits(stages={Stage.ACCEPT: ModeDays.same(1)}, legacy=TimeLimits.default().legacy)
