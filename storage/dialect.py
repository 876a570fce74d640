"""Where PostgreSQL's SQL differs from the SQLite SQL the repositories are written in.

There is one set of repositories, written in SQLite's SQL; on PostgreSQL each distinct
statement is translated once (the result is cached) by :func:`translate`. What it knows:

* placeholders: ``?``, ``?NNN`` and ``:name`` become psycopg's ``%s``, with a plan that picks
  (and repeats) the bound values in the order the new text wants them;
* the sealing functions ``hv_seal(?)``, ``hv_seal_json(?)``, ``hv_lookup(?)`` and
  ``hv_lookups(?)``, which on SQLite are user functions of the connection
  (:mod:`storage.sealing.columns`): here the plan applies them in Python to the bound value
  of the placeholder they wrap, so the cipher never leaves the process;
* ``INSERT OR IGNORE`` (``ON CONFLICT DO NOTHING``), ``a IS b`` (``IS NOT DISTINCT FROM``),
  ``LIKE`` (SQLite's ignores ASCII case: ``ILIKE``), ``json_each(...)`` (a table of
  ``key``/``value`` rows from ``json_array_elements_text``), ``max(a, b)``/``min(a, b)`` of
  several arguments (``GREATEST``/``LEAST``);
* an INSERT into a table whose ``id`` is an identity column gets ``RETURNING id``, which is
  how the adapter answers ``lastrowid`` (``lastval()`` would name a trigger's row instead);
* an INSERT of one row of VALUES is also cut around its row (``Statement.rows``), so that a
  batch of rows (``executemany``) is one INSERT of many rows, planned once by the server;
* ``BEGIN IMMEDIATE`` takes one advisory lock for the whole database, so writers queue one at
  a time exactly as on SQLite, which the repositories' read-then-write steps rely on;
  ``BEGIN DEFERRED`` is a REPEATABLE READ snapshot, as SQLite's read transaction is;
* ``INDEXED BY`` hints are dropped, but a joined table's hint (``JOIN t v INDEXED BY i ON
  ...``) makes the join a LATERAL look-up per outer row, which is what it asks of SQLite
  (:func:`_lateral_lookup`); ``CROSS JOIN ... ON`` is an inner join, and a subquery in FROM
  gets the name PostgreSQL wants;
* ``PRAGMA user_version`` reads (and, written, records) the newest row of
  ``schema_migrations``; other PRAGMAs are SQLite's own business and are refused.

What is not mechanical (``INSERT OR REPLACE``, a function SQLite alone has) is refused with
:class:`Untranslatable`; rewrite the statement in the repository in a form both accept.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from storage.sealing.columns import lookup_hash, lookup_hashes, seal_value
from storage.sealing.crypto import FieldCipher

POSTGRESQL_SCHEMES = ("postgresql://", "postgres://")

# Tables whose ``id`` is an identity column (SQLite's INTEGER PRIMARY KEY row id); a test
# checks this against the migrated schema.
IDENTITY_TABLES: frozenset[str] = frozenset(
    {
        "draft_documents", "applications", "stage_visits", "clock_pauses", "documents",
        "notes", "owed_items", "events", "outbox", "join_attempts", "survey_slots",
        "thread_messages", "survey_responses", "webhook_subscriptions", "webhook_deliveries",
        "api_clients", "api_calls",
    }
)  # fmt: skip

# Any number will do as long as every process of the deployment uses the same one.
WRITE_LOCK_KEY = 0x6876_636F  # "hvco"
BEGIN_WRITE = (
    f"BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})"
)
BEGIN_READ = "BEGIN ISOLATION LEVEL REPEATABLE READ"
# A write that needs no fleet-wide lock because a primary key settles any race (an update's
# processed id): READ COMMITTED as BEGIN_WRITE, without the advisory lock.
BEGIN_UNLOCKED = "BEGIN ISOLATION LEVEL READ COMMITTED"
USER_VERSION = "PRAGMA user_version"


def is_postgresql(location: str) -> bool:
    return location.startswith(POSTGRESQL_SCHEMES)


class Untranslatable(ValueError):
    """A statement this layer cannot turn into PostgreSQL; rewrite it in both dialects."""


@dataclass(frozen=True, slots=True)
class Bound:
    """One ``%s`` of the translated text: which bound value, and what to apply to it first."""

    source: int | str | None  # position or name; None: ``constant``
    seal: str | None = None  # hv_seal, hv_seal_json, hv_lookup, hv_lookups
    constant: object = None


@dataclass(frozen=True, slots=True)
class Statement:
    """A statement translated once: its PostgreSQL text and how to bind its values."""

    sql: str
    bound: tuple[Bound, ...]
    # "user_version": answered by the adapter itself (the table may not exist yet).
    special: str | None = None
    # True when this layer added ``RETURNING id`` to answer ``lastrowid``.
    returns_id: bool = False
    # An INSERT of one row of VALUES whose rows may be sent together: its text before the
    # row, the row (every placeholder is in it) and the text after. A batch of rows is then
    # one INSERT of many rows, planned once, instead of one statement a row.
    rows: tuple[str, str, str] | None = None

    def values(
        self, params: Sequence[object] | Mapping[str, object], cipher: FieldCipher | None
    ) -> list[object] | None:
        if not self.bound:
            return None  # no %s in the text: psycopg then leaves a literal % alone
        values: list[object] = []
        for b in self.bound:
            if b.source is None:
                value = b.constant
            elif isinstance(b.source, str):
                if not isinstance(params, Mapping):
                    raise Untranslatable(f"named parameter :{b.source} needs a mapping")
                value = params[b.source]
            else:
                if isinstance(params, Mapping):
                    raise Untranslatable("positional parameters need a sequence")
                value = params[b.source]
            if b.seal is not None:
                value = _SEALS[b.seal](cipher, value)
            values.append(plain_value(value))
        return values


def plain_value(value: object) -> object:
    """A value as SQLite would have stored it: booleans are 0 and 1."""
    if isinstance(value, bool):
        return int(value)
    return value


def _seal(cipher: FieldCipher | None, value: Any) -> Any:
    return None if value is None else seal_value(cipher, str(value))


def _seal_json(cipher: FieldCipher | None, value: Any) -> Any:
    return None if value is None else seal_value(cipher, str(value), as_json=True)


def _lookup(cipher: FieldCipher | None, value: Any) -> Any:
    return None if value is None else lookup_hash(cipher, str(value))


def _lookups(cipher: FieldCipher | None, value: Any) -> Any:
    return "[]" if value is None else json.dumps(lookup_hashes(cipher, str(value)))


_SEALS: dict[str, Callable[[FieldCipher | None, Any], Any]] = {
    "hv_seal": _seal,
    "hv_seal_json": _seal_json,
    "hv_lookup": _lookup,
    "hv_lookups": _lookups,
}

# --- the tokenizer -------------------------------------------------------------------------
# Just enough of SQL to tell code from string literals, quoted names and comments.
_TOKEN = re.compile(
    r"""
    (?P<string>'(?:[^']|'')*')
  | (?P<quoted>"(?:[^"]|"")*")
  | (?P<comment>--[^\n]*|/\*.*?\*/)
  | (?P<numbered>\?\d+)
  | (?P<question>\?)
  | (?P<cast>::)
  | (?P<named>[:@$][A-Za-z_][A-Za-z0-9_]*)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<space>\s+)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(slots=True)
class _Token:
    kind: str
    text: str
    bound: Bound | None = None

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == "word" else self.text


def _tokens(sql: str) -> list[_Token]:
    tokens: list[_Token] = []
    next_position = 0
    for match in _TOKEN.finditer(sql):
        kind = match.lastgroup
        assert kind is not None
        text = match.group()
        if kind == "numbered":
            number = int(text[1:])
            next_position = max(next_position, number)
            tokens.append(_Token("param", text, Bound(number - 1)))
        elif kind == "question":
            next_position += 1
            tokens.append(_Token("param", text, Bound(next_position - 1)))
        elif kind == "named":
            tokens.append(_Token("param", text, Bound(text[1:])))
        else:
            tokens.append(_Token(kind, text))
    return tokens


def _code(tokens: list[_Token], start: int) -> int | None:
    """The index of the first token at or after ``start`` that is not space or comment."""
    for index in range(start, len(tokens)):
        if tokens[index].kind not in ("space", "comment"):
            return index
    return None


def _closing(tokens: list[_Token], opening: int) -> int:
    depth = 0
    for index in range(opening, len(tokens)):
        if tokens[index].text == "(":
            depth += 1
        elif tokens[index].text == ")":
            depth -= 1
            if depth == 0:
                return index
    raise Untranslatable("unbalanced parentheses")


def _top_level_commas(tokens: list[_Token], opening: int, closing: int) -> int:
    depth, commas = 0, 0
    for token in tokens[opening + 1 : closing]:
        if token.text == "(":
            depth += 1
        elif token.text == ")":
            depth -= 1
        elif token.text == "," and depth == 0:
            commas += 1
    return commas


_NOT_AN_ALIAS = frozenset(
    {
        "WHERE", "JOIN", "LEFT", "INNER", "CROSS", "ON", "GROUP", "ORDER", "LIMIT", "UNION",
        "USING", "HAVING", "EXCEPT", "INTERSECT", "OFFSET", "WINDOW", "RETURNING", "SET",
    }
)  # fmt: skip


# What may follow IS (NOT) in PostgreSQL; SQLite's ``a IS b`` compares any two values.
_IS_KEYWORDS = frozenset({"NULL", "TRUE", "FALSE", "UNKNOWN", "DISTINCT", "NOT", "JSON"})


def _words(*texts: str) -> list[_Token]:
    return [_Token("raw", text) for text in texts]


@lru_cache(maxsize=4096)
def translate(sql: str) -> Statement:
    """The PostgreSQL form of one SQLite statement (computed once per distinct text)."""
    stripped = " ".join(sql.split()).rstrip(";").strip()
    head = stripped.upper()
    if head in ("BEGIN IMMEDIATE", "BEGIN EXCLUSIVE"):
        return Statement(BEGIN_WRITE, ())
    if head in ("BEGIN DEFERRED", "BEGIN"):
        return Statement(BEGIN_READ, ())
    if head.startswith("PRAGMA"):
        return _pragma(stripped)
    tokens = _tokens(sql)
    insert_into: str | None = None
    ignore_conflicts = False
    returning = False
    index = 0
    while index < len(tokens):
        token = tokens[index]
        word = token.upper if token.kind == "word" else None
        after = _code(tokens, index + 1)
        if word == "INSERT" and after is not None and tokens[after].upper == "OR":
            action_at = _code(tokens, after + 1)
            action = tokens[action_at].upper if action_at is not None else ""
            if action != "IGNORE":
                raise Untranslatable(f"INSERT OR {action}: write it as INSERT ... ON CONFLICT")
            assert action_at is not None
            del tokens[index + 1 : action_at + 1]
            ignore_conflicts = True
            continue
        if word == "INTO" and insert_into is None:
            table_at = _code(tokens, index + 1)
            if table_at is not None:
                insert_into = tokens[table_at].text.lower()
        elif word == "RETURNING":
            returning = True
        elif word == "INTEGER" and head.startswith("CREATE TABLE") and _primary_key(tokens, after):
            # SQLite's row id: numbered by the database when the INSERT leaves it out.
            token.text = "BIGINT GENERATED BY DEFAULT AS IDENTITY"
        elif word == "LIKE":
            token.text = "ILIKE"
        elif word == "IS" and after is not None:
            negated = tokens[after].upper == "NOT"
            operand = _code(tokens, after + 1) if negated else after
            if operand is not None and tokens[operand].upper not in _IS_KEYWORDS:
                replacement = "IS DISTINCT FROM" if negated else "IS NOT DISTINCT FROM"
                tokens[index:operand] = [*_words(replacement), _Token("space", " ")]
                continue
        elif word in ("HV_SEAL", "HV_SEAL_JSON", "HV_LOOKUP", "HV_LOOKUPS"):
            _bind_seal(tokens, index)
        elif word in ("MAX", "MIN") and after is not None and tokens[after].text == "(":
            if _top_level_commas(tokens, after, _closing(tokens, after)) > 0:
                token.text = "GREATEST" if word == "MAX" else "LEAST"
        elif word == "JSON_EACH" and after is not None and tokens[after].text == "(":
            _json_each(tokens, index, after)
            continue
        elif word == "JOIN" and _lateral_lookup(tokens, index):
            pass  # the joined table is now a LATERAL look-up (its condition still to come)
        elif word == "INDEXED" and after is not None and tokens[after].upper == "BY":
            # SQLite's index hint; PostgreSQL's planner takes none.
            name_at = _code(tokens, after + 1)
            assert name_at is not None
            del tokens[index : name_at + 1]
            continue
        elif word in ("FROM", "JOIN") and after is not None and tokens[after].text == "(":
            _name_subquery(tokens, after)
        elif word == "CROSS" and after is not None and tokens[after].upper == "JOIN":
            if _joined_on(tokens, after):
                # SQLite's CROSS JOIN ... ON fixes the join order; PostgreSQL wants no ON after
                # CROSS JOIN, and an inner join is what it means.
                token.text = "INNER"
        elif (
            word in ("GLOB", "STRFTIME", "JULIANDAY", "IIF", "TOTAL", "GROUP_CONCAT")
            and after is not None
            and tokens[after].text == "("
        ):
            raise Untranslatable(f"{token.text}() is SQLite's own: write it for both databases")
        index += 1
    bound = tuple(t.bound for t in tokens if t.kind == "param" and t.bound is not None)
    text = _text(tokens, escape=bool(bound)).strip().rstrip(";")
    if ignore_conflicts:
        text += " ON CONFLICT DO NOTHING"
    rows = None
    if head.startswith("INSERT") and bound and not returning:
        # A batch has no use for the row id, so the RETURNING added below stays off it.
        rows = _one_row_of_values(tokens, " ON CONFLICT DO NOTHING" if ignore_conflicts else "")
    returns_id = head.startswith("INSERT") and insert_into in IDENTITY_TABLES and not returning
    if returns_id:
        text += " RETURNING id"
    return Statement(text, bound, returns_id=returns_id, rows=rows)


def _text(tokens: list[_Token], *, escape: bool) -> str:
    """The tokens as PostgreSQL text; psycopg reads % as its own placeholder only when values
    are passed, so ``escape`` doubles it in a text that will have them."""
    return "".join(
        "%s" if t.kind == "param" else t.text.replace("%", "%%") if escape else t.text
        for t in tokens
    )


def _one_row_of_values(tokens: list[_Token], tail: str) -> tuple[str, str, str] | None:
    """An INSERT's text cut around its one row of VALUES, when many rows can share the
    statement: the row holds every placeholder, and nothing after it could tell two rows of
    one statement from two statements (a RETURNING, or a DO UPDATE that may not touch a row
    twice in one statement). None otherwise."""
    values = next((i for i, t in enumerate(tokens) if t.upper == "VALUES"), None)
    opening = _code(tokens, values + 1) if values is not None else None
    if opening is None or tokens[opening].text != "(":
        return None
    closing = _closing(tokens, opening)
    after = [t for t in tokens[closing + 1 :] if t.kind not in ("space", "comment")]
    if any(t.kind == "param" for t in tokens[:opening] + tokens[closing + 1 :]):
        return None
    words = [t.upper for t in after if t.text != ";"]
    if words and (words[:2] != ["ON", "CONFLICT"] or words[-2:] != ["DO", "NOTHING"]):
        return None  # a second row, a DO UPDATE, or anything else after the row
    rest = _text(tokens[closing + 1 :], escape=False).strip().rstrip(";").rstrip()
    return (
        _text(tokens[:opening], escape=False).lstrip(),
        _text(tokens[opening : closing + 1], escape=True),
        (f" {rest}" if rest else "") + tail,
    )


def _joined_on(tokens: list[_Token], join: int) -> bool:
    """Whether the table joined at ``join`` is joined ON a condition."""
    depth = 0
    for token in tokens[join + 1 :]:
        if token.text == "(":
            depth += 1
        elif token.text == ")":
            depth -= 1
            if depth < 0:
                return False
        elif depth == 0 and token.kind == "word":
            if token.upper == "ON":
                return True
            if token.upper in _NOT_AN_ALIAS - {"ON"}:
                return False
    return False


# What ends a joined table's ON condition at its own depth.
_AFTER_ON = frozenset(
    {
        "JOIN", "LEFT", "INNER", "CROSS", "WHERE", "GROUP", "ORDER", "LIMIT", "UNION",
        "HAVING", "EXCEPT", "INTERSECT", "OFFSET", "WINDOW", "RETURNING",
    }
)  # fmt: skip


def _lateral_lookup(tokens: list[_Token], join: int) -> bool:
    """``JOIN t alias INDEXED BY index ON condition`` → ``JOIN LATERAL (SELECT * FROM t alias
    WHERE condition OFFSET 0) AS alias ON TRUE``.

    SQLite's hint says: find the joined rows through this index, for each row joined to.
    PostgreSQL takes no hints, and for a join of a few hundred rows to a table of many it
    may choose to read the whole table into a hash instead (a district's 500 open
    applications against every open stage visit: twice as slow at 100,000 applications).
    A LATERAL subquery is looked up once per outer row, and ``OFFSET 0`` keeps the planner
    from folding it back into a plain join; the rows found are the same. False (nothing
    rewritten) when the table joined at ``join`` is not a plain table with a hint and an ON.
    """
    table_at = _code(tokens, join + 1)
    if table_at is None or tokens[table_at].kind != "word":
        return False
    table = alias = tokens[table_at].text
    at = _code(tokens, table_at + 1)
    if at is not None and tokens[at].upper == "AS":
        alias_at = _code(tokens, at + 1)
        if alias_at is None:
            return False
        alias, at = tokens[alias_at].text, _code(tokens, alias_at + 1)
    elif at is not None and tokens[at].kind == "word" and tokens[at].upper not in _NOT_AN_ALIAS:
        if tokens[at].upper != "INDEXED":
            alias, at = tokens[at].text, _code(tokens, at + 1)
    if at is None or tokens[at].upper != "INDEXED":
        return False
    by_at = _code(tokens, at + 1)
    name_at = _code(tokens, by_at + 1) if by_at is not None else None
    on_at = _code(tokens, name_at + 1) if name_at is not None else None
    if on_at is None or tokens[on_at].upper != "ON":
        return False
    end, depth = len(tokens), 0
    for index in range(on_at + 1, len(tokens)):
        text = tokens[index].text
        if text == "(":
            depth += 1
        elif text == ")":
            depth -= 1
            if depth < 0:
                end = index
                break
        elif depth == 0 and tokens[index].upper in _AFTER_ON and tokens[index].kind == "word":
            end = index
            break
    condition = tokens[on_at + 1 : end]
    tokens[table_at:end] = [
        *_words(f"LATERAL (SELECT * FROM {table} {alias} WHERE "),
        *condition,
        *_words(f" OFFSET 0) AS {alias} ON TRUE "),
    ]
    return True


def _name_subquery(tokens: list[_Token], opening: int) -> None:
    """PostgreSQL wants a name for every subquery in FROM; SQLite does not."""
    inside = _code(tokens, opening + 1)
    if inside is None or tokens[inside].upper not in ("SELECT", "WITH", "VALUES"):
        return
    closing = _closing(tokens, opening)
    alias_at = _code(tokens, closing + 1)
    if alias_at is not None and (
        tokens[alias_at].upper == "AS"
        or (tokens[alias_at].kind == "word" and tokens[alias_at].upper not in _NOT_AN_ALIAS)
    ):
        return
    tokens.insert(closing + 1, _Token("raw", f" AS hv_from_{opening}"))


def _primary_key(tokens: list[_Token], after: int | None) -> bool:
    if after is None or tokens[after].upper != "PRIMARY":
        return False
    key = _code(tokens, after + 1)
    return key is not None and tokens[key].upper == "KEY"


def _bind_seal(tokens: list[_Token], index: int) -> None:
    """``hv_seal(?)`` → one ``%s`` whose value the plan seals before sending."""
    opening = _code(tokens, index + 1)
    if opening is None or tokens[opening].text != "(":
        raise Untranslatable(f"{tokens[index].text} must be called")
    argument = _code(tokens, opening + 1)
    closing = _code(tokens, argument + 1) if argument is not None else None
    if argument is None or closing is None or tokens[closing].text != ")":
        raise Untranslatable(f"{tokens[index].text}() takes one parameter or string literal")
    seal = tokens[index].text.lower()
    given = tokens[argument]
    if given.kind == "param" and given.bound is not None:
        bound = Bound(given.bound.source, seal)
    elif given.kind == "string":
        bound = Bound(None, seal, given.text[1:-1].replace("''", "'"))
    else:
        raise Untranslatable(f"{tokens[index].text}() takes one parameter or string literal")
    tokens[index : closing + 1] = [_Token("param", "?", bound)]


def _json_each(tokens: list[_Token], index: int, opening: int) -> None:
    """``json_each(x) AS t`` → a table ``t`` of (key, value) rows, values as text."""
    closing = _closing(tokens, opening)
    argument = tokens[opening + 1 : closing]
    alias_at = _code(tokens, closing + 1)
    alias = "json_each"
    end = closing + 1
    if alias_at is not None and tokens[alias_at].upper == "AS":
        name_at = _code(tokens, alias_at + 1)
        assert name_at is not None
        alias, end = tokens[name_at].text, name_at + 1
    elif (
        alias_at is not None
        and tokens[alias_at].kind == "word"
        and tokens[alias_at].upper not in _NOT_AN_ALIAS
    ):
        alias, end = tokens[alias_at].text, alias_at + 1
    tokens[index:end] = [
        *_words("(SELECT (hv_o - 1) AS key, hv_v AS value FROM json_array_elements_text(CAST("),
        *argument,
        *_words(f" AS json)) WITH ORDINALITY AS hv_each (hv_v, hv_o)) AS {alias}"),
    ]


_SET_VERSION = re.compile(r"^PRAGMA\s+user_version\s*=\s*(\d+)$", re.IGNORECASE)


def _pragma(stripped: str) -> Statement:
    if stripped.lower() == USER_VERSION.lower():
        return Statement("", (), special="user_version")
    match = _SET_VERSION.match(stripped)
    if match is not None:
        version = int(match[1])
        return Statement(
            "INSERT INTO schema_migrations (version, name, applied_at) "
            f"VALUES ({version:d}, 'user_version', '') ON CONFLICT (version) DO NOTHING",
            (),
        )
    raise Untranslatable(f"{stripped}: SQLite's own setting, with no PostgreSQL equivalent")
