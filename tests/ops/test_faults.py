"""While the database is away every face says so with a 503 and Retry-After — problem+json
on the API, a plain page on the HTML faces, a JSON check on /healthz — never a 500, and the
site answers again by itself once the database is back. A writer locked out of SQLite gets its
503 within seconds while readers keep reading."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection
from django.test import Client

from registry.models import Facility, Publication
from tests.factories import FacilityFactory

pytestmark = pytest.mark.django_db(transaction=True)

PROBLEM = "application/problem+json"


@contextmanager
def database_away() -> Iterator[None]:
    """Point the connection at a database that cannot be reached, then back."""
    saved = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = "/nonexistent-folder/registry.sqlite3"
    else:
        connection.settings_dict.update(HOST="127.0.0.1", PORT="1")  # nothing listens there
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


@pytest.fixture
def visitor() -> Client:
    """A client that gets the server's answer to an error, as a visitor would."""
    return Client(raise_request_exception=False)


@pytest.fixture
def published() -> Facility:
    return FacilityFactory(publication=Publication.PUBLISHED, name_en="Loop Lab")


def assert_unavailable(response) -> None:
    assert response.status_code == 503, (response.status_code, response.content[:300])
    assert response["Retry-After"] == "5"


def test_with_the_database_away_healthz_is_a_json_503_naming_the_database(visitor):
    with database_away():
        response = visitor.get("/healthz")
    assert_unavailable(response)
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "OperationalError"},
    }
    assert visitor.get("/healthz").json() == {"status": "ok", "checks": {"database": "ok"}}


def test_with_the_database_away_the_api_answers_a_503_problem_and_recovers(visitor, published):
    url = f"/api/v1/facilities/{published.public_id}/"
    with database_away():
        responses = [visitor.get("/api/v1/facilities/"), visitor.get(url)]
    for response in responses:
        assert_unavailable(response)
        assert response["Content-Type"].startswith(PROBLEM)
        assert response.json()["type"].endswith(":service-unavailable")
    assert visitor.get(url).status_code == 200


def test_with_the_database_away_a_public_page_is_a_plain_503_page(visitor, published):
    with database_away():
        response = visitor.get("/zh-hant/facilities/")
    assert_unavailable(response)
    assert response["Content-Type"].startswith("text/html")
    assert "資料庫" in response.content.decode() or "database" in response.content.decode()
    assert visitor.get("/zh-hant/facilities/").status_code == 200


def test_with_the_database_away_a_signed_in_curator_s_admin_page_is_a_503_not_a_500(
    visitor, hong_kong_curator
):
    visitor.force_login(hong_kong_curator)
    with database_away():  # the session itself is read from the database, before any view
        response = visitor.get("/admin/registry/facility/")
    assert_unavailable(response)
    assert visitor.get("/admin/registry/facility/").status_code == 200


@contextmanager
def sqlite_write_lock() -> Iterator[None]:
    """Another process's write transaction on the same SQLite file, held until the end."""
    other = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_a_writer_locked_out_of_sqlite_gets_a_503_within_seconds_while_readers_read(
    visitor, published, api_as, hong_kong_partner, hong_kong_partner_org
):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's single-writer lock; PostgreSQL locks rows, not the database")
    draft = FacilityFactory(publication=Publication.DRAFT, owner=hong_kong_partner_org)
    partner = api_as(hong_kong_partner, raise_errors=False)
    url = f"/api/v1/facilities/{draft.public_id}/"
    etag = partner.get(url)["ETag"]
    with sqlite_write_lock():
        started = time.monotonic()
        write = partner.patch(url, {"address": "2 Loop Road"}, format="json", HTTP_IF_MATCH=etag)
        waited = time.monotonic() - started
        reads = [
            visitor.get("/api/v1/facilities/"),
            visitor.get(f"/en/facilities/{published.public_id}/"),
            visitor.get("/healthz"),
        ]
    assert_unavailable(write)
    assert write["Content-Type"].startswith(PROBLEM)
    assert waited < 6, f"the writer waited {waited:.1f} s"
    assert [read.status_code for read in reads] == [200, 200, 200]
    assert Facility.objects.get(pk=draft.pk).address != "2 Loop Road"  # nothing half-saved
    again = partner.patch(url, {"address": "2 Loop Road"}, format="json", HTTP_IF_MATCH=etag)
    assert again.status_code == 200
    assert Facility.objects.get(pk=draft.pk).address == "2 Loop Road"
