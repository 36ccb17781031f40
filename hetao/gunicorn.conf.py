"""gunicorn's settings for `make serve`, from the environment (deploy/production.env).

WEB_CONCURRENCY (gunicorn reads it itself) sets the workers; the rest is here so that the
command line stays one word. Sync workers: each request has its own process and database
connection, and a slow client cannot hold more than one worker for longer than the timeout.
"""

import os

bind = os.environ.get("REGISTRY_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
timeout = int(os.environ.get("REGISTRY_WORKER_TIMEOUT", "30"))
graceful_timeout = 20
# A worker is replaced after this many requests (with jitter, so not all at once): whatever a
# long-lived process accumulates is given back.
max_requests = int(os.environ.get("REGISTRY_WORKER_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10
# Limits on the request line and headers, before Django sees anything.
limit_request_line = 8190
limit_request_fields = 100
# Access log to standard output, errors to standard error: the service manager keeps them.
accesslog = "-"
errorlog = "-"
# The proxy in front is trusted for X-Forwarded-* only when it says so (as Django is told).
forwarded_allow_ips = os.environ.get("REGISTRY_FORWARDED_ALLOW_IPS", "127.0.0.1")
# gunicorn 27's control socket is one path per user (~/.gunicorn/gunicorn.ctl): two servers on
# one machine would take each other's. Nothing here uses it.
control_socket_disable = True
