"""``hvconnect run`` without a token: one line with the address, a page there, a clean stop."""

from __future__ import annotations

import os
import re
import select
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main as cli
from bot.config.settings import Config, ConfigError
from bot.sandbox.run import DEFAULT_DB, SandboxSettings, sandbox_settings

ROOT = Path(__file__).resolve().parents[2]
# A ceiling for the one line, not a measure: it comes as soon as the page is served.
START_SECONDS = 60.0
BANNER = re.compile(r"hvconnect: sandbox web chat on http://127\.0\.0\.1:(?P<port>\d+) ")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith(("HVCONNECT_", "TELEGRAM_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    root = __import__("logging").getLogger()
    level = root.level
    yield
    root.setLevel(level)


def test_the_address_defaults_to_localhost_8080_and_its_own_database() -> None:
    assert sandbox_settings(Config(), {}) == SandboxSettings("127.0.0.1", 8080, DEFAULT_DB)
    settings = sandbox_settings(
        Config(), {"HVCONNECT_SANDBOX_ADDR": "0.0.0.0:9000", "HVCONNECT_SANDBOX_DB": "x/s.db"}
    )
    assert settings == SandboxSettings("0.0.0.0", 9000, Path("x/s.db"))
    assert sandbox_settings(Config(), {"HVCONNECT_SANDBOX_ADDR": "[::1]:8081"}).host == "::1"


@pytest.mark.parametrize("addr", ["8080", "localhost:", ":8080", "localhost:http", "h:70000"])
def test_a_bad_address_is_named_in_one_line(addr: str) -> None:
    with pytest.raises(ConfigError, match=r"^HVCONNECT_SANDBOX_ADDR: expected host:port"):
        sandbox_settings(Config(), {"HVCONNECT_SANDBOX_ADDR": addr})


def test_the_sandbox_never_uses_the_production_database(tmp_path: Path) -> None:
    production = Config(db_path=tmp_path / "hv.db")
    with pytest.raises(ConfigError, match="production database"):
        sandbox_settings(production, {"HVCONNECT_SANDBOX_DB": str(tmp_path / "hv.db")})
    with pytest.raises(ConfigError, match="production database"):
        sandbox_settings(Config(db_path=DEFAULT_DB), {})


def test_run_without_token_and_a_bad_address_exits_2(
    clean_env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HVCONNECT_SANDBOX_ADDR", "nonsense")
    assert cli.main(["run"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("hvconnect: HVCONNECT_SANDBOX_ADDR") and err.count("\n") == 1


def test_a_taken_port_is_reported_in_one_line(
    clean_env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        monkeypatch.setenv("HVCONNECT_SANDBOX_ADDR", f"127.0.0.1:{port}")
        assert cli.main(["run"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"hvconnect: cannot serve the sandbox on 127.0.0.1:{port}")
    assert "HVCONNECT_SANDBOX_ADDR" in captured.err and captured.err.count("\n") == 1


def test_run_with_a_token_still_runs_the_bot(
    clean_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[Config] = []

    async def fake_run(config: Config) -> int:
        started.append(config)
        return 0

    monkeypatch.setenv("HVCONNECT_TOKEN", "123456:ABC")
    monkeypatch.setenv("HVCONNECT_SECRET_KEY", "q6dN0Fg8l5m0cWZbqk0f3Sx3tIXt4JZ3oJvVq2y7n0c=")
    monkeypatch.setattr(cli, "_run", fake_run)
    monkeypatch.setattr(cli, "_run_sandbox", lambda config: pytest.fail("ran the sandbox"))
    assert cli.main(["run"]) == 0
    assert started[0].token == "123456:ABC"


def test_hvconnect_run_prints_one_line_and_serves_the_page(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HVCONNECT_", "TELEGRAM_"))}
    # Port 0: the system picks a free one and the line says which.
    env.update(HVCONNECT_SANDBOX_ADDR="127.0.0.1:0", PYTHONPATH=str(ROOT))
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli.main", "run"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], START_SECONDS)
        assert ready, f"no line within {START_SECONDS:.0f} s"
        line = process.stdout.readline()
        shown = BANNER.match(line)
        assert shown is not None, line
        port = int(shown["port"])
        assert port != 0
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=60) as response:
            assert response.status == 200 and b"hvconnect" in response.read()
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 0
    assert out == "" and err == ""  # nothing but the one line, also while stopping
    assert (tmp_path / "data" / "sandbox.db").exists()
    assert not (tmp_path / "data" / "hvconnect.db").exists()
