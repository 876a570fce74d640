"""Settings for the whole suite.

Hypothesis's defaults time each example (200 ms) and warn when generating data is slow:
both are timed assertions that a loaded machine fails without anything being wrong, so they
are off; timings belong in ``make bench``. Its example database would be one directory
shared by every xdist worker, outside the tests' temporary directories: off too (a failing
example is printed with the seed that reproduces it).
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

# The PostgreSQL test server and the --db option (HVCONNECT_TEST_DB=postgresql).
pytest_plugins = ["tests.postgres"]

settings.register_profile(
    "hvconnect",
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("hvconnect")
