# hvconnect — the two commands a new user needs are `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test test-pg lint format openapi bench bench-check clean

$(STAMP): pyproject.toml
	@$(PY) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "hvconnect needs Python 3.11 or newer")'
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/hvconnect run

# The suite runs in $(WORKERS) processes (pytest-xdist): most of its time is the bot and the
# emulator waiting on each other, which overlaps well even on two cores. WORKERS=0 runs it in
# one process; HVCONNECT_LONG_TESTS=1 adds the long runs (README, "Tests").
WORKERS ?= 4
test: $(STAMP)
	$(BIN)/python -m pytest -n $(WORKERS) --dist worksteal \
		--cov=process --cov=storage --cov-report=term --cov-fail-under=90 $(ARGS)

PG_STAMP := $(VENV)/.postgresql-stamp

$(PG_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,postgresql]'
	@touch $(PG_STAMP)

# The storage and service tests, those of the outbox, the reminder sweeps and webhooks, and
# the bot whole (end to end, the integration API, the commands, PostgreSQL's backups)
# again on PostgreSQL: a throwaway server (initdb and pg_ctl, as the postgres user
# when run as root) in a temporary folder, a fresh database for each test (tests/postgres.py).
# Needs the PostgreSQL server programs (Debian: postgresql).
PG_TESTS := tests/storage tests/notifications/test_outbox_repo.py \
	tests/notifications/test_outbox_facade.py tests/notifications/test_escalation_holders.py \
	tests/notifications/test_queue_deadlines.py tests/notifications/test_sweep_*.py \
	tests/notifications/test_webhooks.py tests/notifications/test_fleet_*.py \
	tests/notifications/test_sender.py tests/notifications/test_sender_faults.py \
	tests/notifications/test_sender_lifecycle.py tests/services \
	tests/e2e tests/api tests/bot tests/reliability/test_backup_postgresql.py \
	tests/reliability/test_fleet_postgresql.py tests/reliability/test_fleet_leader.py
test-pg: $(PG_STAMP)
	HVCONNECT_TEST_DB=postgresql $(BIN)/python -m pytest -n $(WORKERS) --dist worksteal \
		$(PG_TESTS) $(ARGS)

# Style, types, the direction of imports (the contracts in pyproject.toml) and the one clock
# (README, "Lint and CI"). Quick: CI runs it before the suite.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy process storage notifications services reports flows api bot sandbox benchmarks tools
	$(BIN)/lint-imports
	$(BIN)/python -m tools.wallclock
	$(BIN)/python -m tools.readme_figures --check

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The integration API's OpenAPI document, docs/openapi.json, regenerated from the code (a
# test fails while the committed one differs).
openapi: $(STAMP)
	$(BIN)/python -m api.openapi

BENCH_STAMP := $(VENV)/.bench-stamp

$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@touch $(BENCH_STAMP)

# Never part of `make test`; BENCH_QUICK=1 for a short run while developing.
bench: $(BENCH_STAMP)
	$(BIN)/python -m benchmarks
	$(BIN)/python -m tools.readme_figures

# Runs no benchmark: lists the parts of BENCHMARKS.md whose code changed after the commit they
# measured (the paths of each are in benchmarks/freshness.py).
bench-check: $(STAMP)
	$(BIN)/python -m benchmarks --check

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .import_linter_cache .coverage
