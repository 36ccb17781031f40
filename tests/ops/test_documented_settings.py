"""Every setting the README documents works: the registry is started with `make serve` twice,
as a production site (PostgreSQL, Redis, behind an HTTPS proxy) and as a development one
(SQLite, debug), with every variable of the README's table, and each variable's effect is
checked through the faces — or, where no face shows it, in the settings the server runs on.
A variable the README documents and this test does not exercise fails it, and so does one
missing from deploy/production.env."""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require, require_postgres

ROOT = Path(__file__).resolve().parents[2]
HOST = "registry.test"
REDIS_DB = 13


def documented() -> set[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1])}


def production_env() -> set[str]:
    text = (ROOT / "deploy" / "production.env").read_text(encoding="utf-8")
    return {line.split("=", 1)[0] for line in text.splitlines() if re.match(r"^[A-Z_]+=", line)}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Site:
    """A registry started with `make serve ENV_FILE=…`, and requests to it."""

    def __init__(self, env: dict[str, str], folder: Path) -> None:
        self.env, self.port = env, int(env["REGISTRY_BIND"].rsplit(":", 1)[1])
        env_file = folder / "site.env"
        env_file.write_text("".join(f"{key}={value}\n" for key, value in env.items()))
        self.environ = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DJANGO_", "REGISTRY_", "DATABASE_", "REDIS_"))
        }
        self.environ["DJANGO_SETTINGS_MODULE"] = "hetao.settings"
        self.manage("migrate", "-v0")
        self.log = (folder / "serve.log").open("w")
        self.process = subprocess.Popen(
            ["make", "serve", f"ENV_FILE={env_file}"],
            cwd=ROOT,
            env=self.environ,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for _ in range(240):
            try:
                if self.get("/healthz", proto="https")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.25)
        self.stop()
        raise AssertionError((folder / "serve.log").read_text()[-3000:])

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env={**self.environ, **self.env},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        return done.stdout

    def setting(self, expression: str) -> Any:
        """A value of the settings the server runs on (the same environment, a new process)."""
        code = (
            f"import json; from django.conf import settings as s; print(json.dumps({expression}))"
        )
        return json.loads(self.manage("shell", "-c", code).strip().splitlines()[-1])

    def get(
        self, path: str, *, host: str = HOST, proto: str = "", method: str = "GET", **headers: str
    ) -> tuple[int, dict[str, str], bytes, list[str]]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        sent = {"Host": host, **{k.replace("_", "-"): v for k, v in headers.items()}}
        if proto:
            sent["X-Forwarded-Proto"] = proto
        body = sent.pop("body", None)
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        cookies = response.headers.get_all("Set-Cookie") or []
        answer = (response.status, dict(response.headers), response.read(), cookies)
        connection.close()
        return answer

    def workers(self) -> int:
        """gunicorn's worker processes (its master's children)."""
        found = subprocess.run(
            ["pgrep", "-g", str(os.getpgid(self.process.pid)), "-f", "gunicorn hetao.wsgi"],
            capture_output=True,
            text=True,
        ).stdout.split()
        return len(found) - 1  # the master too

    def stop(self) -> None:
        os.killpg(os.getpgid(self.process.pid), signal.SIGTERM)
        self.process.wait(timeout=30)
        self.log.close()


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("documented-settings")


@pytest.fixture(scope="module")
def production(folder: Path) -> Iterator[Site]:
    require_postgres()
    import redis

    try:
        redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB).flushdb()
        available = True
    except redis.RedisError:
        available = False
    require("redis", available, "needs Redis at 127.0.0.1:6379")
    database = f"hetao_settings_{os.getpid()}"
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", database], check=True)
    env = {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_DEBUG": "0",
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DJANGO_LOG_LEVEL": "WARNING",
        "DJANGO_ADMIN_PATH": "curators/",
        "DJANGO_STATIC_ROOT": str(folder / "static"),
        "DJANGO_BEHIND_HTTPS_PROXY": "1",
        "DJANGO_SECURE_SSL_REDIRECT": "1",
        "DJANGO_SECURE_COOKIES": "1",
        "DJANGO_SECURE_HSTS_SECONDS": "31536000",
        "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
        "DJANGO_SECURE_HSTS_PRELOAD": "1",
        "REGISTRY_TRUSTED_PROXIES": "1",
        "REGISTRY_BIND": f"127.0.0.1:{free_port()}",
        "WEB_CONCURRENCY": "3",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
        "DATABASE_CONN_MAX_AGE": "30",
        "REGISTRY_PG_PARALLEL_WORKERS": "1",
        "REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
        "REGISTRY_THROTTLE_ANONYMOUS": "4/minute",
        "REGISTRY_THROTTLE_TOKEN": "3/minute",
        "REGISTRY_THROTTLE_BAD_TOKENS": "2/minute",
        "REGISTRY_LOGIN_FAILURE_LIMIT": "2",
        "REGISTRY_LOGIN_COOLOFF_MINUTES": "3",
        "REGISTRY_UPLOAD_MAX_BYTES": "1234567",
        "REGISTRY_UPLOAD_MAX_UNZIPPED_BYTES": "7654321",
        "REGISTRY_IMPORT_MAX_ROWS": "77",
        "REGISTRY_FOUR_EYES": "0",
        "REGISTRY_DUMP_DIR": str(folder / "dumps"),
    }
    site = Site(env, folder)
    try:
        yield site
    finally:
        site.stop()
        subprocess.run(
            ["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", database], check=False
        )
        redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB).flushdb()


@pytest.fixture(scope="module")
def development(folder: Path, production: Site) -> Iterator[Site]:
    env = {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_DEBUG": "1",
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DJANGO_STATIC_ROOT": str(folder / "static-dev"),
        "REGISTRY_BIND": f"127.0.0.1:{free_port()}",
        "WEB_CONCURRENCY": "1",
        "DATABASE_URL": f"sqlite:///{folder / 'dev.sqlite3'}",
        "REGISTRY_SQLITE_TIMEOUT": "2",
        "REGISTRY_CACHE_DIR": str(folder / "cache"),
    }
    (folder / "dev").mkdir()
    site = Site(env, folder / "dev")
    try:
        yield site
    finally:
        site.stop()


# What each documented variable's check is named after; a variable without one fails the test.
CHECKS = {
    "DJANGO_DEBUG": "debug",
    "DJANGO_SECRET_KEY": "secret",
    "DJANGO_ALLOWED_HOSTS": "hosts",
    "DJANGO_LOG_LEVEL": "settings",
    "DJANGO_ADMIN_PATH": "admin",
    "DJANGO_STATIC_ROOT": "static",
    "DJANGO_BEHIND_HTTPS_PROXY": "https",
    "DJANGO_SECURE_SSL_REDIRECT": "https",
    "DJANGO_SECURE_COOKIES": "admin",
    "DJANGO_SECURE_HSTS_SECONDS": "https",
    "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS": "https",
    "DJANGO_SECURE_HSTS_PRELOAD": "https",
    "REGISTRY_TRUSTED_PROXIES": "throttles",
    "REGISTRY_BIND": "workers",
    "WEB_CONCURRENCY": "workers",
    "DATABASE_URL": "databases",
    "DATABASE_CONN_MAX_AGE": "settings",
    "REGISTRY_SQLITE_TIMEOUT": "databases",
    "REGISTRY_PG_PARALLEL_WORKERS": "databases",
    "REDIS_URL": "throttles",
    "REGISTRY_CACHE_DIR": "debug",
    "REGISTRY_THROTTLE_ANONYMOUS": "throttles",
    "REGISTRY_THROTTLE_TOKEN": "throttles",
    "REGISTRY_THROTTLE_BAD_TOKENS": "throttles",
    "REGISTRY_LOGIN_FAILURE_LIMIT": "sign_in",
    "REGISTRY_LOGIN_COOLOFF_MINUTES": "settings",
    "REGISTRY_UPLOAD_MAX_BYTES": "settings",
    "REGISTRY_UPLOAD_MAX_UNZIPPED_BYTES": "settings",
    "REGISTRY_IMPORT_MAX_ROWS": "settings",
    "REGISTRY_FOUR_EYES": "settings",
    "REGISTRY_DUMP_DIR": "dumps",
}


def test_every_documented_variable_is_exercised_here_and_listed_in_production_env():
    assert documented() == set(CHECKS)
    assert production_env() == set(CHECKS)


def test_hosts_other_than_the_allowed_ones_are_refused(production):
    assert production.get("/en/", proto="https")[0] == 200
    assert production.get("/en/", host="elsewhere.test", proto="https")[0] == 400


def test_behind_the_https_proxy_plain_http_is_redirected_and_https_gets_hsts(production):
    status, headers, _body, _ = production.get("/en/")
    assert status == 301 and headers["Location"] == f"https://{HOST}/en/"
    status, headers, _body, _ = production.get("/en/", proto="https")
    assert status == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert production.get("/healthz")[0] == 200  # the load balancer's plain HTTP check


def test_the_admin_lives_at_its_path_and_its_cookies_are_secure(production):
    assert production.get("/admin/login/", proto="https")[0] == 404
    status, _headers, _body, cookies = production.get("/curators/login/", proto="https")
    assert status == 200
    assert any(c.startswith("csrftoken=") and "Secure" in c for c in cookies), cookies


def test_static_files_are_collected_where_told_and_served(production, folder):
    _status, _headers, page, _ = production.get("/en/", proto="https")
    stylesheet = re.search(rb'href="(/static/registry/public\.[0-9a-f]+\.css)"', page).group(1)
    assert production.get(stylesheet.decode(), proto="https")[0] == 200
    assert list((folder / "static" / "registry").glob("public.*.css"))


def test_workers_and_address_are_gunicorn_s(production, development):
    assert production.workers() == 3
    assert development.workers() == 1


def test_the_database_is_the_one_named(production, development):
    assert production.setting("s.DATABASES['default']['ENGINE']").endswith("postgresql")
    tables = subprocess.run(
        ["psql", production.env["DATABASE_URL"], "-tAc", "SELECT count(*) FROM django_migrations"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert int(tables) > 10
    assert production.setting("s.DATABASES['default']['OPTIONS']['options']") == (
        "-c max_parallel_workers_per_gather=1"
    )
    assert development.setting("s.DATABASES['default']['OPTIONS']['timeout']") == 2
    assert Path(development.env["DATABASE_URL"].removeprefix("sqlite:///")).exists()


def test_throttles_count_per_client_address_and_token_in_redis(production):
    import redis

    def api(forwarded_for: str, **headers: str) -> int:
        return production.get(
            "/api/v1/organisations/", proto="https", X_Forwarded_For=forwarded_for, **headers
        )[0]

    assert [api("203.0.113.1") for _ in range(5)] == [200, 200, 200, 200, 429]
    assert api("203.0.113.2") == 200  # another client behind the trusted proxy
    keys = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB).keys("*throttle*")
    assert keys, "the throttle counters are not in Redis"

    production.manage("createsuperuser", "--noinput", "--username", "ops", "--email", "o@x.test")
    token = production.manage("issue_token", "--user", "ops", "--scopes", "read").strip()
    bearer = {"Authorization": f"Bearer {token}"}
    assert [api(f"203.0.113.{10 + n}", **bearer) for n in range(4)] == [200, 200, 200, 429]
    bad = {"Authorization": "Bearer hetao_" + "x" * 43}
    assert [api("203.0.113.50", **bad) for _ in range(3)] == [401, 401, 429]


def test_failed_sign_ins_lock_after_the_configured_number(production):
    production.manage("createsuperuser", "--noinput", "--username", "editor", "--email", "e@x.test")
    production.manage(
        "shell",
        "-c",
        "from django.contrib.auth.models import User; u = User.objects.get(username='editor');"
        " u.set_password('right-password-1234'); u.save()",
    )

    def sign_in(password: str) -> int:
        _s, _h, page, cookies = production.get("/curators/login/", proto="https")
        csrf = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
        cookie = next(c.split(";")[0] for c in cookies if c.startswith("csrftoken="))
        form = f"csrfmiddlewaretoken={csrf}&username=editor&password={password}&next=/curators/"
        return production.get(
            "/curators/login/",
            proto="https",
            method="POST",
            body=form,
            Content_Type="application/x-www-form-urlencoded",
            Cookie=cookie,
            Referer=f"https://{HOST}/curators/login/",
        )[0]

    assert [sign_in("wrong"), sign_in("wrong"), sign_in("right-password-1234")] == [200, 429, 429]


def test_the_dump_folder_is_where_export_dump_writes_and_the_data_page_reads(production, folder):
    production.manage("export_dump")
    (dump,) = [path for path in (folder / "dumps").iterdir() if path.is_dir()]
    generated_at = json.loads((dump / "manifest.json").read_text())["generated_at"]
    _status, _headers, page, _ = production.get("/en/data/", proto="https")
    assert f'datetime="{generated_at}"'.encode() in page


def test_debug_shows_the_debug_page_and_the_cache_falls_back_to_its_folder(
    development, production, folder
):
    status, _headers, page, _ = development.get("/en/no-such-page/")
    assert status == 404 and b"Django tried these URL patterns" in page
    status, _headers, page, _ = production.get("/en/no-such-page/", proto="https")
    assert status == 404 and b"Django tried these URL patterns" not in page
    assert development.get("/api/v1/organisations/")[0] == 200
    assert any((folder / "cache").iterdir()), "no throttle counter in REGISTRY_CACHE_DIR"


def test_the_secret_is_the_one_given(production):
    assert production.setting("s.SECRET_KEY") == production.env["DJANGO_SECRET_KEY"]


def test_the_other_settings_are_read_as_documented(production):
    assert production.setting(
        "[s.LOGGING['root']['level'], s.DATABASES['default']['CONN_MAX_AGE'],"
        " s.AXES_COOLOFF_TIME.total_seconds(),"
        " s.REGISTRY_UPLOAD_MAX_BYTES, s.REGISTRY_UPLOAD_MAX_UNZIPPED_BYTES,"
        " s.REGISTRY_IMPORT_MAX_ROWS, s.REGISTRY_FOUR_EYES]"
    ) == ["WARNING", 30, 180.0, 1234567, 7654321, 77, False]
