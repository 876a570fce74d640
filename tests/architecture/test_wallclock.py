"""The wall-clock check of ``make lint`` finds what it is there to find.

A checker that silently finds nothing would pass forever, so each way of reading the clock is
planted in a throw-away package and must be reported, and each way that is allowed must not.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tools import wallclock


def plant(root: Path, relative: str, source: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source, encoding="utf-8")


def found(source: str) -> list[str]:
    return [name for _, name in wallclock.uses(source)]


@pytest.mark.parametrize(
    ("source", "name"),
    [
        ("import datetime\ndatetime.datetime.now()\n", "datetime.datetime.now"),
        ("from datetime import datetime\ndatetime.now()\n", "datetime.datetime.now"),
        ("from datetime import datetime as dt\ndt.utcnow()\n", "datetime.datetime.utcnow"),
        ("from datetime import datetime\ndatetime.today()\n", "datetime.datetime.today"),
        ("from datetime import date\ndate.today()\n", "datetime.date.today"),
        ("import datetime as d\nd.date.today()\n", "datetime.date.today"),
        ("import time\ntime.time()\n", "time.time"),
        ("import time\ntime.time_ns()\n", "time.time_ns"),
        ("from time import time\ntime()\n", "time.time"),
        ("from time import time as now\nnow()\n", "time.time"),
        # Handed on rather than called: it reads the clock later, just the same.
        (
            "import dataclasses\nfrom datetime import datetime\n"
            "f = dataclasses.field(default_factory=datetime.now)\n",
            "datetime.datetime.now",
        ),
        # An import inside a function, below its use in the source, still counts.
        ("def f():\n    return time.time()\n\ndef g():\n    import time\n", "time.time"),
        ("import time\ntime.localtime()\n", "time.localtime()"),
        ("from time import strftime\nstrftime('%H:%M')\n", "time.strftime()"),
        ("q = \"UPDATE t SET at = datetime('now')\"\n", "SQL ('now'"),
        ('q = "INSERT INTO t (at) VALUES (CURRENT_TIMESTAMP)"\n', "SQL CURRENT_TIMESTAMP"),
    ],
)
def test_each_way_of_reading_the_wall_clock_is_found(source: str, name: str) -> None:
    assert found(source) == [name]


@pytest.mark.parametrize(
    "source",
    [
        "import time\ntime.monotonic()\ntime.perf_counter()\n",
        "from datetime import datetime, date\ndatetime(2027, 1, 4)\ndate.fromisoformat('x')\n",
        "from datetime import datetime\ndatetime.fromtimestamp(0)\n",
        "import time\ntime.localtime(0)\ntime.strftime('%H', time.gmtime(0))\n",
        "def f(clock):\n    return clock.now()\n",
        # Our own modules of the same names are not the standard library's.
        "from .time import time\ntime()\n",
        "from datetime import time\ntime(8, 30)\n",
        '"""The moment "now" is whatever the clock says."""\n',
    ],
)
def test_what_does_not_read_the_wall_clock_is_not_reported(source: str) -> None:
    assert found(source) == []


def test_a_planted_violation_fails_the_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plant(tmp_path, "process/clock.py", "from datetime import datetime\ndatetime.now()\n")
    plant(tmp_path, "flows/late.py", "x = 1\nfrom datetime import datetime\ny = datetime.now()\n")
    plant(
        tmp_path, "storage/migrations/0001.sql", "CREATE TABLE t (at TEXT DEFAULT CURRENT_DATE);\n"
    )
    plant(tmp_path, "sandbox/emulator.py", "import time\nstamp = time.time()\n")

    assert wallclock.check(tmp_path) == [
        wallclock.Finding("storage/migrations/0001.sql", 1, "SQL CURRENT_DATE"),
        wallclock.Finding("flows/late.py", 3, "datetime.datetime.now"),
    ]
    assert wallclock.main(["--root", str(tmp_path)]) == 1
    assert "flows/late.py:3: datetime.datetime.now reads the wall clock" in capsys.readouterr().err


def test_the_allow_list_names_files_that_exist_and_says_why() -> None:
    for entry, reason in wallclock.ALLOWED.items():
        assert (wallclock.ROOT / entry).exists(), entry
        assert len(reason.split()) >= 5, entry


def test_the_repository_reads_the_wall_clock_only_where_allowed() -> None:
    assert wallclock.check() == []
