# Two entry points that work from a fresh clone with only python3 and pip:
#   make release   set up and run the main job (validate, build, score, leaderboard)
#   make test      set up and run the whole test suite (ruff included)
# Every step below is a `toolkit` command a user can run by hand inside .venv.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TOOLKIT := $(BIN)/toolkit
DOCUMENTS := annotations/documents.jsonl
GOLD := annotations/gold.jsonl

.PHONY: release test lint studio schemas clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Core install for the main job; the dev install (tests, Label Studio server) is a superset.
$(VENV)/.core-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.core-installed

release: $(VENV)/.core-installed
	$(TOOLKIT) validate $(DOCUMENTS) $(GOLD)
	$(TOOLKIT) stats $(GOLD)

test: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .

schemas: $(VENV)/.core-installed
	$(TOOLKIT) schemas

clean:
	rm -rf dist .pytest_cache
