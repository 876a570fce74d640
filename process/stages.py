"""The five stages of the reorganised process and the nine legacy steps they replace.

Stage and step values are plain strings because they are stored in the database and in
callback data; display names live in the templates, one per language.
"""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    """The five stages an application walks through, in order, then ``DONE``."""

    ACCEPT = "accept"  # 业务受理
    PLAN = "plan"  # 供电方案确定及答复 (site survey + plan)
    DESIGN = "design"  # 设计检查 (design review + intermediate inspection)
    CONTRACT = "contract"  # 供电合同签订 (completion inspection + contract)
    ENERGIZE = "energize"  # 投运送电 (meter installation + energization, same day)
    DONE = "done"

    @property
    def number(self) -> int:
        """1-based position among the working stages; ``DONE`` is 6."""
        return STAGE_ORDER.index(self) + 1

    def next(self) -> Stage:
        if self is Stage.DONE:
            raise ValueError("a completed application has no next stage")
        return STAGE_ORDER[STAGE_ORDER.index(self) + 1]


STAGE_ORDER: tuple[Stage, ...] = (
    Stage.ACCEPT,
    Stage.PLAN,
    Stage.DESIGN,
    Stage.CONTRACT,
    Stage.ENERGIZE,
    Stage.DONE,
)
WORKING_STAGES: tuple[Stage, ...] = STAGE_ORDER[:-1]


class LegacyStep(StrEnum):
    """The nine steps of the process before reorganisation, kept as the baseline."""

    ACCEPTANCE = "acceptance"  # 业务受理
    SITE_SURVEY = "site_survey"  # 现场勘查
    PLAN_REPLY = "plan_reply"  # 供电方案确定及答复
    DESIGN_REVIEW = "design_review"  # 设计文件审查
    INTERMEDIATE_INSPECTION = "intermediate_inspection"  # 中间检查
    COMPLETION_INSPECTION = "completion_inspection"  # 竣工检验
    CONTRACT_SIGNING = "contract_signing"  # 供用电合同签订
    METER_INSTALLATION = "meter_installation"  # 装表接电
    ENERGIZATION = "energization"  # 投运送电


class SupplyMode(StrEnum):
    SINGLE = "single"
    DUAL = "dual"


class UsageCategory(StrEnum):
    LARGE_INDUSTRY = "large_industry"  # 大工业
    COMMERCIAL = "commercial"  # 一般工商业
    AGRICULTURE = "agriculture"  # 农业生产
    RESIDENTIAL = "residential"  # 居民生活
    OTHER = "other"  # 其他


class GridWorks(StrEnum):
    """Whether supporting grid works (配套电网工程) are expected."""

    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


VOLTAGE_LEVELS_KV: tuple[int, ...] = (10, 20, 35, 110, 220)
