# The two commands of the quickstart: `make run` and `make test`. Each creates .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench

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

# The database tests run on SQLite and on PostgreSQL; scripts/test-postgres starts (or installs) the server.
test: $(STAMP)
	$(BIN)/ruff check src tests bench
	scripts/test-chromium
	url=$$(scripts/test-postgres) && FACEGATE_TEST_POSTGRES_URL=$$url $(BIN)/python -m pytest -n 2

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
