"""A throwaway PostgreSQL server for the test session, and a fresh database for each test.

``HVCONNECT_TEST_DB=postgresql`` (or ``pytest --db=postgresql``; ``make test-pg``) makes the
storage tests' ``db`` fixture open PostgreSQL instead of SQLite. The server is started with
``initdb`` and ``pg_ctl`` into a temporary folder, listening only on a unix socket in that
folder (no port to collide with, no docker, no root). PostgreSQL refuses to run as root, and
the tests run as root here and in CI, so there it runs as the ``postgres`` user (which
Debian's postgresql package creates) through ``runuser``.

Each test gets a database of its own, copied from a template migrated once per session:
``CREATE DATABASE ... TEMPLATE`` copies files, far quicker than running every migration again.
Nothing here is timed: ``pg_ctl -w`` waits until the server accepts connections.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from storage.db import Database

POSTGRESQL = "postgresql"
ENV_VAR = "HVCONNECT_TEST_DB"
# Debian installs the server programs here; PATH is tried first.
_BIN_DIRS = (
    "/usr/lib/postgresql/15/bin",
    "/usr/lib/postgresql/16/bin",
    "/usr/lib/postgresql/17/bin",
)
_TEMPLATE = "hv_template"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        choices=("sqlite", POSTGRESQL),
        default=None,
        help=f"the database the storage tests run on (default: ${ENV_VAR} or sqlite)",
    )


def wanted_database(config: pytest.Config) -> str:
    chosen = config.getoption("--db", default=None)
    return str(chosen or os.environ.get(ENV_VAR) or "sqlite")


def on_postgresql(config: pytest.Config) -> bool:
    return wanted_database(config) == POSTGRESQL


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sqlite_only(why): about SQLite itself; skipped when the tests run on PostgreSQL"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not on_postgresql(config):
        return
    for item in items:
        marker = item.get_closest_marker("sqlite_only")
        if marker is not None:
            why = marker.args[0] if marker.args else "about SQLite itself"
            item.add_marker(pytest.mark.skip(reason=f"SQLite only: {why}"))


async def table_names(db: Database) -> set[str]:
    """The tables of ``db``, from SQLite's catalogue or PostgreSQL's."""
    if db.dialect == POSTGRESQL:
        rows = await db.fetchall(
            "SELECT table_name AS name FROM information_schema.tables "
            "WHERE table_schema = current_schema()"
        )
    else:
        rows = await db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")
    return {str(row["name"]) for row in rows}


class NoPostgreSQL(RuntimeError):
    """The test server could not be started; the message says what to install or change."""


def _program(name: str) -> str:
    found = shutil.which(name)
    if found is not None:
        return found
    for folder in _BIN_DIRS:
        candidate = Path(folder) / name
        if candidate.exists():
            return str(candidate)
    raise NoPostgreSQL(
        f"{name} not found: install the PostgreSQL server (Debian: apt-get install postgresql) "
        f"or put its bin folder on PATH to run the tests with {ENV_VAR}=postgresql"
    )


def _as_server_user() -> list[str]:
    """The command prefix that runs the server's programs as a user PostgreSQL accepts."""
    if os.geteuid() != 0:
        return []
    runuser = shutil.which("runuser")
    try:
        subprocess.run(["id", "postgres"], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        runuser = None
    if runuser is None:
        raise NoPostgreSQL(
            "running as root, and PostgreSQL refuses to: a 'postgres' user and runuser are "
            "needed to start the test server as that user (Debian's postgresql package "
            "creates the user), or run the tests as an ordinary user"
        )
    return [runuser, "-u", "postgres", "--"]


@dataclass
class TestServer:
    """One running server: its folder, its socket, and the databases made on it."""

    folder: Path
    prefix: list[str]
    _numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def socket_dir(self) -> Path:
        return self.folder

    def url(self, database: str) -> str:
        return f"postgresql://postgres@/{database}?host={self.socket_dir}"

    def admin(self, sql: str) -> None:
        """Run one statement outside any transaction (CREATE/DROP DATABASE need that)."""
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            connection.execute(sql)

    def new_database(self, template: str = _TEMPLATE) -> str:
        name = f"hv_test_{next(self._numbers)}"
        self.admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return name

    def drop_database(self, name: str) -> None:
        self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def start_server(*, durable: bool = False) -> TestServer:
    """A server of its own in a temporary folder, reached by a unix socket there.

    Durability is the production server's business; a test server that loses data on a
    crash loses nothing anyone wants, so its commits do not wait for the disk. ``durable``
    keeps PostgreSQL's defaults, for the benchmarks, which compare commits that do.
    """
    initdb, pg_ctl = _program("initdb"), _program("pg_ctl")
    prefix = _as_server_user()
    folder = Path(tempfile.mkdtemp(prefix="hvpg-"))
    if prefix:
        shutil.chown(folder, user="postgres")
    data = folder / "data"
    quick = () if durable else ("--no-sync",)
    try:
        subprocess.run(
            [*prefix, initdb, "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
             "--locale=C.UTF-8", *quick],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        options = f"-k {folder} -c listen_addresses='' -c max_connections=200"
        if not durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        subprocess.run(
            [*prefix, pg_ctl, "-D", str(data), "-l", str(folder / "server.log"), "-o", options,
             "-w", "start"],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
    except subprocess.CalledProcessError as error:
        log = folder / "server.log"
        detail = log.read_text() if log.exists() else ""
        shutil.rmtree(folder, ignore_errors=True)
        raise NoPostgreSQL(
            f"could not start the PostgreSQL test server: {error.stderr or error}\n{detail}"
        ) from error
    return TestServer(folder, prefix)


def stop_server(server: TestServer) -> None:
    subprocess.run(
        [*server.prefix, _program("pg_ctl"), "-D", str(server.folder / "data"), "-m",
         "immediate", "stop"],
        check=False, capture_output=True,
    )  # fmt: skip
    shutil.rmtree(server.folder, ignore_errors=True)


def _migrate_template(server: TestServer) -> None:
    from storage.db import Database
    from storage.migrate import migrate
    from tests.keys import make_test_cipher
    from tests.storage.samples import NOW

    server.admin(f'CREATE DATABASE "{_TEMPLATE}"')

    async def migrated() -> None:
        database = await Database.open(server.url(_TEMPLATE), cipher=make_test_cipher())
        try:
            await migrate(database, NOW)
        finally:
            await database.close()

    asyncio.run(migrated())


@pytest.fixture(scope="session")
def postgres_server(pytestconfig: pytest.Config) -> Iterator[TestServer]:
    """The session's server, with a migrated template database to copy.

    Started only when a test asks for it. Where it cannot start (no PostgreSQL installed, no
    psycopg), the SQLite run skips the few tests of PostgreSQL itself; a run that asked for
    PostgreSQL fails, saying why.
    """
    try:
        import psycopg  # noqa: F401 - only to find out whether it is installed

        server = start_server()
    except (ImportError, NoPostgreSQL) as error:
        if on_postgresql(pytestconfig):
            raise
        pytest.skip(f"no PostgreSQL test server: {error}")
    try:
        _migrate_template(server)
        yield server
    finally:
        stop_server(server)


@pytest.fixture
def postgres_url(postgres_server: TestServer) -> Iterator[str]:
    """The URL of a migrated database of this test's own, dropped when it ends."""
    name = postgres_server.new_database()
    try:
        yield postgres_server.url(name)
    finally:
        postgres_server.drop_database(name)


@pytest.fixture
def empty_postgres_url(postgres_server: TestServer) -> Iterator[str]:
    """The URL of a database with no tables at all, for the migrations' own tests."""
    name = postgres_server.new_database(template="template0")
    try:
        yield postgres_server.url(name)
    finally:
        postgres_server.drop_database(name)


@pytest.fixture
def database_location(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    """A database for a test outside tests/storage: a SQLite file in the test's folder, or
    (HVCONNECT_TEST_DB=postgresql) a migrated PostgreSQL database of its own."""
    if on_postgresql(request.config):
        return str(request.getfixturevalue("postgres_url"))
    return tmp_path / "hv.db"


# The server of a run that asked for PostgreSQL, for the rigs that make their own database
# (tests/notifications/sweep_rig.py, webhook_rig.py) from the test's folder alone.
_RUNNING: list[TestServer] = []


@pytest.fixture(scope="session", autouse=True)
def _server_for_rigs(request: pytest.FixtureRequest) -> None:
    if on_postgresql(request.config):
        _RUNNING.append(request.getfixturevalue("postgres_server"))


def database_in(folder: Path, name: str) -> str | Path:
    """A new database for a rig: a file in ``folder``, or a migrated PostgreSQL database."""
    if not _RUNNING:
        return folder / name
    server = _RUNNING[0]
    return server.url(server.new_database())


def forget_database(location: str | Path) -> None:
    """Drop a PostgreSQL database made by :func:`database_in` (a file goes with its folder)."""
    if _RUNNING and isinstance(location, str):
        _RUNNING[0].drop_database(location.rsplit("/", 1)[1].split("?", 1)[0])
