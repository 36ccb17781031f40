# The two commands a newcomer needs: `make run` and `make test`. Both set everything up.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
DEV_ENV := DJANGO_DEBUG=1 DJANGO_SECRET_KEY="$$(cat var/secret_key)"

.PHONY: install messages run serve test test-postgres bench bench-scale lint format migrations clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is needed"'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=25.1"
	$(PY) -m pip install --quiet --group test
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

# A per-checkout secret for the development server, never committed (var/ is ignored).
var/secret_key:
	mkdir -p var
	umask 077 && $(PY) -c 'import secrets; print(secrets.token_urlsafe(50))' > $@

# Translations: .po files are in the repo, .mo files are compiled here (polib; no gettext needed).
messages: install
	DJANGO_SECRET_KEY=build $(PY) manage.py compile_translations

## make run: the registry on SQLite with the demo data, at http://127.0.0.1:8000/
run: install var/secret_key messages
	$(DEV_ENV) $(PY) manage.py migrate --noinput
	$(DEV_ENV) $(PY) manage.py load_demo_data
	$(DEV_ENV) $(PY) manage.py setup_demo_accounts
	$(DEV_ENV) $(PY) manage.py runserver 127.0.0.1:8000

## make serve: production: static files collected, migrations run, then gunicorn (workers from
## WEB_CONCURRENCY) serving the app and, through whitenoise, its static files. Settings come
## from the environment, or from ENV_FILE (see deploy/production.env and README.md).
ENV_FILE ?=
serve: install messages
	@set -a && if [ -n "$(ENV_FILE)" ]; then . "$(ENV_FILE)"; fi && set +a && \
		$(PY) manage.py check --deploy && \
		$(PY) manage.py collectstatic --noinput -v0 && \
		$(PY) manage.py migrate --noinput && \
		exec $(VENV)/bin/gunicorn hetao.wsgi --config hetao/gunicorn.conf.py

## make test: the whole suite on SQLite (PostgreSQL/Chromium tests skip with a reason)
test: install messages
	$(PY) -m pytest

## make test-postgres: the whole suite on the local PostgreSQL (see README)
test-postgres: install messages
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/registry} \
		REGISTRY_REQUIRE=postgres $(PY) -m pytest

## make bench: performance as ratios measured in one run; the last line is one JSON object.
## SQLite by default (a fresh file, 1,000 synthetic projects); DATABASE_URL=postgres://… for
## PostgreSQL. wrk (Debian's) times throughput under gunicorn; without it that part is skipped.
BENCH_ENV := DJANGO_SECRET_KEY=bench DJANGO_ALLOWED_HOSTS=127.0.0.1 \
	REGISTRY_THROTTLE_ANONYMOUS=1000000/minute
BENCH_DB ?= sqlite:///var/bench.sqlite3
bench: install messages
	mkdir -p var && if [ -z "$$DATABASE_URL" ]; then rm -f var/bench.sqlite3; fi
	$(BENCH_ENV) DATABASE_URL=$${DATABASE_URL:-$(BENCH_DB)} $(PY) manage.py migrate -v0
	$(BENCH_ENV) DATABASE_URL=$${DATABASE_URL:-$(BENCH_DB)} $(PY) manage.py collectstatic --noinput -v0
	$(BENCH_ENV) DATABASE_URL=$${DATABASE_URL:-$(BENCH_DB)} $(PY) manage.py bench

## make bench-scale: a million synthetic projects in PostgreSQL (loaded once, ~6 minutes), the
## same measures, p50/p95 and EXPLAIN ANALYZE of every filter and ordering of every list
## (fails when one reads more than 10,000 rows of a table sequentially)
SCALE_DB ?= postgres://postgres@127.0.0.1:5432/registry_scale
bench-scale: install messages
	psql "$(SCALE_DB)" -c "SELECT 1" >/dev/null 2>&1 || createdb -h 127.0.0.1 -U postgres registry_scale
	$(BENCH_ENV) DATABASE_URL=$(SCALE_DB) $(PY) manage.py migrate -v0
	$(BENCH_ENV) DATABASE_URL=$(SCALE_DB) $(PY) manage.py collectstatic --noinput -v0
	$(BENCH_ENV) DATABASE_URL=$(SCALE_DB) $(PY) manage.py bench --projects 1000000 --scale

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

migrations: install
	DJANGO_SECRET_KEY=check $(PY) manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-shm db.sqlite3-wal .pytest_cache .ruff_cache
