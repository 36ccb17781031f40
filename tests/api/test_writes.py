"""Writes through the API (docs/architecture.md §1, §5, §8): partners add records
(they enter review, owned by their organisation, curated by its side's section), edit their own
unpublished records, and propose changes to their published ones as change requests. Fields a
partner may not set are never stored, whatever is sent: every test reads the stored row."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from registry.models import (
    ChangeRequest,
    Facility,
    FundingScheme,
    PriorityArea,
    Project,
    Publication,
    ResearchField,
    Section,
    Verification,
)
from tests.api.conftest import named_fields, problem_of
from tests.factories import FACTORIES, FacilityFactory, OrganisationFactory, ProjectFactory

pytestmark = pytest.mark.django_db

MODELS = {resource: factory._meta.model for resource, factory in FACTORIES.items()}


def new_record_payload(resource: str, project: Project | None = None) -> dict[str, Any]:
    """The least a partner sends to add a record of ``resource``."""
    return {
        "organisations": {
            "names": {"en": "Loop Robotics Ltd", "zh-Hant": "河套機械人有限公司"},
            "kind": "enterprise",
            "jurisdiction": "hong_kong",
        },
        "facilities": {
            "names": {"en": "Loop Robotics Lab"},
            "kind": "laboratory",
            "section": "hong_kong",
            "status": "planned",
        },
        "projects": {"titles": {"en": "Soft robotic grippers"}, "status": "proposed"},
        "outputs": {
            "titles": {"en": "Gripper patent"},
            "kind": "patent",
            "project": project.public_id if project else None,
        },
        "flows": {
            "factor": "equipment",
            "direction": "northbound",
            "status": "planned",
            "project": project.public_id if project else None,
        },
        "policies": {"names": {"en": "Lab equipment measures"}, "status": "proposed"},
        "funding-schemes": {"names": {"en": "Loop seed fund"}},
    }[resource]


def stored(record: Any) -> Any:
    return type(record)._base_manager.get(pk=record.pk)


def etag_of(client: Any, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return response["ETag"]


@pytest.fixture
def hk_partner_api(api_as, hong_kong_partner):
    return api_as(hong_kong_partner)


@pytest.fixture
def own_project(hong_kong_partner_org) -> Project:
    return ProjectFactory(publication=Publication.IN_REVIEW, owner=hong_kong_partner_org)


# -- creating -------------------------------------------------------------------------------
@pytest.mark.parametrize("resource", MODELS)
def test_a_partner_adds_a_record_that_waits_for_review_owned_by_its_organisation(
    resource, hk_partner_api, hong_kong_partner, hong_kong_partner_org, own_project
):
    response = hk_partner_api.post(
        f"/api/v1/{resource}/", new_record_payload(resource, own_project), format="json"
    )

    assert response.status_code == 201, response.content
    public_id = response.json()["id"]
    record = MODELS[resource].objects.get(public_id=public_id)
    assert record.publication == Publication.IN_REVIEW
    assert record.owner_id == hong_kong_partner_org.pk
    assert record.curating_section == Section.HONG_KONG
    assert record.created_by == hong_kong_partner
    # It is in the review queue as submitted by the partner, with when.
    assert record.submitted_by == hong_kong_partner
    assert record.submitted_at is not None
    assert record.version == 1
    assert response["Location"].endswith(f"/api/v1/{resource}/{public_id}/")
    assert response["ETag"] == '"v1.en"'


def test_a_shenzhen_partners_record_is_curated_by_the_shenzhen_section(
    api_as, shenzhen_partner, shenzhen_partner_org
):
    response = api_as(shenzhen_partner).post(
        "/api/v1/facilities/", new_record_payload("facilities"), format="json"
    )

    assert response.status_code == 201, response.content
    record = Facility.objects.get(public_id=response.json()["id"])
    assert record.curating_section == Section.SHENZHEN
    assert record.owner_id == shenzhen_partner_org.pk


def test_a_new_record_is_stored_as_sent(hk_partner_api):
    host = OrganisationFactory()
    field = ResearchField.objects.create(code="2.2", name_en="Electrical engineering")
    area = PriorityArea.objects.create(code="robotics", name_en="Robotics")

    response = hk_partner_api.post(
        "/api/v1/facilities/",
        {
            "names": {"en": "Loop Robotics Lab", "zh-Hans": "河套机器人实验室"},
            "kind": "laboratory",
            "section": "hong_kong",
            "status": "under_construction",
            "hosts": [host.public_id],
            "fields": ["2.2"],
            "priority_areas": [{"id": "robotics"}],
            "opened_on": "2027-03-01",
            "floor_area_m2": "1200.5",
            "provenance": {"sources": ["https://example.org/news"], "as_of": "2026-10-01"},
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    facility = Facility.objects.get(public_id=response.json()["id"])
    # With the 繁體 name the registry converts from the 简体 one, marked as converted.
    assert (facility.name_en, facility.name_zh_hans, facility.name_zh_hant) == (
        "Loop Robotics Lab",
        "河套机器人实验室",
        "河套機器人實驗室",
    )
    assert facility.derived_script == "zh_hant"
    assert facility.status == Facility.Status.UNDER_CONSTRUCTION
    assert list(facility.hosts.all()) == [host]
    assert list(facility.fields.all()) == [field]
    assert list(facility.priority_areas.all()) == [area]
    assert facility.opened_on == datetime.date(2027, 3, 1)
    assert str(facility.floor_area_m2) == "1200.5"
    assert facility.sources == ["https://example.org/news"]
    assert facility.as_of == datetime.date(2026, 10, 1)


FORBIDDEN = {
    "id": "fac-00000000",
    "public_id": "fac-00000000",
    "publication": "published",
    "curating_section": "shenzhen",
    "owner": "org-00000000",
    "version": 42,
    "created_at": "2000-01-01T00:00:00Z",
    "updated_at": "2000-01-01T00:00:00Z",
    "created_by": 1,
    "updated_by": 1,
    "submitted_by": 1,
    "published_at": "2000-01-01T00:00:00Z",
    "search_text": "planted words",
    "url": "https://evil.example/",
}


def test_a_partner_cannot_set_what_partners_may_not_set_on_a_new_record(
    hk_partner_api, hong_kong_partner_org, shenzhen_partner_org
):
    forbidden = {
        **FORBIDDEN,
        "owner": shenzhen_partner_org.public_id,
        "provenance": {"verification": "verified_primary", "sources": []},
    }
    started = timezone.now()

    response = hk_partner_api.post(
        "/api/v1/facilities/", {**new_record_payload("facilities"), **forbidden}, format="json"
    )

    assert response.status_code == 201, response.content
    facility = Facility.objects.get(public_id=response.json()["id"])
    assert facility.public_id != "fac-00000000"
    assert facility.publication == Publication.IN_REVIEW
    assert facility.curating_section == Section.HONG_KONG
    assert facility.owner_id == hong_kong_partner_org.pk
    assert facility.verification == Verification.UNVERIFIED
    assert facility.version == 1
    assert facility.created_at >= started and facility.updated_at >= started
    assert facility.published_at is None
    assert "planted" not in facility.search_text


def test_a_partner_cannot_set_the_publication_state_of_its_own_record(
    hk_partner_api, hong_kong_partner_org
):
    facility = FacilityFactory(publication=Publication.DRAFT, owner=hong_kong_partner_org)
    url = f"/api/v1/facilities/{facility.public_id}/"

    response = hk_partner_api.patch(
        url,
        {"publication": "published", "names": {"en": "Renamed"}},
        format="json",
        HTTP_IF_MATCH=etag_of(hk_partner_api, url),
    )

    assert response.status_code == 200, response.content
    after = stored(facility)
    assert after.publication == Publication.DRAFT
    assert after.name_en == "Renamed"


def test_a_partner_cannot_change_protected_fields_of_its_own_draft(
    hk_partner_api, hong_kong_partner_org, shenzhen_partner_org
):
    facility = FacilityFactory(
        publication=Publication.DRAFT,
        owner=hong_kong_partner_org,
        verification=Verification.UNVERIFIED,
    )
    before = stored(facility)
    url = f"/api/v1/facilities/{facility.public_id}/"

    response = hk_partner_api.patch(
        url,
        {
            **FORBIDDEN,
            "owner": shenzhen_partner_org.public_id,
            "provenance": {"verification": "verified_primary"},
        },
        format="json",
        HTTP_IF_MATCH=etag_of(hk_partner_api, url),
    )

    assert response.status_code == 200, response.content
    after = stored(facility)
    for field in ("public_id", "publication", "curating_section", "owner_id", "verification"):
        assert getattr(after, field) == getattr(before, field), field
    assert after.created_at == before.created_at
    # Nothing a partner may set was sent: no change at all, so no new version either.
    assert after.version == before.version


def test_a_partner_cannot_mark_its_project_cross_border_by_hand(hk_partner_api, own_project):
    url = f"/api/v1/projects/{own_project.public_id}/"

    hk_partner_api.patch(
        url, {"cross_border": True}, format="json", HTTP_IF_MATCH=etag_of(hk_partner_api, url)
    )

    assert stored(own_project).cross_border is False


def test_a_partner_cannot_refer_to_a_record_it_may_not_see(hk_partner_api, shenzhen_partner_org):
    hidden = FacilityFactory(publication=Publication.DRAFT, owner=shenzhen_partner_org)

    response = hk_partner_api.post(
        "/api/v1/facilities/",
        {**new_record_payload("facilities"), "parent": hidden.public_id},
        format="json",
    )

    body = problem_of(response, 400)
    assert named_fields(body) == {"parent"}
    assert Facility.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        pytest.param({"kind": "castle"}, "kind", id="unknown-kind"),
        pytest.param({"names": "Loop Lab"}, "names", id="names-not-an-object"),
        pytest.param({"names": {"fr": "Labo"}}, "names", id="unknown-script"),
        pytest.param({"names": {"en": 7}}, "names", id="name-not-text"),
        pytest.param({"hosts": ["org-123"]}, "hosts", id="malformed-host-id"),
        pytest.param({"fields": ["99.99"]}, "fields", id="unknown-field-code"),
        pytest.param({"opened_on": "next year"}, "opened_on", id="not-a-date"),
        pytest.param({"website": "not a url"}, "website", id="not-a-url"),
        pytest.param(
            {"provenance": {"sources": ["ftp://x"]}}, "provenance.sources", id="ftp-source"
        ),
        pytest.param({"provenance": {"colour": "red"}}, "provenance", id="unknown-provenance"),
    ],
)
def test_bad_values_are_a_400_naming_the_field_and_nothing_is_stored(hk_partner_api, change, field):
    response = hk_partner_api.post(
        "/api/v1/facilities/", {**new_record_payload("facilities"), **change}, format="json"
    )

    body = problem_of(response, 400)
    assert field in named_fields(body), body
    assert not Facility.objects.exists()


@pytest.mark.parametrize(
    ("resource", "change", "field"),
    [
        pytest.param("organisations", {"names": {}}, "names", id="no-name"),
        pytest.param("organisations", {"names": {"en": "  "}}, "names", id="blank-name"),
        pytest.param("projects", {"titles": {"zh-Hans": ""}}, "titles", id="blank-title"),
        pytest.param("facilities", {"floor_area_m2": "-5"}, "floor_area_m2", id="negative-area"),
        pytest.param("facilities", {"latitude": "100"}, "latitude", id="latitude-off-earth"),
        pytest.param("flows", {"value": "-1", "currency": "HKD"}, "value", id="negative-value"),
        pytest.param("flows", {"quantity": "-3"}, "quantity", id="negative-quantity"),
    ],
)
def test_a_value_the_database_would_refuse_is_a_400_not_a_500(
    hk_partner_api, own_project, resource, change, field
):
    hk_partner_api.raise_request_exception = False
    model = MODELS[resource]
    count = model._base_manager.count()

    response = hk_partner_api.post(
        f"/api/v1/{resource}/",
        {**new_record_payload(resource, own_project), **change},
        format="json",
    )

    body = problem_of(response, 400)
    assert field in named_fields(body), body
    assert model._base_manager.count() == count


def test_a_partner_cannot_put_a_facility_inside_one_of_its_own_parts(
    hk_partner_api, hong_kong_partner_org
):
    cluster = FacilityFactory(publication=Publication.DRAFT, owner=hong_kong_partner_org)
    lab = FacilityFactory(
        publication=Publication.DRAFT, owner=hong_kong_partner_org, parent=cluster
    )
    url = f"/api/v1/facilities/{cluster.public_id}/"

    into_itself = hk_partner_api.patch(
        url,
        {"parent": cluster.public_id},
        format="json",
        HTTP_IF_MATCH=etag_of(hk_partner_api, url),
    )
    into_its_part = hk_partner_api.patch(
        url, {"parent": lab.public_id}, format="json", HTTP_IF_MATCH=etag_of(hk_partner_api, url)
    )

    assert named_fields(problem_of(into_itself, 400)) == {"parent"}
    assert named_fields(problem_of(into_its_part, 400)) == {"parent"}
    assert "its own parts" in str(problem_of(into_its_part, 400))
    assert stored(cluster).parent is None
    assert stored(cluster).version == cluster.version


def test_text_that_is_not_unicode_is_a_400_naming_the_field(hk_partner_api, hong_kong_partner_org):
    """JSON may escape a lone surrogate (\\ud800); no text field can store it."""
    hk_partner_api.raise_request_exception = False
    draft = FacilityFactory(publication=Publication.DRAFT, owner=hong_kong_partner_org)
    body = '{"names": {"en": "Lab \\ud800"}}'

    created = hk_partner_api.post("/api/v1/funding-schemes/", body, content_type="application/json")
    patched = hk_partner_api.patch(
        f"/api/v1/facilities/{draft.public_id}/",
        body,
        content_type="application/json",
        HTTP_IF_MATCH="*",
    )

    assert "names" in named_fields(problem_of(created, 400))
    assert "names" in named_fields(problem_of(patched, 400))
    assert stored(draft).name_en == draft.name_en
    assert not FundingScheme.objects.exists()


# -- editing --------------------------------------------------------------------------------
@pytest.mark.parametrize("state", [Publication.DRAFT, Publication.IN_REVIEW])
def test_a_partner_edits_its_own_unpublished_record(
    hk_partner_api, hong_kong_partner, hong_kong_partner_org, state
):
    facility = FacilityFactory(publication=state, owner=hong_kong_partner_org, name_en="Old name")
    url = f"/api/v1/facilities/{facility.public_id}/"

    response = hk_partner_api.patch(
        url,
        {"names": {"en": "New name"}, "status": "closed"},
        format="json",
        HTTP_IF_MATCH=etag_of(hk_partner_api, url),
    )

    assert response.status_code == 200, response.content
    assert response.json()["name"] == "New name"
    after = stored(facility)
    assert (after.name_en, after.status, after.version) == ("New name", "closed", 2)
    assert after.publication == state
    assert after.updated_by == hong_kong_partner
    assert not ChangeRequest.objects.exists()


def test_a_patch_of_one_script_leaves_the_other_scripts_as_they_were(
    hk_partner_api, hong_kong_partner_org
):
    facility = FacilityFactory(
        publication=Publication.DRAFT,
        owner=hong_kong_partner_org,
        name_en="Bay Lab",
        name_zh_hans="湾区实验室",
        name_zh_hant="灣區實驗室",
        description_en="About the lab.",
    )
    url = f"/api/v1/facilities/{facility.public_id}/"

    response = hk_partner_api.patch(
        url,
        {"names": {"en": "Greater Bay Lab"}},
        format="json",
        HTTP_IF_MATCH=etag_of(hk_partner_api, url),
    )

    assert response.status_code == 200, response.content
    after = stored(facility)
    assert (after.name_en, after.name_zh_hans, after.name_zh_hant) == (
        "Greater Bay Lab",
        "湾区实验室",
        "灣區實驗室",
    )
    assert after.description_en == "About the lab."
    assert response.json()["names"] == {
        "en": "Greater Bay Lab",
        "zh-Hans": "湾区实验室",
        "zh-Hant": "灣區實驗室",
    }


def test_a_patch_of_the_sources_leaves_the_as_of_date(hk_partner_api, hong_kong_partner_org):
    facility = FacilityFactory(publication=Publication.DRAFT, owner=hong_kong_partner_org)
    url = f"/api/v1/facilities/{facility.public_id}/"

    hk_partner_api.patch(
        url,
        {"provenance": {"sources": ["https://example.org/a", "https://example.org/b"]}},
        format="json",
        HTTP_IF_MATCH=etag_of(hk_partner_api, url),
    )

    after = stored(facility)
    assert after.sources == ["https://example.org/a", "https://example.org/b"]
    assert after.as_of == facility.as_of


def test_a_put_replaces_the_record(hk_partner_api, hong_kong_partner_org):
    facility = FacilityFactory(
        publication=Publication.DRAFT, owner=hong_kong_partner_org, name_zh_hant="舊名"
    )
    url = f"/api/v1/facilities/{facility.public_id}/"

    response = hk_partner_api.put(
        url,
        {
            "names": {"en": "Replaced"},
            "kind": "incubator",
            "section": "shenzhen",
            "status": "planned",
        },
        format="json",
        HTTP_IF_MATCH=etag_of(hk_partner_api, url),
    )

    assert response.status_code == 200, response.content
    after = stored(facility)
    assert (after.name_en, after.kind, after.section) == ("Replaced", "incubator", "shenzhen")
    assert after.publication == Publication.DRAFT


def test_a_put_without_a_required_field_is_a_400_naming_it(hk_partner_api, hong_kong_partner_org):
    facility = FacilityFactory(publication=Publication.DRAFT, owner=hong_kong_partner_org)
    url = f"/api/v1/facilities/{facility.public_id}/"

    response = hk_partner_api.put(
        url,
        {"names": {"en": "Replaced"}},
        format="json",
        HTTP_IF_MATCH=etag_of(hk_partner_api, url),
    )

    body = problem_of(response, 400)
    assert {"kind", "section", "status"} <= named_fields(body)
    assert stored(facility).name_en == facility.name_en


def test_a_partner_links_hosts_and_fields_of_its_draft(hk_partner_api, hong_kong_partner_org):
    facility = FacilityFactory(publication=Publication.DRAFT, owner=hong_kong_partner_org)
    host = OrganisationFactory()
    url = f"/api/v1/facilities/{facility.public_id}/"

    response = hk_partner_api.patch(
        url,
        {"hosts": [{"id": host.public_id}, hong_kong_partner_org.public_id]},
        format="json",
        HTTP_IF_MATCH=etag_of(hk_partner_api, url),
    )

    assert response.status_code == 200, response.content
    assert set(stored(facility).hosts.all()) == {host, hong_kong_partner_org}


# -- change requests ------------------------------------------------------------------------
def test_a_partners_change_to_its_published_record_becomes_a_change_request(
    hk_partner_api, hong_kong_partner, hong_kong_partner_org
):
    facility = FacilityFactory(
        owner=hong_kong_partner_org, name_en="Published Lab", status=Facility.Status.PLANNED
    )
    url = f"/api/v1/facilities/{facility.public_id}/"

    response = hk_partner_api.patch(
        url,
        {"names": {"en": "Renamed Lab"}, "status": "operational", "opened_on": "2026-09-01"},
        format="json",
        HTTP_IF_MATCH=etag_of(hk_partner_api, url),
    )

    assert response.status_code == 202, response.content
    change_request = ChangeRequest.objects.get()
    assert response["Location"].endswith(f"/api/v1/change-requests/{change_request.pk}/")
    assert change_request.target == facility
    assert change_request.proposed == {
        "name_en": "Renamed Lab",
        "status": "operational",
        "opened_on": "2026-09-01",
    }
    assert change_request.base_version == 1
    assert change_request.state == ChangeRequest.State.OPEN
    assert change_request.created_by == hong_kong_partner
    after = stored(facility)
    assert (after.name_en, after.status, after.version) == ("Published Lab", "planned", 1)


def test_a_partner_follows_its_change_request_at_the_location_given(
    hk_partner_api, hong_kong_partner_org, api
):
    facility = FacilityFactory(owner=hong_kong_partner_org)
    url = f"/api/v1/facilities/{facility.public_id}/"
    location = hk_partner_api.patch(
        url, {"status": "closed"}, format="json", HTTP_IF_MATCH=etag_of(hk_partner_api, url)
    )["Location"]

    body = hk_partner_api.get(location).json()

    assert body["state"] == "open"
    assert body["target"] == {"id": facility.public_id, "name": facility.name_en}
    assert body["proposed"] == {"status": "closed"}
    problem_of(api.get(location), 404)


def test_a_change_request_never_carries_fields_partners_may_not_set(
    hk_partner_api, hong_kong_partner_org
):
    facility = FacilityFactory(owner=hong_kong_partner_org)
    url = f"/api/v1/facilities/{facility.public_id}/"

    response = hk_partner_api.patch(
        url,
        {**FORBIDDEN, "provenance": {"verification": "verified_primary"}, "status": "closed"},
        format="json",
        HTTP_IF_MATCH=etag_of(hk_partner_api, url),
    )

    assert response.status_code == 202, response.content
    assert ChangeRequest.objects.get().proposed == {"status": "closed"}


def test_a_partner_cannot_edit_its_retracted_record(hk_partner_api, hong_kong_partner_org):
    facility = FacilityFactory(publication=Publication.RETRACTED, owner=hong_kong_partner_org)

    response = hk_partner_api.patch(
        f"/api/v1/facilities/{facility.public_id}/",
        {"status": "closed"},
        format="json",
        HTTP_IF_MATCH='"v1.en"',
    )

    problem_of(response, 403)
    assert stored(facility).status == facility.status
    assert not ChangeRequest.objects.exists()


# -- curators and deletion --------------------------------------------------------------------
def test_a_curator_adds_a_draft_in_the_section_it_names(api_as, zone_editor):
    response = api_as(zone_editor).post(
        "/api/v1/facilities/",
        {**new_record_payload("facilities"), "curating_section": "shenzhen"},
        format="json",
    )

    assert response.status_code == 201, response.content
    facility = Facility.objects.get(public_id=response.json()["id"])
    assert facility.curating_section == Section.SHENZHEN
    assert facility.publication == Publication.DRAFT
    assert facility.owner_id is None


def test_a_zone_editor_must_say_which_section_curates_a_new_record(api_as, zone_editor):
    response = api_as(zone_editor).post(
        "/api/v1/facilities/", new_record_payload("facilities"), format="json"
    )

    problem_of(response, 400)
    assert not Facility.objects.exists()


def test_a_section_curator_adds_records_to_its_own_section(api_as, shenzhen_curator):
    response = api_as(shenzhen_curator).post(
        "/api/v1/facilities/", new_record_payload("facilities"), format="json"
    )

    assert response.status_code == 201, response.content
    assert Facility.objects.get().curating_section == Section.SHENZHEN


def test_a_partner_cannot_delete_its_record(hk_partner_api, hong_kong_partner_org):
    facility = FacilityFactory(publication=Publication.DRAFT, owner=hong_kong_partner_org)

    response = hk_partner_api.delete(
        f"/api/v1/facilities/{facility.public_id}/", HTTP_IF_MATCH='"v1.en"'
    )

    problem_of(response, 403)
    assert Facility.objects.filter(pk=facility.pk).exists()


def test_a_superuser_deletes_a_record_with_if_match(api_as, superuser):
    facility = FacilityFactory()
    client = api_as(superuser)
    url = f"/api/v1/facilities/{facility.public_id}/"

    response = client.delete(url, HTTP_IF_MATCH=etag_of(client, url))

    assert response.status_code == 204
    assert not Facility.objects.filter(pk=facility.pk).exists()
