"""Made-up but plausible values for the generated data set: company, project and person
names, mobile numbers and unified social credit codes, each a pure function of an index, so
that a size and a seed always give the same data."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.config.settings import DEFAULT_DISTRICTS
from process.validators import USCC_ALPHABET, uscc_check_char
from storage.rows import USER_COLUMNS as USER_COLUMN_LIST

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=SHANGHAI)  # a Friday, 10:00
HISTORY_DAYS = 4 * 365  # how far back the oldest application goes
OPEN_DAYS = 90  # applications younger than this are mostly still open
CHUNK = 20_000  # applications per executemany batch

CITIES = ("汉中市", "陕西", "西安", "宝鸡", "安康", "商洛", "咸阳", "渭南")
BRAND_CHARS = "天汉秦巴龙华兴盛恒泰宏远鑫达新丰瑞祥嘉荣中安康永昌和金鼎博源信德正通明光海"
TRADES = (
    "机械制造",
    "纺织",
    "食品",
    "新材料",
    "数据科技",
    "医药",
    "冶金",
    "水泥建材",
    "电子",
    "化工",
    "物流",
    "农业发展",
    "汽车零部件",
    "钢构",
    "印务",
    "包装",
    "家具",
    "能源",
    "商贸",
    "置业",
    "酒店管理",
    "医疗器械",
    "环保科技",
    "茶业",
)
SUFFIXES = ("有限公司", "股份有限公司")
PROJECTS = (
    "新建厂房",
    "二期扩建",
    "数据中心",
    "生产线技改",
    "商业综合体",
    "冷链仓储",
    "污水处理站",
    "职工宿舍",
    "医院门诊楼",
    "光伏配套",
)
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
ROLES = (("customer_manager", 4), ("project_manager", 2), ("supervisor", 1))
STAFF_BASE = 900_000_000
CUSTOMER_BASE = 7_000_000_000
DRAFTING_BASE = 8_000_000_000
MISSING_NAME = "不存在的公司名称"


def company(index: int) -> str:
    brands = len(BRAND_CHARS) - 1
    first = index % brands
    second = (index // brands) % brands
    brand = BRAND_CHARS[first] + BRAND_CHARS[(first + 1 + second) % len(BRAND_CHARS)]
    rest = index // (brands * brands)
    city = CITIES[rest % len(CITIES)]
    trade = TRADES[(rest // len(CITIES)) % len(TRADES)]
    suffix = SUFFIXES[(rest // len(CITIES) // len(TRADES)) % len(SUFFIXES)]
    return f"{city}{brand}{trade}{suffix}"


def person(index: int) -> str:
    return (
        SURNAMES[index % len(SURNAMES)]
        + GIVEN[(index // len(SURNAMES)) % len(GIVEN)]
        + GIVEN[(index * 7) % len(GIVEN)]
    )


def mobile(index: int) -> str:
    return f"13{index % 10}{index:08d}"[-11:]


def uscc(index: int) -> str:
    body = "91610700" + "".join(USCC_ALPHABET[(index // 31**k) % 31] for k in range(9))
    return body + uscc_check_char(body)


def draft_answers(index: int) -> dict[str, object]:
    return {
        "applicant_name": f"汉中市草稿{index}号企业有限公司",
        "uscc": "91350100M000100Y43",
        "project_name": "新建厂房项目",
        "site_address": "汉台区北一环路88号",
        "district": DEFAULT_DISTRICTS[index % len(DEFAULT_DISTRICTS)],
        "usage_category": "large_industry",
        "voltage_kv": "10",
        "capacity_kva": 2000,
        "supply_mode": "single",
        "important_load": "no",
        "grid_works": "no",
        "wanted_date": "2027-06-30",
        "contact_name": "张伟",
        "contact_mobile": f"139{index:08d}"[-11:],
    }


OUTBOX_COLUMNS = (
    "key",
    "chat_id",
    "user_id",
    "kind",
    "application_id",
    "text",
    "reply_markup",
    "document_file_id",
    "photo_file_id",
    "not_before",
    "status",
    "attempts",
    "next_attempt_at",
    "last_error",
    "telegram_message_id",
    "created_at",
    "updated_at",
    "sent_at",
)
THREAD_COLUMNS = (
    "application_id",
    "sender_id",
    "sender_role",
    "text",
    "file_id",
    "file_kind",
    "created_at",
)
STAFF_COLUMNS = tuple(
    "user_id name role district active last_assigned_at created_at updated_at disabled_at".split()
)
USER_COLUMNS = tuple(USER_COLUMN_LIST.split(", "))
