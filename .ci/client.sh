#!/usr/bin/env bash
# A partner's generated client, in CI: openapi-python-client (pinned) generates
# hetao_registry_client from the schema a running registry serves; the generation must print
# no warning and write at most 150 model files; then clients/python/smoke.py drives that
# client against the same server (reads, writes, conditional writes, a change request, the
# change feed replayed). The generator has a virtualenv of its own (var/openapi-client/venv):
# its dependencies (httpx, attrs) are the generated client's, not the registry's.
#     bash .ci/client.sh        (after make test, which creates .venv)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=.ci/live_registry.sh
source .ci/live_registry.sh

GENERATOR_VERSION=0.29.1
MAX_MODELS=150
OUT=var/openapi-client
GEN_VENV=$OUT/venv
mkdir -p "$OUT"
if [[ ! -x $GEN_VENV/bin/openapi-python-client ]] \
  || [[ $($GEN_VENV/bin/openapi-python-client --version) != *" $GENERATOR_VERSION" ]]; then
  echo "Installing openapi-python-client $GENERATOR_VERSION into $GEN_VENV"
  python3 -m venv "$GEN_VENV"
  "$GEN_VENV/bin/pip" install -q "openapi-python-client==$GENERATOR_VERSION" "ruff==0.17.6"
fi

start_registry "$OUT"
curl -fsS -H "Accept: application/vnd.oai.openapi+json" "$BASE/api/v1/schema/" \
  -o "$WORK/schema.json"
CLIENT=$WORK/hetao_registry_client
echo "== openapi-python-client $GENERATOR_VERSION generate"
# The generator formats its output with ruff, which it finds on PATH.
PATH="$(pwd)/$GEN_VENV/bin:$PATH" "$GEN_VENV/bin/openapi-python-client" generate \
  --path "$WORK/schema.json" --meta none --output-path "$CLIENT" 2>&1 | tee "$OUT/generate.log"
WARNINGS=$(grep -cvE '^(Generating .*)?$' "$OUT/generate.log" || true)
MODELS=$(find "$CLIENT/models" -name '*.py' ! -name '__init__.py' | wc -l)
echo "generated client: $MODELS model files, $WARNINGS lines of warnings"
((WARNINGS == 0)) || { echo "FAIL: the generator warned (above)"; exit 1; }
((MODELS <= MAX_MODELS)) || { echo "FAIL: more than $MAX_MODELS model files"; exit 1; }

echo "== clients/python/smoke.py against $BASE"
PYTHONPATH="$WORK" "$GEN_VENV/bin/python" clients/python/smoke.py --base-url "$BASE" \
  --token "$TOKEN" | tee "$OUT/smoke.log"
echo "== generated client passed"
