# Two commands do all the setup on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home

.PHONY: install demo test lint dev bench health clean

$(STAMP): setup.py pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $(DAGSTER_HOME)/dagster.yaml

demo: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/nba-pipeline demo

test: install
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
