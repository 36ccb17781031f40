"""``/api/v1/changes/?since=<cursor>``: the ordered feed of created / updated / published /
retracted events a client replays to stay in sync (docs/architecture.md §8). The public hears only
of records in a public state; a partner also of its own organisation's records."""

from __future__ import annotations

from typing import Any

import pytest

from registry import workflow
from registry.models import ChangeEvent, Facility, Publication
from tests.api.conftest import named_parameters, problem_of
from tests.factories import FacilityFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


def feed(client: Any, **params: Any) -> dict[str, Any]:
    response = client.get("/api/v1/changes/", params)
    assert response.status_code == 200, response.content[:500]
    return response.json()


def events_of(body: dict[str, Any], public_id: str) -> list[tuple[str, str, int]]:
    return [
        (row["event"], row["publication"], row["version"])
        for row in body["results"]
        if row["id"] == public_id
    ]


@pytest.fixture
def life_of_a_facility(hong_kong_curator, zone_editor) -> Facility:
    """A facility drafted, submitted, published, corrected and retracted: five events."""
    facility = FacilityFactory(publication=Publication.DRAFT, name_en="Short-lived Lab")
    facility = workflow.submit(facility, user=hong_kong_curator)
    workflow.publish(facility, user=zone_editor)
    facility = Facility.objects.get(pk=facility.pk)
    facility.name_en = "Short-lived Laboratory"
    facility.save(user=zone_editor)
    return workflow.retract(facility, user=zone_editor, reason="A duplicate entry.")


def test_a_curator_reads_every_event_of_a_record_in_order(api_as, zone_editor, life_of_a_facility):
    body = feed(api_as(zone_editor))

    assert events_of(body, life_of_a_facility.public_id) == [
        ("created", "draft", 1),
        ("updated", "in_review", 2),
        ("published", "published", 3),
        ("updated", "published", 4),
        ("retracted", "retracted", 5),
    ]
    cursors = [row["cursor"] for row in body["results"]]
    assert cursors == sorted(cursors)


def test_an_edit_of_the_record_a_transition_returned_is_fed_as_an_update(
    api_as, zone_editor, hong_kong_curator
):
    """workflow.publish returns the saved record; saving that record again is an update, not a
    second publication."""
    facility = FacilityFactory(publication=Publication.DRAFT)
    facility = workflow.submit(facility, user=hong_kong_curator)
    facility = workflow.publish(facility, user=zone_editor)

    facility.name_en = "Corrected name"
    facility.save(user=zone_editor)

    kinds = [event for event, _, _ in events_of(feed(api_as(zone_editor)), facility.public_id)]
    assert kinds == ["created", "updated", "published", "updated"]


def test_the_public_hears_nothing_of_a_record_before_it_is_published(api, life_of_a_facility):
    body = feed(api)

    assert events_of(body, life_of_a_facility.public_id) == [
        ("published", "published", 3),
        ("updated", "published", 4),
        ("retracted", "retracted", 5),
    ]


def test_an_event_says_what_changed_where_and_when(api, life_of_a_facility):
    row = next(row for row in feed(api)["results"] if row["id"] == life_of_a_facility.public_id)

    assert set(row) == {"cursor", "event", "resource", "id", "version", "publication", "at", "url"}
    assert row["resource"] == "facilities"
    assert row["url"].endswith(f"/api/v1/facilities/{life_of_a_facility.public_id}/")


def test_replaying_from_a_cursor_gives_exactly_the_later_events(api_as, zone_editor):
    curator = api_as(zone_editor)
    FacilityFactory.create_batch(3)
    everything = feed(curator)["results"]
    cursor = everything[1]["cursor"]

    later = feed(curator, since=cursor)

    assert later["results"] == everything[2:]
    assert later["next_cursor"] == everything[-1]["cursor"]


def test_a_cursor_at_the_end_gives_nothing_new_and_the_same_cursor(api):
    FacilityFactory()
    cursor = feed(api)["next_cursor"]

    body = feed(api, since=cursor)

    assert body["results"] == []
    assert body["next_cursor"] == cursor
    assert body["next"] is None


def test_new_events_appear_after_the_cursor_a_client_kept(api, zone_editor):
    facility = FacilityFactory()
    cursor = feed(api)["next_cursor"]

    facility.status = Facility.Status.CLOSED
    facility.save(user=zone_editor)
    added = FacilityFactory()

    body = feed(api, since=cursor)
    assert [(row["event"], row["id"]) for row in body["results"]] == [
        ("updated", facility.public_id),
        ("created", added.public_id),
    ]


def test_a_limited_feed_links_to_the_rest(api):
    FacilityFactory.create_batch(5)
    all_cursors = [row["cursor"] for row in feed(api)["results"]]

    first = feed(api, limit=2)
    second = api.get(first["next"]).json()

    assert [row["cursor"] for row in first["results"]] == all_cursors[:2]
    assert first["next_cursor"] == all_cursors[1]
    assert [row["cursor"] for row in second["results"]] == all_cursors[2:4]


def test_a_partner_hears_of_its_own_drafts_but_not_of_another_partners(
    api_as, hong_kong_partner, shenzhen_partner, hong_kong_partner_org, shenzhen_partner_org
):
    ours = FacilityFactory(publication=Publication.DRAFT, owner=hong_kong_partner_org)
    theirs = FacilityFactory(publication=Publication.DRAFT, owner=shenzhen_partner_org)

    body = feed(api_as(hong_kong_partner))

    assert events_of(body, ours.public_id) == [("created", "draft", 1)]
    assert events_of(body, theirs.public_id) == []


def test_a_record_a_partner_posts_is_in_its_feed_and_not_the_publics(
    api, api_as, hong_kong_partner
):
    partner = api_as(hong_kong_partner)
    created = partner.post(
        "/api/v1/organisations/",
        {
            "names": {"en": "New Partner Spin-off"},
            "kind": "enterprise",
            "jurisdiction": "hong_kong",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    public_id = created.json()["id"]

    assert events_of(feed(partner), public_id) == [("created", "in_review", 1)]
    assert events_of(feed(api), public_id) == []


def test_the_public_never_hears_of_a_draft_not_even_when_it_is_deleted(api, superuser):
    """A deleted draft was never public: its deletion must not reveal its id either."""
    draft = FacilityFactory(publication=Publication.DRAFT)
    public_id = draft.public_id
    draft._history_user = superuser
    draft.delete()
    assert ChangeEvent.objects.filter(public_id=public_id, kind="deleted").exists()

    assert events_of(feed(api), public_id) == []


def test_the_public_hears_when_a_published_record_is_deleted(api, superuser):
    published = FacilityFactory()
    public_id = published.public_id
    published._history_user = superuser
    published.delete()

    assert [event for event, _, _ in events_of(feed(api), public_id)] == ["created", "deleted"]


def test_an_event_of_another_resource_names_its_own_resource(api):
    organisation = OrganisationFactory()

    row = next(row for row in feed(api)["results"] if row["id"] == organisation.public_id)

    assert row["resource"] == "organisations"
    assert api.get(row["url"]).status_code == 200


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("since=abc", "since"),
        ("since=-1", "since"),
        ("since=1.5", "since"),
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=ten", "limit"),
        ("cursor=5", "cursor"),
        ("page=2", "page"),
    ],
)
def test_a_bad_cursor_or_limit_is_a_400_naming_it(api, query, parameter):
    body = problem_of(api.get(f"/api/v1/changes/?{query}"), 400)

    assert named_parameters(body) == {parameter}
