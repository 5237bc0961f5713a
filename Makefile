# The two commands a fresh clone needs: `make run` and `make test`.
# Everything lives in .venv; nothing is installed outside the project.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed-stamp

.PHONY: run serve test lint format bench install migrate demo clean

$(BIN)/python:
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
serve: migrate
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

## Time the piece page in-process and print median and p95.
bench: demo
	$(BIN)/python manage.py bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles
