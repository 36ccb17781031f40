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


def resolved(schema: dict, response: dict) -> dict:
    """A response, its ``$ref`` to a shared response component followed."""
    if "$ref" in response:
        return schema["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
    return response


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
                if "application/problem+json"
                not in resolved(schema, responses[code]).get("content", {})
            ]
            if lacking or wrong:
                missing.append((method.upper(), path, sorted(lacking), wrong))

    assert not missing, missing


def inline_objects(node: Any, where: str = "") -> list[str]:
    """Where in ``node`` an object schema or an enum is written out instead of referred to."""
    found = []
    if isinstance(node, dict):
        if node.get("properties") or node.get("enum"):
            found.append(where)
        for key, value in node.items():
            found += inline_objects(value, f"{where}/{key}")
    elif isinstance(node, list):
        for n, value in enumerate(node):
            found += inline_objects(value, f"{where}/{n}")
    return found


def test_every_error_answer_is_the_one_shared_problem(schema):
    """A generated client gets one Problem class, not one per operation and status."""
    problems = set()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for code, response in operation["responses"].items():
                if code >= "400":
                    assert set(response) == {"$ref"}, (method, path, code, response)
                    problems.add(response["$ref"])
    for name in {reference.rsplit("/", 1)[-1] for reference in problems}:
        content = schema["components"]["responses"][name]["content"]
        assert content == {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        }
    assert {"type", "title", "status", "detail", "errors"} <= set(
        schema["components"]["schemas"]["Problem"]["properties"]
    )


def test_no_operation_writes_a_schema_out_inline(schema):
    """Parameters, bodies and answers refer to components: an inline object or enum would
    become a class of its own in every generated client."""
    inline = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            inline += [f"{method} {path}{at}" for at in inline_objects(operation)]
    assert not inline, inline


def test_components_hold_no_object_or_enum_inline_and_no_two_alike(schema):
    """Inside components too, every nested object and enum is a component, each shape once
    (what a generated client's model count rests on)."""
    schemas = schema["components"]["schemas"]
    inline = [
        f"{name}{at}"
        for name, component in schemas.items()
        for at in inline_objects(component)
        if at and not at.startswith(("/allOf", "/anyOf"))
    ]
    assert not inline, inline
    shapes: dict[str, str] = {}
    for name, component in schemas.items():
        shape = json.dumps(component, sort_keys=True)
        assert shape not in shapes, f"{name} repeats {shapes[shape]}"
        shapes[shape] = name


def test_names_in_three_scripts_are_one_component_everywhere(schema):
    names = schema["components"]["schemas"]["Names"]

    assert set(names["properties"]) == {"en", "zh-Hans", "zh-Hant"}
    assert not names.get("required") and "anyOf" not in names
    text = json.dumps(schema["components"]["schemas"])
    assert '"names": {"$ref": "#/components/schemas/Names"}' in text
    assert "Names2" not in schema["components"]["schemas"]


def test_reads_need_no_token_and_writes_need_one(schema):
    """Generated clients call reads with or without credentials (no requirement stated;
    a token then adds its organisation's drafts) and writes with a token."""
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method == "get":
                assert not operation.get("security"), (method, path)
            else:
                assert operation["security"] == [{"bearerAuth": []}], (method, path)


def test_operation_ids_say_what_they_do(schema):
    ids = {
        (method, path): operation["operationId"]
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
    }

    assert ids[("get", "/api/v1/changes/")] == "changes_list"
    assert ids[("get", "/api/v1/projects/")] == "projects_list"
    assert ids[("get", "/api/v1/projects/{public_id}/")] == "projects_retrieve"
    assert len(set(ids.values())) == len(ids)


def test_no_component_describes_itself_by_the_fields_parameter(schema):
    for name, component in schema["components"]["schemas"].items():
        assert "?fields=" not in component.get("description", ""), name


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
        if asset == f"{docs_page}?script=":  # Swagger UI's start-up script, a file (for the CSP)
            continue
        assert asset.startswith(static), asset
        assert finders.find(asset.removeprefix(static)), f"{asset} is not among the static files"


def test_the_docs_point_at_the_schema(api):
    assert "/api/v1/schema/" in api.get("/api/v1/redoc/").content.decode()
    assert "/api/v1/schema/" in api.get("/api/v1/docs/?script=").content.decode()


@pytest.mark.parametrize("docs_page", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_the_api_docs_run_no_inline_script_or_style_and_send_the_site_s_csp(api, docs_page):
    response = api.get(docs_page)
    html = response.content.decode()
    assert "<style" not in html
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
