# The two commands of the quickstart: `make run` and `make test`. Each creates .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-dates lint bench

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	@touch $(STAMP)

# The demo's data lives in out/demo (git-ignored); seeding twice keeps what exists and mints fresh demo keys.
# `make run PORT=8080` serves on another port; the demo checks that the port is free before it seeds anything.
DEMO_HOME ?= out/demo
PORT ?= 8000

run: $(STAMP)
	$(BIN)/facegate demo --home $(DEMO_HOME) --port $(PORT)
	$(BIN)/facegate serve --home $(DEMO_HOME) --port $(PORT)

# The database tests run on SQLite and on PostgreSQL; scripts/test-postgres starts (or installs) the server;
# scripts/test-rtsp installs Debian's GStreamer RTSP server for the door-camera test.
test: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	scripts/test-chromium
	scripts/test-rtsp
	url=$$(scripts/test-postgres) && FACEGATE_TEST_POSTGRES_URL=$$url $(BIN)/python -m pytest -n 2
	$(MAKE) --no-print-directory test-dates

# The date-sensitive tests again, with every Python process's clock moved (tests/dated/sitecustomize.py) to a year's
# last minute (on SQLite and PostgreSQL), then on SQLite to a leap day, Spring Festival eve of a year with no published
# schedule, the 32-bit time_t limit, and a day of 2026 before the demo data. The clock ticks on from each moment, so
# the year end is crossed mid-run. (The 100,000-subject filing test counts, it does not date: it runs once, in the suite.)
YEAR_END ?= 2027-12-31T23:59:00+00:00
TEST_DATES ?= 2028-02-29T12:00:00+00:00 2028-01-26T02:00:00+00:00 2038-01-19T03:14:00+00:00 2026-03-15T09:00:00+00:00
DATED_TESTS ?= tests/test_dates.py tests/test_oversight_*.py tests/test_audit_log.py tests/test_audit_export.py \
	tests/test_cli_audit_list.py tests/test_erasure.py tests/test_throttle.py tests/test_vault.py \
	tests/test_policy_lifecycle.py tests/test_api_roles.py tests/test_edge_rules.py
DATED_PYTEST = $(BIN)/python -m pytest -n 2 -q -p no:time_machine -W ignore::pytest.PytestAssertRewriteWarning

test-dates: $(STAMP)
	url=$$(scripts/test-postgres) && echo "== the date-sensitive tests on $(YEAR_END)" && \
	  FACEGATE_TEST_DATE=$(YEAR_END) PYTHONPATH=tests/dated FACEGATE_TEST_POSTGRES_URL=$$url \
	    $(DATED_PYTEST) -k 'not 99999_open' $(DATED_TESTS)
	for moment in $(TEST_DATES); do \
	  echo "== the date-sensitive tests on $$moment (SQLite)"; \
	  FACEGATE_TEST_DATE=$$moment PYTHONPATH=tests/dated $(DATED_PYTEST) -k 'not 99999_open and not postgresql' \
	    $(DATED_TESTS) || exit 1; \
	done

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
