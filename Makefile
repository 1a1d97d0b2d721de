# The two commands of the README: `make demo` and `make test`. Everything else is a helper.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
PIP_FLAGS ?= -qq --disable-pip-version-check
export WAREHOUSE_DIR ?= $(CURDIR)/warehouse
export DBT_TARGET ?= duckdb
# The throwaway PostgreSQL of `make postgres` (outside the source tree; trust auth, loopback only).
PG_DIR ?= /tmp/retail-pipeline-pg

.PHONY: install demo test vendor lint format dev manifest serve-simulator screenshots bench \
	bench-transform postgres postgres-stop clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/activate
	$(PY) -m pip install $(PIP_FLAGS) --upgrade -c constraints.txt pip setuptools wheel
	$(PY) -m pip install $(PIP_FLAGS) -c constraints.txt -e '.[dev]'
	touch $@

install: $(VENV)/.installed ## create the virtual environment and install everything

demo: install ## run the whole pipeline on the bundled simulator over recent days
	$(PY) -m orchestration.demo $(DEMO_ARGS)

test: lint vendor manifest ## run the linters, check that the definitions load, run the test suite
	$(BIN)/dg check defs
	$(PY) -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

vendor: install ## fetch the vendors' pinned artefacts the contract tests use (needs npm)
	$(PY) scripts/vendor_artefacts.py

lint: install ## ruff (Python) and sqlfluff (dbt SQL)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	cd dbt_project && ../$(BIN)/sqlfluff lint models macros tests --processes 2

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

dev: manifest ## Dagster UI + daemon (schedule, sensors); run history in $(WAREHOUSE_DIR)/dagster_home
	export DAGSTER_HOME=$$($(PY) -m orchestration.instance) && $(BIN)/dg dev

manifest: install ## parse the dbt project when stale (the definitions read it; `dg dev` re-parses)
	$(PY) -c "from orchestration.dbt.project import prepare_if_dev; prepare_if_dev()"

# The screenshots come from a demo warehouse of their own whose partitions start on its first day,
# so the UI shows every partition filled instead of a year of missing ones.
SHOTS_DIR ?= /tmp/retail-pipeline-screenshots
# the demo's default range: yesterday and the three whole months before it
SHOTS_START ?= $(shell date -u -d "$$(date -u -d yesterday +%Y-%m-01) -3 months" +%F)
SHOTS_ENV = WAREHOUSE_DIR=$(SHOTS_DIR) PIPELINE_START_DATE=$(SHOTS_START) DAGSTER_HOME=$(SHOTS_DIR)/dagster_home

screenshots: install ## remake the README's pictures (UI, report, scorecard, picking sheet) from a fresh demo (needs chromium)
	rm -rf $(SHOTS_DIR)
	$(SHOTS_ENV) $(PY) -m orchestration.demo --start $(SHOTS_START)
	$(SHOTS_ENV) $(PY) scripts/screenshot_lineage.py
	$(SHOTS_ENV) $(PY) scripts/screenshot_lineage.py --out docs/picking-checks.png \
		--path '/assets/marts/mart_store_picking_candidates?view=checks' --wait-for Passed \
		--width 1600 --height 1000 --zoom-steps 0
	$(SHOTS_ENV) $(PY) scripts/screenshot_report.py

serve-simulator: install ## serve the simulated source APIs on loopback (port 8765)
	$(PY) -m simulator serve --port 8765

.PHONY: check-sources
check-sources: install ## one cheap authenticated call per configured source (demo: the simulator)
	$(PY) -m orchestration.preflight

bench: install ## extraction benchmark at large scale (see bench/README.md)
	$(PY) bench/extract_benchmark.py

bench-transform: install ## transform phase on duckdb, postgres and spark (see bench/README.md)
	$(PY) bench/transform_engines.py

postgres: ## start a local throwaway PostgreSQL; use as: eval "$$(make -s postgres)"
	@scripts/postgres_for_tests.sh start $(PG_DIR)
	@echo "export DBT_POSTGRES_HOST=127.0.0.1 DBT_POSTGRES_PORT=$$(cat $(PG_DIR)/port)" \
		"DBT_POSTGRES_USER=postgres DBT_POSTGRES_DBNAME=postgres"

postgres-stop: ## stop the PostgreSQL of `make postgres`
	scripts/postgres_for_tests.sh stop $(PG_DIR)

clean:
	rm -rf $(WAREHOUSE_DIR) dbt_project/target dbt_project/logs
