"""Who sees and who may change what (registry/access.py; docs/architecture.md §1).

Every test builds records in the database, re-reads them and asks ``registry.access`` about
them, so the answers depend on the stored state, not on what a factory left in memory.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import factory
import pytest
from django.contrib.auth.models import Group

from registry import access
from registry.models import (
    CuratedRecord,
    Facility,
    FactorFlow,
    FundingScheme,
    Organisation,
    Output,
    PolicyInstrument,
    Project,
    Publication,
    Section,
)
from tests.factories import (
    FacilityFactory,
    ParticipationFactory,
    PartnerAccountFactory,
    ProjectFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

NOT_PUBLISHED = [Publication.DRAFT, Publication.IN_REVIEW, Publication.RETRACTED]
CURATORS = ["shenzhen_curator", "hong_kong_curator", "zone_editor", "superuser"]


def one_of_each_state(
    record_factory: type[factory.django.DjangoModelFactory], **fields: Any
) -> dict[str, CuratedRecord]:
    """One record per publication state, keyed by the state."""
    return {state: record_factory(publication=state, **fields) for state in Publication.values}


def stored(record: CuratedRecord) -> CuratedRecord:
    """The record as the database holds it now."""
    return type(record).objects.get(pk=record.pk)


def visible_pks(user: Any, records: Iterable[CuratedRecord]) -> set[int]:
    """The pks of ``records`` that ``access.visible`` lets ``user`` see."""
    records = list(records)
    model = type(records[0])
    queryset = model.objects.filter(pk__in=[record.pk for record in records])
    return set(access.visible(queryset, user).values_list("pk", flat=True))


def editable_pks(user: Any, records: Iterable[CuratedRecord]) -> set[int]:
    """The pks of ``records`` that ``access.editable`` lets ``user`` change."""
    records = list(records)
    model = type(records[0])
    queryset = model.objects.filter(pk__in=[record.pk for record in records])
    return set(access.editable(queryset, user).values_list("pk", flat=True))


# -- seeing ------------------------------------------------------------------------------------
def test_the_public_sees_only_published_records(curated_factory, the_public) -> None:
    records = one_of_each_state(curated_factory)
    model = type(records[Publication.PUBLISHED])

    seen = set(access.visible(model.objects.all(), the_public).values_list("pk", flat=True))

    published = set(
        model.objects.filter(publication=Publication.PUBLISHED).values_list("pk", flat=True)
    )
    assert seen == published
    assert records[Publication.PUBLISHED].pk in seen
    assert not seen & {records[state].pk for state in NOT_PUBLISHED}


@pytest.mark.parametrize("state", NOT_PUBLISHED)
def test_the_public_cannot_see_drafts_in_review_or_retracted_records(
    curated_factory, state, the_public
) -> None:
    record = stored(curated_factory(publication=state))

    assert record.publication == state
    assert not access.can_view(the_public, record)
    assert visible_pks(the_public, [record]) == set()


def test_the_public_can_view_a_published_record(curated_factory, the_public) -> None:
    record = stored(curated_factory(publication=Publication.PUBLISHED))

    assert access.can_view(the_public, record)


def test_a_partner_sees_published_records_and_every_record_its_organisation_owns(
    curated_factory, hong_kong_partner, hong_kong_partner_org
) -> None:
    own = one_of_each_state(curated_factory, owner=hong_kong_partner_org)
    unowned = one_of_each_state(curated_factory, owner=None)

    seen = visible_pks(hong_kong_partner, [*own.values(), *unowned.values()])

    assert seen == {record.pk for record in own.values()} | {unowned[Publication.PUBLISHED].pk}
    for record in own.values():
        assert access.can_view(hong_kong_partner, stored(record))


@pytest.mark.parametrize("state", NOT_PUBLISHED)
def test_a_partner_cannot_see_another_organisations_unpublished_records(
    curated_factory, state, hong_kong_partner, shenzhen_partner_org
) -> None:
    theirs = stored(
        curated_factory(
            publication=state, owner=shenzhen_partner_org, curating_section=Section.SHENZHEN
        )
    )

    assert theirs.owner_id == shenzhen_partner_org.pk
    assert not access.can_view(hong_kong_partner, theirs)
    assert visible_pks(hong_kong_partner, [theirs]) == set()


def test_a_partner_sees_another_organisations_published_records(
    hong_kong_partner, shenzhen_partner_org
) -> None:
    theirs = stored(ProjectFactory(owner=shenzhen_partner_org))

    assert access.can_view(hong_kong_partner, theirs)
    assert visible_pks(hong_kong_partner, [theirs]) == {theirs.pk}


@pytest.mark.parametrize("curator", CURATORS)
def test_a_curator_sees_everything_in_both_sections(request, curator, curated_factory) -> None:
    user = request.getfixturevalue(curator)
    records = [
        *one_of_each_state(curated_factory, curating_section=Section.SHENZHEN).values(),
        *one_of_each_state(curated_factory, curating_section=Section.HONG_KONG).values(),
    ]

    assert visible_pks(user, records) == {record.pk for record in records}
    assert all(access.can_view(user, stored(record)) for record in records)


# -- changing ----------------------------------------------------------------------------------
def test_a_hong_kong_curator_can_change_hong_kong_records_but_not_shenzhen_ones(
    curated_factory, hong_kong_curator
) -> None:
    hong_kong = one_of_each_state(curated_factory, curating_section=Section.HONG_KONG)
    shenzhen = one_of_each_state(curated_factory, curating_section=Section.SHENZHEN)

    assert editable_pks(hong_kong_curator, [*hong_kong.values(), *shenzhen.values()]) == {
        record.pk for record in hong_kong.values()
    }
    for record in hong_kong.values():
        assert access.can_edit(hong_kong_curator, stored(record))
        assert access.can_edit_directly(hong_kong_curator, stored(record))
    for record in shenzhen.values():
        assert not access.can_edit(hong_kong_curator, stored(record))
        assert not access.can_edit_directly(hong_kong_curator, stored(record))


def test_a_shenzhen_curator_can_change_shenzhen_records_but_not_hong_kong_ones(
    shenzhen_curator,
) -> None:
    shenzhen = FacilityFactory(curating_section=Section.SHENZHEN)
    hong_kong = FacilityFactory(curating_section=Section.HONG_KONG)

    assert editable_pks(shenzhen_curator, [shenzhen, hong_kong]) == {shenzhen.pk}
    assert access.can_edit(shenzhen_curator, stored(shenzhen))
    assert not access.can_edit(shenzhen_curator, stored(hong_kong))


def test_a_curator_follows_the_stored_section_of_a_record(hong_kong_curator) -> None:
    record = FacilityFactory(curating_section=Section.HONG_KONG)
    moved = stored(record)
    moved.curating_section = Section.SHENZHEN
    moved.save()

    assert not access.can_edit(hong_kong_curator, stored(record))
    assert editable_pks(hong_kong_curator, [record]) == set()


@pytest.mark.parametrize("editor", ["zone_editor", "superuser"])
def test_a_zone_editor_can_change_everything(
    request, editor, curated_factory, shenzhen_partner_org
) -> None:
    user = request.getfixturevalue(editor)
    records = [
        *one_of_each_state(curated_factory, curating_section=Section.SHENZHEN).values(),
        *one_of_each_state(
            curated_factory, curating_section=Section.HONG_KONG, owner=shenzhen_partner_org
        ).values(),
    ]

    assert editable_pks(user, records) == {record.pk for record in records}
    for record in records:
        assert access.can_edit(user, stored(record))
        assert access.can_edit_directly(user, stored(record))


def test_a_partner_can_change_only_records_its_organisation_owns_and_not_retracted_ones(
    curated_factory, hong_kong_partner, hong_kong_partner_org, shenzhen_partner_org
) -> None:
    own = one_of_each_state(curated_factory, owner=hong_kong_partner_org)
    theirs = one_of_each_state(curated_factory, owner=shenzhen_partner_org)
    unowned = one_of_each_state(curated_factory, owner=None)

    changeable = editable_pks(
        hong_kong_partner, [*own.values(), *theirs.values(), *unowned.values()]
    )

    assert changeable == {own[state].pk for state in own if state != Publication.RETRACTED}
    assert not access.can_edit(hong_kong_partner, stored(own[Publication.RETRACTED]))
    for state in Publication.values:
        assert not access.can_edit(hong_kong_partner, stored(theirs[state]))
        assert not access.can_edit(hong_kong_partner, stored(unowned[state]))


def test_a_partner_cannot_change_a_record_of_its_section_that_it_does_not_own(
    hong_kong_partner,
) -> None:
    # Partners' rights come from ownership alone, never from the curating section.
    record = stored(ProjectFactory(curating_section=Section.HONG_KONG, owner=None))

    assert not access.can_edit(hong_kong_partner, record)
    assert not access.can_edit_directly(hong_kong_partner, record)


def test_the_public_changes_nothing(curated_factory, the_public) -> None:
    records = list(one_of_each_state(curated_factory).values())

    assert editable_pks(the_public, records) == set()
    for record in records:
        assert not access.can_edit(the_public, stored(record))
        assert not access.can_edit_directly(the_public, stored(record))


def test_a_partners_change_to_its_own_published_record_becomes_a_change_request(
    hong_kong_partner, hong_kong_partner_org
) -> None:
    record = stored(ProjectFactory(owner=hong_kong_partner_org))

    assert record.publication == Publication.PUBLISHED
    assert access.can_edit(hong_kong_partner, record)
    assert not access.can_edit_directly(hong_kong_partner, record)


@pytest.mark.parametrize("state", [Publication.DRAFT, Publication.IN_REVIEW])
def test_a_partners_change_to_its_own_unpublished_record_is_saved_directly(
    state, hong_kong_partner, hong_kong_partner_org
) -> None:
    record = stored(ProjectFactory(publication=state, owner=hong_kong_partner_org))

    assert access.can_edit(hong_kong_partner, record)
    assert access.can_edit_directly(hong_kong_partner, record)


def test_a_partners_own_record_becomes_a_change_request_once_it_is_published(
    hong_kong_partner, hong_kong_partner_org
) -> None:
    record = ProjectFactory(publication=Publication.DRAFT, owner=hong_kong_partner_org)
    assert access.can_edit_directly(hong_kong_partner, stored(record))

    published = stored(record)
    published.publication = Publication.PUBLISHED
    published.save()

    assert not access.can_edit_directly(hong_kong_partner, stored(record))


def test_a_curators_change_to_a_published_record_of_its_section_is_direct(
    hong_kong_curator, hong_kong_partner_org
) -> None:
    record = stored(ProjectFactory(curating_section=Section.HONG_KONG, owner=hong_kong_partner_org))

    assert access.can_edit_directly(hong_kong_curator, record)


# -- creating and deleting -----------------------------------------------------------------------
def test_a_partner_may_only_create_records_owned_by_its_own_organisation(
    hong_kong_partner, hong_kong_partner_org, shenzhen_partner_org
) -> None:
    own = hong_kong_partner_org.pk

    assert access.can_create(hong_kong_partner, curating_section=Section.HONG_KONG, owner_id=own)
    assert not access.can_create(
        hong_kong_partner, curating_section=Section.HONG_KONG, owner_id=shenzhen_partner_org.pk
    )
    assert not access.can_create(hong_kong_partner, curating_section=Section.HONG_KONG)
    assert not access.can_create(
        hong_kong_partner, curating_section=Section.HONG_KONG, owner_id=None
    )


def test_a_section_curator_may_only_create_records_in_its_own_section(
    shenzhen_curator, hong_kong_curator, shenzhen_partner_org
) -> None:
    assert access.can_create(shenzhen_curator, curating_section=Section.SHENZHEN)
    assert access.can_create(
        shenzhen_curator, curating_section=Section.SHENZHEN, owner_id=shenzhen_partner_org.pk
    )
    assert not access.can_create(shenzhen_curator, curating_section=Section.HONG_KONG)
    assert access.can_create(hong_kong_curator, curating_section=Section.HONG_KONG)
    assert not access.can_create(hong_kong_curator, curating_section=Section.SHENZHEN)


@pytest.mark.parametrize("editor", ["zone_editor", "superuser"])
@pytest.mark.parametrize("section", Section.values)
def test_a_zone_editor_may_create_records_in_either_section(request, editor, section) -> None:
    assert access.can_create(request.getfixturevalue(editor), curating_section=section)


@pytest.mark.parametrize("section", Section.values)
def test_the_public_may_create_nothing(the_public, section, hong_kong_partner_org) -> None:
    assert not access.can_create(the_public, curating_section=section)
    assert not access.can_create(
        the_public, curating_section=section, owner_id=hong_kong_partner_org.pk
    )


@pytest.mark.parametrize(
    ("persona", "may_delete"),
    [
        ("the_public", False),
        ("hong_kong_partner", False),
        ("shenzhen_curator", False),
        ("hong_kong_curator", False),
        ("zone_editor", False),
        ("superuser", True),
    ],
)
def test_only_a_superuser_may_hard_delete(request, persona, may_delete, hong_kong_partner_org):
    user = request.getfixturevalue(persona)
    project = ProjectFactory(owner=hong_kong_partner_org, publication=Publication.DRAFT)
    participation = ParticipationFactory(project=project, organisation=hong_kong_partner_org)

    assert access.can_delete(user, stored(project)) is may_delete
    assert access.can_delete(user, participation) is may_delete
    # Asking decides nothing by itself: the records are still stored.
    assert Project.objects.filter(pk=project.pk).exists()


# -- who counts as whom --------------------------------------------------------------------------
@pytest.mark.parametrize("group", [access.ZONE_EDITORS, access.HONG_KONG_CURATORS, None])
def test_an_inactive_user_is_treated_as_the_public(group, hong_kong_partner_org) -> None:
    user = UserFactory(username="gone", is_active=False, is_superuser=group is None)
    if group is not None:
        user.groups.add(Group.objects.get(name=group))
    draft = ProjectFactory(publication=Publication.DRAFT, owner=hong_kong_partner_org)
    published = ProjectFactory(owner=hong_kong_partner_org)

    assert access.actor_for(user) == access.PUBLIC
    assert visible_pks(user, [draft, published]) == {published.pk}
    assert editable_pks(user, [draft, published]) == set()
    assert not access.can_edit(user, stored(published))
    assert not access.can_create(user, curating_section=Section.HONG_KONG)
    assert not access.can_delete(user, stored(draft))


def test_an_inactive_partner_is_treated_as_the_public(hong_kong_partner_org) -> None:
    user = UserFactory(username="former-partner", is_active=False)
    PartnerAccountFactory(user=user, organisation=hong_kong_partner_org)
    draft = ProjectFactory(publication=Publication.DRAFT, owner=hong_kong_partner_org)

    assert access.actor_for(user) == access.PUBLIC
    assert visible_pks(user, [draft]) == set()
    assert not access.can_edit(user, stored(draft))
    assert not access.can_create(
        user, curating_section=Section.HONG_KONG, owner_id=hong_kong_partner_org.pk
    )


@pytest.mark.parametrize("is_staff", [False, True])
def test_a_user_in_no_group_and_with_no_partner_account_is_the_public(is_staff) -> None:
    user = UserFactory(username="someone", is_staff=is_staff)
    draft = ProjectFactory(publication=Publication.DRAFT)
    published = ProjectFactory()

    assert access.actor_for(user) == access.PUBLIC
    assert visible_pks(user, [draft, published]) == {published.pk}
    assert editable_pks(user, [draft, published]) == set()
    assert not access.can_create(user, curating_section=Section.HONG_KONG)


def test_a_user_in_both_section_groups_curates_both_sections() -> None:
    user = UserFactory(username="both-sections")
    user.groups.add(*Group.objects.filter(name__in=access.SECTION_GROUPS))
    records = [
        FacilityFactory(curating_section=Section.SHENZHEN),
        FacilityFactory(curating_section=Section.HONG_KONG),
    ]

    actor = access.actor_for(user)

    assert actor.role is access.Role.SECTION_CURATOR
    assert actor.sections == frozenset(Section.values)
    assert editable_pks(user, records) == {record.pk for record in records}


def test_a_curator_with_a_partner_account_acts_as_a_curator(
    shenzhen_curator, hong_kong_partner_org
) -> None:
    PartnerAccountFactory(user=shenzhen_curator, organisation=hong_kong_partner_org)

    actor = access.actor_for(shenzhen_curator)

    assert actor.role is access.Role.SECTION_CURATOR
    assert actor.sections == frozenset({Section.SHENZHEN})


def test_only_zone_editors_may_change_reference_data(
    the_public, hong_kong_partner, shenzhen_curator, hong_kong_curator, zone_editor, superuser
) -> None:
    assert access.can_edit_reference_data(zone_editor)
    assert access.can_edit_reference_data(superuser)
    for user in (the_public, hong_kong_partner, shenzhen_curator, hong_kong_curator):
        assert not access.can_edit_reference_data(user)


def test_a_part_of_a_record_is_governed_by_its_parent_record(hong_kong_partner_org) -> None:
    project = ProjectFactory()
    participation = ParticipationFactory(project=project, organisation=hong_kong_partner_org)

    assert access.parent_record(participation) == project
    assert access.parent_record(project) == project


def test_gone_lists_only_retracted_records() -> None:
    records = one_of_each_state(FacilityFactory)

    gone = access.gone(Facility.objects.filter(pk__in=[r.pk for r in records.values()]))

    assert list(gone.values_list("pk", flat=True)) == [records[Publication.RETRACTED].pk]


# -- queries ---------------------------------------------------------------------------------------
def test_actor_for_works_out_a_partners_role_once(
    hong_kong_partner, hong_kong_partner_org, django_assert_num_queries
) -> None:
    # Groups, then the partner account.
    with django_assert_num_queries(2):
        first = access.actor_for(hong_kong_partner)
    with django_assert_num_queries(0):
        second = access.actor_for(hong_kong_partner)

    assert first is second
    assert first.role is access.Role.PARTNER
    assert first.organisation_id == hong_kong_partner_org.pk


def test_actor_for_works_out_a_curators_role_once(
    hong_kong_curator, django_assert_num_queries
) -> None:
    with django_assert_num_queries(1):
        first = access.actor_for(hong_kong_curator)
    with django_assert_num_queries(0):
        second = access.actor_for(hong_kong_curator)

    assert first is second
    assert first.role is access.Role.SECTION_CURATOR
    assert first.sections == frozenset({Section.HONG_KONG})


def test_actor_for_needs_no_query_for_a_superuser_or_the_public(
    superuser, the_public, django_assert_num_queries
) -> None:
    with django_assert_num_queries(0):
        assert access.actor_for(superuser).role is access.Role.ZONE_EDITOR
        assert access.actor_for(the_public) is access.PUBLIC
        assert access.actor_for(None) is access.PUBLIC


@pytest.mark.parametrize(
    "persona", ["the_public", "hong_kong_partner", "hong_kong_curator", "zone_editor"]
)
@pytest.mark.parametrize(
    "model",
    [Organisation, Facility, Project, Output, FactorFlow, PolicyInstrument, FundingScheme],
)
def test_visible_adds_no_query_by_itself(
    request, persona, model, django_assert_num_queries
) -> None:
    user = request.getfixturevalue(persona)
    access.actor_for(user)  # the role is worked out once per user, before any listing

    with django_assert_num_queries(0):
        visible = access.visible(model.objects.all(), user)
        access.editable(model.objects.all(), user)

    # Listing is then the one query, with the visibility rule inside it.
    with django_assert_num_queries(1):
        list(visible)
