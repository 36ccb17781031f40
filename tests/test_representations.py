"""The one read path for what the registry sends out (registry/representations.py): built from
lean queries, it gives, byte for byte, what the API's DRF serializers give, for every resource,
reader, language and choice of fields; and it costs one query plus one per related list."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.test import RequestFactory
from rest_framework.request import Request
from rest_framework.test import force_authenticate

from registry import access
from registry.api import views
from registry.models import Organisation, OrganisationRelation, Publication
from registry.representations import Reader, build, represent
from tests.conftest import (
    built_for_the_module,
    make_hong_kong_curator,
    make_hong_kong_partner_org,
    make_partner,
)
from tests.factories import (
    FACTORIES,
    FacilityFactory,
    FactorFlowFactory,
    FundingLineFactory,
    OrganisationFactory,
    OutputFactory,
    ParticipationFactory,
    ProjectFactory,
)

DRAFT, RETRACTED = Publication.DRAFT, Publication.RETRACTED
VIEWSETS = {
    viewset.model.RESOURCE: viewset
    for viewset in (
        views.OrganisationViewSet,
        views.FacilityViewSet,
        views.ProjectViewSet,
        views.OutputViewSet,
        views.FactorFlowViewSet,
        views.PolicyInstrumentViewSet,
        views.FundingSchemeViewSet,
    )
}
READERS = ("the public", "a partner", "a curator")
LANGUAGES = ("en", "zh-hans", "zh-hant")


@pytest.fixture(scope="module")
def registry(django_db_setup, django_db_blocker) -> dict[str, Any]:
    """The demo data, and records half hidden from the public: a published project with a
    draft participant, a draft funder, a retracted output and flow; a facility with a draft
    host and a draft parent; an organisation related to a draft one; a partner's own drafts."""
    with built_for_the_module(django_db_blocker):
        call_command("loaddata", "reference", "demo", verbosity=0)
        partner_org = make_hong_kong_partner_org()
        project = ProjectFactory(title_en="Half hidden", title_zh_hant="半隱")
        ParticipationFactory(project=project)
        ParticipationFactory(project=project, organisation=OrganisationFactory(publication=DRAFT))
        ParticipationFactory(
            project=project, organisation=OrganisationFactory(publication=DRAFT, owner=partner_org)
        )
        FundingLineFactory(project=project, funder=OrganisationFactory(publication=DRAFT))
        FundingLineFactory(project=project)
        OutputFactory(project=project, publication=RETRACTED)
        FactorFlowFactory(project=project, publication=DRAFT, owner=partner_org)
        facility = FacilityFactory(parent=FacilityFactory(publication=DRAFT))
        facility.hosts.set([OrganisationFactory(), OrganisationFactory(publication=DRAFT)])
        hidden = OrganisationFactory(publication=DRAFT)
        OrganisationRelation(
            source=partner_org, kind=OrganisationRelation.Kind.PARENT, target=hidden
        ).save()
        OrganisationRelation(
            source=partner_org,
            kind=OrganisationRelation.Kind.RELATED,
            target=OrganisationFactory(publication=DRAFT),
            target_ror_id="https://ror.org/00abcde12",
            target_label="ROR's name",
        ).save()
        yield {
            "the public": AnonymousUser(),
            "a partner": make_partner("hk-partner", partner_org),
            "a curator": make_hong_kong_curator(),
        }


def as_the_api_serializes(
    resource: str, user: Any, lang: str, fields: set[str] | None
) -> list[dict[str, Any]]:
    """The page as the DRF serializer shows it (records loaded through access.readable)."""
    serializer_class = VIEWSETS[resource].serializer_class
    model = serializer_class.Meta.model
    wanted = set(serializer_class().fields) if fields is None else fields
    relations = wanted & set(model.RELATED_READS)
    records = access.readable(model.objects.all(), user, relations).order_by(*model._meta.ordering)
    request = RequestFactory().get("/", HTTP_HOST="testserver")
    force_authenticate(request, user=user)
    context = {"request": Request(request), "lang": lang, "chosen_fields": fields}
    return serializer_class(list(records), many=True, context=context).data


def represented(resource: str, user: Any, lang: str, fields: set[str] | None) -> list[dict]:
    model = VIEWSETS[resource].model
    page = access.visible(model.objects.all(), user).order_by(*model._meta.ordering)
    chosen = None if fields is None else frozenset(fields)
    reader = Reader(user=user, lang=lang, fields=chosen, url_base="http://testserver")
    return represent(page, reader)


def text(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


def field_choices(resource: str) -> list[set[str] | None]:
    every = list(VIEWSETS[resource].serializer_class().fields)
    return [None, {"id", "name"}, set(every[3:9]), set(every[9:]), {"owner", "provenance"}]


@pytest.mark.django_db
@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("resource", list(FACTORIES))
def test_every_reader_gets_what_the_api_serializers_give_byte_for_byte(
    registry, resource, reader, lang
):
    user = registry[reader]
    for fields in field_choices(resource):
        expected = as_the_api_serializes(resource, user, lang, fields)
        assert expected, "the test data has records of every kind"
        assert text(represented(resource, user, lang, fields)) == text(expected), fields


@pytest.mark.django_db
def test_the_public_never_sees_a_hidden_related_record(registry):
    project = represented("projects", registry["the public"], "en", None)
    half_hidden = next(record for record in project if record["titles"]["en"] == "Half hidden")

    assert len(half_hidden["participations"]) == 1
    assert len(half_hidden["funding_lines"]) == 1
    assert half_hidden["outputs"] == [] and half_hidden["flows"] == []


@pytest.mark.django_db
def test_a_partner_sees_its_own_draft_participant_and_flow(registry):
    project = represented("projects", registry["a partner"], "en", None)
    half_hidden = next(record for record in project if record["titles"]["en"] == "Half hidden")

    assert len(half_hidden["participations"]) == 2
    assert len(half_hidden["flows"]) == 1


@pytest.mark.django_db
def test_a_dump_leaves_out_a_relationship_to_a_hidden_organisation_without_a_ror_id(registry):
    owned = Organisation.objects.filter(partner_accounts__user=registry["a partner"])
    as_partner = represent(owned, Reader(user=registry["a partner"]))
    in_a_dump = represent(owned, Reader(user=registry["a partner"], dump=True))

    assert [row["type"] for row in as_partner[0]["relationships"]] == ["parent", "related"]
    assert as_partner[0]["relationships"][0] == {
        "type": "parent",
        "ror_id": "",
        "id": None,
        "name": "",
    }
    assert in_a_dump[0]["relationships"] == [
        {"type": "related", "ror_id": "https://ror.org/00abcde12", "id": None, "name": "ROR's name"}
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("resource", "lists"),
    [
        ("organisations", 1),  # relationships
        ("facilities", 3),  # hosts, fields, priority areas
        ("projects", 6),  # fields, priority areas, participants, funding, outputs, flows
        ("outputs", 0),
        ("flows", 0),
        ("policies", 0),
        ("funding-schemes", 1),  # ceilings
    ],
)
def test_a_page_costs_one_query_and_one_per_related_list(
    registry, resource, lists, django_assert_num_queries
):
    model = VIEWSETS[resource].model
    page = access.visible(model.objects.all(), None).order_by(*model._meta.ordering)
    with django_assert_num_queries(1 + lists):
        assert represent(page, Reader())
    # Only the lists the chosen fields show are read.
    with django_assert_num_queries(1):
        assert represent(page, Reader(fields=frozenset({"id", "name", "owner"})))


@pytest.mark.django_db
def test_an_empty_page_costs_one_query(registry, django_assert_num_queries):
    with django_assert_num_queries(1):
        records, rows = build(
            access.visible(VIEWSETS["projects"].model.objects.filter(pk=-1), None), Reader()
        )
    assert records == rows == []
