"""The API describes itself (docs/architecture.md §8): OpenAPI 3 at ``/api/v1/schema/`` (YAML, or
JSON on request), every status code documented, and Swagger UI at ``/api/v1/docs/`` and Redoc at
``/api/v1/redoc/`` served from the registry's own static files, with no CDN."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db

OPENAPI_JSON = "application/vnd.oai.openapi+json"
RESOURCES = [
    "organisations",
    "facilities",
    "projects",
    "outputs",
    "flows",
    "policies",
    "funding-schemes",
]
READ_ERRORS = {"400", "401", "403", "404", "405", "406", "429"}
WRITE_ERRORS = READ_ERRORS | {"412", "413", "415", "428"}


@pytest.fixture
def schema(api) -> dict[str, Any]:
    response = api.get("/api/v1/schema/", HTTP_ACCEPT=OPENAPI_JSON)
    assert response.status_code == 200
    return json.loads(response.content)


def test_the_schema_is_openapi_3_in_json_when_asked_by_accept_header(api):
    response = api.get("/api/v1/schema/", HTTP_ACCEPT=OPENAPI_JSON)

    assert response["Content-Type"].startswith(OPENAPI_JSON)
    assert json.loads(response.content)["openapi"].startswith("3.")


def test_the_schema_is_json_when_asked_by_format_json(api):
    response = api.get("/api/v1/schema/?format=json")

    assert response.status_code == 200
    assert "json" in response["Content-Type"]
    assert json.loads(response.content)["openapi"].startswith("3.")


def test_the_schema_is_yaml_by_default(api):
    response = api.get("/api/v1/schema/")

    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    assert response.content.decode().startswith("openapi: 3.")


def test_every_resource_is_described(schema):
    paths = set(schema["paths"])

    for resource in RESOURCES:
        assert f"/api/v1/{resource}/" in paths
        assert f"/api/v1/{resource}/{{public_id}}/" in paths
    assert {
        "/api/v1/fields/",
        "/api/v1/priority-areas/",
        "/api/v1/change-requests/",
        "/api/v1/changes/",
        "/api/v1/stats/",
    } <= paths


def test_every_operation_documents_its_error_statuses_as_problems(schema):
    missing = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            expected = READ_ERRORS if method == "get" else WRITE_ERRORS
            responses = operation["responses"]
            lacking = expected - set(responses)
            wrong = [
                code
                for code in expected & set(responses)
                if "application/problem+json" not in responses[code].get("content", {})
            ]
            if lacking or wrong:
                missing.append((method.upper(), path, sorted(lacking), wrong))

    assert not missing, missing


def test_details_document_304_and_410_and_writes_202(schema):
    detail = schema["paths"]["/api/v1/facilities/{public_id}/"]

    assert {"304", "410"} <= set(detail["get"]["responses"])
    assert "202" in detail["patch"]["responses"]
    if_match = [p for p in detail["patch"]["parameters"] if p["name"] == "If-Match"]
    assert if_match and if_match[0]["required"] is True


@pytest.mark.parametrize("resource", RESOURCES)
def test_a_list_documents_its_filters_and_paging(schema, resource):
    from registry.api.urls import router

    viewset = next(
        entry[1] for entry in router.registry if entry[0] == resource
    )  # (prefix, viewset, basename)
    operation = schema["paths"][f"/api/v1/{resource}/"]["get"]
    documented = {parameter["name"] for parameter in operation["parameters"]}

    expected = set(viewset.filterset_class.base_filters) | {"page", "page_size", "fields", "lang"}
    assert expected <= documented, expected - documented


def test_the_change_feed_documents_its_cursor_and_limit(schema):
    operation = schema["paths"]["/api/v1/changes/"]["get"]

    assert {"since", "limit"} <= {parameter["name"] for parameter in operation["parameters"]}


def test_every_reference_in_the_schema_resolves(schema):
    text = json.dumps(schema)
    references = set(re.findall(r'"\$ref": "#/components/([^/]+)/([^"]+)"', text))

    unresolved = [
        (section, name)
        for section, name in references
        if name not in schema.get("components", {}).get(section, {})
    ]
    assert not unresolved


def test_bearer_tokens_are_the_documented_security_scheme(schema):
    schemes = schema["components"]["securitySchemes"]

    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http", "scheme": "bearer"}


@pytest.mark.parametrize("docs_page", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_the_api_docs_are_html_that_loads_nothing_from_elsewhere(api, docs_page):
    response = api.get(docs_page)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert re.findall(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html, re.IGNORECASE) == []
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets, "the page loads its viewer from somewhere"
    static = "/" + settings.STATIC_URL.lstrip("/")
    for asset in assets:
        assert asset.startswith(static), asset
        assert finders.find(asset.removeprefix(static)), f"{asset} is not among the static files"


def test_the_docs_point_at_the_schema(api):
    for docs_page in ("/api/v1/docs/", "/api/v1/redoc/"):
        assert "/api/v1/schema/" in api.get(docs_page).content.decode()
