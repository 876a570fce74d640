"""Time limits in working days: the reorganised stages and the legacy nine-step baseline.

The defaults are State Grid's published commitment for high-voltage connections: 22 working
days of the utility's own time for single supply and 32 for dual supply, split over the five
stages. The legacy nine-step limits are kept only to show customers and management how much
time the reorganisation saves (T_before against T_after): 40 days single and 55 dual.

In the legacy baseline acceptance and site survey were counted inside the plan reply, and
meter installation and energization shared one limit, booked on meter installation.

Operators can change any figure in the configuration file; :meth:`TimeLimits.from_mapping`
turns the TOML tables into limits and rejects anything it does not understand with a one-line
:class:`ConfigError` that names the key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TypeVar

from process.stages import WORKING_STAGES, LegacyStep, Stage, SupplyMode

MAX_LIMIT_DAYS = 1000  # nearly four years; anything above is a typo, not a commitment

_Key = TypeVar("_Key", Stage, LegacyStep)


class ConfigError(ValueError):
    """A setting that cannot be used; the message is one line naming the variable or key.

    The one configuration error of the project: defined at the bottom layer because the time
    limits are read here, and raised by :mod:`bot.config` for every other setting too.
    """


@dataclass(frozen=True)
class ModeDays:
    """Working days allowed for a stage or step, per supply mode."""

    single: int
    dual: int

    @classmethod
    def same(cls, days: int) -> ModeDays:
        return cls(single=days, dual=days)

    def for_mode(self, mode: SupplyMode) -> int:
        return self.single if mode is SupplyMode.SINGLE else self.dual


_DEFAULT_STAGES: Mapping[Stage, ModeDays] = {
    Stage.ACCEPT: ModeDays.same(1),
    Stage.PLAN: ModeDays(single=10, dual=20),
    Stage.DESIGN: ModeDays.same(5),
    Stage.CONTRACT: ModeDays.same(3),
    Stage.ENERGIZE: ModeDays.same(3),
}

_DEFAULT_LEGACY: Mapping[LegacyStep, ModeDays] = {
    LegacyStep.ACCEPTANCE: ModeDays.same(0),
    LegacyStep.SITE_SURVEY: ModeDays.same(0),
    LegacyStep.PLAN_REPLY: ModeDays(single=15, dual=30),
    LegacyStep.DESIGN_REVIEW: ModeDays.same(10),
    LegacyStep.INTERMEDIATE_INSPECTION: ModeDays.same(5),
    LegacyStep.COMPLETION_INSPECTION: ModeDays.same(5),
    LegacyStep.CONTRACT_SIGNING: ModeDays.same(0),
    LegacyStep.METER_INSTALLATION: ModeDays.same(5),
    LegacyStep.ENERGIZATION: ModeDays.same(0),
}


@dataclass(frozen=True)
class TimeLimits:
    """Working-day limits for every stage and every legacy step (read-only)."""

    stages: Mapping[Stage, ModeDays]
    legacy: Mapping[LegacyStep, ModeDays]

    def __post_init__(self) -> None:
        missing_stages = set(WORKING_STAGES) - set(self.stages)
        missing_steps = set(LegacyStep) - set(self.legacy)
        if missing_stages or missing_steps:
            names = sorted(str(key) for key in missing_stages | missing_steps)
            raise ValueError(f"time limits missing for: {', '.join(names)}")
        # Frozen means frozen: callers must not be able to edit the tables behind our back.
        object.__setattr__(self, "stages", MappingProxyType(dict(self.stages)))
        object.__setattr__(self, "legacy", MappingProxyType(dict(self.legacy)))

    def __hash__(self) -> int:
        return hash((tuple(self.stages.items()), tuple(self.legacy.items())))

    def for_stage(self, stage: Stage, mode: SupplyMode) -> int:
        if stage is Stage.DONE:
            raise ValueError("a completed application has no time limit")
        return self.stages[stage].for_mode(mode)

    def total(self, mode: SupplyMode) -> int:
        return sum(self.for_stage(stage, mode) for stage in WORKING_STAGES)

    def legacy_for_step(self, step: LegacyStep, mode: SupplyMode) -> int:
        return self.legacy[step].for_mode(mode)

    def legacy_total(self, mode: SupplyMode) -> int:
        return sum(self.legacy_for_step(step, mode) for step in LegacyStep)

    @classmethod
    def default(cls) -> TimeLimits:
        return cls(stages=_DEFAULT_STAGES, legacy=_DEFAULT_LEGACY)

    @classmethod
    def from_mapping(
        cls, stages: Mapping[str, object] | None, legacy: Mapping[str, object] | None
    ) -> TimeLimits:
        """Limits from TOML-shaped tables; missing keys keep their defaults.

        A value is either a whole number (both supply modes) or a table with ``single``
        and/or ``dual``, e.g. ``{"accept": 1, "plan": {"single": 10, "dual": 20}}``.
        """
        return cls(
            stages=_merge("stages", stages, _DEFAULT_STAGES, WORKING_STAGES),
            legacy=_merge("legacy", legacy, _DEFAULT_LEGACY, tuple(LegacyStep)),
        )


def _merge(
    section: str,
    raw: object,
    defaults: Mapping[_Key, ModeDays],
    allowed: Iterable[_Key],
) -> dict[_Key, ModeDays]:
    merged = dict(defaults)
    if raw is None:
        return merged
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{section}: expected a table of limits, got {raw!r}")
    by_name = {str(key): key for key in allowed}
    for name, value in raw.items():
        key = by_name.get(name) if isinstance(name, str) else None
        if key is None:
            expected = ", ".join(by_name)
            raise ConfigError(f"{section}.{name}: unknown name; expected one of {expected}")
        merged[key] = _mode_days(f"{section}.{name}", value, merged[key])
    return merged


def _mode_days(path: str, value: object, current: ModeDays) -> ModeDays:
    if not isinstance(value, Mapping):
        return ModeDays.same(_days(path, value))
    days = {"single": current.single, "dual": current.dual}
    for mode_name, mode_value in value.items():
        if mode_name not in days:
            modes = ", ".join(mode.value for mode in SupplyMode)
            raise ConfigError(f"{path}.{mode_name}: unknown supply mode; expected one of {modes}")
        days[mode_name] = _days(f"{path}.{mode_name}", mode_value)
    return ModeDays(single=days["single"], dual=days["dual"])


def _days(path: str, value: object) -> int:
    # bool is an int subclass, but `plan = true` is a mistake, not one working day.
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{path}: expected a whole number of working days >= 0, got {value!r}")
    if value > MAX_LIMIT_DAYS:
        raise ConfigError(f"{path}: expected at most {MAX_LIMIT_DAYS} working days, got {value}")
    return value
