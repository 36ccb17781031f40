#!/usr/bin/env bash
# CI step: load `make serve` for LOAD_SECONDS (default 10) at concurrency 16 with
# `manage.py loadtest` (lists, details, searches, If-Match PATCHes), on SQLite and on
# PostgreSQL at the same time, each a fresh database with the demo data. Fails on any 5xx, any lost update, or
# history rows that differ from the 2xx writes. Logs in var/ci/load-*.log.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
LOGS=var/ci
mkdir -p "$LOGS"

free_port() {
  $PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

load() { # name DATABASE_URL
  local name=$1 url=$2 work port token server status=0
  work=$(mktemp -d -t hetao-load.XXXXXX)
  port=$(free_port)
  cat >"$work/env" <<ENV
DJANGO_SECRET_KEY=$($PY -c 'import secrets; print(secrets.token_urlsafe(50))')
DJANGO_ALLOWED_HOSTS=127.0.0.1
DJANGO_SECURE_COOKIES=0
DATABASE_URL=$url
DJANGO_STATIC_ROOT=$work/static
REGISTRY_BIND=127.0.0.1:$port
WEB_CONCURRENCY=2
REGISTRY_THROTTLE_ANONYMOUS=1000000/minute
REGISTRY_THROTTLE_TOKEN=1000000/minute
REGISTRY_CACHE_DIR=$work/cache
ENV
  echo "== load on $name: make serve on 127.0.0.1:$port"
  (
    set -a && . "$work/env" && set +a
    $PY manage.py migrate -v0
    $PY manage.py load_demo_data >/dev/null
    $PY manage.py setup_demo_accounts >/dev/null # its credentials are for this database only
  )
  token=$(set -a && . "$work/env" && set +a &&
    $PY manage.py issue_token --user demo-partner --scopes read,write --name load)
  setsid make serve ENV_FILE="$work/env" >"$LOGS/load-$name-server.log" 2>&1 &
  server=$!
  for _ in $(seq 1 120); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null && break
    sleep 0.5
  done
  (set -a && . "$work/env" && set +a &&
    $PY manage.py loadtest --url "http://127.0.0.1:$port" --token "$token" \
      --seconds "${LOAD_SECONDS:-10}" --concurrency 16) 2>&1 | tee "$LOGS/load-$name.log" ||
    status=1
  kill -- -"$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$work"
  if grep -q "Internal Server Error" "$LOGS/load-$name-server.log"; then
    echo "FAIL: the server logged a 500 under load on $name" >&2
    status=1
  fi
  return $status
}

psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS registry_load" >/dev/null 2>&1
psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE registry_load" >/dev/null
# Both at once (CI's time is bounded): each server has its own workers and database, and the
# load's checks do not depend on the machine being idle, only its latencies do.
load sqlite "sqlite:///$(mktemp -d -t hetao-load-db.XXXXXX)/registry.sqlite3" \
  >"$LOGS/load-sqlite-run.log" 2>&1 &
on_sqlite=$!
load postgresql postgres://postgres@127.0.0.1:5432/registry_load \
  >"$LOGS/load-postgresql-run.log" 2>&1 &
on_postgresql=$!
status=0
wait "$on_sqlite" || status=1
wait "$on_postgresql" || status=1
cat "$LOGS/load-sqlite-run.log" "$LOGS/load-postgresql-run.log"
psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS registry_load" >/dev/null 2>&1
if ((status)); then
  echo "FAIL: the load found 5xx, lost updates or history rows without writes (above)" >&2
  exit 1
fi
echo "== load passed on SQLite and PostgreSQL"
