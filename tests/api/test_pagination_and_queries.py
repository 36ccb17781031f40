"""Paging (``page``, ``page_size``: default 50, at most 500, checked strictly) and the query
budget of every list endpoint: the same number of queries at page_size 10 and 100, pinned
here for the public and for a partner (docs/architecture.md §3 rule 3, §4).

A partner's request costs 3 queries more than the public's: its token (with the user), the
user's groups and its partner account (registry/access.py ``actor_for``); reference data asks
nothing of access.py, so only the token. ``last_used_at`` is written at most once a minute, so
each client is warmed up before it is measured.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from rest_framework.test import APIClient

from registry import paging
from registry.models import (
    ChangeRequest,
    Facility,
    FundingCeiling,
    Organisation,
    OrganisationRelation,
    PriorityArea,
    Project,
    Publication,
    ResearchField,
    Side,
    SubArea,
)
from tests.api.conftest import named_parameters, problem_of
from tests.factories import (
    FacilityFactory,
    FactorFlowFactory,
    FundingLineFactory,
    FundingSchemeFactory,
    OrganisationFactory,
    OutputFactory,
    ParticipationFactory,
    PolicyInstrumentFactory,
    ProjectFactory,
)

pytestmark = pytest.mark.django_db

MANY = 130  # the public sees 104 of them (every fifth is a draft): more than a page of 100
PARTNER_EXTRA = 3  # token + groups + partner account
TOKEN_ONLY = 1  # reference data: the token, and no question about who the partner is


# -- data: more than a page of each resource, with every relation its list shows ---------------
def taxonomy() -> tuple[list[ResearchField], list[PriorityArea], SubArea]:
    major = ResearchField.objects.create(code="9", name_en="Test sciences")
    fields = [
        ResearchField.objects.create(code=f"9.{n}", name_en=f"Test field {n}", parent=major)
        for n in range(1, 4)
    ]
    areas = [PriorityArea.objects.create(code=f"area_{n}", name_en=f"Area {n}") for n in range(3)]
    sub_area = SubArea.objects.create(code="loop_q", name_en="Loop", section="hong_kong")
    return fields, areas, sub_area


def owned_or_published(n: int, partner_org: Organisation) -> dict[str, Any]:
    """Every fifth record is a draft of the partner's organisation: the partner sees it, the
    public does not."""
    if n % 5 == 0:
        return {"publication": Publication.DRAFT, "owner": partner_org}
    return {}


def build_organisations(partner_org: Organisation, partner: Any) -> None:
    parent = OrganisationFactory(ror_id="https://ror.org/02zhqgq86")
    for n in range(MANY):
        organisation = OrganisationFactory(**owned_or_published(n, partner_org))
        OrganisationRelation.objects.create(
            source=organisation, kind=OrganisationRelation.Kind.PARENT, target=parent
        )
        OrganisationRelation.objects.create(
            source=organisation,
            kind=OrganisationRelation.Kind.RELATED,
            target_ror_id=f"https://ror.org/0{n:06d}11",
        )


def build_facilities(partner_org: Organisation, partner: Any) -> None:
    fields, areas, sub_area = taxonomy()
    hosts = OrganisationFactory.create_batch(3)
    site = FacilityFactory(kind=Facility.Kind.SITE)
    for n in range(MANY):
        facility = FacilityFactory(
            sub_area=sub_area, parent=site, **owned_or_published(n, partner_org)
        )
        facility.hosts.set(hosts[: 1 + n % 3])
        facility.fields.set(fields[: 1 + n % 3])
        facility.priority_areas.set(areas[: 1 + n % 2])


def build_projects(partner_org: Organisation, partner: Any) -> None:
    fields, areas, _sub_area = taxonomy()
    hong_kong = OrganisationFactory()
    shenzhen = OrganisationFactory(jurisdiction=Organisation.Jurisdiction.MAINLAND)
    lab = FacilityFactory(section=Facility.Location.SHENZHEN)
    scheme = FundingSchemeFactory()
    funder = OrganisationFactory(kind=Organisation.Kind.FUNDER)
    for n in range(MANY):
        project = ProjectFactory(**owned_or_published(n, partner_org))
        project.fields.set(fields[: 1 + n % 3])
        project.priority_areas.set(areas[:1])
        ParticipationFactory(project=project, organisation=hong_kong)
        ParticipationFactory(project=project, organisation=shenzhen, facility=lab)
        FundingLineFactory(project=project, funder=funder, scheme=scheme)
        FundingLineFactory(project=project, funder=funder, currency="CNY", side=Side.SHENZHEN)
        if n % 10 == 0:
            OutputFactory(project=project)
            FactorFlowFactory(project=project)


def build_outputs(partner_org: Organisation, partner: Any) -> None:
    projects = ProjectFactory.create_batch(5)
    for n in range(MANY):
        OutputFactory(project=projects[n % 5], **owned_or_published(n, partner_org))


def build_flows(partner_org: Organisation, partner: Any) -> None:
    projects = ProjectFactory.create_batch(3)
    facilities = FacilityFactory.create_batch(3)
    policy = PolicyInstrumentFactory()
    for n in range(MANY):
        FactorFlowFactory(
            project=projects[n % 3],
            facility=facilities[n % 3],
            mechanism=policy,
            **owned_or_published(n, partner_org),
        )


def build_policies(partner_org: Organisation, partner: Any) -> None:
    issuers = OrganisationFactory.create_batch(3)
    for n in range(MANY):
        PolicyInstrumentFactory(issuer=issuers[n % 3], **owned_or_published(n, partner_org))


def build_funding_schemes(partner_org: Organisation, partner: Any) -> None:
    funder = OrganisationFactory(kind=Organisation.Kind.FUNDER)
    for n in range(MANY):
        scheme = FundingSchemeFactory(funder=funder, **owned_or_published(n, partner_org))
        FundingCeiling.objects.create(
            scheme=scheme, side=Side.HONG_KONG, currency="HKD", amount=Decimal("1000000")
        )
        FundingCeiling.objects.create(
            scheme=scheme, side=Side.SHENZHEN, currency="CNY", amount=Decimal("800000")
        )


def build_fields(partner_org: Organisation, partner: Any) -> None:
    majors = [ResearchField.objects.create(code=str(n), name_en=f"Major {n}") for n in range(7, 10)]
    for n in range(MANY):
        ResearchField.objects.create(
            code=f"{7 + n % 3}.{n}", name_en=f"Field {n}", parent=majors[n % 3]
        )


def build_priority_areas(partner_org: Organisation, partner: Any) -> None:
    for n in range(MANY):
        PriorityArea.objects.create(code=f"area_{n:03d}", name_en=f"Area {n}")


def build_change_requests(partner_org: Organisation, partner: Any) -> None:
    """Requests on two kinds of record, interleaved, so every page holds both kinds."""
    facility = FacilityFactory(owner=partner_org)
    project = ProjectFactory(owner=partner_org)
    for n in range(MANY):
        target = facility if n % 2 else project
        ChangeRequest.objects.create(
            target_type=ContentType.objects.get_for_model(target),
            target_id=target.pk,
            base_version=target.version,
            proposed={"status": "closed"},
            created_by=partner,
        )


BUILDERS: dict[str, Callable[[Organisation, Any], None]] = {
    "organisations": build_organisations,
    "facilities": build_facilities,
    "projects": build_projects,
    "outputs": build_outputs,
    "flows": build_flows,
    "policies": build_policies,
    "funding-schemes": build_funding_schemes,
    "fields": build_fields,
    "priority-areas": build_priority_areas,
    "change-requests": build_change_requests,
}

# Queries one list page costs the public, whatever its size: COUNT, the page, then one per
# prefetched relation (joined relations cost nothing more).
PUBLIC_QUERIES = {
    "organisations": 3,  # + relationships (with their targets joined)
    "facilities": 5,  # + hosts, fields, priority areas
    "projects": 8,  # + fields, priority areas, participations, funding lines, outputs, flows
    "outputs": 2,
    "flows": 2,
    "policies": 2,
    "funding-schemes": 3,  # + ceilings
    "fields": 2,
    "priority-areas": 2,
    "change-requests": 0,  # the public has none: no query at all
}
# A partner: 3 more for who it is; change requests: COUNT, page, and one per kind of target.
PARTNER_QUERIES = {
    **{resource: count + PARTNER_EXTRA for resource, count in PUBLIC_QUERIES.items()},
    "change-requests": PARTNER_EXTRA + 4,
    "fields": PUBLIC_QUERIES["fields"] + TOKEN_ONLY,
    "priority-areas": PUBLIC_QUERIES["priority-areas"] + TOKEN_ONLY,
}


@pytest.fixture
def partner_client(api_as, hong_kong_partner) -> APIClient:
    return api_as(hong_kong_partner)


@pytest.mark.parametrize("resource", BUILDERS)
def test_a_list_costs_the_public_the_same_queries_at_page_size_10_and_100(
    api, resource, hong_kong_partner, hong_kong_partner_org, django_assert_num_queries
):
    BUILDERS[resource](hong_kong_partner_org, hong_kong_partner)
    api.get(f"/api/v1/{resource}/?page_size=1")  # warm caches (content types)

    with django_assert_num_queries(PUBLIC_QUERIES[resource]):
        small = api.get(f"/api/v1/{resource}/?page_size=10")
    with django_assert_num_queries(PUBLIC_QUERIES[resource]):
        large = api.get(f"/api/v1/{resource}/?page_size=100")

    if resource != "change-requests":
        assert len(small.json()["results"]) == 10
        assert len(large.json()["results"]) == 100


@pytest.mark.parametrize("resource", BUILDERS)
def test_a_list_costs_a_partner_the_same_queries_at_page_size_10_and_100(
    partner_client, resource, hong_kong_partner, hong_kong_partner_org, django_assert_num_queries
):
    BUILDERS[resource](hong_kong_partner_org, hong_kong_partner)
    partner_client.get(f"/api/v1/{resource}/?page_size=1")  # stamps last_used_at once

    with django_assert_num_queries(PARTNER_QUERIES[resource]):
        small = partner_client.get(f"/api/v1/{resource}/?page_size=10")
    with django_assert_num_queries(PARTNER_QUERIES[resource]):
        large = partner_client.get(f"/api/v1/{resource}/?page_size=100")

    assert len(small.json()["results"]) == 10
    assert len(large.json()["results"]) == 100


def test_a_partner_sees_its_drafts_in_the_lists_the_public_does_not(
    api, partner_client, hong_kong_partner, hong_kong_partner_org
):
    build_facilities(hong_kong_partner_org, hong_kong_partner)

    public_count = api.get("/api/v1/facilities/").json()["count"]
    partner_count = partner_client.get("/api/v1/facilities/").json()["count"]

    assert partner_count - public_count == MANY // 5


def test_the_change_feed_costs_the_same_queries_for_10_and_100_events(
    api, partner_client, django_assert_num_queries
):
    FacilityFactory.create_batch(MANY)
    partner_client.get("/api/v1/changes/?limit=1")

    with django_assert_num_queries(1):
        small = api.get("/api/v1/changes/?limit=10")
    with django_assert_num_queries(1):
        large = api.get("/api/v1/changes/?limit=100")
    with django_assert_num_queries(1 + PARTNER_EXTRA):
        partner_client.get("/api/v1/changes/?limit=100")

    assert len(small.json()["results"]) == 10
    assert len(large.json()["results"]) == 100


# -- paging ---------------------------------------------------------------------------------
def test_a_page_holds_50_records_unless_asked_otherwise(api):
    FacilityFactory.create_batch(55)

    first = api.get("/api/v1/facilities/").json()
    second = api.get(first["next"]).json()

    assert first["count"] == 55
    assert len(first["results"]) == 50
    assert len(second["results"]) == 5
    assert second["next"] is None
    assert second["previous"] is not None
    seen = [row["id"] for row in first["results"] + second["results"]]
    assert len(set(seen)) == 55


def test_past_the_count_cap_a_list_says_more_and_still_pages_to_the_end(api, monkeypatch):
    """Counting stops at the cap (1,000; 5 here): the count says "at least"; ``next`` then
    continues by cursor, to the last record, and page numbers still reach every page."""
    monkeypatch.setattr(paging, "COUNT_CAP", 5)
    made = FacilityFactory.create_batch(8)

    first = api.get("/api/v1/facilities/?page_size=3").json()
    assert (first["count"], first["count_exact"]) == (5, False)
    assert "cursor=" in first["next"] and "page_size=3" in first["next"]
    second = api.get(first["next"]).json()
    third = api.get(second["next"]).json()
    assert third["next"] is None and third["previous"] is None  # cursors go forward
    followed = [row["id"] for body in (first, second, third) for row in body["results"]]
    assert followed == [
        row["id"] for row in api.get("/api/v1/facilities/?page_size=8").json()["results"]
    ]
    assert sorted(followed) == sorted(f.public_id for f in made)

    fourth = api.get("/api/v1/facilities/?page_size=2&page=4").json()
    assert len(fourth["results"]) == 2 and fourth["next"] is None
    past = api.get("/api/v1/facilities/?page_size=2&page=5")
    assert past.status_code == 404
    assert "There is no page 5." in past.json()["detail"]


@pytest.mark.parametrize("ordering", ["opened_on", "-opened_on"])
def test_cursors_page_through_records_with_and_without_a_value_once_each(
    api, monkeypatch, ordering
):
    """Records with no opening date sort as if opened last (on every database), and cursors
    cross from dated to undated records (and back, going down) without losing any."""
    monkeypatch.setattr(paging, "COUNT_CAP", 2)
    days = [None, datetime.date(2020, 1, 1), None, datetime.date(2021, 1, 1), None]
    days += [datetime.date(2020, 1, 1), datetime.date(2022, 6, 1)]
    made = [FacilityFactory(opened_on=day) for day in days]

    followed, url = [], f"/api/v1/facilities/?page_size=2&ordering={ordering}"
    while url:
        body = api.get(url).json()
        followed += [(row["id"], row["opened_on"]) for row in body["results"]]
        url = body["next"]

    assert sorted(i for i, _ in followed) == sorted(f.public_id for f in made)
    dated = [d for _, d in followed if d is not None]
    undated_at = [n for n, (_, d) in enumerate(followed) if d is None]
    if ordering == "opened_on":
        assert dated == sorted(dated) and undated_at == [4, 5, 6]
    else:
        assert dated == sorted(dated, reverse=True) and undated_at == [0, 1, 2]
    for day in {d for _, d in followed}:  # ties in public id order, in the sort's direction
        tied = [i for i, d in followed if d == day]
        assert tied == sorted(tied, reverse=ordering.startswith("-"))


@pytest.mark.parametrize(
    "cursor",
    [
        "nonsense",
        "eyJzIjogWyJ0aXRsZV9lbiJdfQ",  # {"s": ["title_en"]}: another sort, no values
        "",
    ],
)
def test_a_cursor_the_list_did_not_hand_out_is_a_400_naming_cursor(api, cursor):
    body = problem_of(api.get("/api/v1/facilities/", {"cursor": cursor}), 400)

    assert named_parameters(body) == {"cursor"}


def test_a_cursor_with_a_page_number_is_a_400_naming_cursor(api, monkeypatch):
    monkeypatch.setattr(paging, "COUNT_CAP", 1)
    FacilityFactory.create_batch(3)
    handed_out = api.get("/api/v1/facilities/?page_size=1").json()["next"]

    body = problem_of(api.get(handed_out + "&page=2"), 400)

    assert named_parameters(body) == {"cursor"}
    assert "no page with it" in body["errors"][0]["message"]


@pytest.mark.parametrize("resource", ["fields", "priority-areas", "change-requests"])
def test_lists_paged_by_number_alone_refuse_a_cursor_and_do_not_document_one(api, resource):
    """Reference vocabularies and change requests never hand out a cursor: one sent anyway
    is an unknown parameter, not silently ignored, and the schema offers none."""
    for cursor in ("x" * 500, ""):
        body = problem_of(api.get(f"/api/v1/{resource}/", {"cursor": cursor}), 400)
        assert named_parameters(body) == {"cursor"}

    schema = api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    listed = {p["name"] for p in schema["paths"][f"/api/v1/{resource}/"]["get"]["parameters"]}
    assert "page" in listed and "cursor" not in listed
    curated = schema["paths"]["/api/v1/facilities/"]["get"]["parameters"]
    assert "cursor" in {p["name"] for p in curated}


def test_a_cursor_for_another_sort_is_refused(api, monkeypatch):
    monkeypatch.setattr(paging, "COUNT_CAP", 1)
    FacilityFactory.create_batch(3)
    by_name = api.get("/api/v1/facilities/?page_size=1").json()["next"]

    body = problem_of(api.get(by_name + "&ordering=-opened_on"), 400)

    assert "another sort order" in body["errors"][0]["message"]


def test_below_the_count_cap_the_count_is_exact(api, monkeypatch):
    monkeypatch.setattr(paging, "COUNT_CAP", 5)
    FacilityFactory.create_batch(5)

    body = api.get("/api/v1/facilities/?page_size=2").json()

    assert (body["count"], body["count_exact"]) == (5, True)
    assert api.get("/api/v1/facilities/?page_size=2&page=4").status_code == 404


def test_page_size_goes_up_to_500(api):
    OrganisationFactory.create_batch(3)

    body = api.get("/api/v1/organisations/?page_size=500").json()

    assert len(body["results"]) == 3


def test_next_and_previous_keep_the_filters(api):
    FacilityFactory.create_batch(3, kind=Facility.Kind.LABORATORY)
    FacilityFactory.create_batch(3, kind=Facility.Kind.INCUBATOR)

    first = api.get("/api/v1/facilities/?kind=incubator&page_size=2").json()
    second = api.get(first["next"]).json()

    assert "kind=incubator" in first["next"]
    assert first["count"] == 3
    assert {row["kind"] for row in first["results"] + second["results"]} == {"incubator"}


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("page_size=501", "page_size"),
        ("page_size=0", "page_size"),
        ("page_size=-5", "page_size"),
        ("page_size=abc", "page_size"),
        ("page_size=1.5", "page_size"),
        ("page_size=", "page_size"),
        ("page_size=10&page_size=20", "page_size"),
        ("page=0", "page"),
        ("page=abc", "page"),
        ("page=-1", "page"),
        ("page=last", "page"),
        ("page=1&page=2", "page"),
    ],
)
@pytest.mark.parametrize("resource", [*BUILDERS])
def test_a_bad_page_or_page_size_is_a_400_naming_it(api, resource, query, parameter):
    body = problem_of(api.get(f"/api/v1/{resource}/?{query}"), 400)

    assert named_parameters(body) == {parameter}


def test_a_page_past_the_end_is_a_404_problem(api):
    FacilityFactory.create_batch(3)

    problem_of(api.get("/api/v1/facilities/?page=2&page_size=3"), 404)
    problem_of(api.get("/api/v1/facilities/?page=99999999999999999999"), 404)


def test_page_1_of_an_empty_list_is_an_empty_page(api):
    body = api.get("/api/v1/projects/").json()

    assert body == {
        "count": 0,
        "count_exact": True,
        "next": None,
        "previous": None,
        "results": [],
    }


def test_a_listed_project_reads_as_its_detail(api):
    """The list and the detail share one read path and one representation."""
    build_projects(OrganisationFactory(), None)
    project = Project.objects.filter(publication=Publication.PUBLISHED).first()

    listed = api.get("/api/v1/projects/", {"page_size": 500}).json()["results"]
    detail = api.get(f"/api/v1/projects/{project.public_id}/").json()

    assert next(row for row in listed if row["id"] == project.public_id) == detail
