"""A form as a 95598 operator types it in, and the steps around taking it in."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from process.validators import uscc_check_char
from services.context import ServiceContext
from services.intake import Filed, Intake, IntakeForm, take_in
from tests.storage.samples import NOW

DISTRICT = "汉台区"
USCC = "91610700MA6YB1234" + uscc_check_char("91610700MA6YB1234")

FORM = IntakeForm(
    applicant_name="汉中精密制造有限公司",
    uscc=USCC,
    project_name="新厂房用电",
    site_address="汉中市汉台区天汉大道1号",
    district=DISTRICT,
    usage_category="large_industry",
    voltage_kv="10",
    capacity_kva="2,500 kVA",
    supply_mode="single",
    important_load="no",
    grid_works="unknown",
    wanted_date="2027年3月1日",
    contact_name="王工",
    contact_mobile="+86 138-0013-8000",
)


def districted(ctx: ServiceContext) -> ServiceContext:
    return dataclasses.replace(ctx, districts=(DISTRICT, "南郑区"))


async def file_one(
    ctx: ServiceContext,
    *,
    key: str = "k-1",
    client: str = "hotline",
    now: datetime = NOW,
    **changes: str,
) -> Filed:
    form = dataclasses.replace(FORM, **changes)
    outcome = await take_in(ctx, Intake(client=client, idempotency_key=key, form=form, now=now))
    assert isinstance(outcome, Filed), outcome
    return outcome
