# Nachtwacht — the two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
STAMP := $(VENV)/.installed-runtime
DEVSTAMP := $(VENV)/.installed-dev
PROCESSES ?= 2

.PHONY: run serve test lint bench translations clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(DEVSTAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP) $@

translations: $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -d app/translations 2>/dev/null

## run: set up, migrate, seed demo data and serve on http://127.0.0.1:5000 (SQLite)
run: $(STAMP) translations
	$(FLASK) db upgrade
	$(FLASK) demo seed
	$(BIN)/python wsgi.py

## serve: the production topology in the foreground: PROCESSES gunicorn processes, the scheduler,
## nginx on :8080 if installed; PostgreSQL and Redis from DATABASE_URL/REDIS_URL (Ctrl-C stops all)
serve: $(STAMP) translations
	$(BIN)/python -m deploy.serve --processes $(PROCESSES)

## test: set up and run the whole suite
test: $(DEVSTAMP) translations
	$(BIN)/python -m pytest

lint: $(DEVSTAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy triage/scoring.py triage/instruments.py dispatch/ranking.py triage/canonical.py triage/keys.py triage/trajectory_table.py triage/aml.py dispatch/cap.py dispatch/eido.py dispatch/pidf.py stats/figures.py stats/periods.py stats/charts.py handover/weekly/selection.py handover/weekly/week.py

bench: $(DEVSTAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache
