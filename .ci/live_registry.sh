# Sourced by .ci/schemathesis.sh and .ci/client.sh: a fresh registry served as in production.
#   start_registry OUT   — a fresh SQLite database in a temporary directory (migrate, demo
#                          data, demo accounts), served by gunicorn (DEBUG off) on a free port,
#                          with the throttles lifted so that tests meet the API's answers and
#                          not 429s; sets WORK, BASE and TOKEN (a read+write token of
#                          demo-partner, a partner of City University of Hong Kong); logs in OUT.
#   stop_registry        — stops the server and removes WORK (start_registry traps EXIT).
VENV=.venv
PY=$VENV/bin/python

stop_registry() {
  if [[ -n ${WORK:-} && -s $WORK/gunicorn.pid ]]; then
    local pid
    pid=$(cat "$WORK/gunicorn.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  [[ -n ${WORK:-} ]] && rm -rf "$WORK"
}

start_registry() {
  local out=$1
  [[ -x $PY ]] || { echo "FAIL: $VENV is missing; run make test first" >&2; exit 1; }
  WORK=$(mktemp -d -t hetao-live.XXXXXX)
  trap stop_registry EXIT
  mkdir -p "$out"
  # Production-like settings: DEBUG off, a throwaway secret, only the loopback host.
  export DJANGO_SETTINGS_MODULE=hetao.settings
  export DJANGO_DEBUG=0
  DJANGO_SECRET_KEY=$($PY -c 'import secrets; print(secrets.token_urlsafe(50))')
  export DJANGO_SECRET_KEY
  export DJANGO_ALLOWED_HOSTS=127.0.0.1
  export DATABASE_URL="sqlite:///$WORK/registry.sqlite3" # $WORK is absolute: sqlite:////tmp/…
  export REGISTRY_THROTTLE_ANONYMOUS=100000/minute
  export REGISTRY_THROTTLE_TOKEN=100000/minute
  # schemathesis sends malformed and unknown tokens on purpose: many more than a real client.
  export REGISTRY_THROTTLE_BAD_TOKENS=100000/minute
  export REGISTRY_CACHE_DIR="$WORK/cache" # throttle counters of this throwaway registry only

  echo "== a fresh registry in $WORK"
  $PY manage.py compile_translations >/dev/null
  $PY manage.py migrate --noinput >"$out/setup.log"
  $PY manage.py load_demo_data >>"$out/setup.log"
  # Its printed credentials are for this throwaway database only and are not shown.
  $PY manage.py setup_demo_accounts >/dev/null
  TOKEN=$($PY manage.py issue_token --user demo-partner --scopes read,write --name ci)

  local port
  port=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  BASE=http://127.0.0.1:$port
  $VENV/bin/gunicorn hetao.wsgi -b "127.0.0.1:$port" -w 2 --limit-request-line 0 \
    --daemon --pid "$WORK/gunicorn.pid" --capture-output --error-logfile "$out/gunicorn.log" \
    --access-logfile "$out/access.log"
  for _ in $(seq 1 60); do
    curl -fsS -o /dev/null "$BASE/healthz" 2>/dev/null && break
    sleep 0.5
  done
  curl -fsS "$BASE/healthz" >/dev/null || {
    echo "FAIL: gunicorn did not answer on $BASE/healthz" >&2
    tail -n 30 "$out/gunicorn.log" >&2 || true
    exit 1
  }
  echo "gunicorn (pid $(cat "$WORK/gunicorn.pid")) serves $BASE"
}
