"""Publication workflow: draft → in review → published → retracted, and reopen
(registry/workflow.py; docs/architecture.md §5). Assertions re-read the stored record."""

from __future__ import annotations

from typing import Any

import pytest

from registry import workflow
from registry.models import CuratedRecord, Project, Publication, Section
from tests.factories import (
    FacilityFactory,
    ProjectFactory,
)

pytestmark = pytest.mark.django_db

# The state each transition starts from.
STARTS_FROM = {
    "submit": Publication.DRAFT,
    "publish": Publication.IN_REVIEW,
    "retract": Publication.PUBLISHED,
    "reopen": Publication.RETRACTED,
}


def run(name: str, record: CuratedRecord, user: Any) -> CuratedRecord:
    """Run the transition ``name``, with a reason where one is needed."""
    if name == "retract":
        return workflow.retract(record, user=user, reason="Duplicate of another record.")
    return getattr(workflow, name)(record, user=user)


def stored(record: CuratedRecord) -> CuratedRecord:
    """The record as the database holds it now."""
    return type(record).objects.get(pk=record.pk)


def snapshot(record: CuratedRecord) -> dict[str, Any]:
    """What a refused transition must leave untouched."""
    fresh = stored(record)
    return {
        "publication": fresh.publication,
        "version": fresh.version,
        "submitted_by_id": fresh.submitted_by_id,
        "published_at": fresh.published_at,
        "retracted_at": fresh.retracted_at,
        "retraction_reason": fresh.retraction_reason,
        "history": fresh.history.count(),
    }


def shenzhen_record(state: str, **fields: Any) -> Project:
    return ProjectFactory(publication=state, curating_section=Section.SHENZHEN, **fields)


# -- submit --------------------------------------------------------------------------------------
def test_a_shenzhen_curator_submits_a_shenzhen_draft_for_review(shenzhen_curator) -> None:
    draft = shenzhen_record(Publication.DRAFT)
    assert (draft.version, draft.history.count()) == (1, 1)

    saved = workflow.submit(draft, user=shenzhen_curator)

    record = stored(draft)
    assert saved.pk == record.pk
    assert record.publication == Publication.IN_REVIEW
    assert record.submitted_by == shenzhen_curator
    assert record.submitted_at is not None
    assert record.published_at is None
    assert record.version == 2
    assert record.updated_by == shenzhen_curator
    assert record.history.count() == 2
    latest = record.history.first()
    assert latest.history_change_reason == "submit"
    assert latest.publication == Publication.IN_REVIEW
    assert latest.version == 2


def test_a_shenzhen_curator_submits_a_draft_of_every_kind(curated_factory, shenzhen_curator):
    draft = curated_factory(publication=Publication.DRAFT, curating_section=Section.SHENZHEN)

    workflow.submit(draft, user=shenzhen_curator)

    record = stored(draft)
    assert record.publication == Publication.IN_REVIEW
    assert record.submitted_by_id == shenzhen_curator.pk
    assert record.version == 2
    assert record.history.count() == 2
    assert record.history.first().history_change_reason == "submit"


# -- publish and four-eyes -----------------------------------------------------------------------
def test_the_curator_who_submitted_a_record_cannot_publish_it(shenzhen_curator) -> None:
    draft = shenzhen_record(Publication.DRAFT)
    submitted = workflow.submit(draft, user=shenzhen_curator)
    before = snapshot(draft)

    with pytest.raises(workflow.NotPermitted, match="Four-eyes"):
        workflow.publish(submitted, user=shenzhen_curator)

    assert snapshot(draft) == before
    assert stored(draft).publication == Publication.IN_REVIEW


def test_a_zone_editor_who_submitted_a_record_cannot_publish_it_either(zone_editor) -> None:
    draft = shenzhen_record(Publication.DRAFT)
    workflow.submit(draft, user=zone_editor)

    with pytest.raises(workflow.NotPermitted):
        workflow.publish(stored(draft), user=zone_editor)

    assert stored(draft).publication == Publication.IN_REVIEW


def test_a_second_shenzhen_curator_publishes_what_the_first_submitted(
    shenzhen_curator, second_shenzhen_curator
) -> None:
    draft = shenzhen_record(Publication.DRAFT)
    submitted = workflow.submit(draft, user=shenzhen_curator)

    saved = workflow.publish(submitted, user=second_shenzhen_curator)

    record = stored(draft)
    assert saved.pk == record.pk
    assert record.publication == Publication.PUBLISHED
    assert record.published_at is not None
    assert record.published_at >= record.submitted_at
    assert record.submitted_by == shenzhen_curator
    assert record.updated_by == second_shenzhen_curator
    assert record.version == 3
    assert record.history.count() == 3
    assert record.history.first().history_change_reason == "publish"


def test_the_submitter_may_publish_when_four_eyes_is_off(settings, shenzhen_curator) -> None:
    settings.REGISTRY_FOUR_EYES = False
    draft = shenzhen_record(Publication.DRAFT)
    submitted = workflow.submit(draft, user=shenzhen_curator)

    workflow.publish(submitted, user=shenzhen_curator)

    record = stored(draft)
    assert record.publication == Publication.PUBLISHED
    assert record.published_at is not None
    assert record.version == 3


def test_a_record_in_review_with_no_known_submitter_may_be_published_by_a_curator(
    shenzhen_curator,
) -> None:
    record = shenzhen_record(Publication.IN_REVIEW, submitted_by=None)

    workflow.publish(record, user=shenzhen_curator)

    assert stored(record).publication == Publication.PUBLISHED


# -- who may run what ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(STARTS_FROM))
def test_a_hong_kong_curator_cannot_run_the_workflow_of_a_shenzhen_record(
    name, hong_kong_curator, shenzhen_curator
) -> None:
    record = shenzhen_record(STARTS_FROM[name], submitted_by=shenzhen_curator)
    before = snapshot(record)

    with pytest.raises(workflow.NotPermitted):
        run(name, stored(record), hong_kong_curator)

    assert snapshot(record) == before


@pytest.mark.parametrize("name", list(STARTS_FROM))
def test_a_zone_editor_can_run_the_workflow_in_either_section(name, zone_editor) -> None:
    records = [
        ProjectFactory(publication=STARTS_FROM[name], curating_section=section)
        for section in Section.values
    ]

    for record in records:
        run(name, record, zone_editor)

    expected = {
        "submit": Publication.IN_REVIEW,
        "publish": Publication.PUBLISHED,
        "retract": Publication.RETRACTED,
        "reopen": Publication.DRAFT,
    }[name]
    assert [stored(record).publication for record in records] == [expected, expected]


@pytest.mark.parametrize("name", list(STARTS_FROM))
@pytest.mark.parametrize("as_none", [False, True], ids=["anonymous", "no-user"])
def test_the_public_cannot_run_any_transition(
    name, as_none, the_public, shenzhen_partner_org
) -> None:
    record = shenzhen_record(STARTS_FROM[name], owner=shenzhen_partner_org)
    before = snapshot(record)

    with pytest.raises(workflow.NotPermitted):
        run(name, stored(record), None if as_none else the_public)

    assert snapshot(record) == before


def test_a_partner_can_submit_its_own_draft_but_cannot_publish_it(
    shenzhen_partner, shenzhen_partner_org
) -> None:
    draft = shenzhen_record(Publication.DRAFT, owner=shenzhen_partner_org)

    submitted = workflow.submit(draft, user=shenzhen_partner)
    with pytest.raises(workflow.NotPermitted):
        workflow.publish(submitted, user=shenzhen_partner)

    record = stored(draft)
    assert record.publication == Publication.IN_REVIEW
    assert record.submitted_by == shenzhen_partner
    assert record.published_at is None
    assert record.version == 2
    assert record.history.first().history_user == shenzhen_partner


@pytest.mark.parametrize("name", ["publish", "retract", "reopen"])
def test_a_partner_cannot_run_curators_transitions_on_its_own_records(
    name, shenzhen_partner, shenzhen_partner_org
) -> None:
    record = shenzhen_record(STARTS_FROM[name], owner=shenzhen_partner_org)
    before = snapshot(record)

    with pytest.raises(workflow.NotPermitted):
        run(name, stored(record), shenzhen_partner)

    assert snapshot(record) == before


def test_a_partner_cannot_submit_another_organisations_draft(
    hong_kong_partner, shenzhen_partner_org
) -> None:
    draft = shenzhen_record(Publication.DRAFT, owner=shenzhen_partner_org)
    before = snapshot(draft)

    with pytest.raises(workflow.NotPermitted):
        workflow.submit(draft, user=hong_kong_partner)

    assert snapshot(draft) == before


# -- states --------------------------------------------------------------------------------------
def test_publishing_a_draft_directly_is_an_invalid_transition(shenzhen_curator) -> None:
    draft = shenzhen_record(Publication.DRAFT)
    before = snapshot(draft)

    with pytest.raises(workflow.InvalidTransition):
        workflow.publish(draft, user=shenzhen_curator)

    assert snapshot(draft) == before
    assert stored(draft).publication == Publication.DRAFT


@pytest.mark.parametrize(
    ("name", "state"),
    [
        (name, state)
        for name, start in STARTS_FROM.items()
        for state in Publication.values
        if state != start and not (name == "reopen" and state == Publication.IN_REVIEW)
    ],
)
def test_a_transition_from_the_wrong_state_is_invalid_and_changes_nothing(
    name, state, zone_editor
) -> None:
    record = shenzhen_record(state)
    before = snapshot(record)

    with pytest.raises(workflow.InvalidTransition):
        run(name, stored(record), zone_editor)

    assert snapshot(record) == before


# -- retract -------------------------------------------------------------------------------------
@pytest.mark.parametrize("reason", ["", "   \n\t "])
def test_retracting_needs_a_reason(reason, shenzhen_curator) -> None:
    record = shenzhen_record(Publication.PUBLISHED)
    before = snapshot(record)

    with pytest.raises(workflow.WorkflowError, match="reason"):
        workflow.retract(record, user=shenzhen_curator, reason=reason)

    assert snapshot(record) == before


def test_retracting_keeps_the_record_and_its_history_and_stores_the_reason(
    shenzhen_curator, second_shenzhen_curator
) -> None:
    draft = shenzhen_record(Publication.DRAFT)
    workflow.submit(draft, user=shenzhen_curator)
    workflow.publish(stored(draft), user=second_shenzhen_curator)
    earlier_history = list(stored(draft).history.values_list("history_id", flat=True))

    workflow.retract(
        stored(draft), user=shenzhen_curator, reason="Merged into the Loop platform record."
    )

    record = Project.objects.get(pk=draft.pk)
    assert record.publication == Publication.RETRACTED
    assert record.retraction_reason == "Merged into the Loop platform record."
    assert record.retracted_at is not None
    assert record.successor is None
    assert record.version == 4
    history = list(record.history.values_list("history_id", flat=True))
    assert history[1:] == earlier_history
    assert [row.history_change_reason for row in record.history.all()] == [
        "retract",
        "publish",
        "submit",
        None,
    ]


def test_retracting_stores_an_optional_successor(shenzhen_curator) -> None:
    record = shenzhen_record(Publication.PUBLISHED)
    successor = shenzhen_record(Publication.PUBLISHED)

    workflow.retract(record, user=shenzhen_curator, reason="Replaced.", successor=successor)

    retracted = stored(record)
    assert retracted.publication == Publication.RETRACTED
    assert retracted.successor_id == successor.pk
    assert stored(successor).publication == Publication.PUBLISHED
    assert stored(successor).version == 1


def test_a_successor_must_be_a_record_of_the_same_kind(shenzhen_curator) -> None:
    record = shenzhen_record(Publication.PUBLISHED)
    other_kind = FacilityFactory(curating_section=Section.SHENZHEN)
    before = snapshot(record)

    with pytest.raises(workflow.WorkflowError, match="same kind"):
        workflow.retract(record, user=shenzhen_curator, reason="Replaced.", successor=other_kind)

    assert snapshot(record) == before
    assert stored(record).successor_id is None


@pytest.mark.parametrize("state", [Publication.DRAFT, Publication.IN_REVIEW, Publication.RETRACTED])
def test_a_successor_must_be_published(state, shenzhen_curator) -> None:
    record = shenzhen_record(Publication.PUBLISHED)
    unpublished = shenzhen_record(state)
    before = snapshot(record)

    with pytest.raises(workflow.WorkflowError, match="published"):
        workflow.retract(record, user=shenzhen_curator, reason="Replaced.", successor=unpublished)

    assert snapshot(record) == before
    assert stored(record).successor_id is None


def test_a_successor_retracted_since_it_was_loaded_is_refused(
    shenzhen_curator, second_shenzhen_curator
) -> None:
    # The successor's stored state counts, as the record's does: a tombstone must never point
    # the public at a record that is itself gone.
    record = shenzhen_record(Publication.PUBLISHED)
    successor = shenzhen_record(Publication.PUBLISHED)
    loaded_successor = Project.objects.get(pk=successor.pk)
    workflow.retract(stored(successor), user=second_shenzhen_curator, reason="Withdrawn.")
    before = snapshot(record)

    with pytest.raises(workflow.WorkflowError, match="published"):
        workflow.retract(
            record, user=shenzhen_curator, reason="Replaced.", successor=loaded_successor
        )

    assert snapshot(record) == before
    assert stored(record).successor_id is None


def test_a_record_cannot_succeed_itself(shenzhen_curator) -> None:
    record = shenzhen_record(Publication.PUBLISHED)
    before = snapshot(record)

    with pytest.raises(workflow.WorkflowError, match="itself"):
        workflow.retract(
            record, user=shenzhen_curator, reason="Replaced.", successor=stored(record)
        )

    assert snapshot(record) == before
    assert stored(record).successor_id is None


# -- reopen --------------------------------------------------------------------------------------
def test_reopening_takes_a_retracted_record_back_to_draft_and_clears_submitted_by(
    shenzhen_curator, second_shenzhen_curator
) -> None:
    draft = shenzhen_record(Publication.DRAFT)
    workflow.submit(draft, user=shenzhen_curator)
    workflow.publish(stored(draft), user=second_shenzhen_curator)
    workflow.retract(stored(draft), user=second_shenzhen_curator, reason="Outdated.")

    workflow.reopen(stored(draft), user=shenzhen_curator)

    record = stored(draft)
    assert record.publication == Publication.DRAFT
    assert record.submitted_by is None
    assert record.submitted_at is None
    assert record.version == 5
    assert record.history.first().history_change_reason == "reopen"
    # The tombstone goes with the retraction; the history keeps it.
    assert (record.retraction_reason, record.retracted_at) == ("", None)
    assert record.history.filter(retraction_reason="Outdated.").exists()


def test_reopening_sends_an_in_review_record_back_to_draft(
    shenzhen_curator, second_shenzhen_curator
) -> None:
    draft = shenzhen_record(Publication.DRAFT)
    workflow.submit(draft, user=shenzhen_curator)

    workflow.reopen(stored(draft), user=second_shenzhen_curator)

    record = stored(draft)
    assert record.publication == Publication.DRAFT
    assert record.submitted_by is None
    assert record.submitted_at is None
    assert record.published_at is None
    assert record.version == 3


def test_the_submitter_may_send_its_own_record_back_to_draft(shenzhen_curator) -> None:
    draft = shenzhen_record(Publication.DRAFT)
    workflow.submit(draft, user=shenzhen_curator)

    workflow.reopen(stored(draft), user=shenzhen_curator)

    assert stored(draft).publication == Publication.DRAFT


def test_after_reopening_the_former_submitter_may_publish_what_another_curator_resubmits(
    shenzhen_curator, second_shenzhen_curator
) -> None:
    draft = shenzhen_record(Publication.DRAFT)
    workflow.submit(draft, user=shenzhen_curator)
    workflow.reopen(stored(draft), user=shenzhen_curator)
    workflow.submit(stored(draft), user=second_shenzhen_curator)

    workflow.publish(stored(draft), user=shenzhen_curator)

    record = stored(draft)
    assert record.publication == Publication.PUBLISHED
    assert record.submitted_by == second_shenzhen_curator


def test_publishing_again_after_a_retraction_clears_the_tombstone(
    shenzhen_curator, second_shenzhen_curator
) -> None:
    record = shenzhen_record(Publication.PUBLISHED)
    successor = shenzhen_record(Publication.PUBLISHED)
    workflow.retract(record, user=shenzhen_curator, reason="Replaced.", successor=successor)
    workflow.reopen(stored(record), user=shenzhen_curator)
    workflow.submit(stored(record), user=shenzhen_curator)

    workflow.publish(stored(record), user=second_shenzhen_curator)

    republished = stored(record)
    assert republished.publication == Publication.PUBLISHED
    assert republished.retracted_at is None
    assert republished.retraction_reason == ""
    assert republished.successor is None


# -- allowed_transitions -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("persona", "state", "expected"),
    [
        ("the_public", Publication.DRAFT, []),
        ("the_public", Publication.IN_REVIEW, []),
        ("the_public", Publication.PUBLISHED, []),
        ("the_public", Publication.RETRACTED, []),
        ("shenzhen_partner", Publication.DRAFT, ["submit"]),
        ("shenzhen_partner", Publication.IN_REVIEW, []),
        ("shenzhen_partner", Publication.PUBLISHED, []),
        ("shenzhen_partner", Publication.RETRACTED, []),
        ("hong_kong_partner", Publication.DRAFT, []),
        ("hong_kong_partner", Publication.IN_REVIEW, []),
        ("hong_kong_curator", Publication.DRAFT, []),
        ("hong_kong_curator", Publication.IN_REVIEW, []),
        ("hong_kong_curator", Publication.PUBLISHED, []),
        ("hong_kong_curator", Publication.RETRACTED, []),
        ("shenzhen_curator", Publication.DRAFT, ["submit"]),
        ("shenzhen_curator", Publication.IN_REVIEW, ["reopen"]),  # it submitted: four-eyes
        ("shenzhen_curator", Publication.PUBLISHED, ["retract"]),
        ("shenzhen_curator", Publication.RETRACTED, ["reopen"]),
        ("second_shenzhen_curator", Publication.IN_REVIEW, ["publish", "reopen"]),
        ("zone_editor", Publication.DRAFT, ["submit"]),
        ("zone_editor", Publication.IN_REVIEW, ["publish", "reopen"]),
        ("zone_editor", Publication.PUBLISHED, ["retract"]),
        ("zone_editor", Publication.RETRACTED, ["reopen"]),
    ],
)
def test_allowed_transitions_lists_exactly_what_a_user_may_do(
    request, persona, state, expected, shenzhen_curator, shenzhen_partner_org
) -> None:
    user = request.getfixturevalue(persona)
    submitter = shenzhen_curator if state == Publication.IN_REVIEW else None
    record = stored(shenzhen_record(state, owner=shenzhen_partner_org, submitted_by=submitter))

    assert workflow.allowed_transitions(record, user) == expected


def test_allowed_transitions_offers_the_submitter_publish_when_four_eyes_is_off(
    settings, shenzhen_curator
) -> None:
    settings.REGISTRY_FOUR_EYES = False
    record = stored(shenzhen_record(Publication.IN_REVIEW, submitted_by=shenzhen_curator))

    assert workflow.allowed_transitions(record, shenzhen_curator) == ["publish", "reopen"]


def test_every_allowed_transition_runs(zone_editor) -> None:
    for state in Publication.values:
        record = stored(shenzhen_record(state))
        for name in workflow.allowed_transitions(record, zone_editor):
            run(name, stored(shenzhen_record(state)), zone_editor)


# -- concurrency and attribution -----------------------------------------------------------------
def test_a_transition_on_a_stale_instance_rereads_the_state(
    shenzhen_curator, second_shenzhen_curator, zone_editor
) -> None:
    record = shenzhen_record(Publication.IN_REVIEW, submitted_by=shenzhen_curator)
    first = Project.objects.get(pk=record.pk)
    second = Project.objects.get(pk=record.pk)

    workflow.publish(first, user=second_shenzhen_curator)
    with pytest.raises(workflow.InvalidTransition):
        workflow.publish(second, user=zone_editor)

    stored_record = stored(record)
    assert stored_record.publication == Publication.PUBLISHED
    assert stored_record.version == 2
    assert stored_record.updated_by == second_shenzhen_curator
    assert stored_record.history.count() == 2
    assert stored_record.history.first().history_user == second_shenzhen_curator


def test_the_submitter_cannot_publish_through_an_instance_loaded_before_it_submitted(
    shenzhen_curator,
) -> None:
    record = shenzhen_record(Publication.DRAFT)
    loaded_before = Project.objects.get(pk=record.pk)
    workflow.submit(stored(record), user=shenzhen_curator)
    before = snapshot(record)

    with pytest.raises(workflow.NotPermitted, match="Four-eyes"):
        workflow.publish(loaded_before, user=shenzhen_curator)

    assert snapshot(record) == before
    assert stored(record).publication == Publication.IN_REVIEW


def test_a_curator_cannot_publish_through_a_stale_instance_after_the_record_changed_section(
    shenzhen_curator, second_shenzhen_curator
) -> None:
    record = shenzhen_record(Publication.IN_REVIEW, submitted_by=second_shenzhen_curator)
    loaded_before = Project.objects.get(pk=record.pk)
    moved = stored(record)
    moved.curating_section = Section.HONG_KONG
    moved.save()
    before = snapshot(record)

    with pytest.raises(workflow.NotPermitted):
        workflow.publish(loaded_before, user=shenzhen_curator)

    assert snapshot(record) == before


def test_every_transition_is_attributed_in_history(
    shenzhen_curator, second_shenzhen_curator, zone_editor, shenzhen_partner, shenzhen_partner_org
) -> None:
    record = shenzhen_record(Publication.DRAFT, owner=shenzhen_partner_org)
    steps = [
        ("submit", shenzhen_partner),
        ("reopen", shenzhen_curator),
        ("submit", shenzhen_curator),
        ("publish", second_shenzhen_curator),
        ("retract", zone_editor),
        ("reopen", second_shenzhen_curator),
    ]

    for name, user in steps:
        run(name, stored(record), user)
        latest = stored(record).history.first()
        assert latest.history_user == user, name
        assert latest.history_change_reason == name
        assert stored(record).updated_by == user

    final = stored(record)
    assert final.version == 1 + len(steps)
    assert final.history.count() == 1 + len(steps)
    assert [
        (row.history_change_reason, row.history_user) for row in final.history.all()[: len(steps)]
    ] == [(name, user) for name, user in reversed(steps)]
