#!/usr/bin/env bash
# Schemathesis against the running API: every check, every operation, twice —
# once as the public and once as a partner with a read+write token. Fails if either run has
# any failure. Run from the repo root after `make test` (which creates .venv):
#     bash .ci/schemathesis.sh
# A fresh registry served as in production (.ci/live_registry.sh). Logs and JUnit reports:
# var/schemathesis/.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=.ci/live_registry.sh
source .ci/live_registry.sh
SCHEMATHESIS_VERSION=4.32.5
[[ -x $PY ]] || { echo "FAIL: $VENV is missing; run make test first" >&2; exit 1; }
if [[ ! -x $VENV/bin/schemathesis ]] \
  || [[ $($VENV/bin/schemathesis --version 2>/dev/null) != *" $SCHEMATHESIS_VERSION" ]]; then
  echo "Installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
  $VENV/bin/pip install -q "schemathesis==$SCHEMATHESIS_VERSION"
fi

OUT=var/schemathesis
mkdir -p "$OUT"
rm -f "$OUT"/*.log "$OUT"/*.xml
start_registry "$OUT"

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
