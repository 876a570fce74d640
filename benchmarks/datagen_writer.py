"""Writes the generated data set's rows: the staff of every district, the customers, the
applications with everything their lives left behind, and the customers in mid-form.

Used by :mod:`benchmarks.datagen`, which owns the connection and its transaction.
"""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from benchmarks.datagen_lives import COLUMNS, Ids, Life, Rows, plan_actions, replay, stamp
from benchmarks.datagen_values import (
    BRAND_CHARS,
    CHUNK,
    CUSTOMER_BASE,
    DRAFTING_BASE,
    HISTORY_DAYS,
    MISSING_NAME,
    OPEN_DAYS,
    OUTBOX_COLUMNS,
    PROJECTS,
    ROLES,
    SHANGHAI,
    STAFF_BASE,
    STAFF_COLUMNS,
    THREAD_COLUMNS,
    TRADES,
    USER_COLUMNS,
    company,
    draft_answers,
    mobile,
    person,
    uscc,
)
from bot.config.settings import DEFAULT_DISTRICTS
from process.form import FIELDS
from process.numbers import format_application_number
from process.stages import SupplyMode
from process.workflow import STEP_STAGE, Step
from services.workflow_effects import TELLS_CUSTOMER
from storage.rows import APPLICATION_COLUMNS
from storage.sealing.columns import JSON_COLUMNS, LOOKUP_COLUMNS, SEALED_COLUMNS, SEALED_WHEN
from storage.sealing.personal import is_personal_applicant

if TYPE_CHECKING:
    from benchmarks.datagen import Dataset, Sealer


class Writer:
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
            name = person(member)
            users.append(self._user(member, name, phone=None, created=created))
            staff.append((member, name, role, district, 1, None, created, created, None))
            self.staff.setdefault((role, district), []).append(member)
        self._insert("users", USER_COLUMNS, users)
        self._insert("staff", STAFF_COLUMNS, staff)
        self.dataset.busy_manager_id = self.staff["customer_manager", DEFAULT_DISTRICTS[0]][0]
        self.dataset.supervisor_id = self.staff["supervisor", DEFAULT_DISTRICTS[0]][0]
        self.dataset.admin_id = self.staff["admin", None][0]

    def _write_customers(self) -> None:
        created = stamp(self.now - HISTORY_DAYS * 86_400)
        batch = []
        for index in range(self.customers):
            user_id = CUSTOMER_BASE + index
            batch.append(self._user(user_id, person(index), mobile(index), created))
            if len(batch) >= CHUNK:
                self._insert("users", USER_COLUMNS, batch)
                batch = []
        self._insert("users", USER_COLUMNS, batch)

    def _user(self, user_id: int, name: str, phone: str | None, created: str) -> tuple[object, ...]:
        verified = int(bool(phone))
        return (
            user_id,
            user_id,
            name[1:],
            None,
            "zh_CN",
            0,
            phone,
            verified,
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
            "full name": company(sample),
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
            "applicant_name": company(customer),
            "uscc": uscc(customer),
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
            "contact_name": person(customer + 17),
            "contact_mobile": mobile(customer),
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
        if "personal_applicant" in self.columns["applications"]:
            # Known when written, as the bot writes it: no classifying pass at start-up.
            values["personal_applicant"] = int(
                is_personal_applicant(str(values["uscc"]), str(values["usage_category"]))
            )
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
        names = [*APPLICATION_COLUMNS.split(", ")]
        names += [
            hash_column
            for (table, _), hash_column in LOOKUP_COLUMNS.items()
            if table == "applications" and hash_column in self.columns["applications"]
        ]
        if "personal_applicant" in self.columns["applications"]:
            names.append("personal_applicant")
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
        message_id = life.application_id % 100_000 + 1
        head = (key, chat, chat, kind, life.application_id, text, None, None, None, at, "sent")
        return (*head, 0, at, None, message_id, at, at, at)

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
        for pending in extra.values():
            pending.clear()

    # -- customers in the middle of the form ----------------------------------------------

    def _write_drafting(self) -> None:
        users, drafts, documents, conversations = [], [], [], []
        created = stamp(self.now - 3 * 86_400)
        for index in range(self.spec.drafting):
            user_id = DRAFTING_BASE + index
            users.append(self._user(user_id, person(index + 5), mobile(index), created))
            answered = index % (len(FIELDS) + 2)
            fields = dict(list(draft_answers(index).items())[: min(answered, len(FIELDS))])
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
        self._insert("users", USER_COLUMNS, users)
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

    # -- values ---------------------------------------------------------------------------

    def _insert(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
        """Insert plain rows; columns :mod:`storage.sealing.columns` names are sealed on the way."""
        batch = list(rows)
        if not batch:
            return
        # A company's name and site address stay in clear (the data set has no sole traders
        # nor residential connections; storage/sealing/personal.py decides when they are sealed).
        sealed = [
            i
            for i, name in enumerate(columns)
            if name in SEALED_COLUMNS.get(table, ()) and (table, name) not in SEALED_WHEN
        ]
        if sealed:
            batch = [self._sealed_row(table, columns, sealed, row) for row in batch]
        names = ", ".join(columns)
        marks = ", ".join("?" * len(columns))
        self.conn.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", batch)


def _stage_of(step: str) -> str:
    return STEP_STAGE[Step(step)].value
