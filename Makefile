# Nachtwacht — the two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
STAMP := $(VENV)/.installed-runtime
DEVSTAMP := $(VENV)/.installed-dev

.PHONY: run test lint bench translations clean

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

## test: set up and run the whole suite
test: $(DEVSTAMP) translations
	$(BIN)/python -m pytest

lint: $(DEVSTAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy triage/scoring.py triage/instruments.py dispatch/ranking.py

bench: $(DEVSTAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache
