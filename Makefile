# Two commands set up and run everything; each installs what it needs on first use.
#   make run    the bot on the local console (SQLite file + demo park, no token needed)
#   make test   the whole test suite (lint, import contract, pytest on SQLite and PostgreSQL)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run telegram test lint clean

$(BIN)/safetybot: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

run: $(BIN)/safetybot
	$(BIN)/safetybot console

telegram: $(BIN)/safetybot
	$(BIN)/safetybot run

lint: $(BIN)/safetybot
	$(BIN)/ruff check .
	$(BIN)/mypy bot domain handlers storage schedules
	$(BIN)/lint-imports

test: lint
	NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost $(BIN)/python -m pytest -q -n auto --maxprocesses 4

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
