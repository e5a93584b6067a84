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
# Per-annotator records (`toolkit pull` writes annotations/annotators/); until a second annotator exists the seed gold is one annotator's record.
ANNOTATOR_RECORDS ?= $(or $(wildcard annotations/annotators/*.jsonl),$(GOLD))
AGREEMENT := annotations/agreement.json
BASELINE_SCORES := annotations/baseline_scores.json

.PHONY: release test lint studio schemas clean chromium postgresql package

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The main job needs every extra (`[all]`: agreement, the dataset build); the dev install (tests, build, twine) is a
# superset. A model builder needs neither: `pip install voci-toolkit` is the scorer (README, "Score your model").
$(VENV)/.all-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[all]'
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.all-installed

# The main job, in order: check the data, measure agreement, run and score the baseline (the card quotes both),
# build the dataset and its card, score the baseline against the built dataset, rank the submissions.
release: $(VENV)/.all-installed
	$(TOOLKIT) validate $(DOCUMENTS) $(GOLD)
	$(TOOLKIT) stats $(GOLD)
	$(TOOLKIT) agree $(ANNOTATOR_RECORDS) --documents $(DOCUMENTS) --format json --out $(AGREEMENT) --report annotations/disagreements.md
	$(TOOLKIT) baseline $(DOCUMENTS) --out dist/submissions/baseline/predictions.jsonl
	cp submissions/baseline/meta.json dist/submissions/baseline/meta.json
	$(TOOLKIT) eval dist/submissions/baseline/predictions.jsonl --gold $(GOLD) --documents $(DOCUMENTS) --bootstrap 1000 --format json --out $(BASELINE_SCORES)
	$(TOOLKIT) build --documents $(DOCUMENTS) --gold $(GOLD) --agreement $(AGREEMENT) --scores $(BASELINE_SCORES) --out dist/voci
	$(TOOLKIT) eval dist/submissions/baseline/predictions.jsonl --gold dist/voci --split test --ignore-extra --bootstrap 1000
	$(TOOLKIT) leaderboard dist/submissions --gold dist/voci --split test --out dist/leaderboard --bootstrap 1000

# The leaderboard page is checked in a real headless Chromium (Debian package); without it that one test is skipped.
chromium:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium) || echo "chromium unavailable: the browser test will be skipped"

# The Label Studio integration tests also run on PostgreSQL, in a throwaway cluster the tests start (Debian package;
# its own "main" cluster is not created, so nothing is left running); without it those runs are skipped.
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || \
	  (apt-get update -qq && apt-get install -y -qq postgresql-common && \
	   sed -i 's/^#*[[:space:]]*create_main_cluster.*/create_main_cluster = false/' /etc/postgresql-common/createcluster.conf && \
	   apt-get install -y -qq postgresql) || echo "postgresql unavailable: the PostgreSQL tests will be skipped"

test: $(VENV)/.dev-installed chromium postgresql
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest --backends sqlite,postgresql

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

schemas: $(VENV)/.all-installed
	$(TOOLKIT) schemas

# A local Label Studio (127.0.0.1, telemetry off, data in .studio/) with the project ready; Ctrl-C stops it.
# Pre-fill the editor with any model's output: make studio PREDICTIONS=path/to/predictions.jsonl
# On PostgreSQL for a team: make studio DATABASE_URL=postgresql://USER:PASSWORD@HOST:5432/NAME (read by the toolkit
# from the environment, so make never prints it)
$(VENV)/.studio-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[studio]'
	touch $@

studio: $(VENV)/.studio-installed
	$(TOOLKIT) studio --documents $(DOCUMENTS) $(if $(PREDICTIONS),--predictions $(PREDICTIONS) --model-version $(or $(MODEL_VERSION),$(basename $(notdir $(PREDICTIONS)))))

# The sdist and the wheel of a release, checked as the package index will (docs/release.md); nothing is uploaded.
package: $(VENV)/.dev-installed
	rm -rf dist/package
	$(BIN)/python -m build --outdir dist/package
	$(BIN)/twine check --strict dist/package/*

clean:
	rm -rf dist .pytest_cache
