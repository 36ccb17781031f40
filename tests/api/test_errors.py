"""Errors are RFC 9457 problems (``application/problem+json``: type, title, status, detail and,
where a field or parameter is at fault, ``errors``) for every status the API answers with, a
retracted record is 410 with its tombstone, and no input at all yields a 500."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from registry import filters, workflow
from registry.api import views
from registry.models import Facility, Organisation, Publication
from tests.api.conftest import (
    PROBLEM,
    named_fields,
    named_parameters,
    problem_of,
)
from tests.factories import (
    FACTORIES,
    FacilityFactory,
    OrganisationFactory,
    ParticipationFactory,
    ProjectFactory,
)

pytestmark = pytest.mark.django_db

NEW_FACILITY = {
    "names": {"en": "Loop Lab"},
    "kind": "laboratory",
    "section": "hong_kong",
    "status": "planned",
}


# -- one situation per status code -------------------------------------------------------------
def bad_parameter(ctx: dict[str, Any]) -> Any:
    return ctx["api"].get("/api/v1/facilities/?kind=castle")


def no_credentials_for_a_write(ctx: dict[str, Any]) -> Any:
    return ctx["api"].post("/api/v1/facilities/", NEW_FACILITY, format="json")


def read_only_token_writes(ctx: dict[str, Any]) -> Any:
    return ctx["api_as"](ctx["partner"], scopes=("read",)).post(
        "/api/v1/facilities/", NEW_FACILITY, format="json"
    )


def unknown_record(ctx: dict[str, Any]) -> Any:
    return ctx["api"].get("/api/v1/facilities/fac-00000000/")


def post_to_a_detail(ctx: dict[str, Any]) -> Any:
    facility = FacilityFactory()
    return ctx["writer"].post(f"/api/v1/facilities/{facility.public_id}/", {}, format="json")


def html_asked_for(ctx: dict[str, Any]) -> Any:
    return ctx["api"].get("/api/v1/facilities/", HTTP_ACCEPT="text/html")


def retracted_record(ctx: dict[str, Any]) -> Any:
    facility = FacilityFactory(publication=Publication.RETRACTED, retraction_reason="Duplicate.")
    return ctx["api"].get(f"/api/v1/facilities/{facility.public_id}/")


def stale_if_match(ctx: dict[str, Any]) -> Any:
    facility = ctx["own_draft"]
    return ctx["writer"].patch(
        f"/api/v1/facilities/{facility.public_id}/", {}, format="json", HTTP_IF_MATCH='"v7.en"'
    )


def too_large(ctx: dict[str, Any]) -> Any:
    ctx["settings"].DATA_UPLOAD_MAX_MEMORY_SIZE = 200
    body = {**NEW_FACILITY, "descriptions": {"en": "x" * 1000}}
    return ctx["writer"].post("/api/v1/facilities/", body, format="json")


def plain_text_body(ctx: dict[str, Any]) -> Any:
    return ctx["writer"].post("/api/v1/facilities/", "Loop Lab", content_type="text/plain")


def no_if_match(ctx: dict[str, Any]) -> Any:
    facility = ctx["own_draft"]
    return ctx["writer"].patch(f"/api/v1/facilities/{facility.public_id}/", {}, format="json")


def too_many(ctx: dict[str, Any]) -> Any:
    ctx["monkeypatch"].setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {"anonymous": "1/minute", "token": "1/minute"}
    )
    ctx["api"].get("/api/v1/facilities/")
    return ctx["api"].get("/api/v1/facilities/")


SITUATIONS: dict[int, Callable[[dict[str, Any]], Any]] = {
    400: bad_parameter,
    401: no_credentials_for_a_write,
    403: read_only_token_writes,
    404: unknown_record,
    405: post_to_a_detail,
    406: html_asked_for,
    410: retracted_record,
    412: stale_if_match,
    413: too_large,
    415: plain_text_body,
    428: no_if_match,
    429: too_many,
}


@pytest.fixture
def ctx(api, api_as, hong_kong_partner, hong_kong_partner_org, settings, monkeypatch):
    return {
        "api": api,
        "api_as": api_as,
        "partner": hong_kong_partner,
        "writer": api_as(hong_kong_partner),
        "own_draft": FacilityFactory(publication=Publication.DRAFT, owner=hong_kong_partner_org),
        "settings": settings,
        "monkeypatch": monkeypatch,
    }


@pytest.mark.parametrize("status", SITUATIONS)
def test_every_error_is_a_problem_json(ctx, status):
    body = problem_of(SITUATIONS[status](ctx), status)

    assert body["type"].startswith("urn:hetao-registry:problem:")
    assert body["title"] and body["detail"]


def test_a_405_says_which_methods_are_allowed(api_as, zone_editor):
    response = api_as(zone_editor).delete("/api/v1/facilities/")

    problem_of(response, 405)
    assert "POST" in response["Allow"] and "DELETE" not in response["Allow"]


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("put", "/api/v1/facilities/"),
        ("post", "/api/v1/fields/"),
        ("delete", "/api/v1/priority-areas/quantum/"),
        ("post", "/api/v1/changes/"),
        ("post", "/api/v1/stats/"),
        ("post", "/api/v1/change-requests/"),
        ("options", "/api/v1/facilities/"),
    ],
)
def test_a_method_an_endpoint_does_not_offer_is_a_405_problem(api_as, zone_editor, method, url):
    response = getattr(api_as(zone_editor), method)(url, {}, format="json")

    problem_of(response, 405)


@pytest.mark.parametrize(
    "url", ["/api/v1/changes/", "/api/v1/change-requests/", "/api/v1/facilities/"]
)
@pytest.mark.parametrize("method", ["TRACE", "PROPFIND"])
def test_a_method_no_address_offers_is_a_405_for_the_public_too_not_a_401(api, method, url):
    """Who asks does not matter for a method the address never answers (a write method of
    the public is a 401: it needs a token; this one needs a different method)."""
    response = api.generic(method, url)

    problem_of(response, 405)


@pytest.mark.parametrize("url", ["/api/v1/nothing-here/", "/api/v2/facilities/", "/api/"])
def test_an_unknown_api_address_is_a_404_problem(api, url):
    problem_of(api.get(url), 404)


def test_a_problem_about_a_body_names_the_fields(api_as, hong_kong_partner):
    response = api_as(hong_kong_partner).post(
        "/api/v1/facilities/", {"kind": "castle", "names": {"en": "X"}}, format="json"
    )

    body = problem_of(response, 400)
    assert named_fields(body) == {"kind", "section", "status"}
    assert all(row["message"] for row in body["errors"])


def test_a_problem_about_the_query_names_the_parameters(api):
    body = problem_of(api.get("/api/v1/projects/?colour=red&started_after=soon"), 400)

    assert named_parameters(body) == {"colour"}
    body = problem_of(api.get("/api/v1/projects/?started_after=soon"), 400)
    assert named_parameters(body) == {"started_after"}


def test_html_is_not_offered_for_any_answer(api):
    facility = FacilityFactory()

    for url in ("/api/v1/facilities/", f"/api/v1/facilities/{facility.public_id}/"):
        problem_of(api.get(url, HTTP_ACCEPT="text/html"), 406)
    assert api.get("/api/v1/facilities/", HTTP_ACCEPT="application/json").status_code == 200
    assert api.get("/api/v1/facilities/", HTTP_ACCEPT="*/*").status_code == 200


def test_a_body_over_the_upload_limit_is_a_413_and_nothing_is_stored(
    api_as, hong_kong_partner, settings
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 500
    body = {**NEW_FACILITY, "descriptions": {"en": "x" * 600}}

    problem_of(api_as(hong_kong_partner).post("/api/v1/facilities/", body, format="json"), 413)

    assert not Facility.objects.exists()


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "multipart/form-data"])
def test_a_body_that_is_not_json_is_a_415(api_as, hong_kong_partner, content_type):
    response = api_as(hong_kong_partner).post(
        "/api/v1/facilities/", "names=Loop", content_type=content_type
    )

    problem_of(response, 415)
    assert not Facility.objects.exists()


# -- 404 and 410 ----------------------------------------------------------------------------
def test_a_mistyped_public_id_is_a_404_and_never_another_record(api):
    facility = FacilityFactory()
    public_id = facility.public_id
    # One character changed: the check digits no longer match.
    mistyped = public_id[:4] + ("0" if public_id[4] != "0" else "1") + public_id[5:]

    problem_of(api.get(f"/api/v1/facilities/{mistyped}/"), 404)
    problem_of(api.get(f"/api/v1/facilities/{public_id.upper()}x/"), 404)
    problem_of(api.get(f"/api/v1/organisations/{public_id}/"), 404)


def test_a_draft_is_a_404_to_the_public_not_a_410(api):
    draft = FacilityFactory(publication=Publication.DRAFT)

    problem_of(api.get(f"/api/v1/facilities/{draft.public_id}/"), 404)


def test_a_retracted_record_is_410_gone_with_its_tombstone_and_successor(api, hong_kong_curator):
    successor = FacilityFactory(name_en="Loop Lab (merged)")
    retracted = FacilityFactory(name_en="Loop Lab", name_zh_hant="河套實驗室")
    workflow.retract(
        retracted, user=hong_kong_curator, reason="Merged into another entry.", successor=successor
    )

    response = api.get(f"/api/v1/facilities/{retracted.public_id}/?lang=zh-hant")

    body = problem_of(response, 410)
    tombstone = body["tombstone"]
    assert tombstone["id"] == retracted.public_id
    assert tombstone["name"] == "河套實驗室"
    assert tombstone["reason"] == "Merged into another entry."
    assert tombstone["retracted_at"]
    assert tombstone["successor"]["id"] == successor.public_id
    assert tombstone["successor"]["url"].endswith(f"/api/v1/facilities/{successor.public_id}/")
    assert body["detail"] == "Merged into another entry."


def test_a_tombstone_names_no_successor_the_public_may_not_see(api, hong_kong_curator):
    successor = FacilityFactory()
    retracted = FacilityFactory()
    workflow.retract(retracted, user=hong_kong_curator, reason="Replaced.", successor=successor)
    successor.publication = Publication.DRAFT
    successor.save()

    body = problem_of(api.get(f"/api/v1/facilities/{retracted.public_id}/"), 410)

    assert body["tombstone"]["successor"] is None


def test_a_retracted_record_is_gone_to_the_public_but_readable_by_its_owner_and_curators(
    api, api_as, hong_kong_partner, hong_kong_partner_org, zone_editor
):
    retracted = FacilityFactory(
        publication=Publication.RETRACTED, owner=hong_kong_partner_org, retraction_reason="Gone."
    )
    url = f"/api/v1/facilities/{retracted.public_id}/"

    problem_of(api.get(url), 410)
    assert api_as(hong_kong_partner).get(url).status_code == 200
    assert api_as(zone_editor).get(url).status_code == 200


def test_a_retracted_record_is_not_listed_to_the_public(api):
    FacilityFactory(publication=Publication.RETRACTED)

    assert api.get("/api/v1/facilities/").json()["count"] == 0


def test_deleting_a_record_others_rely_on_is_a_problem_not_a_500(api_as, superuser):
    organisation = OrganisationFactory()
    ParticipationFactory(project=ProjectFactory(), organisation=organisation)
    client = api_as(superuser, raise_errors=False)
    url = f"/api/v1/organisations/{organisation.public_id}/"

    response = client.delete(url, HTTP_IF_MATCH=client.get(url)["ETag"])

    problem_of(response, 409)
    assert Organisation.objects.filter(pk=organisation.pk).exists()


# -- no input yields a 500 --------------------------------------------------------------------
ODD_VALUES = [
    "",
    " ",
    "x" * 5000,
    "深圳灣🙂\u202e\u200b",
    "é" * 300,
    "%",
    "_",
    "\\",
    "'; DROP TABLE registry_facility; --",
    "-1",
    "0",
    "1e400",
    "NaN",
    "9" * 40,
    "2025-02-30",
    "true",
    "[]",
    "{}",
    "org-00000000",
    "https://ror.org/",
    "..",
    "a,b,,c",
]
GLOBAL_PARAMETERS = ["page", "page_size", "fields", "omit", "brief", "lang", "ordering"]
FILTERSETS = {
    "organisations": filters.OrganisationFilterSet,
    "facilities": filters.FacilityFilterSet,
    "projects": filters.ProjectFilterSet,
    "outputs": filters.OutputFilterSet,
    "flows": filters.FactorFlowFilterSet,
    "policies": filters.PolicyInstrumentFilterSet,
    "funding-schemes": filters.FundingSchemeFilterSet,
    "fields": filters.ResearchFieldFilterSet,
    "priority-areas": filters.PriorityAreaFilterSet,
    "change-requests": None,
}


def server_errors(client: APIClient, requests: list[tuple[str, str, dict[str, Any]]]) -> list[str]:
    """Send each (method, url, kwargs); describe the ones answered with a 5xx, or with an
    error that is not a problem, one line each."""
    failures = []
    for method, url, kwargs in requests:
        response = getattr(client, method)(url, **kwargs)
        is_error = response.status_code >= 400
        not_problem = is_error and not response["Content-Type"].startswith(PROBLEM)
        if response.status_code >= 500 or not_problem:
            data = kwargs.get("data")
            sent = (data if isinstance(data, str) else json.dumps(data, ensure_ascii=False))[:100]
            failures.append(f"{response.status_code} {method.upper()} {url[:80]} {sent}")
    return failures


@pytest.fixture
def fuzz_clients(api, api_as, hong_kong_partner, zone_editor) -> dict[str, APIClient]:
    api.raise_request_exception = False
    return {
        "public": api,
        "partner": api_as(hong_kong_partner, raise_errors=False),
        "zone editor": api_as(zone_editor, raise_errors=False),
    }


@pytest.mark.parametrize("resource", FILTERSETS)
def test_no_query_string_makes_a_list_fail_with_a_500(fuzz_clients, resource):
    for factory in FACTORIES.values():
        factory()
    filterset = FILTERSETS[resource]
    names = [*GLOBAL_PARAMETERS, *(filterset.base_filters if filterset else [])]
    requests = [
        ("get", f"/api/v1/{resource}/", {"data": {name: value}})
        for name in names
        for value in ODD_VALUES
    ]
    requests += [
        ("get", f"/api/v1/{resource}/", {"data": {"q": value, "page": value}})
        for value in ODD_VALUES
    ]
    requests.append(("get", f"/api/v1/{resource}/?page=99999999999999999999999999", {}))
    requests.append(("get", f"/api/v1/{resource}/?" + "&".join(["kind=x"] * 200), {}))

    failures = server_errors(fuzz_clients["partner"], requests)
    failures += server_errors(fuzz_clients["public"], requests[:: len(ODD_VALUES) // 3])

    assert not failures, failures


@pytest.mark.parametrize("resource", ["changes", "stats"])
def test_no_query_string_makes_the_feed_or_stats_fail_with_a_500(fuzz_clients, resource):
    FacilityFactory.create_batch(2)
    requests = [
        ("get", f"/api/v1/{resource}/", {"data": {name: value}})
        for name in ("since", "limit", "lang", "page", "q")
        for value in ODD_VALUES
    ]

    for client in fuzz_clients.values():
        assert not server_errors(client, requests)


def test_no_detail_address_or_parameter_makes_a_detail_fail_with_a_500(
    fuzz_clients, curated_resource, curated_factory
):
    resource, record = curated_resource, curated_factory()
    ids = [record.public_id, record.public_id.upper(), "x" * 300, "🙂", "%00", "..%2f", "-1"]
    requests = [("get", f"/api/v1/{resource}/{public_id}/", {}) for public_id in ids]
    requests += [
        ("get", f"/api/v1/{resource}/{record.public_id}/", {"data": {name: value}})
        for name in ("fields", "omit", "brief", "lang", "page", "q")
        for value in ODD_VALUES
    ]
    requests += [
        ("get", f"/api/v1/{resource}/{record.public_id}/", {"HTTP_IF_NONE_MATCH": value})
        for value in ODD_VALUES
    ]

    assert not server_errors(fuzz_clients["public"], requests)


MALFORMED_BODIES = [
    "{",
    "{'names': 1}",
    '{"names": {"en": "x"},}',
    "[]",
    "[1, 2, 3]",
    '"just a string"',
    "42",
    "null",
    "true",
    '{"names": {"en": "\\ud800"}}',
    "\ufeff{}",
    "[" * 500 + "]" * 500,
]

ODD_FIELD_VALUES: list[Any] = [
    None,
    "",
    "x" * 20000,
    "深圳灣🙂",
    -1,
    -0.5,
    10**30,
    "1e400",
    "NaN",
    "Infinity",
    True,
    [],
    [None],
    [{"id": 5}],
    {},
    {"id": None},
    {"en": ["nested"]},
    "org-00000000",
    "2025-02-30",
    "javascript:alert(1)",
]


def writable_fields(resource: str) -> list[str]:
    serializer = views_by_resource()[resource].serializer_class()
    return [name for name, field in serializer.fields.items() if not field.read_only]


def views_by_resource() -> dict[str, Any]:
    return {
        "organisations": views.OrganisationViewSet,
        "facilities": views.FacilityViewSet,
        "projects": views.ProjectViewSet,
        "outputs": views.OutputViewSet,
        "flows": views.FactorFlowViewSet,
        "policies": views.PolicyInstrumentViewSet,
        "funding-schemes": views.FundingSchemeViewSet,
    }


VALID_NEW = {
    "organisations": {"names": {"en": "Fuzz Org"}, "kind": "enterprise", "jurisdiction": "macao"},
    "facilities": NEW_FACILITY,
    "projects": {"titles": {"en": "Fuzz project"}, "status": "active"},
    "outputs": {"titles": {"en": "Fuzz output"}, "kind": "dataset"},
    "flows": {"factor": "funds", "direction": "southbound", "status": "planned"},
    "policies": {"names": {"en": "Fuzz policy"}, "status": "issued"},
    "funding-schemes": {"names": {"en": "Fuzz scheme"}},
}


def test_no_body_makes_a_write_fail_with_a_500(
    fuzz_clients, curated_resource, curated_factory, hong_kong_partner_org
):
    resource = curated_resource
    project = ProjectFactory(owner=hong_kong_partner_org, publication=Publication.DRAFT)
    valid = dict(VALID_NEW[resource])
    if resource in ("outputs", "flows"):
        valid["project"] = project.public_id
    own_draft = curated_factory(publication=Publication.DRAFT, owner=hong_kong_partner_org)
    own_published = curated_factory(owner=hong_kong_partner_org)
    detail = f"/api/v1/{resource}/{own_draft.public_id}/"
    published_detail = f"/api/v1/{resource}/{own_published.public_id}/"
    json_kwargs: dict[str, Any] = {"content_type": "application/json", "HTTP_IF_MATCH": "*"}

    requests = [
        (method, url, {"data": body, **json_kwargs})
        for body in MALFORMED_BODIES
        for method, url in (("post", f"/api/v1/{resource}/"), ("patch", detail), ("put", detail))
    ]
    for name in writable_fields(resource):
        for value in ODD_FIELD_VALUES:
            body = json.dumps({**valid, name: value})
            requests.append(("post", f"/api/v1/{resource}/", {"data": body, **json_kwargs}))
            requests.append(("patch", detail, {"data": json.dumps({name: value}), **json_kwargs}))
        requests.append(
            ("patch", published_detail, {"data": json.dumps({name: "x"}), **json_kwargs})
        )

    failures = server_errors(fuzz_clients["partner"], requests)
    failures += server_errors(fuzz_clients["zone editor"], requests[: len(MALFORMED_BODIES) * 3])

    assert not failures, failures


def test_no_header_makes_a_write_fail_with_a_500(fuzz_clients, hong_kong_partner_org):
    facility = FacilityFactory(publication=Publication.DRAFT, owner=hong_kong_partner_org)
    url = f"/api/v1/facilities/{facility.public_id}/"
    headers = [
        {"HTTP_IF_MATCH": value} for value in ["", ",", '"v1.en', 'W/""', '"v' + "9" * 40 + '.en"']
    ]
    headers += [{"HTTP_ACCEPT_LANGUAGE": value} for value in ["", "*", "zh-Hant-x-" + "a" * 200]]
    headers += [{"HTTP_AUTHORIZATION": value} for value in ["Bearer " + "x" * 5000, "Bearer é"]]
    headers += [{"CONTENT_LENGTH": value, "HTTP_IF_MATCH": "*"} for value in ["-1", "abc"]]
    requests = [
        ("patch", url, {"data": '{"status": "closed"}', "content_type": "application/json", **h})
        for h in headers
    ]

    assert not server_errors(fuzz_clients["partner"], requests)
