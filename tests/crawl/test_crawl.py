"""Every role presses every button, in every state: the crawl of the whole bot.

``make test`` runs a short crawl (a few steps per application and role); a longer one runs
with ``HVCONNECT_CRAWL_STEPS=N`` (steps per focus) or ``HVCONNECT_LONG_TESTS=1``.
``HVCONNECT_CRAWL_ROLE`` and ``HVCONNECT_CRAWL_STATE`` (a step name such as ``survey_pick``)
narrow it down when debugging; ``HVCONNECT_CRAWL_SEED`` changes the walk.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

from sandbox.emulator import BotApiEmulator
from tests.crawl.crawler import Crawler, lines, summary
from tests.crawl.probe import HandledUpdates, LogTrap
from tests.crawl.world import build_world
from tests.e2e.harness import BotRunner

LONG = os.environ.get("HVCONNECT_LONG_TESTS") == "1"
STEPS = int(os.environ.get("HVCONNECT_CRAWL_STEPS") or (8 if LONG else 1))
SEED = int(os.environ.get("HVCONNECT_CRAWL_SEED") or 13)
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "crawl"


async def test_every_role_presses_every_button_in_every_state(
    emulator: BotApiEmulator, crawl_bot: BotRunner, handled: HandledUpdates, trap: LogTrap
) -> None:
    world = await build_world(emulator, crawl_bot, handled)
    seeding_errors = trap.since(0)
    crawler = Crawler(
        world,
        handled,
        trap,
        random.Random(SEED),
        steps_per_focus=STEPS,
        only_role=os.environ.get("HVCONNECT_CRAWL_ROLE") or None,
        only_state=os.environ.get("HVCONNECT_CRAWL_STATE") or None,
    )
    await crawler.crawl()

    report = {**summary(crawler.triples), "steps_per_focus": STEPS, "seed": SEED}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "summary.json").write_text(json.dumps(report, ensure_ascii=False, indent=1))
    (ARTIFACTS / "triples.txt").write_text("\n".join(lines(list(crawler.triples))) + "\n")
    (ARTIFACTS / "errors.txt").write_text("\n".join(trap.since(0)) + "\n")
    (ARTIFACTS / "failures.txt").write_text("\n".join(crawler.failures) + "\n")
    print(f"\ncrawl: {report}")
    assert not seeding_errors, seeding_errors
    if not (crawler.only_role or crawler.only_state):
        assert report["states"] >= 15 and len(report["roles"]) == 7, report
    assert not crawler.failures, "\n".join(crawler.failures)
