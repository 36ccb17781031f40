"""The review queue and partners' change requests: the queue lists records in review and open
requests; a request shows its proposed values beside the current ones and is approved (applied
through the normal save path) or rejected with a comment, by a curator of the record's section."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from registry.models import ChangeRequest, CuratedRecord, Facility, Publication, Section
from tests.admin.helpers import messages_of, stored
from tests.factories import FacilityFactory, OrganisationFactory, ProjectFactory

pytestmark = pytest.mark.django_db

QUEUE = "admin:registry_review_queue"


def propose(record: CuratedRecord, partner: Any, **proposed: Any) -> ChangeRequest:
    """A partner's change request for ``record``, as the API would file it."""
    return ChangeRequest.objects.create(
        target_type=ContentType.objects.get_for_model(record),
        target_id=record.pk,
        base_version=record.version,
        proposed=proposed,
        created_by=partner,
    )


def request_url(change_request: ChangeRequest) -> str:
    return reverse("admin:registry_changerequest_change", args=(change_request.pk,))


def decide_url(change_request: ChangeRequest, decision: str) -> str:
    return reverse("admin:registry_changerequest_decide", args=(change_request.pk, decision))


@pytest.fixture
def owned_lab(hong_kong_partner_org):
    """A published Hong Kong facility that the Hong Kong partner's organisation owns."""
    return FacilityFactory(
        curating_section=Section.HONG_KONG,
        owner=hong_kong_partner_org,
        name_en="Loop Robotics Laboratory",
    )


# -- the review queue ------------------------------------------------------------------------------
def test_the_review_queue_lists_records_in_review_and_open_change_requests(
    client, hong_kong_curator, shenzhen_curator, hong_kong_partner, owned_lab
) -> None:
    facility_in_review = FacilityFactory(
        publication=Publication.IN_REVIEW, curating_section=Section.SHENZHEN
    )
    project_in_review = ProjectFactory(publication=Publication.IN_REVIEW)
    draft = FacilityFactory(publication=Publication.DRAFT)
    published = ProjectFactory(publication=Publication.PUBLISHED)
    open_request = propose(owned_lab, hong_kong_partner, name_en="Loop Robotics Lab")
    closed_request = ChangeRequest.objects.create(
        target_type=ContentType.objects.get_for_model(owned_lab),
        target_id=owned_lab.pk,
        base_version=1,
        proposed={"name_en": "Older idea"},
        created_by=hong_kong_partner,
        state=ChangeRequest.State.REJECTED,
        comment="No source.",
        decided_by=shenzhen_curator,
        decided_at=owned_lab.updated_at,
    )
    client.force_login(hong_kong_curator)

    response = client.get(reverse(QUEUE))

    assert response.status_code == 200
    in_review = {record for _meta, records in response.context["sections"] for record in records}
    assert in_review == {facility_in_review, project_in_review}
    assert draft not in in_review and published not in in_review
    assert list(response.context["open_requests"]) == [open_request]
    page = response.content.decode()
    assert facility_in_review.public_id in page
    assert project_in_review.public_id in page
    assert request_url(open_request) in page
    assert request_url(closed_request) not in page
    # The request names its record by name and public id, with a link to it.
    record_link = reverse("admin:registry_facility_change", args=(owned_lab.pk,))
    assert f'<a href="{record_link}">Loop Robotics Laboratory</a> ({owned_lab.public_id})' in page


def test_the_admin_index_links_to_the_review_queue(client, shenzhen_curator) -> None:
    client.force_login(shenzhen_curator)

    response = client.get(reverse("admin:index"))

    assert reverse(QUEUE) in response.content.decode()


@pytest.mark.parametrize("who", ["the_public", "hong_kong_partner"])
def test_partners_and_the_public_cannot_open_the_review_queue(request, client, who) -> None:
    user = request.getfixturevalue(who)
    if user.is_authenticated:
        client.force_login(user)

    response = client.get(reverse(QUEUE))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


# -- a change request ------------------------------------------------------------------------------
def test_a_change_request_shows_the_proposed_values_beside_the_current_ones(
    client, hong_kong_curator, hong_kong_partner, owned_lab
) -> None:
    change_request = propose(
        owned_lab, hong_kong_partner, name_en="Loop Robotics Lab", name_zh_hant="河套機械人實驗室"
    )
    client.force_login(hong_kong_curator)

    response = client.get(request_url(change_request))

    assert response.status_code == 200
    assert response.context["comparison"] == [
        ("Name (English)", "Loop Robotics Laboratory", "Loop Robotics Lab"),
        ("Name (Traditional Chinese)", "—", "河套機械人實驗室"),
    ]
    page = response.content.decode()
    assert (
        '<tr><th scope="row">Name (English)</th><td>Loop Robotics Laboratory</td>'
        "<td>Loop Robotics Lab</td></tr>"
    ) in page
    assert response.context["can_decide"] is True
    assert decide_url(change_request, "approve") in page
    assert decide_url(change_request, "reject") in page


def test_a_change_request_shows_labels_choices_dates_and_related_records_as_curators_read_them(
    client, hong_kong_curator, hong_kong_partner, owned_lab
) -> None:
    host = OrganisationFactory(name_en="Loop Host University")
    change_request = propose(
        owned_lab,
        hong_kong_partner,
        kind=Facility.Kind.PILOT_PLATFORM,
        opened_on="2021-03-01",
        hosts=[host.pk],
        sources=["https://a.example/1", "https://a.example/2"],
    )
    client.force_login(hong_kong_curator)

    rows = dict(
        (label, proposed)
        for label, _current, proposed in client.get(request_url(change_request)).context[
            "comparison"
        ]
    )

    assert rows["Kind"] == str(Facility.Kind.PILOT_PLATFORM.label)
    assert rows["Opened on"] == "March 1, 2021"
    assert rows["Host organisations"] == f"Loop Host University ({host.public_id})"
    assert rows["Sources"] == "https://a.example/1; https://a.example/2"


def test_a_curator_of_the_other_section_reads_who_decides_and_gets_no_save_button(
    client, shenzhen_curator, hong_kong_partner, owned_lab
) -> None:
    change_request = propose(owned_lab, hong_kong_partner, name_en="Loop Robotics Lab")
    client.force_login(shenzhen_curator)

    response = client.get(request_url(change_request))

    page = response.content.decode()
    assert response.context["can_decide"] is False
    assert "Curators of the Hong Kong section and zone editors decide this request." in page
    assert "You do not curate that section" in page
    assert 'name="_save"' not in page and 'name="_continue"' not in page
    assert decide_url(change_request, "approve") not in page


def test_a_change_request_links_to_its_record(
    client, hong_kong_curator, hong_kong_partner, owned_lab
):
    change_request = propose(owned_lab, hong_kong_partner, name_en="Loop Robotics Lab")
    client.force_login(hong_kong_curator)

    page = client.get(request_url(change_request)).content.decode()

    assert reverse("admin:registry_facility_change", args=(owned_lab.pk,)) in page
    assert 'name="_save"' not in page  # decided with its buttons, never saved by hand


def test_a_change_request_warns_when_the_record_changed_since_it_was_proposed(
    client, hong_kong_curator, hong_kong_partner, owned_lab
) -> None:
    change_request = propose(owned_lab, hong_kong_partner, name_en="Loop Robotics Lab")
    owned_lab.city = "Hong Kong"
    owned_lab.save(user=hong_kong_curator)
    client.force_login(hong_kong_curator)

    response = client.get(request_url(change_request))

    assert response.context["target_moved_on"] is True


def test_a_curator_approves_a_change_request_and_it_is_applied_through_the_normal_save_path(
    client, hong_kong_curator, hong_kong_partner, owned_lab
) -> None:
    change_request = propose(owned_lab, hong_kong_partner, name_en="Loop Robotics Lab")
    history_before = owned_lab.history.count()
    client.force_login(hong_kong_curator)

    response = client.post(decide_url(change_request, "approve"), {"comment": "Thanks."})

    assert response.status_code == 302
    assert "Decision recorded." in messages_of(response)
    record = stored(owned_lab)
    assert record.name_en == "Loop Robotics Lab"
    assert record.version == 2
    assert record.updated_by == hong_kong_curator
    assert record.history.count() == history_before + 1
    latest = record.history.latest()
    assert latest.history_user == hong_kong_curator
    assert latest.history_change_reason == f"change request {change_request.pk}"
    decided = stored(change_request)
    assert decided.state == ChangeRequest.State.APPROVED
    assert decided.decided_by == hong_kong_curator
    assert decided.decided_at is not None
    assert decided.comment == "Thanks."


def test_a_reject_without_a_comment_is_refused_with_a_message_and_the_request_stays_open(
    client, hong_kong_curator, hong_kong_partner, owned_lab
) -> None:
    change_request = propose(owned_lab, hong_kong_partner, name_en="Loop Robotics Lab")
    client.force_login(hong_kong_curator)

    response = client.post(decide_url(change_request, "reject"), {"comment": "   "})

    assert response.status_code == 302
    assert any("Say why the request is rejected" in message for message in messages_of(response))
    still_open = stored(change_request)
    assert still_open.state == ChangeRequest.State.OPEN
    assert still_open.decided_by is None
    assert stored(owned_lab).name_en == "Loop Robotics Laboratory"


def test_a_curator_rejects_a_change_request_with_a_comment_and_the_record_is_unchanged(
    client, hong_kong_curator, hong_kong_partner, owned_lab
) -> None:
    change_request = propose(owned_lab, hong_kong_partner, name_en="Loop Robotics Lab")
    client.force_login(hong_kong_curator)

    response = client.post(
        decide_url(change_request, "reject"), {"comment": "The sources use the longer name."}
    )

    assert response.status_code == 302
    rejected = stored(change_request)
    assert rejected.state == ChangeRequest.State.REJECTED
    assert rejected.comment == "The sources use the longer name."
    assert rejected.decided_by == hong_kong_curator
    record = stored(owned_lab)
    assert (record.name_en, record.version) == ("Loop Robotics Laboratory", 1)


def test_a_decided_change_request_cannot_be_decided_again(
    client, hong_kong_curator, hong_kong_partner, owned_lab
) -> None:
    change_request = propose(owned_lab, hong_kong_partner, name_en="Loop Robotics Lab")
    client.force_login(hong_kong_curator)
    client.post(decide_url(change_request, "reject"), {"comment": "No source."})

    response = client.post(decide_url(change_request, "approve"))

    assert response.status_code == 302
    assert stored(change_request).state == ChangeRequest.State.REJECTED
    assert stored(owned_lab).name_en == "Loop Robotics Laboratory"
    assert client.get(request_url(change_request)).context["can_decide"] is False


def test_a_change_request_setting_a_protected_field_is_not_applied(
    client, hong_kong_curator, hong_kong_partner, owned_lab
) -> None:
    change_request = propose(
        owned_lab, hong_kong_partner, name_en="Loop Robotics Lab", curating_section="shenzhen"
    )
    client.force_login(hong_kong_curator)

    response = client.post(decide_url(change_request, "approve"))

    assert response.status_code == 302
    assert any("curating_section" in message for message in messages_of(response))
    record = stored(owned_lab)
    assert (record.name_en, record.curating_section) == (
        "Loop Robotics Laboratory",
        Section.HONG_KONG,
    )
    assert stored(change_request).state == ChangeRequest.State.OPEN


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_a_shenzhen_curator_cannot_decide_a_request_for_a_hong_kong_record(
    client, shenzhen_curator, hong_kong_partner, owned_lab, decision
) -> None:
    change_request = propose(owned_lab, hong_kong_partner, name_en="Loop Robotics Lab")
    client.force_login(shenzhen_curator)

    page = client.get(request_url(change_request))
    response = client.post(decide_url(change_request, decision), {"comment": "Not mine."})

    assert page.status_code == 200
    assert page.context["can_decide"] is False
    assert decide_url(change_request, decision) not in page.content.decode()
    assert response.status_code == 403
    assert stored(change_request).state == ChangeRequest.State.OPEN
    assert stored(owned_lab).name_en == "Loop Robotics Laboratory"


def test_a_change_request_is_decided_by_post_only(
    client, hong_kong_curator, hong_kong_partner, owned_lab
) -> None:
    change_request = propose(owned_lab, hong_kong_partner, name_en="Loop Robotics Lab")
    client.force_login(hong_kong_curator)

    response = client.get(decide_url(change_request, "approve"))

    assert response.status_code == 403
    assert stored(change_request).state == ChangeRequest.State.OPEN


def test_a_partner_cannot_approve_its_own_change_request(
    client, hong_kong_partner, owned_lab
) -> None:
    change_request = propose(owned_lab, hong_kong_partner, name_en="Loop Robotics Lab")
    client.force_login(hong_kong_partner)

    response = client.post(decide_url(change_request, "approve"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))
    assert stored(change_request).state == ChangeRequest.State.OPEN
    assert stored(owned_lab).name_en == "Loop Robotics Laboratory"


def test_change_requests_are_not_added_in_the_admin(client, zone_editor) -> None:
    client.force_login(zone_editor)

    response = client.get(reverse("admin:registry_changerequest_add"))

    assert response.status_code == 403


def test_an_organisation_change_request_can_be_approved_by_a_zone_editor(
    client, zone_editor, shenzhen_partner, shenzhen_partner_org
) -> None:
    organisation = OrganisationFactory(
        curating_section=Section.SHENZHEN, owner=shenzhen_partner_org, city="Shenzhen"
    )
    change_request = propose(organisation, shenzhen_partner, city="Futian, Shenzhen")
    client.force_login(zone_editor)

    client.post(decide_url(change_request, "approve"))

    assert stored(organisation).city == "Futian, Shenzhen"
    assert stored(change_request).state == ChangeRequest.State.APPROVED
