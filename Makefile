# The README's commands. Everything installs into .venv; all local state lives in $(NBA_PIPELINE_HOME).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
EMU := .venv-emulators
export NBA_PIPELINE_HOME ?= $(CURDIR)/.nba
DEMO_DATE ?= 2024-01-15
DEMO_NOW ?= 2024-01-16T12:00:00-05:00

.PHONY: install lock emulators-install emulators-up emulators-down demo prod-demo test dev lint bench screenshots clean

# uv installs the versions requirements.lock pins (seconds from its cache, against pip's minute);
# `make lock` renews the lock after a change to pyproject.toml's dependencies (an out-of-date lock
# fails the install). The virtualenv is made without pip (ensurepip alone took 7 s) and uv comes from
# the system's pip, or from the virtualenv's own when there is none. Bytecode is written for the
# modules the platform's processes import (nba_pipeline/bytecode.py): where PYTHONDONTWRITEBYTECODE
# is set (this machine, many CI images) nothing is ever cached, and every process would compile
# Dagster again (9 s for a command instead of 3).
$(BIN)/nba-pipeline: pyproject.toml requirements.lock
	$(PYTHON) -m venv --without-pip $(VENV)
	$(PYTHON) -m pip --python $(BIN)/python install --quiet uv 2>/dev/null || \
		{ $(BIN)/python -m ensurepip --default-pip >/dev/null && $(BIN)/python -m pip install --quiet uv; }
	$(BIN)/uv pip install --quiet --python $(BIN)/python -c requirements.lock -e ".[dev]"
	$(BIN)/python -m nba_pipeline.bytecode
	@touch $@

install: $(BIN)/nba-pipeline

lock: install
	$(BIN)/uv pip compile --quiet pyproject.toml --extra dev --python-version 3.11 --custom-compile-command "make lock" -o requirements.lock

# The BigQuery and GCS emulators, in their own virtualenv (they pin their own DuckDB).
$(EMU)/bin/bqemulator: requirements-emulators.txt $(BIN)/nba-pipeline
	$(PYTHON) -m venv --without-pip $(EMU)
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(EMU)/bin/python -r requirements-emulators.txt
	mkdir -p $(EMU)/home/.duckdb/extensions/v1.5.5/linux_amd64
	cp $(EMU)/lib/python3*/site-packages/duckdb_extension_spatial/extensions/v1.5.5/spatial.duckdb_extension \
		$(EMU)/home/.duckdb/extensions/v1.5.5/linux_amd64/
	@touch $@

emulators-install: $(EMU)/bin/bqemulator

emulators-up: install emulators-install
	$(BIN)/nba-pipeline emulators up

emulators-down: install
	$(BIN)/nba-pipeline emulators down

demo: install
	NBA_PIPELINE_NOW=$(DEMO_NOW) $(BIN)/nba-pipeline run --date $(DEMO_DATE)

# The same job as `make demo`, on the production stack: BigQuery and GCS emulators, Firestore and
# Pub/Sub emulators, a Dagster instance in Postgres. Everything it starts it stops.
PROD_HOME ?= $(CURDIR)/.nba-prod
prod-demo: install emulators-install
	NBA_PIPELINE_HOME=$(PROD_HOME) NBA_PIPELINE_NOW=$(DEMO_NOW) $(BIN)/nba-pipeline emulators run -- \
		$(BIN)/nba-pipeline run --date $(DEMO_DATE)

test: install emulators-install
	$(BIN)/ruff check nba_pipeline nba_pipeline_tests benchmarks
	$(BIN)/pytest -q

dev: install
	$(BIN)/nba-pipeline dev

lint: install
	$(BIN)/ruff check nba_pipeline nba_pipeline_tests benchmarks
	$(BIN)/ruff format --check nba_pipeline nba_pipeline_tests benchmarks

# Issue 16's rows, one benchmark each (the intake one starts the Pub/Sub and Firestore emulators).
bench: install emulators-install
	$(BIN)/python -m benchmarks.cascade_latency
	$(BIN)/python -m benchmarks.command_startup
	$(BIN)/python -m benchmarks.check_latency
	$(BIN)/python -m benchmarks.backfill_phases
	$(BIN)/python -m benchmarks.fresh_demo
	$(BIN)/python -m benchmarks.intake_throughput

# The `ui` test's pages (headless Chromium on a temporary instance) as PNGs in docs/screenshots/.
screenshots: install
	$(BIN)/python -m nba_pipeline_tests.ui.screenshots docs/screenshots

clean:
	rm -rf $(NBA_PIPELINE_HOME)
