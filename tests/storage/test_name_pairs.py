"""/find by part of a name goes through the index of character pairs (migration 0008) and
finds exactly what a scan of the applications would."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.db import Database
from storage.migrate import MIGRATIONS, migrate
from storage.staff.members import StaffRepo
from storage.staff.queue import FIND_BY_NAME_PAIR_SQL, name_pairs
from tests.keys import make_test_cipher
from tests.storage.samples import NOW
from tests.storage.staff_samples import submit

PAIRS_VERSION = 8  # 0008_name_pairs.sql
COUNTS_VERSION = 14  # 0014_find_and_queue_indexes.sql


async def test_two_typed_characters_find_names_newest_first(db: Database) -> None:
    repo = StaffRepo(db)
    old = await submit(db, 1001, applicant_name="汉中天汉机械有限公司", project_name="二期厂房")
    other = await submit(db, 1002, applicant_name="南郑秦巴食品有限公司", project_name="冷库")
    new = await submit(db, 1003, applicant_name="城固天汉纺织有限公司", project_name="新厂房")

    assert [a.id for a in await repo.find("天汉")] == [new.id, old.id]
    assert [a.id for a in await repo.find("秦巴食品")] == [other.id]
    assert [a.id for a in await repo.find("厂房")] == [new.id, old.id]  # the project name too
    assert [a.id for a in await repo.find("天汉冷库")] == []  # every pair, but not together
    assert [a.id for a in await repo.find("天汉", limit=1)] == [new.id]


async def test_latin_names_match_without_regard_to_case(db: Database) -> None:
    repo = StaffRepo(db)
    acme = await submit(db, 1001, applicant_name="ACME Data 数据中心", project_name="IDC二期")
    assert [a.id for a in await repo.find("acme data")] == [acme.id]
    assert [a.id for a in await repo.find("idc")] == [acme.id]
    assert await repo.find("acmx") == []


async def test_one_character_and_wildcards_are_still_found_literally(db: Database) -> None:
    repo = StaffRepo(db)
    percent = await submit(db, 1001, applicant_name="百分之百%电气有限公司")
    plain = await submit(db, 1002, applicant_name="百分电气有限公司")
    assert [a.id for a in await repo.find("%电")] == [percent.id]  # % is a character here
    assert [a.id for a in await repo.find("百")] == [plain.id, percent.id]  # scanned


async def test_renaming_keeps_the_pairs_in_step(db: Database) -> None:
    repo = StaffRepo(db)
    app = await submit(db, 1001, applicant_name="旧名称公司", project_name="项目甲")
    await db.execute(
        "UPDATE applications SET applicant_name = '新名称公司' WHERE id = ?", (app.id,)
    )
    assert await repo.find("旧名") == []
    assert [a.id for a in await repo.find("新名")] == [app.id]
    pairs = await db.fetchall(
        "SELECT pair FROM application_name_pairs WHERE application_id = ? ORDER BY pair",
        (app.id,),
    )
    assert sorted(p["pair"] for p in pairs) == sorted(
        set(name_pairs("新名称公司") + name_pairs("项目甲"))
    )


async def test_applications_from_before_the_index_are_indexed_by_the_migration(
    tmp_path: Path,
) -> None:
    database = await Database.open(tmp_path / "hv.db", cipher=make_test_cipher())
    try:
        before = tuple(m for m in MIGRATIONS if m.version < PAIRS_VERSION)
        await migrate(database, NOW, before)
        # Written as a release of that time did (today's repositories write newer columns).
        await database.execute(
            "INSERT INTO users (user_id, chat_id, locale, created_at, updated_at) "
            "VALUES (1001, 1001, 'zh_CN', ?1, ?1)",
            ("2026-11-27T01:48:00+00:00",),
        )
        await database.execute(
            "INSERT INTO applications (number, customer_id, applicant_name, project_name, stage, "
            "submitted_at, updated_at) VALUES ('HV-2026-000001', 1001, '宝鸡明博钢构有限公司', "
            "'一期', 'accept', ?1, ?1)",
            ("2026-11-27T01:48:00+00:00",),
        )
        assert await migrate(database, NOW) == [
            m.version for m in MIGRATIONS if m.version >= PAIRS_VERSION
        ]
        found = await database.fetchall(
            "SELECT a.number FROM application_name_pairs p "
            "JOIN applications a ON a.id = p.application_id WHERE p.pair = '明博'"
        )
        assert [row["number"] for row in found] == ["HV-2026-000001"]
    finally:
        await database.close()


@pytest.mark.sqlite_only("reads SQLite's EXPLAIN QUERY PLAN")
async def test_the_search_reads_the_pair_index_not_the_table(db: Database) -> None:
    plan = await db.fetchall(
        "EXPLAIN QUERY PLAN " + FIND_BY_NAME_PAIR_SQL.format(scope="1"),
        ("天汉", '["机械"]', "%天汉机械%", "%天汉机械%", 20),
    )
    steps = [row[3] for row in plan]
    # The rarest pair's entries, each checked for the other pairs in the same index before
    # its application is read at all.
    assert steps[0] == "SEARCH p USING PRIMARY KEY (pair=?)"
    assert "SEARCH q USING PRIMARY KEY (pair=? AND application_id=?) LEFT-JOIN" in steps
    assert steps[-1] == "SEARCH a USING INTEGER PRIMARY KEY (rowid=?)"
    assert not [step for step in steps if step.startswith("SCAN") and " a" in step]


async def _counts(db: Database) -> dict[str, int]:
    rows = await db.fetchall("SELECT pair, found FROM name_pair_counts WHERE found > 0")
    return {row["pair"]: row["found"] for row in rows}


async def _counted_from_the_index(db: Database) -> dict[str, int]:
    rows = await db.fetchall(
        "SELECT pair, COUNT(*) AS found FROM application_name_pairs GROUP BY pair"
    )
    return {row["pair"]: row["found"] for row in rows}


async def test_the_count_of_each_pair_follows_the_index(
    db: Database,
) -> None:
    first = await submit(db, 1001, applicant_name="汉中天汉机械有限公司", project_name="厂房")
    await submit(db, 1002, applicant_name="城固天汉纺织有限公司", project_name="新厂房")
    counts = await _counts(db)
    assert (counts["天汉"], counts["厂房"], counts["机械"]) == (2, 2, 1)
    assert counts == await _counted_from_the_index(db)

    await db.execute(
        "UPDATE applications SET applicant_name = '宝鸡明博钢构有限公司' WHERE id = ?",
        (first.id,),
    )
    counts = await _counts(db)
    assert (counts["天汉"], counts.get("机械"), counts["明博"]) == (1, None, 1)
    assert counts == await _counted_from_the_index(db)

    # Entries leaving the index (as the removal trigger of 0008 takes them) are uncounted.
    await db.execute("DELETE FROM application_name_pairs WHERE application_id = ?", (first.id,))
    assert "明博" not in await _counts(db)
    assert await _counts(db) == await _counted_from_the_index(db)


async def test_the_search_starts_from_the_pair_fewest_names_hold(db: Database) -> None:
    repo = StaffRepo(db)
    # "咸阳" opens every name here but one pair of the brand is rare: the search must not be
    # misled by the order typed, and still find exactly the one whole name.
    for n in range(12):
        await submit(db, 1001 + n, applicant_name=f"咸阳{n:02d}号机械制造有限公司")
    wanted = await submit(db, 1100, applicant_name="咸阳明嘉数据科技有限公司")
    await submit(db, 1101, applicant_name="咸阳明嘉机械制造有限公司")
    assert [a.id for a in await repo.find("咸阳明嘉数据科技有限公司")] == [wanted.id]
    assert len(await repo.find("咸阳明嘉")) == 2
    assert await repo.find("咸阳明嘉冶金") == []


async def test_the_migration_counts_the_pairs_indexed_before_it(tmp_path: Path) -> None:
    database = await Database.open(tmp_path / "hv.db", cipher=make_test_cipher())
    try:
        await migrate(database, NOW, tuple(m for m in MIGRATIONS if m.version < COUNTS_VERSION))
        await database.execute(
            "INSERT INTO users (user_id, chat_id, locale, created_at, updated_at) "
            "VALUES (1001, 1001, 'zh_CN', ?1, ?1)",
            ("2026-11-27T01:48:00+00:00",),
        )
        for number in ("HV-2026-000001", "HV-2026-000002"):
            await database.execute(
                "INSERT INTO applications (number, customer_id, applicant_name, project_name, "
                "stage, submitted_at, updated_at) VALUES (?2, 1001, '宝鸡明博钢构有限公司', "
                "'一期', 'accept', ?1, ?1)",
                ("2026-11-27T01:48:00+00:00", number),
            )
        await migrate(database, NOW)
        counts = await _counts(database)
        assert counts["明博"] == 2
        assert counts == await _counted_from_the_index(database)
    finally:
        await database.close()


@pytest.mark.parametrize(
    ("typed", "pairs"),
    [
        ("天汉机械", ["天汉", "汉机", "机械"]),
        ("AbA", ["ab", "ba"]),
        ("x", []),
        ("汉汉汉", ["汉汉"]),
    ],
)
def test_pairs_of_what_is_typed(typed: str, pairs: list[str]) -> None:
    assert name_pairs(typed) == pairs
