"""Where the time goes: a pyinstrument profile of an async workload, as text for the report.

pyinstrument is in the ``bench`` extra; without it the report says so instead of failing.
Async mode attributes the time a coroutine spends awaiting (SQLite runs in aiosqlite's
worker thread) to the line that awaited, which is what tells a database wait from Python
work.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

MAX_LINES = 70


async def profile_in_process(workload: Callable[[], Awaitable[object]]) -> str:
    try:
        from pyinstrument import Profiler
    except ImportError:
        await workload()
        return "pyinstrument is not installed (pip install -e '.[bench]')"
    profiler = Profiler(interval=0.0005, async_mode="enabled")
    profiler.start()
    try:
        await workload()
    finally:
        profiler.stop()
    text = profiler.output_text(unicode=True, color=False, show_all=False, short_mode=False)
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    kept = [line for line in lines if not line.lstrip().startswith(("_ ", "/_", "/ "))]
    if len(kept) > MAX_LINES:
        kept = [*kept[:MAX_LINES], f"… ({len(kept) - MAX_LINES} more lines)"]
    return "\n".join(kept)
