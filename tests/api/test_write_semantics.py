"""What a write means (docs/api.md, "Writes"): a PATCH changes what it sends, a PUT replaces
the record, a write that changes nothing leaves no trace, and every time is UTC with "Z"."""

from __future__ import annotations

import datetime
import re

import pytest

from registry.models import ChangeEvent, ChangeRequest, Facility, Publication
from tests.api.conftest import problem_of
from tests.factories import FacilityFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

UTC_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


@pytest.fixture
def partner(api_as, hong_kong_partner):
    return api_as(hong_kong_partner)


@pytest.fixture
def draft(hong_kong_partner_org) -> Facility:
    host = OrganisationFactory()
    facility = FacilityFactory(
        publication=Publication.DRAFT,
        owner=hong_kong_partner_org,
        name_en="Bay Lab",
        name_zh_hant="灣區實驗室",
        address="1 Science Park Road",
        website="https://bay.example.org/",
        opened_on=datetime.date(2021, 3, 1),
        sources=["https://bay.example.org/about"],
    )
    facility.hosts.add(host)
    return facility


def url_of(facility: Facility) -> str:
    return f"/api/v1/facilities/{facility.public_id}/"


def traces(facility: Facility) -> tuple[int, int, int]:
    """(version, history rows, change events) of the stored record."""
    stored = Facility.objects.get(pk=facility.pk)
    events = ChangeEvent.objects.filter(public_id=facility.public_id).count()
    return stored.version, stored.history.count(), events


@pytest.mark.parametrize(
    "body",
    [
        {"names": {"en": "Bay Lab"}},  # the stored value again
        {"id": "fac-00000000", "version": 9, "publication": "published"},  # read-only only
        {"address": "1 Science Park Road", "names": {"zh-Hant": "灣區實驗室"}},
    ],
    ids=["same value", "read-only fields", "same values"],
)
def test_a_patch_that_changes_nothing_leaves_no_version_history_or_event(partner, draft, body):
    before = traces(draft)
    etag = partner.get(url_of(draft))["ETag"]

    for _ in range(3):
        response = partner.patch(url_of(draft), body, format="json", HTTP_IF_MATCH=etag)
        assert response.status_code == 200, response.content
        assert response["ETag"] == etag

    assert traces(draft) == before


def test_a_patch_that_changes_one_value_is_one_version(partner, draft):
    before = traces(draft)
    etag = partner.get(url_of(draft))["ETag"]

    response = partner.patch(
        url_of(draft), {"names": {"en": "Bay Lab II"}}, format="json", HTTP_IF_MATCH=etag
    )

    assert response.status_code == 200
    assert traces(draft) == (before[0] + 1, before[1] + 1, before[2] + 1)
    assert response["ETag"] != etag


def test_a_no_op_patch_with_a_stale_etag_is_still_a_412(partner, draft, zone_editor):
    etag = partner.get(url_of(draft))["ETag"]
    draft.address = "2 Science Park Road"
    draft.save(user=zone_editor)

    response = partner.patch(
        url_of(draft), {"names": {"en": "Bay Lab"}}, format="json", HTTP_IF_MATCH=etag
    )

    problem_of(response, 412)


def test_a_partner_no_op_patch_of_its_published_record_asks_a_curator_nothing(
    partner, draft, zone_editor
):
    draft.publication = Publication.PUBLISHED
    draft.save(user=zone_editor)
    etag = partner.get(url_of(draft))["ETag"]

    response = partner.patch(
        url_of(draft), {"names": {"en": "Bay Lab"}}, format="json", HTTP_IF_MATCH=etag
    )

    assert response.status_code == 200
    assert not ChangeRequest.objects.exists()


def test_a_put_replaces_the_record_and_what_it_leaves_out_goes_back_to_its_default(partner, draft):
    etag = partner.get(url_of(draft))["ETag"]

    response = partner.put(
        url_of(draft),
        {
            "names": {"en": "Bay Lab"},
            "kind": draft.kind,
            "section": draft.section,
            "status": draft.status,
        },
        format="json",
        HTTP_IF_MATCH=etag,
    )

    assert response.status_code == 200, response.content
    stored = Facility.objects.get(pk=draft.pk)
    assert (stored.name_en, stored.name_zh_hant) == ("Bay Lab", "")
    assert (stored.address, stored.website, stored.opened_on) == ("", "", None)
    assert stored.sources == [] and not stored.hosts.exists()
    assert stored.version == draft.version + 1


def test_a_put_without_a_required_field_is_a_400_and_changes_nothing(partner, draft):
    etag = partner.get(url_of(draft))["ETag"]
    before = traces(draft)

    response = partner.put(
        url_of(draft), {"address": "3 Science Park Road"}, format="json", HTTP_IF_MATCH=etag
    )

    body = problem_of(response, 400)
    assert "names" in {error.get("field") for error in body["errors"]}
    assert traces(draft) == before
    assert Facility.objects.get(pk=draft.pk).address == "1 Science Park Road"


def test_a_patch_keeps_what_it_leaves_out(partner, draft):
    etag = partner.get(url_of(draft))["ETag"]

    partner.patch(url_of(draft), {"address": "4 Bay Road"}, format="json", HTTP_IF_MATCH=etag)

    stored = Facility.objects.get(pk=draft.pk)
    assert (stored.name_zh_hant, stored.website) == ("灣區實驗室", "https://bay.example.org/")
    assert stored.hosts.exists() and stored.sources


def every_time(node: object) -> list[str]:
    """Every value under a key that names a time (…_at)."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key.endswith("_at") or key == "at":
                found.append(value)
            found += every_time(value)
    elif isinstance(node, list):
        for value in node:
            found += every_time(value)
    return found


def test_every_time_the_api_writes_is_utc_with_z(partner, draft):
    etag = partner.get(url_of(draft))["ETag"]
    draft.publication = Publication.PUBLISHED
    draft.save()
    partner.patch(url_of(draft), {"address": "5 Bay Road"}, format="json", HTTP_IF_MATCH=etag)
    answers = [
        partner.get(url_of(draft)).json(),
        partner.get("/api/v1/facilities/").json(),
        partner.get("/api/v1/change-requests/").json(),
        partner.get("/api/v1/changes/").json(),
    ]

    times = [time for answer in answers for time in every_time(answer) if time is not None]

    assert len(times) >= 6
    assert all(UTC_TIME.match(time) for time in times), times
