"""What the API tests share: a client per persona (a bearer token of the scopes asked for),
the problem+json checks, and throttling out of the way unless a test is about it.

A test reads as a sentence about a user: ``api_as(hong_kong_partner).patch(...)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from registry.models import ApiToken
from tests.factories import FACTORIES

PROBLEM = "application/problem+json"
REFERENCE_RESOURCES = ["fields", "priority-areas"]
# Every list that pages: the curated resources, reference data and change requests.
PAGED_LISTS = [*FACTORIES, *REFERENCE_RESOURCES, "change-requests"]
# High enough that no test but the throttling ones ever meets a limit.
GENEROUS_RATES = {"anonymous": "100000/minute", "token": "100000/minute"}


@pytest.fixture(autouse=True)
def _fresh_throttles(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Throttle counters live in the cache, which outlives a test: clear it, and lift the
    rates (DRF reads them into the throttle class when it is imported, not per request)."""
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", dict(GENEROUS_RATES))
    cache.clear()
    yield
    cache.clear()


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.fixture
def api() -> APIClient:
    """The public: no credentials at all."""
    return APIClient()


@pytest.fixture
def api_as(db) -> Callable[..., APIClient]:
    """``api_as(user, scopes=("read", "write"))``: a client sending a fresh bearer token."""

    def make(
        user: Any,
        scopes: tuple[str, ...] = ("read", "write"),
        raise_errors: bool = True,
        **issue: Any,
    ) -> APIClient:
        _token, raw = ApiToken.issue(user, scopes=list(scopes), **issue)
        client = APIClient(raise_request_exception=raise_errors)
        client.credentials(**bearer(raw))
        return client

    return make


def problem_of(response: Any, status: int) -> dict[str, Any]:
    """The RFC 9457 body of ``response``, after checking its status and media type."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith(PROBLEM), response["Content-Type"]
    body = response.json()
    assert body["status"] == status
    assert {"type", "title", "status", "detail"} <= set(body), body
    return body


def named_parameters(body: dict[str, Any]) -> set[str]:
    """The query parameters a 400 problem names."""
    return {row["parameter"] for row in body.get("errors", []) if "parameter" in row}


def named_fields(body: dict[str, Any]) -> set[str]:
    """The body fields a 400 problem names."""
    return {row["field"] for row in body.get("errors", []) if "field" in row}
