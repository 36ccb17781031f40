"""gunicorn's settings for `make serve`, from the environment (deploy/production.env).

REGISTRY_BIND is the address, WEB_CONCURRENCY (gunicorn reads it itself) the number of
workers; anything else gunicorn offers can be given in GUNICORN_CMD_ARGS. Sync workers: each
request has its own process and database connection, and a slow client cannot hold a worker
longer than the timeout.
"""

import os

bind = os.environ.get("REGISTRY_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
timeout = 30
graceful_timeout = 20
# A worker is replaced after about this many requests (with jitter, so not all at once):
# whatever a long-lived process accumulates is given back.
max_requests = 2000
max_requests_jitter = 200
# Limits on the request line and headers, before Django sees anything.
limit_request_line = 8190
limit_request_fields = 100
# Access log to standard output, errors to standard error: the service manager keeps them.
accesslog = "-"
errorlog = "-"
# gunicorn 27's control socket is one path per user (~/.gunicorn/gunicorn.ctl): two servers on
# one machine would take each other's. Nothing here uses it.
control_socket_disable = True
