# Two commands: `make run` (a running app on http://127.0.0.1:5000) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

# The translations (issue 25): messages.pot and each language's .po are in the repository; the .mo files are built.
POT := translations/messages.pot
PO := $(wildcard translations/*/LC_MESSAGES/messages.po)
MO := $(PO:.po=.mo)

.PHONY: install run test test-fast lint format bench migrate seed clean messages

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	$(BIN)/pybabel compile -d translations
	touch $(STAMP)

# A .po edited since install is compiled again.
translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel compile -d translations -l $*

install: $(STAMP) $(MO)

# Extract every marked string (Python, templates, emails) into messages.pot and merge it into each .po.
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext -k _l --no-location --sort-output --width 120 \
		--project "ITPO CRM" --copyright-holder "ITPO" -o $(POT) .
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete --width 120 -i $(POT) -d translations

migrate: install
	$(FLASK) db upgrade

seed: migrate
	$(FLASK) crm seed

run: seed
	$(FLASK) crm demo --scale small --if-empty
	$(FLASK) crm ensure-admin
	@echo "ITPO CRM on http://$(HOST):$(PORT)  (admin login: see instance/admin_password.txt)"
	$(FLASK) run --host $(HOST) --port $(PORT) --no-reload

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The unit and view tests on SQLite across both cores: no browser, no gunicorn or worker processes, no PostgreSQL.
test-fast: install
	env -u TEST_DATABASE_URL $(BIN)/python -m pytest -n 2 -m "not e2e and not slow and not postgres" $(PYTEST_ARGS)

# ruff: the lint rules and the line length are in pyproject.toml ([tool.ruff]).
lint: install
	$(BIN)/ruff check crm tests migrations wsgi.py worker.py
	$(BIN)/ruff format --check crm tests migrations wsgi.py worker.py

format: install
	$(BIN)/ruff check --fix crm tests migrations wsgi.py worker.py
	$(BIN)/ruff format crm tests migrations wsgi.py worker.py

BENCH_QUICK ?= 1
bench: install
	BENCH_QUICK=$(BENCH_QUICK) $(BIN)/python -m tests.benchmarks.run

clean:
	rm -rf $(VENV) instance .pytest_cache
