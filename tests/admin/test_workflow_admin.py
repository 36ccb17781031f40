"""The publication workflow in the admin: the buttons of a change form (one record) and the
changelist actions (many), both through registry/workflow.py, with the four-eyes rule."""

from __future__ import annotations

import pytest
from django.test import override_settings

from registry.models import Facility, Project, Publication, Section
from tests.admin.helpers import (
    admin_url,
    bulk_action,
    change_url,
    messages_of,
    stored,
    transition_url,
)
from tests.factories import FacilityFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def shenzhen_project(state: str, **fields) -> Project:
    fields.setdefault("title_en", "Cross-border brain imaging")
    return ProjectFactory(curating_section=Section.SHENZHEN, publication=state, **fields)


def buttons(client, record) -> list[str]:
    """The names of the workflow buttons the change form offers."""
    response = client.get(change_url(record))
    assert response.status_code == 200
    return [name for name, _label, _url in response.context["workflow_buttons"]]


# -- buttons on the change form -------------------------------------------------------------------
def test_a_shenzhen_curator_submits_a_draft_for_review_with_the_submit_button(
    client, shenzhen_curator
) -> None:
    draft = shenzhen_project(Publication.DRAFT)
    client.force_login(shenzhen_curator)
    assert buttons(client, draft) == ["submit"]

    response = client.post(transition_url(draft, "submit"))

    assert response.status_code == 302
    assert response.url == change_url(draft)
    submitted = stored(draft)
    assert submitted.publication == Publication.IN_REVIEW
    assert submitted.submitted_by == shenzhen_curator
    assert submitted.submitted_at is not None
    assert submitted.version == 2
    latest = submitted.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (shenzhen_curator, "submit")


def test_the_message_after_a_transition_shows_the_public_id_as_it_is(client, shenzhen_curator):
    draft = shenzhen_project(Publication.DRAFT)
    client.force_login(shenzhen_curator)

    page = client.post(transition_url(draft, "submit"), follow=True).content.decode()

    # The admin capitalises each message's first letter: the kind comes first, not the id.
    assert f"Project {draft.public_id}: Submit for review ✓" in page
    assert draft.public_id.capitalize() not in page


def test_the_curator_who_submitted_a_record_gets_no_publish_button_and_cannot_publish_it(
    client, shenzhen_curator
) -> None:
    draft = shenzhen_project(Publication.DRAFT)
    client.force_login(shenzhen_curator)
    client.post(transition_url(draft, "submit"))

    offered = buttons(client, draft)
    page = client.get(change_url(draft)).content.decode()
    refused = client.post(transition_url(draft, "publish"))

    assert "publish" not in offered
    assert "registry-workflow-publish" not in page
    assert refused.status_code == 403
    in_review = stored(draft)
    assert in_review.publication == Publication.IN_REVIEW
    assert in_review.published_at is None
    assert in_review.version == 2


def test_a_second_curator_of_the_section_publishes_what_the_first_submitted(
    client, shenzhen_curator, second_shenzhen_curator
) -> None:
    draft = shenzhen_project(Publication.DRAFT)
    client.force_login(shenzhen_curator)
    client.post(transition_url(draft, "submit"))
    client.force_login(second_shenzhen_curator)
    assert "publish" in buttons(client, draft)

    response = client.post(transition_url(draft, "publish"))

    assert response.status_code == 302
    published = stored(draft)
    assert published.publication == Publication.PUBLISHED
    assert published.published_at is not None
    assert published.version == 3
    assert published.history.latest().history_user == second_shenzhen_curator


@override_settings(REGISTRY_FOUR_EYES=False)
def test_without_the_four_eyes_rule_the_submitter_may_publish(client, shenzhen_curator) -> None:
    draft = shenzhen_project(Publication.DRAFT)
    client.force_login(shenzhen_curator)
    client.post(transition_url(draft, "submit"))

    response = client.post(transition_url(draft, "publish"))

    assert response.status_code == 302
    assert stored(draft).publication == Publication.PUBLISHED


def test_the_retract_button_asks_for_a_reason_first(client, shenzhen_curator) -> None:
    published = shenzhen_project(Publication.PUBLISHED)
    client.force_login(shenzhen_curator)
    assert buttons(client, published) == ["retract"]

    response = client.get(transition_url(published, "retract"))

    assert response.status_code == 200
    assert set(response.context["form"].fields) == {"reason", "successor"}
    assert stored(published).publication == Publication.PUBLISHED


def test_a_curator_retracts_a_record_with_a_reason_and_names_its_successor(
    client, shenzhen_curator
) -> None:
    duplicate = shenzhen_project(Publication.PUBLISHED)
    successor = shenzhen_project(Publication.PUBLISHED, title_en="Brain imaging (merged)")
    client.force_login(shenzhen_curator)

    response = client.post(
        transition_url(duplicate, "retract"),
        {"reason": "Merged into the joint record.", "successor": successor.public_id},
    )

    assert response.status_code == 302
    retracted = stored(duplicate)
    assert retracted.publication == Publication.RETRACTED
    assert retracted.retraction_reason == "Merged into the joint record."
    assert retracted.successor == successor
    assert retracted.retracted_at is not None
    assert retracted.version == 2
    latest = retracted.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (shenzhen_curator, "retract")


def test_a_retraction_without_a_successor_is_fine(client, shenzhen_curator) -> None:
    published = shenzhen_project(Publication.PUBLISHED)
    client.force_login(shenzhen_curator)

    client.post(transition_url(published, "retract"), {"reason": "Never existed."})

    retracted = stored(published)
    assert (retracted.publication, retracted.successor) == (Publication.RETRACTED, None)


def test_a_retraction_without_a_reason_is_refused_and_the_record_stays_published(
    client, shenzhen_curator
) -> None:
    published = shenzhen_project(Publication.PUBLISHED)
    client.force_login(shenzhen_curator)

    response = client.post(transition_url(published, "retract"), {"reason": "  "})

    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    unchanged = stored(published)
    assert unchanged.publication == Publication.PUBLISHED
    assert unchanged.version == 1


def test_a_retraction_naming_an_unknown_successor_is_refused(client, shenzhen_curator) -> None:
    published = shenzhen_project(Publication.PUBLISHED)
    client.force_login(shenzhen_curator)

    response = client.post(
        transition_url(published, "retract"),
        {"reason": "Merged.", "successor": "prj-000000000"},
    )

    assert response.status_code == 200
    assert "successor" in response.context["form"].errors
    unchanged = stored(published)
    assert (unchanged.publication, unchanged.successor, unchanged.version) == (
        Publication.PUBLISHED,
        None,
        1,
    )


def test_a_retraction_naming_an_unpublished_successor_is_refused(client, shenzhen_curator) -> None:
    published = shenzhen_project(Publication.PUBLISHED)
    draft = shenzhen_project(Publication.DRAFT)
    client.force_login(shenzhen_curator)

    client.post(
        transition_url(published, "retract"), {"reason": "Merged.", "successor": draft.public_id}
    )

    unchanged = stored(published)
    assert (unchanged.publication, unchanged.successor) == (Publication.PUBLISHED, None)


@pytest.mark.parametrize("state", [Publication.RETRACTED, Publication.IN_REVIEW])
def test_a_curator_reopens_a_record_as_a_draft(client, shenzhen_curator, state) -> None:
    record = shenzhen_project(state, retraction_reason="Old reason")
    client.force_login(shenzhen_curator)
    assert "reopen" in buttons(client, record)

    response = client.post(transition_url(record, "reopen"))

    assert response.status_code == 302
    reopened = stored(record)
    assert reopened.publication == Publication.DRAFT
    assert reopened.retraction_reason == ""
    assert reopened.submitted_by is None
    assert reopened.history.latest().history_change_reason == "reopen"


def test_a_button_for_a_transition_the_state_does_not_allow_is_refused(
    client, shenzhen_curator
) -> None:
    draft = shenzhen_project(Publication.DRAFT)
    client.force_login(shenzhen_curator)

    refused = [client.post(transition_url(draft, name)) for name in ("publish", "reopen")]
    unknown = client.post(transition_url(draft, "delete"))

    assert [response.status_code for response in refused] == [403, 403]
    assert unknown.status_code == 403
    assert stored(draft).publication == Publication.DRAFT
    assert stored(draft).version == 1


def test_a_get_on_a_workflow_button_changes_nothing(client, shenzhen_curator) -> None:
    draft = shenzhen_project(Publication.DRAFT)
    client.force_login(shenzhen_curator)

    response = client.get(transition_url(draft, "submit"))

    assert response.status_code == 302
    assert stored(draft).publication == Publication.DRAFT


# -- bulk actions on the changelist ----------------------------------------------------------------
def hong_kong_labs(state: str, count: int = 2) -> list[Facility]:
    return [
        FacilityFactory(curating_section=Section.HONG_KONG, publication=state) for _ in range(count)
    ]


def test_the_changelist_offers_the_workflow_actions(client, hong_kong_curator) -> None:
    client.force_login(hong_kong_curator)

    response = client.get(admin_url(Facility, "changelist"))

    actions = dict(response.context["action_form"].fields["action"].choices)
    assert {"submit_selected", "publish_selected", "retract_selected", "reopen_selected"} <= set(
        actions
    )


def test_a_curator_submits_several_drafts_at_once(client, hong_kong_curator) -> None:
    drafts = hong_kong_labs(Publication.DRAFT)
    client.force_login(hong_kong_curator)

    response = bulk_action(client, Facility, "submit_selected", drafts)

    assert response.status_code == 302
    assert "2 records: Submit for review done." in messages_of(response)
    for draft in drafts:
        submitted = stored(draft)
        assert submitted.publication == Publication.IN_REVIEW
        assert submitted.submitted_by == hong_kong_curator
        assert submitted.history.latest().history_user == hong_kong_curator


def test_a_curator_cannot_bulk_publish_what_they_submitted(client, hong_kong_curator) -> None:
    drafts = hong_kong_labs(Publication.DRAFT)
    client.force_login(hong_kong_curator)
    bulk_action(client, Facility, "submit_selected", drafts)

    response = bulk_action(client, Facility, "publish_selected", drafts)

    assert response.status_code == 302
    messages = messages_of(response)
    assert len([message for message in messages if "Four-eyes rule" in message]) == 2
    assert not any("Publish done" in message for message in messages)
    assert {stored(draft).publication for draft in drafts} == {Publication.IN_REVIEW}


def test_a_curator_bulk_publishes_what_a_colleague_submitted(
    client, shenzhen_curator, second_shenzhen_curator
) -> None:
    drafts = [
        FacilityFactory(curating_section=Section.SHENZHEN, publication=Publication.DRAFT)
        for _ in range(3)
    ]
    client.force_login(shenzhen_curator)
    bulk_action(client, Facility, "submit_selected", drafts)
    client.force_login(second_shenzhen_curator)

    response = bulk_action(client, Facility, "publish_selected", drafts)

    assert response.status_code == 302
    assert {stored(draft).publication for draft in drafts} == {Publication.PUBLISHED}


def test_a_bulk_action_reports_the_records_whose_state_does_not_allow_it(
    client, hong_kong_curator
) -> None:
    (draft,) = hong_kong_labs(Publication.DRAFT, count=1)
    (published,) = hong_kong_labs(Publication.PUBLISHED, count=1)
    client.force_login(hong_kong_curator)

    response = bulk_action(client, Facility, "submit_selected", [draft, published])

    assert stored(draft).publication == Publication.IN_REVIEW
    assert stored(published).publication == Publication.PUBLISHED
    assert any(published.public_id in message for message in messages_of(response))


def test_a_bulk_retraction_first_asks_for_a_reason_and_changes_nothing(
    client, hong_kong_curator
) -> None:
    published = hong_kong_labs(Publication.PUBLISHED)
    client.force_login(hong_kong_curator)

    response = bulk_action(client, Facility, "retract_selected", published)

    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="reason"' in page
    assert '<input type="hidden" name="action" value="retract_selected">' in page
    for record in published:
        assert f'name="_selected_action" value="{record.pk}"' in page
        assert stored(record).publication == Publication.PUBLISHED


def test_a_bulk_retraction_with_a_reason_retracts_every_selected_record(
    client, hong_kong_curator
) -> None:
    published = hong_kong_labs(Publication.PUBLISHED)
    (other,) = hong_kong_labs(Publication.PUBLISHED, count=1)
    client.force_login(hong_kong_curator)
    bulk_action(client, Facility, "retract_selected", published)

    # The confirmation form posts back the selection, the action and the reason.
    response = client.post(
        admin_url(Facility, "changelist"),
        {
            "action": "retract_selected",
            "_selected_action": [record.pk for record in published],
            "reason": "The site was never built.",
        },
    )

    assert response.status_code == 302
    for record in published:
        retracted = stored(record)
        assert retracted.publication == Publication.RETRACTED
        assert retracted.retraction_reason == "The site was never built."
        assert retracted.history.latest().history_user == hong_kong_curator
    assert stored(other).publication == Publication.PUBLISHED


def test_a_bulk_retraction_with_a_blank_reason_asks_again(client, hong_kong_curator) -> None:
    published = hong_kong_labs(Publication.PUBLISHED)
    client.force_login(hong_kong_curator)

    response = bulk_action(client, Facility, "retract_selected", published, reason=" ")

    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    assert {stored(record).publication for record in published} == {Publication.PUBLISHED}


def test_a_curator_reopens_several_retracted_records_at_once(client, hong_kong_curator) -> None:
    retracted = hong_kong_labs(Publication.RETRACTED)
    client.force_login(hong_kong_curator)

    response = bulk_action(client, Facility, "reopen_selected", retracted)

    assert response.status_code == 302
    assert {stored(record).publication for record in retracted} == {Publication.DRAFT}
