"""Sample values shared by the storage tests."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from process.stages import GridWorks, SupplyMode, UsageCategory
from storage.models import NewApplication

SHANGHAI = ZoneInfo("Asia/Shanghai")
# 09:48 in Shanghai is 01:48 UTC: a time zone conversion that a bug cannot hide.
NOW = datetime(2026, 11, 27, 9, 48, tzinfo=SHANGHAI)
CUSTOMER_ID = 1001


def new_application(**changes: object) -> NewApplication:
    values: dict[str, object] = {
        "applicant_name": "华东精密制造有限公司",
        "uscc": "91310000MA1K123456",
        "project_name": "新厂房用电",
        "site_address": "上海市嘉定区安亭镇1号",
        "district": "嘉定",
        "usage_category": UsageCategory.LARGE_INDUSTRY,
        "voltage_kv": 10,
        "capacity_kva": 2500,
        "supply_mode": SupplyMode.SINGLE,
        "important_load": False,
        "grid_works": GridWorks.UNKNOWN,
        "wanted_date": date(2027, 3, 1),
        "contact_name": "王工",
        "contact_mobile": "13800138000",
    }
    values.update(changes)
    return NewApplication(**values)  # type: ignore[arg-type]
