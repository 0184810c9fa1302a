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

run: $(STAMP)
	$(BIN)/facegate demo

# The database tests run on SQLite and on PostgreSQL; scripts/test-postgres starts (or installs) the server.
test: $(STAMP)
	$(BIN)/ruff check src tests bench
	url=$$(scripts/test-postgres) && FACEGATE_TEST_POSTGRES_URL=$$url $(BIN)/python -m pytest -n 2

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
