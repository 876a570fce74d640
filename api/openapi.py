"""The OpenAPI 3.1 document, generated from the code's types and committed as
``docs/openapi.json`` so that a client's developer reads it without running the bot.

``python -m api.openapi`` rewrites the file; ``--check`` only says whether it is current
(a test runs the same comparison).
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from api.app import build_api
from api.settings import ApiSettings
from notifications.outbox import Outbox
from notifications.render import Texts
from process.calendar import WorkingCalendar
from process.clock import SystemClock
from process.limits import TimeLimits
from services.context import ServiceContext
from storage.db import MEMORY, Database
from storage.outbox import OutboxRepo

DOCUMENT = Path(__file__).resolve().parent.parent / "docs" / "openapi.json"


async def _generate() -> dict[str, Any]:
    # The routes' types make the document; nothing is read, so an empty database will do.
    db = await Database.open(MEMORY)
    try:
        tz = ZoneInfo("Asia/Shanghai")
        texts = Texts("zh_CN")
        ctx = ServiceContext(
            db=db,
            outbox=Outbox(OutboxRepo(db), texts, tz=tz),
            texts=texts,
            tz=tz,
            calendar=WorkingCalendar(),
            limits=TimeLimits.default(),
        )
        document: dict[str, Any] = build_api(ctx, SystemClock(tz), ApiSettings()).openapi()
        return document
    finally:
        await db.close()


def generate() -> dict[str, Any]:
    return asyncio.run(_generate())


def rendered(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    text = rendered(generate())
    if argv[1:] == ["--check"]:
        current = DOCUMENT.exists() and DOCUMENT.read_text(encoding="utf-8") == text
        if not current:
            print(f"{DOCUMENT} is out of date: run python -m api.openapi", file=sys.stderr)
        return 0 if current else 1
    DOCUMENT.write_text(text, encoding="utf-8")
    print(f"wrote {DOCUMENT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
