# Two commands on a fresh machine: `make run` and `make test`. Both create .venv and install
# what they need; the Dockerfile installs the package with the same `pip install -e .`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: install run test lint typecheck unit bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/watchbot run

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/hadolint --failure-threshold warning Dockerfile

typecheck: $(STAMP)
	$(BIN)/mypy

# Most tests run on every core (pytest-xdist, one worker per file so module fixtures start once);
# the few that time what several processes do run after them, alone.
unit: $(STAMP)
	$(BIN)/python -m pytest -n auto --dist loadfile -m "not serial"
	$(BIN)/python -m pytest -m serial

test: lint typecheck unit

# Each prints its figures and ends with one JSON line; docs/performance.md has the method.
bench: $(STAMP)
	$(BIN)/python bench/classify.py
	$(BIN)/python bench/floor.py
	$(BIN)/python bench/digest.py
	$(BIN)/python bench/deliveries.py
	$(BIN)/python bench/latency.py
	$(BIN)/python bench/pipeline.py
	$(BIN)/python bench/feed_lists.py
	$(BIN)/python bench/filters.py
	$(BIN)/python bench/ingest.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
