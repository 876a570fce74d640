"""Whether the browser tests can run here, and what to install when they cannot.

Playwright's own browser download needs the network, so the tests use Debian's
``/usr/bin/chromium``. Without it (or without the playwright package) they are skipped on
a workstation, with the command that fixes it, and fail in CI.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")


def require_browser() -> None:
    """Skip (fail under CI=true) with the command that fixes it, before importing playwright."""
    problem = None
    if not CHROMIUM.exists():
        problem = f"{CHROMIUM} is missing: apt-get install chromium"
    else:
        try:
            import playwright  # noqa: F401
        except ImportError:
            problem = "the playwright package is missing: pip install -e '.[dev]'"
    if problem is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser tests cannot run in CI: {problem}")
    pytest.skip(f"browser tests cannot run: {problem}", allow_module_level=True)
