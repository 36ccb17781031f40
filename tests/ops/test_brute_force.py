"""Guessing is slow (SECURITY.md, "Lockout"): a username that fails to sign in to the admin
REGISTRY_LOGIN_FAILURE_LIMIT times from one address is locked there, the right password too,
until the cool-off passes or a zone editor unlocks it; an address that keeps sending refused
bearer tokens gets 429s before its tokens are looked up. The counters are shared by every
worker: Redis with REDIS_URL, else a cache directory on the machine."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.contrib.admin.models import DELETION, LogEntry
from django.core.cache import cache, caches
from django.test import Client, override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from registry.models import ApiToken
from tests.api.conftest import problem_of
from tests.conftest import require

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "a-long-test-password"  # tests/factories.py, UserFactory
FACILITIES = "/api/v1/facilities/"
ATTACKER = "203.0.113.7"
REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def axes_on(settings) -> None:
    """hetao/test_settings.py turns django-axes off for the other tests."""
    settings.AXES_ENABLED = True


@pytest.fixture
def fresh_cache():
    """The bad-token counters live in the cache, which outlives a test."""
    cache.clear()
    yield
    cache.clear()


def sign_in(client: Client, username: str, password: str, **headers: str):
    """The admin's sign-in form, posted as a browser posts it."""
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": reverse("admin:index")},
        headers=headers,
    )


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def lock(client: Client, username: str, failures: int = 6) -> list[int]:
    """``failures`` wrong passwords in a row; the statuses they got."""
    return [sign_in(client, username, f"wrong-{n}").status_code for n in range(failures)]


def attempts_url() -> str:
    return reverse("admin:axes_accessattempt_changelist")


def unlock(client: Client, attempts):
    data = {
        "action": "unlock_selected",
        "_selected_action": [str(attempt.pk) for attempt in attempts],
        "index": "0",
    }
    return client.post(attempts_url(), data)


def random_token() -> str:
    return f"Bearer hetao_{secrets.token_urlsafe(32)}"


def in_fresh_process(code: str, **env: str) -> subprocess.CompletedProcess:
    """Runs ``code`` in a new Python process on the production settings, with ``env`` as the
    only registry configuration."""
    prefixes = ("DJANGO_", "DATABASE_", "REDIS_", "REGISTRY_")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    clean.update(DJANGO_SECRET_KEY="x" * 50, DJANGO_SETTINGS_MODULE="hetao.settings", **env)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True
    )


# -- the admin's sign-in --------------------------------------------------------------------
def test_six_wrong_passwords_lock_a_curator_out_even_with_the_right_one(
    client, shenzhen_curator, axes_on
):
    statuses = lock(client, "sz-curator")

    right = sign_in(client, "sz-curator", PASSWORD)

    assert statuses == [200, 200, 200, 200, 429, 429]
    assert right.status_code == 429 and not signed_in(client)
    attempt = AccessAttempt.objects.get(username="sz-curator")
    assert (attempt.ip_address, attempt.failures_since_start) == ("127.0.0.1", 7)
    failures = AccessFailureLog.objects.filter(username="sz-curator")
    assert failures.count() == 7 and failures.filter(locked_out=True).count() == 3


@pytest.mark.parametrize(
    ("language", "says"),
    [
        ("en", "signing in is locked for 15 minutes after the last try"),
        ("zh-hans", "自最后一次尝试起 15 分钟内不能登录"),
        ("zh-hant", "自最後一次嘗試起 15 分鐘內不能登入"),
    ],
)
def test_the_locked_sign_in_page_says_why_in_the_readers_language(
    client, shenzhen_curator, axes_on, language, says
):
    lock(client, "sz-curator")

    response = sign_in(client, "sz-curator", PASSWORD, accept_language=language)

    assert response.status_code == 429
    assert response["Retry-After"] == str(15 * 60)
    html = response.content.decode()
    assert says in html
    assert 'name="password"' not in html  # no form to try again at once


def test_the_lock_holds_that_username_from_that_address_only(
    client, shenzhen_curator, hong_kong_curator, axes_on
):
    lock(client, "sz-curator")
    elsewhere = Client(REMOTE_ADDR="198.51.100.20")
    colleague = Client()

    assert sign_in(elsewhere, "sz-curator", PASSWORD).status_code == 302
    assert sign_in(colleague, "hk-curator", PASSWORD).status_code == 302
    assert signed_in(elsewhere) and signed_in(colleague)


def test_behind_a_trusted_proxy_the_lock_holds_the_forwarded_address_only(
    settings, shenzhen_curator, axes_on
):
    """Every sign-in arrives from the proxy: keyed by the proxy's address, a lock would hold
    the curator out from everywhere."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    attacker = Client(REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR=ATTACKER)
    curator = Client(REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="198.51.100.20")

    lock(attacker, "sz-curator")

    assert sign_in(curator, "sz-curator", PASSWORD).status_code == 302
    assert AccessAttempt.objects.get(username="sz-curator").ip_address == ATTACKER


def test_a_curator_who_gets_in_before_the_limit_starts_again_from_nought(
    client, shenzhen_curator, axes_on
):
    lock(client, "sz-curator", failures=4)
    assert sign_in(client, "sz-curator", PASSWORD).status_code == 302
    client.logout()

    assert lock(client, "sz-curator", failures=4) == [200] * 4
    assert sign_in(client, "sz-curator", PASSWORD).status_code == 302


def test_after_the_cool_off_the_right_password_works_again(client, shenzhen_curator, axes_on):
    lock(client, "sz-curator")
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=16)
    )

    assert sign_in(client, "sz-curator", PASSWORD).status_code == 302
    assert signed_in(client)


def test_a_zone_editor_sees_the_lock_and_unlocks_it_and_the_curator_signs_in(
    client, shenzhen_curator, zone_editor, axes_on
):
    lock(client, "sz-curator")
    editor = Client()
    editor.force_login(zone_editor)

    listed = editor.get(attempts_url()).content.decode()
    index = editor.get(reverse("admin:index")).content.decode()
    response = unlock(editor, AccessAttempt.objects.filter(username="sz-curator"))

    assert "sz-curator" in listed and "Locked until" in listed
    assert "Sign-ins" in index and "Access attempts" in index
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="sz-curator").exists()
    assert LogEntry.objects.filter(user=zone_editor, action_flag=DELETION).count() == 1
    assert sign_in(client, "sz-curator", PASSWORD).status_code == 302 and signed_in(client)
    # What happened stays on record.
    assert AccessFailureLog.objects.filter(username="sz-curator").count() == 6


def test_a_section_curator_neither_sees_nor_clears_anyones_lock(
    client, shenzhen_curator, hong_kong_curator, axes_on
):
    lock(client, "sz-curator")
    colleague = Client()
    colleague.force_login(hong_kong_curator)

    index = colleague.get(reverse("admin:index")).content.decode()

    assert colleague.get(attempts_url()).status_code == 403
    assert colleague.get(reverse("admin:axes_accessfailurelog_changelist")).status_code == 403
    assert unlock(colleague, AccessAttempt.objects.all()).status_code == 403
    assert "Sign-ins" not in index and "Access attempts" not in index
    assert AccessAttempt.objects.filter(username="sz-curator").exists()


def test_a_superuser_reads_every_failed_and_every_successful_sign_in(
    client, shenzhen_curator, superuser, axes_on
):
    lock(client, "sz-curator", failures=2)
    root = Client()
    sign_in(root, "root", PASSWORD)

    failures = root.get(reverse("admin:axes_accessfailurelog_changelist"))
    successes = root.get(reverse("admin:axes_accesslog_changelist"))

    assert failures.status_code == 200 and "sz-curator" in failures.content.decode()
    assert successes.status_code == 200 and "root" in successes.content.decode()
    assert "3 tries left" in root.get(attempts_url()).content.decode()


# -- refused bearer tokens --------------------------------------------------------------------
def test_twelve_random_tokens_from_one_address_meet_429s_after_the_tenth(fresh_cache):
    guesser = APIClient(REMOTE_ADDR=ATTACKER)

    responses = [guesser.get(FACILITIES, HTTP_AUTHORIZATION=random_token()) for _ in range(12)]

    assert [r.status_code for r in responses[:10]] == [401] * 10
    for response in responses[10:]:
        body = problem_of(response, 429)
        assert body["type"].endswith("throttled")
        assert "Too many refused tokens" in body["detail"]
        assert 0 < int(response["Retry-After"]) <= 60


def test_a_throttled_address_is_refused_before_its_token_is_looked_up(
    fresh_cache, hong_kong_partner, django_assert_num_queries
):
    _token, raw = ApiToken.issue(hong_kong_partner, scopes=["read"])
    guesser = APIClient(REMOTE_ADDR=ATTACKER)
    for _ in range(10):
        guesser.get(FACILITIES, HTTP_AUTHORIZATION=random_token())

    with django_assert_num_queries(0):
        refused = guesser.get(FACILITIES, HTTP_AUTHORIZATION=f"Bearer {raw}")

    problem_of(refused, 429)
    # The partner elsewhere, and the public at that address, are not held up.
    elsewhere = APIClient(REMOTE_ADDR="198.51.100.20", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert elsewhere.get(FACILITIES).status_code == 200
    assert guesser.get(FACILITIES).status_code == 200


def test_the_bad_token_budget_is_read_from_the_settings(settings, fresh_cache):
    settings.REGISTRY_THROTTLE_BAD_TOKENS = "2/minute"
    guesser = APIClient(REMOTE_ADDR=ATTACKER)

    statuses = [guesser.get(FACILITIES, HTTP_AUTHORIZATION=random_token()) for _ in range(3)]

    assert [r.status_code for r in statuses] == [401, 401, 429]


# -- configuration --------------------------------------------------------------------------
SHOW_SETTINGS = (
    "import hetao.settings as s; "
    "print(s.AXES_FAILURE_LIMIT, int(s.AXES_COOLOFF_TIME.total_seconds()), "
    "s.REGISTRY_THROTTLE_BAD_TOKENS, s.AXES_LOCKOUT_PARAMETERS, s.AUTHENTICATION_BACKENDS[0], "
    "s.CACHES['default']['BACKEND'])"
)


def test_the_lockout_and_the_bad_token_budget_come_from_the_environment():
    defaults = in_fresh_process(SHOW_SETTINGS)
    chosen = in_fresh_process(
        SHOW_SETTINGS,
        REGISTRY_LOGIN_FAILURE_LIMIT="3",
        REGISTRY_LOGIN_COOLOFF_MINUTES="30",
        REGISTRY_THROTTLE_BAD_TOKENS="20/minute",
    )

    assert defaults.returncode == 0, defaults.stderr
    assert defaults.stdout.split(" ", 3)[:3] == ["5", "900", "10/minute"]
    assert "[['username', 'ip_address']] axes.backends.AxesStandaloneBackend" in defaults.stdout
    assert chosen.stdout.split(" ", 3)[:3] == ["3", "1800", "20/minute"]


def test_a_cool_off_of_no_time_is_a_configuration_error_not_a_lock_for_ever():
    result = in_fresh_process(SHOW_SETTINGS, REGISTRY_LOGIN_COOLOFF_MINUTES="0")

    assert result.returncode != 0
    assert "REGISTRY_LOGIN_COOLOFF_MINUTES must be at least 1" in result.stderr


COUNT_A_REFUSAL = """
import django
django.setup()
from django.conf import settings
from django.test import RequestFactory
from registry.api.throttling import BadTokenThrottle
request = RequestFactory().get("/api/v1/facilities/", REMOTE_ADDR="203.0.113.9")
BadTokenThrottle().record_failure(request)
seen = BadTokenThrottle()
seen.exhausted(request)
print(settings.CACHES["default"]["BACKEND"], settings.CACHES["default"]["LOCATION"])
print(len(seen.history))
"""


def test_without_redis_two_worker_processes_count_into_one_cache(tmp_path):
    """Each process creates its own cache client, as each gunicorn worker does."""
    first = in_fresh_process(COUNT_A_REFUSAL, REGISTRY_CACHE_DIR=str(tmp_path))
    second = in_fresh_process(COUNT_A_REFUSAL, REGISTRY_CACHE_DIR=str(tmp_path))

    assert first.returncode == 0, first.stderr
    backend, counted = first.stdout.splitlines()
    assert backend == f"django.core.cache.backends.filebased.FileBasedCache {tmp_path}"
    assert (counted, second.stdout.splitlines()[1]) == ("1", "2")


def redis_answers() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def test_with_redis_url_the_cache_is_redis_and_the_api_counts_there(fresh_cache):
    import redis

    require("redis", redis_answers(), f"needs Redis at {REDIS_URL}")
    shown = in_fresh_process(
        "import json, hetao.settings as s; print(json.dumps(s.CACHES))", REDIS_URL=REDIS_URL
    )
    configured = json.loads(shown.stdout)
    server = redis.Redis.from_url(REDIS_URL)
    server.flushdb()
    try:
        with override_settings(CACHES=configured):
            guesser = APIClient(REMOTE_ADDR=ATTACKER)
            read = guesser.get(FACILITIES)
            refused = guesser.get(FACILITIES, HTTP_AUTHORIZATION=random_token())
            # A client of its own, as another worker's: it sees the same refusal.
            other_worker = caches.create_connection("default")
            history = other_worker.get(f"throttle_bad_tokens_{ATTACKER}")
            keys = sorted(key.decode() for key in server.keys("*"))
    finally:
        server.flushdb()

    assert configured["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert read.status_code == 200 and refused.status_code == 401
    assert len(history) == 1
    assert any(f"throttle_anonymous_{ATTACKER}" in key for key in keys), keys
    assert any(f"throttle_bad_tokens_{ATTACKER}" in key for key in keys), keys
