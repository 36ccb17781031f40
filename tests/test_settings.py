"""Settings come from the environment, safe by default; unsafe switches only when asked."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from hetao.settings import envbool, envint, envlist

ROOT = Path(__file__).resolve().parent.parent


def settings_in_fresh_process(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    clean.update(env)
    code = (
        "import hetao.settings as s; "
        "print(s.DEBUG, s.DATABASES['default']['ENGINE'], s.TIME_ZONE, "
        "[c for c, _ in s.LANGUAGES], s.REGISTRY_FOUR_EYES)"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True
    )


def test_without_a_secret_key_and_without_debug_the_site_refuses_to_start():
    result = settings_in_fresh_process()
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_debug_is_off_and_sqlite_is_the_database_unless_asked_otherwise():
    result = settings_in_fresh_process(DJANGO_SECRET_KEY="x" * 50)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0:3] == ["False", "django.db.backends.sqlite3", "Asia/Hong_Kong"]
    assert "['en', 'zh-hans', 'zh-hant'] True" in result.stdout


def test_database_url_switches_to_postgresql():
    result = settings_in_fresh_process(
        DJANGO_SECRET_KEY="x" * 50, DATABASE_URL="postgres://u@127.0.0.1:5432/db"
    )
    assert "django.db.backends.postgresql" in result.stdout, result.stderr


def test_a_misspelt_switch_is_a_configuration_error_not_a_silent_default():
    result = settings_in_fresh_process(DJANGO_DEBUG="maybe")
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be one of" in result.stderr


def test_sqlite_writers_queue_for_a_few_seconds_then_give_up():
    from hetao.settings import SQLITE_DEFAULT

    options = SQLITE_DEFAULT["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["timeout"] == 3  # then a 503 (tests/ops/test_faults.py)
    assert "journal_mode=WAL" in options["init_command"]


def test_env_helpers_read_strictly(monkeypatch):
    monkeypatch.setenv("X_BOOL", "yes")
    monkeypatch.setenv("X_INT", "12")
    monkeypatch.setenv("X_LIST", "a.example, b.example,")
    assert envbool("X_BOOL") is True
    assert envint("X_INT", 3) == 12
    assert envlist("X_LIST", []) == ["a.example", "b.example"]
    assert envbool("X_MISSING", default=True) is True
    monkeypatch.setenv("X_INT", "twelve")
    with pytest.raises(ImproperlyConfigured, match="X_INT must be a whole number"):
        envint("X_INT", 3)


def test_the_health_check_answers(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok"}}


@pytest.mark.django_db
def test_on_postgresql_each_request_s_queries_run_on_one_core_unless_told_otherwise():
    """Parallel workers compete with the other requests on a busy server
    (REGISTRY_PG_PARALLEL_WORKERS, default 0)."""
    from django.db import connection

    from tests.conftest import require_postgres

    require_postgres()
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        assert cursor.fetchone()[0] == "0"
