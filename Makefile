# Two commands set up and run everything; each installs what it needs on first use.
#   make run    the bot on the local console (SQLite file + demo park, no token needed)
#   make test   the whole test suite (lint, import contract, pytest on SQLite and PostgreSQL)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run telegram test lint clean browser

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

test: lint browser
	NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost $(BIN)/python -m pytest -q -n auto --maxprocesses 4

# The web desk's browser test (tests/web, marked e2e) drives Debian's Chromium through Selenium.
browser:
	test -x /usr/bin/chromedriver || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-noto-cjk)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
