"""The database restarts under a stream of writes: a registry served by gunicorn on a
PostgreSQL cluster of this test's own (another port) answers 503 with Retry-After while the
cluster is down — never a 500 — and serves again by itself once it is back, and no write is
lost or half-made: every 2xx write has its history row and no history row lacks its write
(``manage.py loadtest --outage`` checks both against the database)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import require_postgres

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path("/usr/lib/postgresql/15/bin")
LOAD_SECONDS = 15
DOWN_AT, DOWN_FOR = 6, 3  # seconds into the load; how long the cluster stays stopped


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def as_postgres(*command: str) -> list[str]:
    """PostgreSQL's tools refuse to run as root: as root, run them as the postgres user."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)


class Cluster:
    def __init__(self, folder: Path) -> None:
        self.data, self.port = folder / "data", free_port()
        self.socket_dir = folder

    def ctl(self, *args: str) -> None:
        options = f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        command = [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-w", *args]
        subprocess.run(
            as_postgres(*command, "-l", str(self.socket_dir / "postgres.log")),
            check=True,
            capture_output=True,
            timeout=60,
        )

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/registry"


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    require_postgres()  # runs in the suite's PostgreSQL pass, where CI makes it mandatory
    if not (PG_BIN / "initdb").exists():
        pytest.fail(f"PostgreSQL 15's server binaries are not in {PG_BIN}")
    folder = Path(tempfile.mkdtemp(prefix="hetao-restart-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    cluster = Cluster(folder)
    subprocess.run(
        as_postgres(
            str(PG_BIN / "initdb"), "-D", str(cluster.data), "-A", "trust", "-U", "postgres"
        ),
        check=True,
        capture_output=True,
        timeout=120,
    )
    cluster.ctl("start")
    subprocess.run(
        ["createdb", "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres", "registry"],
        check=True,
        timeout=60,
    )
    try:
        yield cluster
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            cluster.ctl("stop", "-m", "immediate")
        shutil.rmtree(folder, ignore_errors=True)


def get(url: str) -> tuple[int, str, str]:
    """(status, content type, body) of a GET, errors included."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read().decode()


def test_a_database_restart_under_writes_gives_503s_not_500s_and_loses_nothing(cluster, tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": cluster.url,
        "DJANGO_SETTINGS_MODULE": "hetao.settings",
        "DJANGO_SECRET_KEY": "restart-test-" + "x" * 40,
        "DJANGO_DEBUG": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_COOKIES": "0",
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
        "REGISTRY_THROTTLE_ANONYMOUS": "1000000/minute",
        "REGISTRY_THROTTLE_TOKEN": "1000000/minute",
        "REGISTRY_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
    }
    env.pop("REDIS_URL", None)

    def manage(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        return done.stdout

    for step in (("migrate", "-v0"), ("collectstatic", "--noinput", "-v0"), ("load_demo_data",)):
        manage(*step)
    accounts = manage("setup_demo_accounts")
    token = next(line.split()[-1] for line in accounts.splitlines() if "API token" in line)

    server_log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "hetao.wsgi",
            "--config",
            "hetao/gunicorn.conf.py",
        ],
        cwd=ROOT,
        env=env,
        stdout=server_log,
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(100):
            try:
                if get(base + "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        load = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "loadtest",
                "--url",
                base,
                "--token",
                token,
                "--seconds",
                str(LOAD_SECONDS),
                "--concurrency",
                "6",
                "--outage",
                "--json",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        time.sleep(DOWN_AT)
        cluster.ctl("stop", "-m", "fast")
        during = {path: get(base + path) for path in ("/healthz", "/api/v1/projects/", "/en/")}
        time.sleep(DOWN_FOR)
        cluster.ctl("start")
        back_after = time.monotonic()
        while get(base + "/healthz")[0] != 200:
            assert time.monotonic() - back_after < 10, "the registry did not come back by itself"
            time.sleep(0.1)
        output, _ = load.communicate(timeout=LOAD_SECONDS + 120)
    finally:
        server.terminate()
        server.wait(timeout=30)
        server_log.close()

    print(output)  # the load test's summary, for -rP
    report = json.loads(output.strip().splitlines()[-1])
    log = (tmp_path / "gunicorn.log").read_text()
    assert report["failures"] == [], output
    assert report["server_errors"] == 0 and "500" not in report["statuses"], output
    assert report["unavailable"] > 0, "the load never met the outage"
    assert report["lost_updates"] == 0 and report["history_minus_writes"] == 0, output
    assert report["writes"] > 0, output
    # Django logs each 503 with its cause ("Service Unavailable: /en/"); a 500 would read so.
    assert "Internal Server Error" not in log, log[-3000:]
    assert "Service Unavailable" in log

    status, content_type, body = during["/healthz"]
    assert status == 503 and json.loads(body)["checks"]["database"] == "OperationalError"
    status, content_type, body = during["/api/v1/projects/"]
    assert status == 503 and content_type.startswith("application/problem+json"), body
    status, content_type, body = during["/en/"]
    assert status == 503 and content_type.startswith("text/html"), body
