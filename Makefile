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

TYPED := bot domain handlers storage schedules
# The suite starts many Python processes (xdist workers, `safetybot` children): let them keep the
# compiled bytecode of our modules (__pycache__, ignored by git) even where PYTHONDONTWRITEBYTECODE is
# set, instead of compiling every module again in each process. Four workers even on two cores: many
# tests wait on sockets and child processes (measured: 128 s against 193 s with two).
PYTEST := NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost PYTHONDONTWRITEBYTECODE= \
	$(BIN)/python -m pytest -q -n 4

lint: $(BIN)/safetybot
	$(BIN)/ruff check .
	$(BIN)/mypy $(TYPED)
	$(BIN)/lint-imports

# The same checks as `make lint`, but mypy (about 20 s without its cache, as on a fresh clone) runs
# beside pytest, whose workers often wait on sockets and child processes; its report follows pytest's.
test: $(BIN)/safetybot browser
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	@$(BIN)/mypy $(TYPED) > $(VENV)/mypy.out 2>&1 & mypy=$$!; \
	echo '$(PYTEST)'; $(PYTEST); tests=$$?; \
	wait $$mypy; typed=$$?; echo '$(BIN)/mypy $(TYPED)'; cat $(VENV)/mypy.out; \
	test $$tests = 0 && test $$typed = 0

# The web desk's browser test (tests/web, marked e2e) drives Debian's Chromium through Selenium.
browser:
	test -x /usr/bin/chromedriver || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-noto-cjk)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
