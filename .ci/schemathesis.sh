#!/usr/bin/env bash
# Schemathesis against the running API: every check, every operation, twice —
# once as the public and once as a partner with a read+write token. Fails if either run has
# any failure. Run from the repo root after `make test` (which creates .venv):
#     bash .ci/schemathesis.sh
# A fresh SQLite database in a temporary directory (migrate, demo data, demo accounts), served
# by gunicorn as in production (DEBUG off) on a free port, with the throttles lifted so the
# fuzzer meets the API's answers instead of 429s. Logs and JUnit reports: var/schemathesis/.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
PY=$VENV/bin/python
SCHEMATHESIS_VERSION=4.32.5
[[ -x $PY ]] || { echo "FAIL: $VENV is missing; run make test first" >&2; exit 1; }
if [[ ! -x $VENV/bin/schemathesis ]] \
  || [[ $($VENV/bin/schemathesis --version 2>/dev/null) != *" $SCHEMATHESIS_VERSION" ]]; then
  echo "Installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
  $VENV/bin/pip install -q "schemathesis==$SCHEMATHESIS_VERSION"
fi

WORK=$(mktemp -d -t hetao-schemathesis.XXXXXX)
OUT=var/schemathesis
mkdir -p "$OUT"
rm -f "$OUT"/*.log "$OUT"/*.xml
PIDFILE=$WORK/gunicorn.pid

stop_server() {
  if [[ -s $PIDFILE ]]; then
    local pid
    pid=$(cat "$PIDFILE")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -rf "$WORK"
}
trap stop_server EXIT

# Production-like settings: DEBUG off, a throwaway secret, only the loopback host.
export DJANGO_SETTINGS_MODULE=hetao.settings
export DJANGO_DEBUG=0
DJANGO_SECRET_KEY=$($PY -c 'import secrets; print(secrets.token_urlsafe(50))')
export DJANGO_SECRET_KEY
export DJANGO_ALLOWED_HOSTS=127.0.0.1
export DATABASE_URL="sqlite:///$WORK/registry.sqlite3" # $WORK is absolute: sqlite:////tmp/…
export REGISTRY_THROTTLE_ANONYMOUS=100000/minute
export REGISTRY_THROTTLE_TOKEN=100000/minute

echo "== schemathesis: a fresh registry in $WORK"
$PY manage.py compile_translations >/dev/null
$PY manage.py migrate --noinput >"$OUT/setup.log"
$PY manage.py load_demo_data >>"$OUT/setup.log"
# Creates demo-partner (a partner of City University of Hong Kong); its printed credentials
# are for this throwaway database only and are not shown.
$PY manage.py setup_demo_accounts >/dev/null
TOKEN=$($PY manage.py issue_token --user demo-partner --scopes read,write --name schemathesis)

PORT=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT
$VENV/bin/gunicorn hetao.wsgi -b "127.0.0.1:$PORT" -w 2 --limit-request-line 0 \
  --daemon --pid "$PIDFILE" --capture-output --error-logfile "$OUT/gunicorn.log" \
  --access-logfile "$OUT/access.log"
for _ in $(seq 1 60); do
  curl -fsS -o /dev/null "$BASE/healthz" 2>/dev/null && break
  sleep 0.5
done
curl -fsS "$BASE/healthz" >/dev/null || {
  echo "FAIL: gunicorn did not answer on $BASE/healthz" >&2
  tail -n 30 "$OUT/gunicorn.log" >&2 || true
  exit 1
}
echo "gunicorn (pid $(cat "$PIDFILE")) serves $BASE"

# NB: with REST_FRAMEWORK["URL_FORMAT_OVERRIDE"] = None, DRF ignores ?format=json and this URL
# serves YAML (Accept: application/vnd.oai.openapi+json would give JSON); Schemathesis reads
# either, so the run is the same.
SCHEMA="$BASE/api/v1/schema/?format=json"
ROOT=$(pwd)
export ST_AUTHORIZATION
run_schemathesis() { # name, then extra arguments
  local name=$1
  shift
  echo "== schemathesis as $name"
  local rc=0
  # From the temporary directory: Schemathesis and Hypothesis keep their caches
  # (.schemathesis/, .hypothesis/) in the working directory, which must not be the checkout.
  # The hooks give schema-valid cases references that exist and the current ETag (see
  # .ci/schemathesis_hooks.py); the config allows 428 for a missing If-Match.
  (cd "$WORK" && PYTHONPATH="$ROOT/.ci" SCHEMATHESIS_HOOKS=schemathesis_hooks ST_BASE_URL="$BASE" \
    "$ROOT/$VENV/bin/schemathesis" --config-file "$ROOT/.ci/schemathesis.toml" \
    run "$SCHEMA" --checks all \
    --generation-allow-x00 false --max-examples 50 --seed 1 \
    --generation-database none --no-color \
    --report junit --report-junit-path "$ROOT/$OUT/$name.xml" \
    "$@") 2>&1 | tee "$OUT/$name.log" || rc=$?
  return "$rc"
}

summary() { # name: the failures by check and the test-case totals of that run
  local log=$OUT/$1.log
  echo "-- $1"
  sed -n '/^Failures:/,/^$/p' "$log" | sed '/^$/d'
  grep -A1 -E '^Test cases:' "$log" | tail -n 1 | sed 's/^ */Test cases: /'
  grep -E '^=+ .* in [0-9.]+s =+$' "$log" | tail -n 1
}

PUBLIC_RC=0
PARTNER_RC=0
ST_AUTHORIZATION="" run_schemathesis public || PUBLIC_RC=$?
ST_AUTHORIZATION="Bearer $TOKEN" run_schemathesis partner -H "Authorization: Bearer $TOKEN" \
  || PARTNER_RC=$?

echo "== schemathesis totals"
summary public
summary partner
echo "exit codes: public $PUBLIC_RC, partner $PARTNER_RC (logs and JUnit reports in $OUT/)"
if ((PUBLIC_RC != 0 || PARTNER_RC != 0)); then
  echo "FAIL: schemathesis found failures"
  exit 1
fi
echo "== schemathesis passed"
