# Belt Ops. GNU make; a fresh machine needs only Python 3.11, 3.12 or 3.13 (with venv) and make.
#   make run     the demo on the embedded default: SQLite, tasks run in-process, nothing to install
#   make test    the whole suite, in parallel
# Variables: VENV (.venv), EXTRAS (test,dev), PYTHON (python3.11, else python3; another Python
# needs a VENV of its own), ADDR, PYTEST_ARGS.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV ?= .venv
EXTRAS ?= test,dev
BIN := $(VENV)/bin
comma := ,
# Reinstall only when pyproject.toml (or the set of extras) changes.
STAMP := $(VENV)/.installed-$(subst $(comma),-,$(EXTRAS))

ADDR ?= 127.0.0.1:8000
PYTEST_ARGS ?= -n auto

# `make stack` runs real processes: PostgreSQL and Redis, unless the environment says otherwise.
STACK_DATABASE_URL := postgres://postgres@127.0.0.1:5432/belt_ops
STACK_BROKER_URL := redis://127.0.0.1:6379/0
STACK_PORT := 8000

.PHONY: help venv run test lint format bench bench-api bench-logistics bench-atlas bench-web bench-load stack migrate seed clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

venv: $(STAMP) ## Create the virtualenv (.venv) and install the project with its [test,dev] extras

# The embedded SQLite database, uploads and beat's schedule file live here; git does not keep it.
var:
	mkdir -p $@

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e '.[$(EXTRAS)]'
	rm -f $(VENV)/.installed-*
	touch $@

run: venv | var ## Migrate, seed the demo once, serve it at http://127.0.0.1:8000/ (ADDR=...)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --if-empty
	@echo
	@echo "Belt Ops is starting at http://$(ADDR)/"
	@echo "  staff console   http://$(ADDR)/console/"
	@echo "  merchant portal http://$(ADDR)/portal/"
	@echo "  REST API        http://$(ADDR)/api/v1/  (docs: http://$(ADDR)/api/v1/docs/)"
	@echo "  health          http://$(ADDR)/health/"
	@echo "  logins          printed by seed_demo on its first run, and listed in README.md"
	@echo
	$(BIN)/python manage.py runserver $(ADDR)

test: venv ## Run the whole suite in parallel (DATABASE_URL / CELERY_BROKER_URL are honoured)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: venv ## ruff check and format --check, mypy, the import contracts (lint-imports)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: venv ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: venv ## Time the eligibility recompute on a large data set
	$(BIN)/python -m bench eligibility

bench-api: venv ## The API under gunicorn on PostgreSQL: bulk metrics, lists, against their floors
	$(BIN)/python -m bench api

bench-logistics: venv ## SLA check, scorecards and shipment lists on 100,000 shipments, against floors
	$(BIN)/python -m bench logistics

bench-atlas: venv ## The atlas's map and a belt's page at 100,000 merchants, against floors
	$(BIN)/python -m bench atlas

bench-web: venv ## Console, portal and API pages at 100,000 merchants, first and deep (p50/p95)
	$(BIN)/python -m bench web

bench-load: venv ## Portal, API and bulk ingestion under load (locust) while a recompute runs
	$(BIN)/python -m pip install -q -e '.[bench]'
	$(BIN)/python -m bench load

stack: export DATABASE_URL ?= $(STACK_DATABASE_URL)
stack: export CELERY_BROKER_URL ?= $(STACK_BROKER_URL)
stack: export DJANGO_SETTINGS_MODULE ?= config.settings.local
stack: export PROMETHEUS_MULTIPROC_DIR ?= $(abspath var/prometheus)
stack: venv | var ## Web, a notify and a recompute worker, and beat on PostgreSQL and Redis (Procfile)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --if-empty
	@echo
	@echo "Belt Ops full stack at http://127.0.0.1:$(STACK_PORT)/ ($$DJANGO_SETTINGS_MODULE)"
	@echo "  database $$(sed -E 's#//[^@/]*@#//#' <<< "$$DATABASE_URL")"
	@echo "  broker   $$(sed -E 's#//[^@/]*@#//#' <<< "$$CELERY_BROKER_URL")"
	@echo "  workers  notify (deliveries, webhooks, housekeeping) and recompute, one process each"
	@echo
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/honcho start --procfile Procfile --port $(STACK_PORT)

migrate: venv | var ## Apply migrations
	$(BIN)/python manage.py migrate --noinput

seed: venv | var ## Load the demo data set
	$(BIN)/python manage.py seed_demo

clean: ## Remove caches and build output (keeps .venv and the demo database in var/)
	rm -rf .pytest_cache .ruff_cache .hypothesis build dist *.egg-info staticfiles .venv-ci .venv-ci-*
	rm -f var/celerybeat-schedule*
	find . -path ./.venv -prune -o -type d -name __pycache__ -exec rm -rf {} +

# The Simplified Chinese catalogue. Needs GNU gettext (xgettext, msgfmt); `make run` does not: the
# compiled locale/zh_Hans/LC_MESSAGES/django.mo is committed. Locations name the file only, so a
# line moved elsewhere does not rewrite the catalogue; obsolete entries are dropped. msgfmt checks
# the placeholders and counts what is left to translate (fuzzy and untranslated entries).
MESSAGES_IGNORE := --ignore='$(VENV)/*' --ignore='.venv/*' --ignore='.venv-ci/*' \
	--ignore='staticfiles/*' --ignore='var/*'

.PHONY: messages
messages: venv ## Extract translatable strings into locale/zh_Hans, then compile the catalogue
	@command -v xgettext >/dev/null && command -v msgfmt >/dev/null \
		|| { echo "make messages needs GNU gettext (apt install gettext, brew install gettext)" >&2; exit 1; }
	$(BIN)/python manage.py makemessages -l zh_Hans --no-obsolete --add-location=file $(MESSAGES_IGNORE)
	msgfmt --check-format --statistics -o /dev/null locale/zh_Hans/LC_MESSAGES/django.po
	$(BIN)/python manage.py compilemessages -l zh_Hans $(MESSAGES_IGNORE)
