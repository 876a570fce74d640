"""The layer order README states is the one ``make lint`` enforces (pyproject.toml's
import-linter contracts), and the contracts cover every package of the bot."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
PACKAGES = {"process", "storage", "notifications", "services", "reports", "flows", "api", "bot"}


def contracts() -> dict[str, dict[str, list[str]]]:
    """The contracts by id, with only their lists of modules."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return {
        c["id"]: {key: value for key, value in c.items() if isinstance(value, list)}
        for c in config["tool"]["importlinter"]["contracts"]
    }


def test_readme_states_the_layers_the_contract_enforces() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    stated = re.search(r"^process  <-  .*$", readme, re.MULTILINE)
    assert stated, "README's layer contract line is gone"
    layers = contracts()["layers"]["layers"]
    assert stated[0].split("  <-  ") == list(reversed(layers))


def test_every_package_of_the_bot_is_a_layer_and_apart_from_the_sandbox() -> None:
    found = contracts()
    # "flows | api": siblings of one layer, which import neither each other.
    layered = {p.strip() for layer in found["layers"]["layers"] for p in layer.split("|")}
    assert layered == PACKAGES
    assert set(found["sandbox-apart"]["forbidden_modules"]) == PACKAGES
    assert set(found["bot-reaches-sandbox-by-url"]["source_modules"]) == PACKAGES
    on_disk = {p.parent.name for p in ROOT.glob("*/__init__.py")}
    assert on_disk - PACKAGES == {"sandbox", "benchmarks", "tests", "tools"}
