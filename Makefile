# The two commands a fresh clone needs: `make run` and `make test`.
# Everything lives in .venv; nothing is installed outside the project.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed-stamp

.PHONY: run serve test lint format bench bench-faults bench-tools profile install migrate demo clean

# Say what is missing rather than fail half-way: an old Python, or Debian's and Ubuntu's
# python3 without its venv part (they ship ensurepip separately).
$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null || { \
	  echo "Climb needs Python 3.10 or newer; $(PYTHON) is: $$($(PYTHON) -V 2>&1)." \
	    "Run with PYTHON=python3.12 (or another 3.10+) make ..."; exit 1; }
	@$(PYTHON) -c 'import ensurepip' 2>/dev/null || { \
	  echo "$(PYTHON) cannot create a virtual environment (no ensurepip)." \
	    "On Debian or Ubuntu: sudo apt install python3-venv"; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the dependency list changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,postgres]'
	touch $@

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py load_demo

## Serve the site with the demo climb on http://127.0.0.1:$(PORT)/ (127.0.0.1 only).
run: demo
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

## The production server: static files collected, gunicorn with gunicorn.conf.py.
## Set DJANGO_DEBUG=0, DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS (see the README).
## First gunicorn.conf.py's own checks, run as a script: a refusal (DJANGO_DEBUG on, a
## mistyped value) comes before migrate touches the database.
serve: install
	@$(BIN)/python gunicorn.conf.py
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	PORT=$(PORT) $(BIN)/gunicorn -c gunicorn.conf.py

## The whole suite: lint, then the tests.
test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## The production benchmark (tests/perf/bench_run.py): gunicorn on 127.0.0.1 with SQLite and
## PostgreSQL under wrk and locust, the team dashboard and search at scale, Lighthouse, then
## the fault drills. Prints the table and writes docs/bench-latest.md. Takes ~15 minutes.
bench: install bench-tools
	$(BIN)/python tests/perf/bench_run.py

## Only the fault drills under load: restarts PostgreSQL, kills a gunicorn worker.
bench-faults: install bench-tools
	$(BIN)/python tests/perf/bench_faults.py

## CPU per request in-process (anonymous page, learner page, answer post), no server:
## a quick, steady figure; PROFILE=page|learner|answer adds a cProfile listing.
profile: install
	$(BIN)/python tests/perf/profile_requests.py $(if $(PROFILE),--profile $(PROFILE))

# Bench-only tools, not test dependencies: locust in .venv, Debian's wrk (we are root).
# Lighthouse runs through npx with Debian's Chromium; without them it is skipped.
bench-tools:
	@$(BIN)/python -c "import locust" 2>/dev/null || $(BIN)/python -m pip install --quiet locust
	@command -v wrk >/dev/null || (apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null)
	@test -x /usr/bin/chromium || echo "bench: no /usr/bin/chromium: Lighthouse will be skipped"
	@command -v npx >/dev/null || echo "bench: no npx: Lighthouse will be skipped"

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles staticfiles.collected
