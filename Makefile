# The two set-up commands of README.md: `make demo` and `make test`. Both build .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/himaya demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

test: lint  # both cores (pytest-xdist; a file's tests stay on one worker, in order: the docs examples build on each other); the slowest tests are listed at the end, to see where CI's time goes
	$(BIN)/pytest -n 2 --dist loadfile --durations=25

test-fast: $(STAMP)  # the pure rules and the engine, no database or process: under a minute
	$(BIN)/pytest -m "not store" -q

bench: $(STAMP)
	$(BIN)/python bench/entitlements.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .hypothesis
