"""Conditional requests (docs/architecture.md §8): every detail carries a strong ETag from
the record's version; ``If-None-Match`` gives 304; writes need ``If-Match`` (missing: 428,
stale: 412) and every write moves the version on by one."""

from __future__ import annotations

import pytest

from registry.models import ChangeRequest, Facility, Publication
from tests.api.conftest import problem_of
from tests.factories import FacilityFactory

pytestmark = pytest.mark.django_db


def stored(facility: Facility) -> Facility:
    return Facility.objects.get(pk=facility.pk)


@pytest.fixture
def draft(hong_kong_partner_org) -> Facility:
    return FacilityFactory(
        publication=Publication.DRAFT, owner=hong_kong_partner_org, name_en="Bay Lab"
    )


@pytest.fixture
def partner(api_as, hong_kong_partner):
    return api_as(hong_kong_partner)


def url_of(facility: Facility) -> str:
    return f"/api/v1/facilities/{facility.public_id}/"


# -- reading --------------------------------------------------------------------------------
def test_every_detail_carries_a_strong_etag_from_its_version(
    api, curated_resource, curated_factory
):
    record = curated_factory()

    response = api.get(f"/api/v1/{curated_resource}/{record.public_id}/")

    assert response.status_code == 200
    assert response["ETag"] == f'"v{record.version}.en"'
    assert not response["ETag"].startswith("W/")


def test_the_etag_names_the_language_of_the_representation(api):
    facility = FacilityFactory(name_zh_hant="灣區實驗室")

    english = api.get(url_of(facility))["ETag"]
    traditional = api.get(url_of(facility) + "?lang=zh-hant")["ETag"]

    assert english != traditional
    assert traditional == '"v1.zh-hant"'


@pytest.mark.parametrize(
    "if_none_match", ['"v1.en"', 'W/"v1.en"', '"v0.en", "v1.en"', "*"], ids=str
)
def test_a_matching_if_none_match_is_a_304_without_a_body(api, if_none_match):
    facility = FacilityFactory()

    response = api.get(url_of(facility), HTTP_IF_NONE_MATCH=if_none_match)

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == '"v1.en"'


def test_a_stale_if_none_match_gets_the_new_representation(api, zone_editor):
    facility = FacilityFactory(name_en="Old name")
    old_etag = api.get(url_of(facility))["ETag"]
    facility.name_en = "New name"
    facility.save(user=zone_editor)

    response = api.get(url_of(facility), HTTP_IF_NONE_MATCH=old_etag)

    assert response.status_code == 200
    assert response.json()["name"] == "New name"
    assert response["ETag"] == '"v2.en"'


def test_an_etag_of_another_language_is_not_a_match(api):
    facility = FacilityFactory()

    response = api.get(url_of(facility) + "?lang=zh-hans", HTTP_IF_NONE_MATCH='"v1.en"')

    assert response.status_code == 200


def test_a_partner_gets_304_too(partner, draft):
    etag = partner.get(url_of(draft))["ETag"]

    assert partner.get(url_of(draft), HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_head_answers_with_the_etag(api):
    facility = FacilityFactory()

    response = api.head(url_of(facility))

    assert response.status_code == 200
    assert response["ETag"] == '"v1.en"'


# -- writing --------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["patch", "put"])
def test_a_write_without_if_match_is_a_428_and_changes_nothing(partner, draft, method):
    payload = {"names": {"en": "Blind"}, "kind": "laboratory", "section": "hong_kong"}
    payload["status"] = "planned"

    response = getattr(partner, method)(url_of(draft), payload, format="json")

    problem_of(response, 428)
    after = stored(draft)
    assert (after.name_en, after.version) == ("Bay Lab", 1)


def test_a_delete_without_if_match_is_a_428(api_as, superuser):
    facility = FacilityFactory()

    problem_of(api_as(superuser).delete(url_of(facility)), 428)
    assert Facility.objects.filter(pk=facility.pk).exists()


def test_a_change_request_needs_if_match_too(partner, hong_kong_partner_org):
    published = FacilityFactory(owner=hong_kong_partner_org)

    problem_of(partner.patch(url_of(published), {"status": "closed"}, format="json"), 428)
    assert not ChangeRequest.objects.exists()


def test_a_write_with_a_stale_if_match_is_a_412_and_changes_nothing(partner, draft, zone_editor):
    etag = partner.get(url_of(draft))["ETag"]
    draft.status = Facility.Status.CLOSED
    draft.save(user=zone_editor)  # someone else's edit: now version 2

    response = partner.patch(
        url_of(draft), {"names": {"en": "Lost update"}}, format="json", HTTP_IF_MATCH=etag
    )

    problem_of(response, 412)
    after = stored(draft)
    assert (after.name_en, after.status, after.version) == ("Bay Lab", "closed", 2)


@pytest.mark.parametrize(
    "if_match", ['W/"v1.en"', '"v2.en"', '"v7"', '"1"', '""', '"never-issued"'], ids=str
)
def test_an_if_match_that_is_not_the_current_strong_etag_is_a_412(partner, draft, if_match):
    """Any well-formed entity-tag that does not match, this server's or not, is a 412
    (RFC 9110 §13.1.1): the record is not in the state the client believes."""
    response = partner.patch(
        url_of(draft), {"names": {"en": "X"}}, format="json", HTTP_IF_MATCH=if_match
    )

    problem_of(response, 412)
    assert stored(draft).name_en == "Bay Lab"


@pytest.mark.parametrize("if_match", ["v1.en", '"v1.en', "garbage", '"a"b"'], ids=str)
def test_an_if_match_that_is_no_etag_at_all_is_a_400_naming_the_header(partner, draft, if_match):
    """Not a stale ETag but a malformed header: the client's mistake, said as such."""
    response = partner.patch(
        url_of(draft), {"names": {"en": "X"}}, format="json", HTTP_IF_MATCH=if_match
    )

    problem_of(response, 400)
    assert "If-Match" in response.json()["detail"]
    assert stored(draft).name_en == "Bay Lab"


def test_if_match_star_or_a_list_holding_the_etag_is_accepted(partner, draft):
    first = partner.patch(url_of(draft), {"names": {"en": "A"}}, format="json", HTTP_IF_MATCH="*")
    second = partner.patch(
        url_of(draft), {"names": {"en": "B"}}, format="json", HTTP_IF_MATCH='"v9.en", "v2.en"'
    )

    assert (first.status_code, second.status_code) == (200, 200)
    assert (stored(draft).name_en, stored(draft).version) == ("B", 3)


def test_every_write_moves_the_version_on_by_one_and_answers_with_the_new_etag(partner, draft):
    etag = partner.get(url_of(draft))["ETag"]
    versions = []
    for name in ("First", "Second", "Third"):
        response = partner.patch(
            url_of(draft), {"names": {"en": name}}, format="json", HTTP_IF_MATCH=etag
        )
        assert response.status_code == 200, response.content
        etag = response["ETag"]
        versions.append((stored(draft).version, response.json()["version"], etag))

    assert versions == [(2, 2, '"v2.en"'), (3, 3, '"v3.en"'), (4, 4, '"v4.en"')]


def test_of_two_writers_with_the_same_etag_the_second_gets_412(
    api_as, hong_kong_partner, zone_editor, draft
):
    partner = api_as(hong_kong_partner)
    curator = api_as(zone_editor)
    etag = partner.get(url_of(draft))["ETag"]
    assert curator.get(url_of(draft))["ETag"] == etag

    first = curator.patch(url_of(draft), {"status": "closed"}, format="json", HTTP_IF_MATCH=etag)
    second = partner.patch(
        url_of(draft), {"names": {"en": "Mine"}}, format="json", HTTP_IF_MATCH=etag
    )

    assert first.status_code == 200
    problem_of(second, 412)
    after = stored(draft)
    assert (after.status, after.name_en, after.version) == ("closed", "Bay Lab", 2)
