# Klantbinding: `make run` serves the app with demo data, `make test` runs the whole suite.
# Both set up what they need themselves: the virtualenv, the packages, the translations.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_CUSTOMERS ?= 250
PORT ?= 8000
export PYTHONDONTWRITEBYTECODE := 1
# A laptop or a test run: the development secret key and plain-HTTP settings are allowed
# (without it, settings refuse to start with no DJANGO_SECRET_KEY). Never set on a server.
export KB_DEVELOPMENT ?= 1

.PHONY: test-faults test-queries install run test bench lint format messages makemessages system-packages browser redis-server compose html-checker clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: system-packages $(STAMP)

# gettext compiles the translations; Chromium runs the browser tests (Playwright drives
# Debian's chromium, it cannot download its own browser here). Installed when missing.
system-packages:
	@command -v msgfmt >/dev/null 2>&1 || { \
	  echo "Installing gettext (msgfmt) ..."; \
	  apt-get install -y -qq gettext >/dev/null || sudo apt-get install -y -qq gettext >/dev/null; }

browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing chromium for the browser tests ..."; \
	  apt-get install -y -qq chromium >/dev/null || sudo apt-get install -y -qq chromium >/dev/null; }

# The survey tests start a redis-server of their own on a free port (never a developer's Redis).
redis-server:
	@command -v redis-server >/dev/null 2>&1 || { \
	  echo "Installing redis-server for the survey tests ..."; \
	  apt-get install -y -qq redis-server >/dev/null || sudo apt-get install -y -qq redis-server >/dev/null; }

# The compose test asks Compose itself whether docker-compose.yml is valid (`config`); without a
# Docker engine, Debian's docker-compose still reads and checks the file.
compose:
	@docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null 2>&1 || { \
	  echo "Installing docker-compose for the compose file test ..."; \
	  apt-get install -y -qq docker-compose >/dev/null || sudo apt-get install -y -qq docker-compose >/dev/null; }

# The HTML validity test runs the Nu Html Checker (vnu.jar, from npm's vnu-jar at the version
# package-lock.json pins) on Java. npm's install scripts stay off: the package's own would
# download a Java runtime; Debian's is used instead.
VNU_JAR := node_modules/vnu-jar/build/dist/vnu.jar
$(VNU_JAR): package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
	  echo "Installing npm for the HTML checker ..."; \
	  apt-get install -y -qq npm >/dev/null || sudo apt-get install -y -qq npm >/dev/null; }
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $(VNU_JAR)

html-checker: $(VNU_JAR)
	@command -v java >/dev/null 2>&1 || { \
	  echo "Installing Java for the HTML checker ..."; \
	  apt-get install -y -qq default-jre-headless >/dev/null || sudo apt-get install -y -qq default-jre-headless >/dev/null; }

messages: install
	$(PY) manage.py compilemessages --ignore=.venv --ignore=var -v0

# English is the source language: its catalogue repeats each text. msgmerge's guesses for new
# texts (fuzzy) are emptied, then msgen fills every empty one with its own text.
EN_PO := locale/en/LC_MESSAGES/django.po
makemessages: install
	$(PY) manage.py makemessages -l nl -l en --ignore=.venv --ignore=var --no-obsolete
	msgattrib --clear-fuzzy --empty --no-obsolete $(EN_PO) -o $(EN_PO)
	msgen $(EN_PO) -o $(EN_PO)

# `make run PORT=8001` serves on another port; links in e-mails (SITE_URL) follow it.
run: export SITE_URL = http://127.0.0.1:$(PORT)
run: messages
	mkdir -p var
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py seed_demo --if-empty --customers $(DEMO_CUSTOMERS)
	@echo "Klantbinding runs on $(SITE_URL) with a Celery worker and beat (Ctrl+C stops it)"
	$(PY) manage.py runall --port $(PORT)

# Lint first (ruff and mypy): CI runs `make test`, so the types are checked there too.
test: lint messages browser redis-server compose html-checker
	mkdir -p var
	$(PY) -m pytest

# The fault tests (tests/faults, left out of `make test`): a Celery worker killed with SIGKILL
# or stopped with SIGTERM mid-round, Redis stopped, SMTP answering 421 and 550, two beats. They
# start a redis-server, an SMTP sink and worker and beat processes of their own, which share
# the test database: PostgreSQL (DATABASE_URL, by default the local server's klantbinding).
test-faults: export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/klantbinding
test-faults: messages redis-server
	mkdir -p var
	$(PY) -m pytest tests/faults -m faults -q --durations=10

# The hostile query strings with 300 examples per page and role (the suite tries 25).
test-queries: messages
	KB_QUERY_EXAMPLES=300 $(PY) -m pytest tests/test_hostile_queries.py -q

bench: install redis-server
	$(PY) benchmarks/bench_recompute.py
	$(PY) benchmarks/bench_rule.py
	$(PY) benchmarks/bench_dashboard.py
	$(PY) benchmarks/bench_pages.py
	$(PY) benchmarks/bench_surveys.py
	$(PY) benchmarks/bench_actions.py
	$(PY) benchmarks/bench_relations.py
	$(PY) benchmarks/bench_alerts.py
	$(PY) benchmarks/bench_api.py
	$(PY) benchmarks/bench_chart_pages.py
	$(PY) benchmarks/bench_load.py

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

format: install
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

clean:
	rm -rf $(VENV) var/staticfiles .pytest_cache .ruff_cache .mypy_cache
