"""No key, no bot: a token without HVCONNECT_SECRET_KEY stops start-up with one clear line."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from bot.app import build_application
from bot.cli.main import main
from bot.config.settings import Config, ConfigError, load_config
from bot.secure_db import sandbox_key
from storage.sealing.crypto import parse_secret_key
from tests.keys import NEXT_SECRET_KEY, TEST_SECRET_KEY

TOKEN = "123456:ABCDEF"


def test_a_token_without_a_key_is_refused_naming_the_variable() -> None:
    with pytest.raises(ConfigError) as refused:
        load_config({"HVCONNECT_TOKEN": TOKEN})
    message = str(refused.value)
    assert message.startswith("HVCONNECT_SECRET_KEY: required with a bot token")
    assert "urlsafe_b64encode" in message and "\n" not in message


def test_the_command_refuses_to_start_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("HVCONNECT_CONFIG", "TELEGRAM_BOT_TOKEN", "HVCONNECT_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HVCONNECT_TOKEN", TOKEN)
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("hvconnect: HVCONNECT_SECRET_KEY:") and err.count("\n") == 1


async def test_build_application_refuses_a_config_without_a_key(tmp_path: Path) -> None:
    config = Config(token=TOKEN, db_path=tmp_path / "hv.db")
    with pytest.raises(ConfigError, match=r"^HVCONNECT_SECRET_KEY: required"):
        await build_application(config)
    assert not (tmp_path / "hv.db").exists()  # refused before anything was written


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"HVCONNECT_SECRET_KEY": "too-short"}, "HVCONNECT_SECRET_KEY"),
        (
            {"HVCONNECT_SECRET_KEY": TEST_SECRET_KEY, "HVCONNECT_OLD_SECRET_KEYS": "x"},
            "HVCONNECT_OLD_SECRET_KEYS",
        ),
        ({"HVCONNECT_OLD_SECRET_KEYS": TEST_SECRET_KEY}, "HVCONNECT_OLD_SECRET_KEYS"),
        ({"HVCONNECT_WEBHOOK_URL": "http://bot.example.com/hook"}, "HVCONNECT_WEBHOOK_URL"),
        ({"HVCONNECT_WEBHOOK_URL": "https://bot.example.com/hook"}, "HVCONNECT_WEBHOOK_SECRET"),
        (
            {
                "HVCONNECT_WEBHOOK_URL": "https://bot.example.com/hook",
                "HVCONNECT_WEBHOOK_SECRET": "s3cret with spaces and more",
            },
            "HVCONNECT_WEBHOOK_SECRET",
        ),
        (
            {
                "HVCONNECT_WEBHOOK_URL": "https://bot.example.com/hook",
                "HVCONNECT_WEBHOOK_SECRET": "a" * 32,
                "HVCONNECT_WEBHOOK_LISTEN": "nowhere",
            },
            "HVCONNECT_WEBHOOK_LISTEN",
        ),
    ],
)
def test_bad_key_and_webhook_settings_name_their_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_config(env)
    assert str(refused.value).startswith(named) and "\n" not in str(refused.value)


def test_keys_and_webhook_are_read() -> None:
    config = load_config(
        {
            "HVCONNECT_TOKEN": TOKEN,
            "HVCONNECT_SECRET_KEY": NEXT_SECRET_KEY,
            "HVCONNECT_OLD_SECRET_KEYS": f" {TEST_SECRET_KEY} ,",
            "HVCONNECT_WEBHOOK_URL": "https://bot.example.com/tg/hook",
            "HVCONNECT_WEBHOOK_SECRET": "a-Secret_0123456789",
            "HVCONNECT_WEBHOOK_LISTEN": "0.0.0.0:9000",
        }
    )
    assert config.secret_key == NEXT_SECRET_KEY
    assert config.old_secret_keys == (TEST_SECRET_KEY,)
    assert config.webhook is not None
    assert (config.webhook.host, config.webhook.port) == ("0.0.0.0", 9000)


def test_backup_settings_come_from_the_toml_file(tmp_path: Path) -> None:
    path = tmp_path / "hv.toml"
    path.write_text('[backup]\ndir = "/var/backups/hv"\nkeep_days = 30\nencrypt = false\n')
    config = load_config({"HVCONNECT_CONFIG": str(path)})
    assert config.backups.directory == Path("/var/backups/hv")
    assert (config.backups.keep_days, config.backups.encrypt) == (30, False)
    path.write_text("[backup]\nkeep_days = 0\n")
    with pytest.raises(ConfigError, match=r"backup\.keep_days"):
        load_config({"HVCONNECT_CONFIG": str(path)})
    path.write_text("[backup]\nencrypt = 'yes'\n")
    with pytest.raises(ConfigError, match=r"backup\.encrypt"):
        load_config({"HVCONNECT_CONFIG": str(path)})


def test_the_sandbox_makes_its_own_key_beside_its_database(tmp_path: Path) -> None:
    path = tmp_path / "data" / "sandbox.key"
    key = sandbox_key(path)
    assert len(parse_secret_key(key)) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sandbox_key(path) == key  # kept, so the sandbox database stays readable
    path.write_text("garbage\n")
    with pytest.raises(ConfigError, match="delete the file"):
        sandbox_key(path)
