"""The translation of our SQLite SQL into PostgreSQL's (storage/dialect.py), without a server."""

from __future__ import annotations

import json

import pytest

from storage.dialect import (
    BEGIN_READ,
    BEGIN_WRITE,
    Bound,
    Untranslatable,
    is_postgresql,
    translate,
)
from storage.sealing.columns import lookup_hashes, open_value
from tests.keys import make_test_cipher


def test_numbered_placeholders_pick_and_repeat_values() -> None:
    statement = translate("SELECT ?, ?3, ?, ?1")
    assert statement.sql == "SELECT %s, %s, %s, %s"
    assert statement.values(("a", "b", "c", "d"), None) == ["a", "c", "d", "a"]


def test_named_placeholders_take_a_mapping() -> None:
    statement = translate("SELECT * FROM t WHERE a = :day OR b = :day AND c < :late")
    assert statement.sql == "SELECT * FROM t WHERE a = %s OR b = %s AND c < %s"
    assert statement.values({"day": "d", "late": 3}, None) == ["d", "d", 3]


def test_booleans_are_bound_as_sqlite_stores_them() -> None:
    assert translate("SELECT ?").values((True,), None) == [1]


def test_sealing_functions_are_applied_to_the_bound_value_in_python() -> None:
    cipher = make_test_cipher()
    statement = translate("INSERT INTO notes (note, note_hash) VALUES (hv_seal(?1), hv_lookup(?1))")
    assert statement.sql.startswith("INSERT INTO notes (note, note_hash) VALUES (%s, %s)")
    sealed, hashed = statement.values(("a note",), cipher)  # type: ignore[misc]
    assert open_value(cipher, str(sealed)) == "a note"
    assert hashed == cipher.current.lookup_hash("a note")
    lookups = translate("SELECT hv_lookups(?)").values(("138",), cipher)
    assert lookups == [json.dumps(lookup_hashes(cipher, "138"))]


def test_a_sealed_literal_becomes_a_bound_value() -> None:
    statement = translate("UPDATE users SET phone = hv_seal('') WHERE user_id = ?")
    assert statement.bound == (Bound(None, "hv_seal", ""), Bound(0))
    assert statement.values((7,), None) == ["", 7]


def test_a_literal_percent_is_escaped_only_when_values_are_bound() -> None:
    assert translate("SELECT '100%' || ?").sql == "SELECT '100%%' || %s"
    assert translate("SELECT '100%'").sql == "SELECT '100%'"


def test_question_marks_inside_literals_and_comments_are_text() -> None:
    statement = translate("SELECT 'why?' -- really?\n, ?")
    assert statement.sql == "SELECT 'why?' -- really?\n, %s"
    assert len(statement.bound) == 1


def test_insert_or_ignore_becomes_on_conflict_do_nothing() -> None:
    statement = translate("INSERT OR IGNORE INTO reminder_meta (name, value) VALUES (?, ?)")
    assert statement.sql == (
        "INSERT INTO reminder_meta (name, value) VALUES (%s, %s) ON CONFLICT DO NOTHING"
    )


def test_insert_or_replace_is_refused() -> None:
    with pytest.raises(Untranslatable, match="ON CONFLICT"):
        translate("INSERT OR REPLACE INTO reminder_meta (name, value) VALUES (?, ?)")


def test_an_insert_into_a_table_with_an_identity_returns_its_id() -> None:
    statement = translate("INSERT INTO events (kind) VALUES (?)")
    assert statement.sql.endswith(" RETURNING id") and statement.returns_id
    assert not translate("INSERT INTO users (user_id) VALUES (?)").returns_id
    explicit = translate("INSERT INTO events (kind) VALUES (?) RETURNING id, kind")
    assert not explicit.returns_id and explicit.sql.count("RETURNING") == 1


def test_an_insert_of_one_row_is_cut_around_it_for_a_batch_of_rows() -> None:
    """A batch of rows goes as one INSERT of many rows: the text before the row, the row
    with every placeholder, the text after; the RETURNING added for ``lastrowid`` stays off."""
    sealed = translate(
        "INSERT INTO outbox (key, text) VALUES (?, hv_seal(?)) ON CONFLICT (key) DO NOTHING;"
    )
    assert sealed.rows == (
        "INSERT INTO outbox (key, text) VALUES ",
        "(%s, %s)",
        " ON CONFLICT (key) DO NOTHING",
    )
    assert sealed.returns_id  # a single row still answers its id
    ignored = translate("INSERT OR IGNORE INTO t (a, b) VALUES (?, '50%')")
    assert ignored.rows == (
        "INSERT INTO t (a, b) VALUES ",
        "(%s, '50%%')",
        " ON CONFLICT DO NOTHING",
    )
    assert translate("INSERT INTO t (a) VALUES (?)").rows == (
        "INSERT INTO t (a) VALUES ",
        "(%s)",
        "",
    )


@pytest.mark.parametrize(
    "sql",
    [
        # Two rows of one statement may not both be changed by a DO UPDATE.
        "INSERT INTO t (a) VALUES (?) ON CONFLICT (a) DO UPDATE SET b = excluded.b",
        "INSERT INTO t (a) VALUES (?) RETURNING a",
        "INSERT INTO t (a) SELECT ? FROM u",
        "INSERT INTO t (a) VALUES (?), (?)",
        "INSERT INTO t (a) VALUES (?) ON CONFLICT (a) DO UPDATE SET b = ?",
        "INSERT INTO t (a) VALUES ('constant')",
        "UPDATE t SET a = ?",
    ],
)
def test_other_statements_stay_one_statement_a_row(sql: str) -> None:
    assert translate(sql).rows is None


def test_is_compares_any_two_values_as_sqlite_does() -> None:
    assert translate("SELECT 1 WHERE a IS ? AND b IS NOT c AND d IS NULL").sql == (
        "SELECT 1 WHERE a IS NOT DISTINCT FROM %s AND b IS DISTINCT FROM c AND d IS NULL"
    )


def test_like_ignores_case_as_sqlite_does() -> None:
    assert translate("SELECT 1 WHERE a LIKE ? ESCAPE '\\'").sql == (
        "SELECT 1 WHERE a ILIKE %s ESCAPE '\\'"
    )


def test_max_of_several_values_is_greatest() -> None:
    sql = translate("SELECT MAX(a, ?), MIN(b, c), MAX(d) FROM t").sql
    assert sql == "SELECT GREATEST(a, %s), LEAST(b, c), MAX(d) FROM t"


def test_json_each_becomes_a_table_of_keys_and_values() -> None:
    sql = translate("SELECT t.key, t.value FROM json_each(?) AS t").sql
    assert "json_array_elements_text(CAST(%s AS json)) WITH ORDINALITY" in sql
    assert sql.endswith(") AS t")
    nested = translate("SELECT 1 WHERE x IN (SELECT value FROM json_each(hv_lookups(?)))")
    assert nested.bound == (Bound(0, "hv_lookups"),)


def test_index_hints_are_dropped_and_subqueries_named() -> None:
    sql = translate("SELECT * FROM (SELECT a FROM t INDEXED BY t_by_a WHERE a = 1)").sql
    sql = " ".join(sql.split())
    assert "INDEXED" not in sql
    assert sql.startswith("SELECT * FROM (SELECT a FROM t WHERE a = 1) AS hv_from_")


def test_transactions_and_pragmas() -> None:
    assert translate("BEGIN IMMEDIATE").sql == BEGIN_WRITE
    assert translate("BEGIN DEFERRED").sql == BEGIN_READ
    assert translate("PRAGMA user_version").special == "user_version"
    assert "schema_migrations" in translate("PRAGMA user_version = 18").sql
    with pytest.raises(Untranslatable):
        translate("PRAGMA journal_mode = WAL")


def test_sqlite_only_functions_are_refused() -> None:
    with pytest.raises(Untranslatable):
        translate("SELECT strftime('%s', 'now')")


def test_a_url_chooses_postgresql() -> None:
    assert is_postgresql("postgresql://hv@db/hvconnect")
    assert not is_postgresql("data/hvconnect.db")


def test_a_cross_join_on_a_condition_is_an_inner_join() -> None:
    sql = translate("SELECT 1 FROM u CROSS JOIN a ON a.u = u.id WHERE u.x").sql
    assert sql == "SELECT 1 FROM u INNER JOIN a ON a.u = u.id WHERE u.x"
    assert translate("SELECT 1 FROM u CROSS JOIN a WHERE a.u = u.id").sql.count("CROSS") == 1


def test_a_column_named_like_a_sqlite_function_is_a_column() -> None:
    assert translate("SELECT COUNT(*) AS total FROM t").sql == "SELECT COUNT(*) AS total FROM t"


def test_a_joined_tables_index_hint_becomes_a_lookup_per_row() -> None:
    # SQLite's hint asks for the joined rows through an index, row by row; PostgreSQL gets a
    # LATERAL subquery it cannot fold back into a hash join.
    sql = translate(
        "SELECT a.id, v.id FROM applications a "
        "LEFT JOIN stage_visits v INDEXED BY stage_visits_one_open "
        "ON v.application_id = a.id AND v.ended_at IS NULL "
        "LEFT JOIN reminder_watch w ON w.subject_id = v.id WHERE a.district = ?"
    ).sql
    assert " ".join(sql.split()) == (
        "SELECT a.id, v.id FROM applications a LEFT JOIN LATERAL (SELECT * FROM stage_visits v "
        "WHERE v.application_id = a.id AND v.ended_at IS NULL OFFSET 0) AS v ON TRUE "
        "LEFT JOIN reminder_watch w ON w.subject_id = v.id WHERE a.district = %s"
    )
    # The condition is translated like the rest, with its placeholders in their places; an
    # inner join (SQLite's CROSS JOIN ... ON) and a join closing a subquery work alike.
    inner = translate(
        "SELECT * FROM (SELECT u.id FROM u CROSS JOIN t AS x INDEXED BY t_by_u "
        "ON x.u = u.id AND x.name LIKE ? AND x.b IS ?) WHERE 1 = ?"
    )
    assert " ".join(inner.sql.split()) == (
        "SELECT * FROM (SELECT u.id FROM u INNER JOIN LATERAL (SELECT * FROM t x WHERE x.u = "
        "u.id AND x.name ILIKE %s AND x.b IS NOT DISTINCT FROM %s OFFSET 0) AS x ON TRUE ) "
        "AS hv_from_6 WHERE 1 = %s"
    )
    assert [b.source for b in inner.bound] == [0, 1, 2]
    # A hint on the first table, or a join without one, is only dropped.
    dropped = translate("SELECT 1 FROM t INDEXED BY i JOIN u ON u.t = t.id").sql
    assert " ".join(dropped.split()) == "SELECT 1 FROM t JOIN u ON u.t = t.id"
