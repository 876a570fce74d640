"""A utility's whole data set, written straight into a database file with SQL.

The schema comes from the project's own migrations; the rows are what years of use leave
behind: applications in every stage and step (most of them finished) with their events,
stage visits, pauses, documents, owed items, survey times, relayed messages and sent
notices, the staff of every district, and customers in the middle of the application form
(a draft and a saved conversation state each).

Generation must be fast enough to build a million applications within the benchmark's
time: rows are built in plain Python and inserted with ``executemany`` in large
transactions, with the indexes dropped during the load and created again after it, and
the journal off (nothing here needs to survive a crash). Personal columns are sealed with
the bot's cipher, as the bot would write them; equal values share one sealed text, which
keeps generation quick and changes neither the sizes nor the work of reading them.
"""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from benchmarks.datagen_lives import COLUMNS, Ids, Life, Rows, plan_actions, replay, stamp
from bot.config import DEFAULT_DISTRICTS
from flows.workflow_effects import TELLS_CUSTOMER
from process.form import FIELDS
from process.numbers import format_application_number
from process.stages import SupplyMode
from process.validators import USCC_ALPHABET, uscc_check_char
from process.workflow import STEP_STAGE, Step
from storage.crypto import FieldCipher
from storage.db import Database
from storage.migrate import migrate
from storage.sealed import JSON_COLUMNS, LOOKUP_COLUMNS, SEALED_COLUMNS, lookup_hash, seal_value

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


@dataclass(frozen=True)
class DatasetSpec:
    applications: int
    drafting: int = 10_000  # customers in the middle of the form
    busy_manager_open: int = 500  # open applications held by one customer manager
    seed: int = 2026
    now: datetime = NOW


@dataclass
class Dataset:
    """What was generated, and the people and texts the benchmarks need from it."""

    path: Path
    spec: DatasetSpec
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    busy_manager_id: int = 0
    supervisor_id: int = 0
    customer_id: int = 0  # a customer whose application went through every stage
    card_number: str = ""  # that application
    drafting_customer_id: int = 0
    search: dict[str, str] = field(default_factory=dict)  # kind of search -> what is typed


class Sealer:
    """Seals values with the bot's cipher, once per distinct value."""

    def __init__(self, cipher: FieldCipher | None) -> None:
        self._cipher = cipher
        self._sealed: dict[tuple[str, bool], str] = {}
        self._hashed: dict[str, str] = {}

    def seal(self, plain: str | None, *, as_json: bool = False) -> str | None:
        if plain is None:
            return None
        found = self._sealed.get((plain, as_json))
        if found is None:
            found = self._sealed[plain, as_json] = seal_value(self._cipher, plain, as_json=as_json)
        return found

    def lookup(self, plain: str) -> str:
        found = self._hashed.get(plain)
        if found is None:
            found = self._hashed[plain] = lookup_hash(self._cipher, plain)
        return found


async def generate(path: Path, spec: DatasetSpec, *, cipher: FieldCipher | None) -> Dataset:
    """Create the database at ``path`` (which must not exist) and fill it."""
    if await asyncio.to_thread(path.exists):
        raise FileExistsError(path)
    started = time.perf_counter()
    await prepare_database(path, spec.now)
    dataset = Dataset(path, spec)
    await asyncio.to_thread(_fill, dataset, Sealer(cipher))
    dataset.seconds = time.perf_counter() - started
    return dataset


def _fill(dataset: Dataset, sealer: Sealer) -> None:
    conn = sqlite3.connect(dataset.path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA cache_size = -262144")
        indexes = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        ).fetchall()
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        conn.execute("BEGIN")
        _Writer(conn, dataset, sealer).write()
        conn.execute("COMMIT")
        for _, sql in indexes:
            conn.execute(sql)
        dataset.counts = {
            table: conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
            for (table,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            ).fetchall()
        }
        conn.execute("PRAGMA journal_mode = WAL")
    finally:
        conn.close()


class _Writer:
    def __init__(self, conn: sqlite3.Connection, dataset: Dataset, sealer: Sealer) -> None:
        self.conn = conn
        self.dataset = dataset
        self.spec = dataset.spec
        self.sealer = sealer
        self.rng = random.Random(self.spec.seed)
        self.columns = {
            table: {row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')}
            for table in ("applications", "users", "drafts")
        }
        self.now = self.spec.now.timestamp()
        self.customers = max(1, self.spec.applications * 4 // 5)
        self.staff: dict[tuple[str, str | None], list[int]] = {}

    def write(self) -> None:
        self._write_staff()
        self._write_customers()
        self._write_applications()
        self._write_drafting()

    # -- people ---------------------------------------------------------------------------

    def _write_staff(self) -> None:
        users, staff = [], []
        member = STAFF_BASE
        created = stamp(self.now - HISTORY_DAYS * 86_400)
        people: list[tuple[str, str | None]] = [
            (role, district)
            for district in DEFAULT_DISTRICTS
            for role, n in ROLES
            for _ in range(n)
        ]
        people += [("admin", None), ("admin", None)]
        for role, district in people:
            member += 1
            name = self._person(member)
            users.append(self._user(member, name, phone=None, created=created))
            staff.append((member, name, role, district, 1, None, created, created, None))
            self.staff.setdefault((role, district), []).append(member)
        self._insert("users", self._user_columns(), users)
        self._insert(
            "staff",
            (
                "user_id",
                "name",
                "role",
                "district",
                "active",
                "last_assigned_at",
                "created_at",
                "updated_at",
                "disabled_at",
            ),
            staff,
        )
        self.dataset.busy_manager_id = self.staff["customer_manager", DEFAULT_DISTRICTS[0]][0]
        self.dataset.supervisor_id = self.staff["supervisor", DEFAULT_DISTRICTS[0]][0]

    def _write_customers(self) -> None:
        created = stamp(self.now - HISTORY_DAYS * 86_400)
        batch = []
        for index in range(self.customers):
            user_id = CUSTOMER_BASE + index
            batch.append(self._user(user_id, self._person(index), self._mobile(index), created))
            if len(batch) >= CHUNK:
                self._insert("users", self._user_columns(), batch)
                batch = []
        self._insert("users", self._user_columns(), batch)

    def _user_columns(self) -> tuple[str, ...]:
        return (
            "user_id",
            "chat_id",
            "first_name",
            "username",
            "locale",
            "locale_chosen",
            "phone",
            "phone_verified",
            "unreachable_at",
            "created_at",
            "updated_at",
        )

    def _user(self, user_id: int, name: str, phone: str | None, created: str) -> tuple[object, ...]:
        return (
            user_id,
            user_id,
            name[1:],
            None,
            "zh_CN",
            0,
            phone,
            int(bool(phone)),
            None,
            created,
            created,
        )

    # -- applications ---------------------------------------------------------------------

    def _write_applications(self) -> None:
        n = self.spec.applications
        ids = Ids()
        rows = Rows()
        apps: list[tuple[object, ...]] = []
        extra: dict[str, list[tuple[object, ...]]] = {"outbox": [], "thread_messages": []}
        sequence_of_year: dict[int, int] = {}
        open_ids = self._open_applications(n)
        busy_left = self.spec.busy_manager_open
        finished_sample = None
        for index in range(n):
            app_id = index + 1
            submitted = self.now - HISTORY_DAYS * 86_400 * (1 - index / n) - 3_600
            year = datetime.fromtimestamp(submitted, SHANGHAI).year
            sequence_of_year[year] = sequence_of_year.get(year, 0) + 1
            number = format_application_number(year, sequence_of_year[year])
            customer = index if index < self.customers else self.rng.randrange(self.customers)
            district = DEFAULT_DISTRICTS[customer % len(DEFAULT_DISTRICTS)]
            is_open = app_id in open_ids
            if is_open and busy_left > 0:
                manager = self.dataset.busy_manager_id
                busy_left -= 1
            else:
                managers = self.staff["customer_manager", district]
                manager = managers[1 + index % (len(managers) - 1)]
            withdrawn = not is_open and self.rng.random() < 0.03
            grid = self.rng.random() < 0.3
            project = self.staff["project_manager", district][index % 2] if grid else None
            life = Life(
                application_id=app_id,
                number=number,
                customer_id=CUSTOMER_BASE + customer,
                manager_id=manager,
                project_id=project,
                mode=SupplyMode.DUAL if self.rng.random() < 0.2 else SupplyMode.SINGLE,
                submitted=submitted,
                actions=plan_actions(self.rng, finished=not is_open and not withdrawn),
                until=min(self.now - 600, submitted + 120 * 86_400),
            )
            step, version, last = replay(life, self.rng, ids, rows)
            status = "withdrawn" if withdrawn else ("done" if step == "done" else "active")
            apps.append(
                self._application(life, customer, district, grid, step, status, version, last)
            )
            self._notices(life, extra)
            if status == "done" and finished_sample is None and index > n // 2:
                finished_sample = life
            if len(apps) >= CHUNK:
                self._flush(apps, rows, extra)
        self._flush(apps, rows, extra)
        self._insert("application_counters", ("year", "last_seq"), sequence_of_year.items())
        assert finished_sample is not None, "no finished application to show on a card"
        self.dataset.customer_id = finished_sample.customer_id
        self.dataset.card_number = finished_sample.number
        sample = (finished_sample.customer_id - CUSTOMER_BASE) % self.customers
        self.dataset.search = {
            "trade": TRADES[0],
            "brand": BRAND_CHARS[3:5],
            "full name": self._company(sample),
            "no match": MISSING_NAME,
        }

    def _open_applications(self, n: int) -> set[int]:
        """The ids of applications still open: the young ones, and the busy manager's 500."""
        per_day = n / HISTORY_DAYS
        young = min(n, max(int(per_day * OPEN_DAYS), int(self.spec.busy_manager_open * 1.3)))
        return {app_id for app_id in range(n - young + 1, n + 1) if self.rng.random() < 0.9}

    def _application(
        self,
        life: Life,
        customer: int,
        district: str,
        grid: bool,
        step: str,
        status: str,
        version: int,
        last: float,
    ) -> tuple[object, ...]:
        values: dict[str, object] = {
            "id": life.application_id,
            "number": life.number,
            "customer_id": life.customer_id,
            "applicant_name": self._company(customer),
            "uscc": self._uscc(customer),
            "project_name": f"{PROJECTS[life.application_id % len(PROJECTS)]}项目",
            "site_address": f"{district}工业园{life.application_id % 400 + 1}号",
            "district": district,
            "usage_category": "large_industry" if customer % 3 else "commercial",
            "voltage_kv": (10, 10, 10, 35, 110)[customer % 5],
            "capacity_kva": 400 + 100 * (customer % 80),
            "supply_mode": life.mode.value,
            "important_load": int(customer % 7 == 0),
            "grid_works": "yes" if grid else "no",
            "wanted_date": (date.fromtimestamp(life.submitted) + timedelta(days=200)).isoformat(),
            "contact_name": self._person(customer + 17),
            "contact_mobile": self._mobile(customer),
            "stage": _stage_of(str(step)),
            "status": status,
            "version": version,
            "customer_manager_id": life.manager_id,
            "project_manager_id": life.project_id,
            "plan_due_date": (date.fromtimestamp(life.submitted) + timedelta(days=16)).isoformat(),
            "plan_due_provisional": 0,
            "submitted_at": stamp(life.submitted),
            "updated_at": stamp(last),
            "step": str(step),
            "energize_date": (date.fromtimestamp(last) + timedelta(days=3)).isoformat()
            if str(step) in ("energize_day", "done")
            else None,
        }
        for (table, column), hash_column in LOOKUP_COLUMNS.items():
            if table == "applications" and hash_column in self.columns["applications"]:
                values[hash_column] = self.sealer.lookup(str(values[column]))
        return tuple(values.values())

    def _sealed_row(
        self, table: str, columns: Sequence[str], positions: list[int], row: Sequence[object]
    ) -> tuple[object, ...]:
        values = list(row)
        for i in positions:
            plain = values[i]
            as_json = (table, columns[i]) in JSON_COLUMNS
            values[i] = None if plain is None else self.sealer.seal(str(plain), as_json=as_json)
        return tuple(values)

    def _application_columns(self, sample: tuple[object, ...]) -> tuple[str, ...]:
        names = [
            "id",
            "number",
            "customer_id",
            "applicant_name",
            "uscc",
            "project_name",
            "site_address",
            "district",
            "usage_category",
            "voltage_kv",
            "capacity_kva",
            "supply_mode",
            "important_load",
            "grid_works",
            "wanted_date",
            "contact_name",
            "contact_mobile",
            "stage",
            "status",
            "version",
            "customer_manager_id",
            "project_manager_id",
            "plan_due_date",
            "plan_due_provisional",
            "submitted_at",
            "updated_at",
            "step",
            "energize_date",
        ]
        names += [
            hash_column
            for (table, _), hash_column in LOOKUP_COLUMNS.items()
            if table == "applications" and hash_column in self.columns["applications"]
        ]
        assert len(names) == len(sample)
        return tuple(names)

    def _notices(self, life: Life, extra: dict[str, list[tuple[object, ...]]]) -> None:
        """The sent outbox rows an application leaves: its alert, and the customer's notices."""
        at = stamp(life.submitted)
        outbox = extra["outbox"]
        if life.manager_id is not None:
            outbox.append(
                self._sent(
                    f"new:{life.number}:{life.manager_id}",
                    life.manager_id,
                    "staff.new_application",
                    life,
                    at,
                )
            )
        for position, action in enumerate(life.actions):
            if action in TELLS_CUSTOMER:
                key = f"wf:{life.application_id}:{position + 2}:{life.customer_id}"
                outbox.append(self._sent(key, life.customer_id, f"workflow.{action}", life, at))
        if life.application_id % 4 == 0:
            for sender, role in (
                (life.customer_id, "customer"),
                (life.manager_id or 0, "customer_manager"),
            ):
                text = f"关于{PROJECTS[sender % len(PROJECTS)]}的问题与答复{sender % 50}"
                extra["thread_messages"].append(
                    (life.application_id, sender, role, text, None, None, at)
                )

    def _sent(self, key: str, chat: int, kind: str, life: Life, at: str) -> tuple[object, ...]:
        text = f"<b>{kind}</b> 申请 {kind} 的通知正文：{'尊敬的客户，' * 12}"
        return (
            key,
            chat,
            chat,
            kind,
            life.application_id,
            text,
            None,
            None,
            None,
            at,
            "sent",
            0,
            at,
            None,
            life.application_id % 100_000 + 1,
            at,
            at,
            at,
        )

    def _flush(
        self,
        apps: list[tuple[object, ...]],
        rows: Rows,
        extra: dict[str, list[tuple[object, ...]]],
    ) -> None:
        if apps:
            self._insert("applications", self._application_columns(apps[0]), apps)
            apps.clear()
        for table, batch in rows.tables.items():
            self._insert(table, COLUMNS[table], batch)
        rows.clear()
        self._insert("outbox", OUTBOX_COLUMNS, extra["outbox"])
        self._insert("thread_messages", THREAD_COLUMNS, extra["thread_messages"])
        for batch in extra.values():
            batch.clear()

    # -- customers in the middle of the form ----------------------------------------------

    def _write_drafting(self) -> None:
        users, drafts, documents, conversations = [], [], [], []
        created = stamp(self.now - 3 * 86_400)
        for index in range(self.spec.drafting):
            user_id = DRAFTING_BASE + index
            users.append(self._user(user_id, self._person(index + 5), self._mobile(index), created))
            answered = index % (len(FIELDS) + 2)
            fields = dict(list(_draft_answers(index).items())[: min(answered, len(FIELDS))])
            answers = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
            drafts.append((user_id, answers, "[]", created, created))
            if answered < len(FIELDS):
                state = f"field:{FIELDS[answered].name}"
            elif answered == len(FIELDS):
                state = "doc:identity"
                documents.append(
                    (
                        user_id,
                        "business_licence",
                        f"BQACAgUAAxkBAAJ{index:012d}",
                        f"AgAE{index:010d}",
                        "licence.pdf",
                        "application/pdf",
                        180_000,
                        created,
                    )
                )
            else:
                state = "summary"
            conversations.append(("apply", f"[{user_id},{user_id}]", state, created))
        self._insert("users", self._user_columns(), users)
        self._insert(
            "drafts", ("user_id", "fields", "deferred", "created_at", "updated_at"), drafts
        )
        self._insert(
            "draft_documents",
            (
                "user_id",
                "kind",
                "file_id",
                "file_unique_id",
                "file_name",
                "mime_type",
                "file_size",
                "uploaded_at",
            ),
            documents,
        )
        self._insert("conversations", ("name", "key", "state", "updated_at"), conversations)
        self.dataset.drafting_customer_id = DRAFTING_BASE

    # -- values ---------------------------------------------------------------------------

    def _company(self, index: int) -> str:
        brands = len(BRAND_CHARS) - 1
        first = index % brands
        second = (index // brands) % brands
        brand = BRAND_CHARS[first] + BRAND_CHARS[(first + 1 + second) % len(BRAND_CHARS)]
        rest = index // (brands * brands)
        city = CITIES[rest % len(CITIES)]
        trade = TRADES[(rest // len(CITIES)) % len(TRADES)]
        suffix = SUFFIXES[(rest // len(CITIES) // len(TRADES)) % len(SUFFIXES)]
        return f"{city}{brand}{trade}{suffix}"

    def _person(self, index: int) -> str:
        return (
            SURNAMES[index % len(SURNAMES)]
            + GIVEN[(index // len(SURNAMES)) % len(GIVEN)]
            + GIVEN[(index * 7) % len(GIVEN)]
        )

    def _mobile(self, index: int) -> str:
        return f"13{index % 10}{index:08d}"[-11:]

    def _uscc(self, index: int) -> str:
        body = "91610700" + "".join(USCC_ALPHABET[(index // 31**k) % 31] for k in range(9))
        return body + uscc_check_char(body)

    def _insert(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
        """Insert plain rows; the columns :mod:`storage.sealed` names are sealed on the way."""
        batch = list(rows)
        if not batch:
            return
        sealed = [i for i, name in enumerate(columns) if name in SEALED_COLUMNS.get(table, ())]
        if sealed:
            batch = [self._sealed_row(table, columns, sealed, row) for row in batch]
        names = ", ".join(columns)
        marks = ", ".join("?" * len(columns))
        self.conn.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", batch)


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


def _stage_of(step: str) -> str:
    return STEP_STAGE[Step(step)].value


def _draft_answers(index: int) -> dict[str, object]:
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


async def prepare_database(path: Path, now: datetime = NOW) -> None:
    """An empty database with the current schema, as the bot would create it."""
    db = await Database.open(path)
    try:
        await migrate(db, now)
    finally:
        await db.close()


def add_staff_member(
    path: Path, user_id: int, *, role: str, district: str | None, now: datetime = NOW
) -> None:
    """Enrol one member of staff straight in the tables (their invite is not the point)."""
    created = now.isoformat()
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO users (user_id, chat_id, first_name, locale, created_at, updated_at) "
            "VALUES (?, ?, ?, 'zh_CN', ?, ?)",
            (user_id, user_id, "娜", created, created),
        )
        conn.execute(
            "INSERT INTO staff (user_id, name, role, district, active, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, 1, ?, ?)",
            (user_id, "李娜", role, district, created, created),
        )
    conn.close()
