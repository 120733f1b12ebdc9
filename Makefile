# The README's commands. Everything installs into .venv; all local state lives in $(NBA_PIPELINE_HOME).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export NBA_PIPELINE_HOME ?= $(CURDIR)/.nba
DEMO_DATE ?= 2024-01-15
DEMO_NOW ?= 2024-01-16T12:00:00-05:00

.PHONY: install demo test dev lint bench clean

$(BIN)/nba-pipeline: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	@touch $@

install: $(BIN)/nba-pipeline

demo: install
	NBA_PIPELINE_NOW=$(DEMO_NOW) $(BIN)/nba-pipeline run --date $(DEMO_DATE)

test: install
	$(BIN)/ruff check nba_pipeline nba_pipeline_tests benchmarks
	$(BIN)/pytest -q

dev: install
	$(BIN)/nba-pipeline dev

lint: install
	$(BIN)/ruff check nba_pipeline nba_pipeline_tests benchmarks
	$(BIN)/ruff format --check nba_pipeline nba_pipeline_tests benchmarks

bench: install
	$(BIN)/python -m benchmarks.backfill_phases

clean:
	rm -rf $(NBA_PIPELINE_HOME)
