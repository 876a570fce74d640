"""Checks a page must pass for anyone: an axe-core audit, keyboard focus, no sideways scroll.

axe-core is vendored (``vendor/axe.min.js``, MPL-2.0, from the npm package ``axe-core``)
and injected by the test only: the page itself never loads it, and nothing is fetched.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.async_api import Page, ViewportSize

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
BLOCKING = ("serious", "critical")
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1366, "height": 768}


async def serious_violations(page: Page) -> list[str]:
    """Every serious or critical axe-core finding, one line each (rule, help, elements)."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.add_script_tag(path=AXE)
    results: dict[str, Any] = await page.evaluate(
        "axe.run(document, { resultTypes: ['violations'] })"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + "; ".join(" ".join(node["target"]) for node in v["nodes"][:5])
        for v in results["violations"]
        if v["impact"] in BLOCKING
    ]


async def focused_test_id(page: Page) -> str:
    """The data-testid of the focused element (or its tag name when it has none)."""
    found: str = await page.evaluate(
        "(() => { const e = document.activeElement;"
        " return e ? (e.dataset.testid || e.tagName.toLowerCase()) : ''; })()"
    )
    return found


async def tab_to(page: Page, test_id: str, *, backwards: bool = False, limit: int = 40) -> int:
    """Press Tab (Shift+Tab) until ``test_id`` has the focus; returns the presses it took."""
    key = "Shift+Tab" if backwards else "Tab"
    for presses in range(1, limit + 1):
        await page.keyboard.press(key)
        if await focused_test_id(page) == test_id:
            return presses
    raise AssertionError(f"{test_id} was not reached with {limit} presses of {key}")


async def focus_ring_shows(page: Page) -> bool:
    """Whether the focused element draws a visible outline."""
    shown: bool = await page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0; })()"
    )
    return shown


async def scrolls_sideways(page: Page) -> bool:
    wider: bool = await page.evaluate(
        "document.documentElement.scrollWidth > document.documentElement.clientWidth"
    )
    return wider
