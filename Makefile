# medsite: `make run` starts the site, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run install migrate content demo-accounts test test-fast lint format migrations-check bench bench-content bench-http soak backup restore serve collectstatic clean chromium wrk nginx

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

migrate: install
	$(PY) manage.py migrate --noinput

## Import the seed content; fill the stored page parts of anything published before they
## were stored (a database from an older version; one query when there is nothing to do).
content: migrate
	$(PY) manage.py import_monographs content/
	$(PY) manage.py rebuild_published --missing

demo-accounts: migrate
	$(PY) manage.py create_demo_accounts

## Development server on http://127.0.0.1:8000 (SQLite unless DATABASE_URL is set).
run: content demo-accounts
	@echo "Serving on http://$(HOST):$(PORT)/  (admin: http://$(HOST):$(PORT)/admin/)"
	$(PY) manage.py runserver $(HOST):$(PORT)

## Debian's Chromium for the browser tests (installed when missing and we are root).
chromium:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null \
	      || echo "Could not install chromium: the browser tests will be skipped."; \
	  else \
	    echo "chromium is not installed (apt-get install chromium): the browser tests will be skipped."; \
	  fi; \
	fi

migrations-check: install
	$(PY) manage.py makemigrations --check --dry-run

## The whole suite: migrations check, then pytest (browser tests included).
test: install chromium nginx migrations-check
	$(PY) -m pytest $(PYTEST_ARGS)

## Everything but the real-browser tests.
test-fast: install migrations-check
	$(PY) -m pytest -m "not browser" $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install
	$(PY) tests/benchmarks/run.py

## Debian packages the HTTP benchmark, the soak and the deploy test use (installed when
## missing and we are root, like chromium).
wrk nginx:
	@if ! command -v $@ >/dev/null 2>&1 && ! test -x /usr/sbin/$@; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $@) >/dev/null \
	      || echo "Could not install $@."; \
	  else \
	    echo "$@ is not installed (apt-get install $@)."; \
	  fi; \
	fi

## The public pages over HTTP at 10,000 monographs, each against a bare Django view
## (PostgreSQL, Redis, gunicorn -w 2, wrk): see docs/performance.md for the variables.
bench-http: install wrk
	$(PY) tests/benchmarks/bench_http.py

## Readers and publishers against nginx + two app servers + a Redis of its own, while Redis
## is frozen, killed and restored from an old snapshot (SOAK_SECONDS, default 180).
soak: install nginx
	$(PY) tests/benchmarks/soak.py

## Back up the database (pg_dump -Fc, or a SQLite copy) and MEDIA_ROOT with a manifest,
## into backups/medsite-<time>/ (BACKUP_DIR=... elsewhere).
BACKUP_DIR ?= backups
backup: install
	$(PY) manage.py backup --output-dir $(BACKUP_DIR)

## Restore a backup folder into an EMPTY database (DATABASE_URL) and MEDIA_ROOT.
restore: install
	@test -n "$(BACKUP)" || { echo "usage: make restore BACKUP=backups/medsite-<time>"; exit 2; }
	$(PY) manage.py restore $(BACKUP)

## Worst-case cost of rendering and diffing one section at the size limit (docs/performance.md).
bench-content: install
	$(PY) tests/benchmarks/content_costs.py

collectstatic: install
	$(PY) manage.py collectstatic --noinput

## Production-style: gunicorn + whitenoise. Needs DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS.
## Several workers are safe on the local-memory cache (no REDIS_URL): each worker learns
## from the database which page versions are current (monographs/caching.py polls them
## every MEDSITE_VERSION_POLL_SECONDS), so no worker serves a page older than that after a
## publication. The request log (medsite/request_log.py) replaces gunicorn's access log.
SERVE_WORKERS ?= 3
serve: install
	DJANGO_DEBUG=0 $(PY) manage.py collectstatic --noinput
	DJANGO_DEBUG=0 $(PY) manage.py migrate --noinput
	DJANGO_DEBUG=0 $(PY) manage.py rebuild_published --missing
	DJANGO_DEBUG=0 $(VENV)/bin/gunicorn medsite.wsgi --bind $(HOST):$(PORT) --workers $(SERVE_WORKERS)

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
