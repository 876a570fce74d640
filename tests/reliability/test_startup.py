"""``hvconnect run`` as a process supervisor sees it: it comes up by itself when the Bot API
comes up late, and exits at once, with one line and a non-zero status, on what waiting
cannot mend (the webhook's port taken, a refused token, the database in use by another
bot). ``hvconnect restore`` refuses to replace the database under a running bot."""

from __future__ import annotations

import asyncio
import re
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from sandbox.emulator import BotApiEmulator
from sandbox.limits import RateLimits
from tests.keys import TEST_SECRET_KEY
from tests.reliability.crash_rig import ROOT, BotProcess, bot_environment

OWN_LINE = re.compile(r"hvconnect(?: [a-z-]+)?: ")  # "hvconnect: ...", "hvconnect restore: ..."
CEILING = 60.0  # seconds: a generous bound on waiting for a signal, never a measurement
FIRST_ANSWER_CEILING = 10.0  # the API up, the bot must answer /start within this


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _spawn(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
    """``hvconnect`` (``run`` unless told) with its standard error (the log) in ``log``."""
    with log.open("wb") as err:
        return subprocess.Popen(
            [sys.executable, "-m", "bot.cli.main", *(args or ("run",))],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )


def _read(log: Path) -> str:
    return log.read_text()


def _replaced(directory: Path) -> list[Path]:
    """The databases a restore put aside."""
    return list(directory.glob("hv.db.replaced-*"))


def _hvconnect(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "bot.cli.main", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )


async def _until(check: Callable[[], bool], what: str) -> None:
    """Poll ``check`` until it is true, within :data:`CEILING`."""
    deadline = time.monotonic() + CEILING
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {CEILING:.0f} s: {what}")
        await asyncio.sleep(0.05)


async def _ending(process: subprocess.Popen[bytes], log: Path) -> tuple[int, list[str]]:
    """The exit status, and the lines the process wrote as ``hvconnect: ...`` (its own
    error lines, as opposed to log records); no traceback allowed anywhere."""
    try:
        await _until(lambda: process.poll() is not None, "the process exits")
    finally:
        if process.poll() is None:  # it hangs: the failure is reported, the process ended
            process.kill()
            process.wait()
    text = _read(log)
    assert "Traceback" not in text, text
    return int(process.returncode), [ln for ln in text.splitlines() if OWN_LINE.match(ln)]


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    emulator = BotApiEmulator(limits=RateLimits(enabled=False))
    try:
        yield emulator
    finally:
        await emulator.stop()


async def test_the_bot_comes_up_by_itself_when_the_api_comes_up_late(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    port = _free_port()
    env = bot_environment(emulator, tmp_path / "hv.db", TEST_SECRET_KEY)
    env["HVCONNECT_API_URL"] = f"http://127.0.0.1:{port}"
    log = tmp_path / "bot.log"
    process = _spawn(env, log)
    try:
        # It is trying, one line per attempt, and neither serving nor gone.
        await _until(lambda: log.read_text().count("does not answer") >= 2, "two attempts")
        assert process.poll() is None
        assert "Traceback" not in _read(log)
        await emulator.start(port=port)
        user = emulator.user(1001, first_name="张伟")
        await user.send_text("/start")
        reply = await user.wait_for(timeout=FIRST_ANSWER_CEILING)
        assert reply.text
        process.terminate()
        status, errors = await _ending(process, log)
        assert status == 0 and not errors, errors
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


async def test_a_taken_webhook_port_ends_the_process_at_once(tmp_path: Path) -> None:
    port = _free_port()
    env = bot_environment(BotApiEmulator(), tmp_path / "hv.db", TEST_SECRET_KEY)
    env.update(
        HVCONNECT_API_URL="http://127.0.0.1:9",
        HVCONNECT_WEBHOOK_URL="https://bot.example.com/hook",
        HVCONNECT_WEBHOOK_SECRET="s" * 32,
        HVCONNECT_WEBHOOK_LISTEN=f"127.0.0.1:{port}",
    )
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        log = tmp_path / "bot.log"
        status, errors = await _ending(_spawn(env, log), log)
    assert status == 1
    assert len(errors) == 1 and "HVCONNECT_WEBHOOK_LISTEN" in errors[0], errors
    assert "in use" in errors[0]


async def test_a_refused_token_ends_the_process_at_once(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    await emulator.start()
    env = bot_environment(emulator, tmp_path / "hv.db", TEST_SECRET_KEY)
    env["HVCONNECT_TOKEN"] = "999999:WRONG"
    log = tmp_path / "bot.log"
    status, errors = await _ending(_spawn(env, log), log)
    assert status == 1
    assert len(errors) == 1 and "HVCONNECT_TOKEN" in errors[0], errors


async def test_a_second_bot_and_a_restore_are_refused_while_the_bot_runs(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    await emulator.start()
    db_path = tmp_path / "hv.db"
    env = bot_environment(emulator, db_path, TEST_SECRET_KEY)
    backup = tmp_path / "snapshot.db"
    await asyncio.to_thread(_hvconnect, env, "migrate")
    await asyncio.to_thread(_hvconnect, env, "backup", str(backup))
    running = BotProcess(emulator, env, tmp_path)
    await running.start()
    try:
        user = emulator.user(1001, first_name="张伟")
        await user.send_text("/start")
        await user.wait_for()
        second = tmp_path / "second.log"
        status, errors = await _ending(_spawn(env, second), second)
        assert status == 1
        assert len(errors) == 1 and "in use by a running hvconnect" in errors[0], errors
        log = tmp_path / "restore.log"
        status, errors = await _ending(_spawn(env, log, "restore", str(backup)), log)
        assert status == 1
        assert len(errors) == 1 and "stop the bot first" in errors[0], errors
        assert not _replaced(tmp_path)
        # The bot still serves from the file it holds.
        await user.send_text("/help")
        await user.wait_for()
    finally:
        assert running.stop() == 0
    log = tmp_path / "restore-stopped.log"
    status, errors = await _ending(_spawn(env, log, "restore", str(backup)), log)
    assert status == 0, errors
    assert _replaced(tmp_path)


async def test_on_postgresql_the_bot_runs_without_a_lock_and_restore_waits_for_it(
    emulator: BotApiEmulator, tmp_path: Path, postgres_url: str
) -> None:
    await emulator.start()
    env = bot_environment(emulator, tmp_path / "hv.db", TEST_SECRET_KEY)
    env["HVCONNECT_DB"] = postgres_url
    backup = tmp_path / "snapshot.dump"
    await asyncio.to_thread(_hvconnect, env, "backup", str(backup))
    running = BotProcess(emulator, env, tmp_path)
    await running.start()
    try:
        user = emulator.user(1001, first_name="张伟")
        await user.send_text("/start")
        await user.wait_for()
        log = tmp_path / "restore.log"
        status, errors = await _ending(_spawn(env, log, "restore", str(backup), "--yes"), log)
        assert status == 1
        assert len(errors) == 1 and "stop the bot first" in errors[0], errors
    finally:
        assert running.stop() == 0
    log = tmp_path / "restore-stopped.log"
    status, errors = await _ending(_spawn(env, log, "restore", str(backup), "--yes"), log)
    assert status == 0, (errors, _read(log))


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HVCONNECT_API_URL", "http://"),
        ("HVCONNECT_API_URL", "http://127.0.0.1:8081 /x"),
        ("HVCONNECT_API_URL", "http://127.0.0.1:99999"),
        ("HVCONNECT_DB", "{tmp}"),
        ("HVCONNECT_DB", "{tmp}/a-file/hv.db"),
    ],
)
async def test_a_bad_value_is_one_line_and_status_2(tmp_path: Path, name: str, value: str) -> None:
    (tmp_path / "a-file").write_text("not a directory")
    env = bot_environment(BotApiEmulator(), tmp_path / "hv.db", TEST_SECRET_KEY)
    env["HVCONNECT_API_URL"] = "http://127.0.0.1:9"
    env[name] = value.format(tmp=tmp_path)
    log = tmp_path / "bot.log"
    status, _ = await _ending(_spawn(env, log), log)
    assert status == 2
    lines = _read(log).splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"hvconnect: {name}: expected"), lines


async def test_a_database_that_cannot_be_used_ends_the_process_at_once(tmp_path: Path) -> None:
    garbage = tmp_path / "hv.db"
    garbage.write_bytes(b"this is not an SQLite database, whatever its name says" * 100)
    env = bot_environment(BotApiEmulator(), garbage, TEST_SECRET_KEY)
    env["HVCONNECT_API_URL"] = "http://127.0.0.1:9"  # not up: the database fails first
    log = tmp_path / "bot.log"
    status, errors = await _ending(_spawn(env, log), log)
    assert status == 1
    assert len(errors) == 1 and errors[0].startswith("hvconnect: HVCONNECT_DB:"), errors


async def test_a_stop_while_waiting_for_the_api_ends_the_process_cleanly(tmp_path: Path) -> None:
    env = bot_environment(BotApiEmulator(), tmp_path / "hv.db", TEST_SECRET_KEY)
    env["HVCONNECT_API_URL"] = f"http://127.0.0.1:{_free_port()}"
    log = tmp_path / "bot.log"
    process = _spawn(env, log)
    await _ending_after_attempt(process, log)
    status, errors = await _ending(process, log)
    assert status == 0 and not errors, errors


async def _ending_after_attempt(process: subprocess.Popen[bytes], log: Path) -> None:
    """SIGTERM once the process has said it is waiting for the Bot API."""
    try:
        await _until(lambda: "does not answer" in _read(log), "a first attempt")
    finally:
        process.terminate()
