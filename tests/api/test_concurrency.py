"""Optimistic locking under real concurrency: two PATCHes carrying the same ETag, released
together against the live (threaded) server, must give one 200 and one 412, never two 200s.

Runs on whichever database DATABASE_URL selects (SQLite by default, PostgreSQL in CI's second
pass). The version check happens inside the write transaction (``save(expected_version=…)``),
so checking the ETag first and then saving is not what is being relied on here: the pairs
arrive at the same instant on purpose.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.db import connection

from registry.models import ApiToken, Facility, Publication, Section
from registry.models.base import StaleRecordError
from tests.factories import FacilityFactory

PAIRS = 200
TIMEOUT = 30  # seconds per request: a stuck writer fails the test instead of hanging it


class Api:
    """Minimal HTTP client for the live server: a fresh connection per request, so every
    request is served by its own server thread."""

    def __init__(self, base_url: str, token: str) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    def connect(self) -> http.client.HTTPConnection:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)
        conn.connect()
        return conn

    def send(
        self,
        conn: http.client.HTTPConnection,
        method: str,
        path: str,
        body: dict | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], Any]:
        payload = json.dumps(body).encode() if body is not None else None
        all_headers = {**self.headers, **(headers or {})}
        if payload is not None:
            all_headers["Content-Type"] = "application/json"
        try:
            conn.request(method, path, body=payload, headers=all_headers)
            response = conn.getresponse()
            raw = response.read()
            head = {k.lower(): v for k, v in response.getheaders()}
        finally:
            conn.close()
        content_type = head.get("content-type", "")
        data = json.loads(raw) if raw and "json" in content_type else raw
        return response.status, head, data

    def get(self, path: str) -> tuple[int, dict[str, str], Any]:
        return self.send(self.connect(), "GET", path)


@pytest.mark.django_db(transaction=True)
def test_concurrent_patches_with_the_same_etag_give_one_200_and_one_412(
    live_server, shenzhen_partner, shenzhen_partner_org, monkeypatch, capsys
):
    """200 pairs of concurrent PATCHes carrying the same ETag: every pair gives one 200 and
    one 412, no update is lost, and history rows equal successful writes."""
    from rest_framework.throttling import SimpleRateThrottle

    # 3 requests per pair would exceed the production token rate; this test is not about it.
    monkeypatch.setattr(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        {"anonymous": "1000000/minute", "token": "1000000/minute"},
    )
    if connection.vendor == "sqlite":
        # pytest-django hands an in-memory SQLite connection to the live server's threads: every
        # request would share the test's one connection (and its transaction), which proves
        # nothing about concurrent writers. The test database must be a file.
        assert not connection.is_in_memory_db(), (
            "the SQLite test database is in memory: the live server's request threads share "
            "one connection, so concurrent writes are not tested; give DATABASES['default']"
            "['TEST']['NAME'] a file name in hetao/test_settings.py"
        )

    # How many 412s came from the version check inside the write transaction (both requests
    # passed the ETag check before either saved), as opposed to the check before it: the live
    # server runs in this process, so the exception can be counted here.
    stale_in_save = []
    original_init = StaleRecordError.__init__

    def counting_init(self, *args: Any, **kwargs: Any) -> None:
        stale_in_save.append(1)
        original_init(self, *args, **kwargs)

    monkeypatch.setattr(StaleRecordError, "__init__", counting_init)

    facility = FacilityFactory(
        name_en="Concurrency test laboratory",
        publication=Publication.DRAFT,  # unpublished: the partner's change is saved directly
        curating_section=Section.SHENZHEN,
        section=Facility.Location.SHENZHEN,
        owner=shenzhen_partner_org,
    )
    assert facility.version == 1
    _token, raw = ApiToken.issue(shenzhen_partner, scopes=["read", "write"])
    api = Api(live_server.url, raw)
    path = f"/api/v1/facilities/{facility.public_id}/"

    barrier = threading.Barrier(2)

    def patch(etag: str, value: str) -> tuple[int, dict[str, str], Any, str]:
        conn = api.connect()  # connected before the barrier: only the request is raced
        barrier.wait(timeout=TIMEOUT)
        status, head, data = api.send(
            conn, "PATCH", path, {"names": {"en": value}}, {"If-Match": etag}
        )
        return status, head, data, value

    winners: list[str] = []
    problems: list[str] = []
    statuses = {200: 0, 412: 0}
    started = time.monotonic()
    with ThreadPoolExecutor(2) as pool:
        for pair in range(PAIRS):
            status, head, body = api.get(path)
            assert status == 200, (pair, status, body)
            etag, version = head["etag"], body["version"]
            futures = [pool.submit(patch, etag, f"pair {pair} written by {side}") for side in "AB"]
            results = [future.result(timeout=2 * TIMEOUT) for future in futures]

            got = sorted(result[0] for result in results)
            for code in got:
                statuses[code] = statuses.get(code, 0) + 1
            if got != [200, 412]:
                problems.append(
                    f"pair {pair}: statuses {got}; bodies "
                    + "; ".join(f"{r[0]} {str(r[2])[:200]}" for r in results)
                )
                break
            won = next(r for r in results if r[0] == 200)
            lost = next(r for r in results if r[0] == 412)
            assert won[2]["version"] == version + 1, (pair, won[2]["version"], version)
            assert won[2]["names"]["en"] == won[3]
            assert won[1]["etag"] != etag
            assert lost[1]["content-type"].startswith("application/problem+json"), lost[1]
            assert lost[2]["status"] == 412, lost[2]

            stored = Facility.objects.get(pk=facility.pk)
            assert stored.name_en == won[3], (pair, stored.name_en, won[3])  # no lost update
            assert stored.version == version + 1, (pair, stored.version, version)
            winners.append(won[3])
    elapsed = time.monotonic() - started

    history = list(
        Facility.history.filter(id=facility.pk)
        .order_by("history_id")
        .values_list("history_type", "name_en", "version")
    )
    facility.refresh_from_db()
    with capsys.disabled():
        print(
            f"\n[concurrency on {connection.vendor}] pairs {len(winners)}/{PAIRS}, "
            f"200s {statuses.get(200, 0)}, 412s {statuses.get(412, 0)}, "
            f"other {sum(n for code, n in statuses.items() if code not in (200, 412))}, "
            f"412s raised inside the write transaction {len(stale_in_save)}, "
            f"history rows {len(history)} (1 create + {len(winners)} successes), "
            f"final version {facility.version}, elapsed {elapsed:.1f} s"
        )
    assert not problems, problems[0]
    assert statuses == {200: PAIRS, 412: PAIRS}
    # Every successful write is in the history, in order, and nothing else is.
    assert len(history) == 1 + len(winners)
    assert history[0][0] == "+"
    assert [row[1] for row in history[1:]] == winners
    assert [row[2] for row in history] == list(range(1, PAIRS + 2))
    assert facility.version == 1 + len(winners)
    assert facility.name_en == winners[-1]
