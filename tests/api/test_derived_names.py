"""Names in every script through the API (issue #14, point 5): ``provenance.derived`` marks a
Chinese name OpenCC converted from the other script; partners cannot set the mark, and a
partner correcting the converted name makes it a person's."""

from __future__ import annotations

import pytest

from registry.models import Facility, Organisation, Publication, Section
from tests.admin.helpers import stored
from tests.api.test_writes import etag_of
from tests.factories import FacilityFactory, ProjectFactory
from tests.test_derived_names import named_in_simplified

pytestmark = pytest.mark.django_db


# -- the API -------------------------------------------------------------------------------------
def test_the_api_marks_a_derived_name_and_the_traditional_name_is_shown_in_traditional(api):
    facility = named_in_simplified()

    body = api.get(f"/api/v1/facilities/{facility.public_id}/?lang=zh-hant").json()

    assert body["names"] == {"en": "", "zh-Hans": "深圳湾实验室", "zh-Hant": "深圳灣實驗室"}
    assert body["name"] == "深圳灣實驗室"
    assert body["provenance"]["derived"] == ["names.zh-Hant"]
    listed = api.get("/api/v1/facilities/?lang=zh-hant").json()["results"]
    assert [row["provenance"]["derived"] for row in listed] == [["names.zh-Hant"]]


def test_a_name_written_by_people_is_not_marked_in_the_api(api):
    project = ProjectFactory(
        title_zh_hans="量子传感", title_zh_hant="量子感測", publication=Publication.PUBLISHED
    )

    body = api.get(f"/api/v1/projects/{project.public_id}/").json()

    assert body["provenance"]["derived"] == []


def partners_draft(organisation: Organisation) -> Facility:
    return FacilityFactory(
        name_en="Loop Robotics Lab",
        name_zh_hans="河套机器人实验室",
        name_zh_hant="",
        owner=organisation,
        publication=Publication.DRAFT,
        curating_section=Section.HONG_KONG,
    )


def test_a_partner_sending_back_what_it_read_keeps_the_name_derived(
    api_as, hong_kong_partner, hong_kong_partner_org
):
    facility = partners_draft(hong_kong_partner_org)
    client = api_as(hong_kong_partner)
    url = f"/api/v1/facilities/{facility.public_id}/"
    read = client.get(url).json()

    response = client.patch(
        url,
        {"names": read["names"], "provenance": read["provenance"]},
        format="json",
        HTTP_IF_MATCH=etag_of(client, url),
    )

    assert response.status_code == 200, response.content
    assert stored(facility).derived_script == "zh_hant"
    assert response.json()["provenance"]["derived"] == ["names.zh-Hant"]


def test_a_partner_correcting_the_derived_name_makes_it_a_person_s(
    api_as, hong_kong_partner, hong_kong_partner_org
):
    facility = partners_draft(hong_kong_partner_org)

    client, url = api_as(hong_kong_partner), f"/api/v1/facilities/{facility.public_id}/"
    response = client.patch(
        url,
        {"names": {"zh-Hant": "河套機械人實驗室"}},
        format="json",
        HTTP_IF_MATCH=etag_of(client, url),
    )

    assert response.status_code == 200, response.content
    record = stored(facility)
    assert (record.name_zh_hant, record.derived_script) == ("河套機械人實驗室", "")
    assert response.json()["provenance"]["derived"] == []


def test_a_partner_cannot_mark_a_name_derived_itself(
    api_as, hong_kong_partner, hong_kong_partner_org
):
    facility = FacilityFactory(
        name_zh_hans="河套机器人实验室",
        name_zh_hant="河套機械人實驗室",
        owner=hong_kong_partner_org,
        publication=Publication.DRAFT,
        curating_section=Section.HONG_KONG,
    )

    client, url = api_as(hong_kong_partner), f"/api/v1/facilities/{facility.public_id}/"
    response = client.patch(
        url,
        {"provenance": {"derived": ["names.zh-Hant"]}},
        format="json",
        HTTP_IF_MATCH=etag_of(client, url),
    )

    assert response.status_code == 200, response.content
    assert stored(facility).derived_script == ""
