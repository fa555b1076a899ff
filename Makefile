# Two commands for a fresh machine (README): `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app app
CATALOG := pec/translations/en/LC_MESSAGES/messages
# `make demo PORT=8080` where 5000 is taken (macOS: the AirPlay receiver uses it).
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: demo test lint format translations extract-messages bench serve clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

$(CATALOG).mo: $(CATALOG).po | $(VENV)/.runtime
	$(BIN)/pybabel compile --use-fuzzy -d pec/translations -D messages

translations: $(CATALOG).mo

node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

## Create the venv, install, load demo data, serve on http://127.0.0.1:5000 (PORT=… to change)
demo: $(VENV)/.runtime translations
	$(FLASK) pec init-db
	$(FLASK) pec demo
	PEC_SCHEDULER=$${PEC_SCHEDULER:-on} PEC_BASE_URL=$${PEC_BASE_URL:-http://$(HOST):$(PORT)} \
	  $(FLASK) run --host $(HOST) --port $(PORT)

## Install what tests need and run all of them: one worker per core (PYTEST_WORKERS=0: one
## process), then the `slow` scale tests alone, so their time limits get a core to themselves
PYTEST_WORKERS ?= auto
test: $(VENV)/.dev translations node_modules/.installed
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) -m "not slow" $(PYTEST_ARGS)
	$(BIN)/python -m pytest -m slow $(PYTEST_ARGS) || [ $$? -eq 5 ]  # 5: none selected

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/ruff format --check .

format: $(VENV)/.dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Refresh the English catalogue after changing user-visible strings
extract-messages: $(VENV)/.runtime
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o pec/translations/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i pec/translations/messages.pot -d pec/translations -D messages --no-fuzzy-matching

## Load (gunicorn + wrk, ~10 min), then bytes, in-process times and jobs; BENCH_ARGS="--only load"
bench: $(VENV)/.dev translations
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules $(CATALOG).mo
