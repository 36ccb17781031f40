"""Who may do what in the admin (docs/architecture.md §1): a curator sees everything but changes,
submits, publishes and retracts only the records of their own section; elsewhere the admin
refuses with 403 and offers no button to try. Only a superuser deletes; reference data belongs to
the zone editors; partners and the public never reach the admin."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from registry.models import (
    CURATED_MODELS,
    Facility,
    PriorityArea,
    Project,
    Publication,
    ResearchField,
    Section,
    SubArea,
    ZoneSection,
)
from tests.admin.forms import change_form_data
from tests.admin.helpers import (
    admin_url,
    bulk_action,
    change_url,
    open_change_form,
    save_change_form,
    stored,
    transition_url,
)
from tests.factories import (
    FACTORIES,
    FacilityFactory,
)

pytestmark = pytest.mark.django_db


def test_these_tests_cover_every_kind_of_curated_record() -> None:
    assert [factory._meta.model for factory in FACTORIES.values()] == list(CURATED_MODELS)


def shenzhen_facility(**fields) -> Facility:
    return FacilityFactory(
        curating_section=Section.SHENZHEN,
        section=Facility.Location.SHENZHEN,
        name_en="Shenzhen Bay Laboratory",
        **fields,
    )


# -- seeing ---------------------------------------------------------------------------------------
def test_a_hong_kong_curator_sees_records_of_both_sections_in_every_state(
    client, hong_kong_curator, curated_factory
) -> None:
    records = [
        curated_factory(curating_section=section, publication=state)
        for section in Section.values
        for state in Publication.values
    ]
    client.force_login(hong_kong_curator)

    response = client.get(admin_url(type(records[0]), "changelist"))

    assert response.status_code == 200
    listed = set(response.context["cl"].result_list)
    assert set(records) <= listed


# -- changing a record -------------------------------------------------------------------------
def test_a_shenzhen_curator_changes_a_shenzhen_facility(client, shenzhen_curator) -> None:
    facility = shenzhen_facility()
    client.force_login(shenzhen_curator)

    response = save_change_form(client, facility, name_en="Shenzhen Bay Laboratory (Futian)")

    assert response.status_code == 302
    saved = stored(facility)
    assert saved.name_en == "Shenzhen Bay Laboratory (Futian)"
    assert saved.version == 2
    assert saved.updated_by == shenzhen_curator
    assert saved.history.latest().history_user == shenzhen_curator


def test_a_hong_kong_curator_cannot_change_a_shenzhen_facility(
    client, shenzhen_curator, hong_kong_curator
) -> None:
    facility = shenzhen_facility()
    # The form as a Shenzhen curator would post it, sent by a Hong Kong curator.
    client.force_login(shenzhen_curator)
    data = change_form_data(open_change_form(client, facility), name_en="Taken over")
    client.force_login(hong_kong_curator)

    response = client.post(change_url(facility), data)

    assert response.status_code == 403
    unchanged = stored(facility)
    assert unchanged.name_en == "Shenzhen Bay Laboratory"
    assert unchanged.version == 1
    assert unchanged.history.count() == 1


def test_a_hong_kong_curator_sees_a_shenzhen_record_read_only_with_no_save_or_workflow_button(
    client, hong_kong_curator, curated_factory
) -> None:
    record = curated_factory(curating_section=Section.SHENZHEN, publication=Publication.DRAFT)
    client.force_login(hong_kong_curator)

    response = client.get(change_url(record))

    assert response.status_code == 200
    page = response.content.decode()
    assert record.public_id in page
    assert 'name="_save"' not in page
    assert 'name="_continue"' not in page
    assert response.context["workflow_buttons"] == []
    assert "registry-workflow" not in page
    assert not response.context["has_change_permission"]


def test_a_hong_kong_curator_sees_the_save_and_workflow_buttons_on_a_hong_kong_record(
    client, hong_kong_curator
) -> None:
    record = FacilityFactory(curating_section=Section.HONG_KONG, publication=Publication.DRAFT)
    client.force_login(hong_kong_curator)

    response = client.get(change_url(record))

    page = response.content.decode()
    assert 'name="_save"' in page
    assert [name for name, _label, _url in response.context["workflow_buttons"]] == ["submit"]
    assert f'action="{transition_url(record, "submit")}"' in page


@pytest.mark.parametrize(
    ("state", "transition"),
    [
        (Publication.DRAFT, "submit"),
        (Publication.IN_REVIEW, "publish"),
        (Publication.IN_REVIEW, "reopen"),
        (Publication.PUBLISHED, "retract"),
        (Publication.RETRACTED, "reopen"),
    ],
)
def test_a_hong_kong_curator_cannot_run_the_workflow_of_a_shenzhen_record(
    client, hong_kong_curator, state, transition
) -> None:
    record = shenzhen_facility(publication=state)
    client.force_login(hong_kong_curator)

    response = client.post(transition_url(record, transition), {"reason": "Not ours to keep."})

    assert response.status_code == 403
    unchanged = stored(record)
    assert unchanged.publication == state
    assert unchanged.version == 1


@pytest.mark.parametrize(
    ("action", "state"),
    [
        ("submit_selected", Publication.DRAFT),
        ("publish_selected", Publication.IN_REVIEW),
        ("reopen_selected", Publication.RETRACTED),
    ],
)
def test_a_bulk_action_including_a_record_of_the_other_section_is_refused_and_changes_nothing(
    client, hong_kong_curator, action, state
) -> None:
    hong_kong_lab = FacilityFactory(curating_section=Section.HONG_KONG, publication=state)
    shenzhen_lab = shenzhen_facility(publication=state)
    client.force_login(hong_kong_curator)

    response = bulk_action(client, Facility, action, [hong_kong_lab, shenzhen_lab])

    assert response.status_code == 403
    for record in (hong_kong_lab, shenzhen_lab):
        unchanged = stored(record)
        assert unchanged.publication == state
        assert unchanged.version == 1


def test_a_bulk_retraction_including_a_record_of_the_other_section_is_refused(
    client, hong_kong_curator
) -> None:
    hong_kong_lab = FacilityFactory(curating_section=Section.HONG_KONG)
    shenzhen_lab = shenzhen_facility()
    client.force_login(hong_kong_curator)

    response = bulk_action(
        client, Facility, "retract_selected", [hong_kong_lab, shenzhen_lab], reason="Duplicate."
    )

    assert response.status_code == 403
    for record in (hong_kong_lab, shenzhen_lab):
        assert stored(record).publication == Publication.PUBLISHED
        assert stored(record).retraction_reason == ""


def test_a_zone_editor_publishes_records_of_both_sections_in_one_bulk_action(
    client, zone_editor
) -> None:
    hong_kong_lab = FacilityFactory(
        curating_section=Section.HONG_KONG, publication=Publication.IN_REVIEW
    )
    shenzhen_lab = shenzhen_facility(publication=Publication.IN_REVIEW)
    client.force_login(zone_editor)

    response = bulk_action(client, Facility, "publish_selected", [hong_kong_lab, shenzhen_lab])

    assert response.status_code == 302
    assert stored(hong_kong_lab).publication == Publication.PUBLISHED
    assert stored(shenzhen_lab).publication == Publication.PUBLISHED


# -- adding a record ---------------------------------------------------------------------------
def add_facility_data(client, **fields) -> dict:
    response = client.get(admin_url(Facility, "add"))
    assert response.status_code == 200
    return change_form_data(
        response,
        name_en="Loop Quantum Laboratory",
        kind=Facility.Kind.LABORATORY,
        status=Facility.Status.PLANNED,
        section=Facility.Location.HONG_KONG,
        sources='["https://www.example.org/loop"]',
        **fields,
    )


def test_a_curator_can_only_choose_their_own_section_when_adding_a_record(
    client, hong_kong_curator
) -> None:
    client.force_login(hong_kong_curator)

    response = client.get(admin_url(Facility, "add"))

    choices = response.context["adminform"].form.fields["curating_section"].choices
    assert [value for value, _label in choices if value] == [Section.HONG_KONG]


def test_a_hong_kong_curator_cannot_add_a_record_to_the_shenzhen_section(
    client, hong_kong_curator
) -> None:
    client.force_login(hong_kong_curator)
    data = add_facility_data(client, curating_section=Section.SHENZHEN)

    response = client.post(admin_url(Facility, "add"), data)

    assert response.status_code == 200
    assert "curating_section" in response.context["adminform"].form.errors
    assert not Facility.objects.filter(name_en="Loop Quantum Laboratory").exists()


def test_a_hong_kong_curator_adds_a_draft_to_the_hong_kong_section(
    client, hong_kong_curator
) -> None:
    client.force_login(hong_kong_curator)
    data = add_facility_data(client, curating_section=Section.HONG_KONG)

    response = client.post(admin_url(Facility, "add"), data)

    assert response.status_code == 302
    added = Facility.objects.get(name_en="Loop Quantum Laboratory")
    assert added.curating_section == Section.HONG_KONG
    assert added.publication == Publication.DRAFT
    assert added.version == 1
    assert added.created_by == hong_kong_curator
    assert added.history.get().history_user == hong_kong_curator


@pytest.mark.parametrize("section", Section.values)
def test_a_zone_editor_adds_records_to_either_section(client, zone_editor, section) -> None:
    client.force_login(zone_editor)
    data = add_facility_data(client, curating_section=section)

    response = client.post(admin_url(Facility, "add"), data)

    assert response.status_code == 302
    assert Facility.objects.get(name_en="Loop Quantum Laboratory").curating_section == section


# -- deleting ------------------------------------------------------------------------------------
@pytest.mark.parametrize("who", ["hong_kong_curator", "zone_editor"])
def test_only_a_superuser_may_delete_so_a_curator_or_zone_editor_cannot(
    request, client, who
) -> None:
    record = FacilityFactory(curating_section=Section.HONG_KONG)
    client.force_login(request.getfixturevalue(who))

    page = client.get(change_url(record))
    refused = client.post(admin_url(Facility, "delete", record.pk), {"post": "yes"})
    changelist = client.get(admin_url(Facility, "changelist"))

    assert refused.status_code == 403
    assert Facility.objects.filter(pk=record.pk).exists()
    assert "deletelink" not in page.content.decode()
    assert "delete_selected" not in dict(changelist.context["action_form"].fields["action"].choices)


def test_a_bulk_delete_by_a_curator_is_refused(client, hong_kong_curator) -> None:
    record = FacilityFactory(curating_section=Section.HONG_KONG)
    client.force_login(hong_kong_curator)

    client.post(
        admin_url(Facility, "changelist"),
        {"action": "delete_selected", ACTION_CHECKBOX_NAME: [record.pk], "post": "yes"},
    )

    assert Facility.objects.filter(pk=record.pk).exists()


def test_a_superuser_deletes_a_record(client, superuser) -> None:
    record = FacilityFactory(curating_section=Section.HONG_KONG)
    client.force_login(superuser)

    response = client.post(admin_url(Facility, "delete", record.pk), {"post": "yes"})

    assert response.status_code == 302
    assert not Facility.objects.filter(pk=record.pk).exists()
    assert Facility.history.filter(id=record.pk, history_type="-").get().history_user == superuser


# -- who reaches the admin -------------------------------------------------------------------------
@pytest.mark.parametrize("who", ["the_public", "hong_kong_partner", "shenzhen_partner"])
def test_partners_and_the_public_cannot_reach_the_admin(request, client, who) -> None:
    user = request.getfixturevalue(who)
    if not isinstance(user, AnonymousUser):
        client.force_login(user)
    record = FacilityFactory(curating_section=Section.HONG_KONG, name_en="Loop Lab")

    pages = [
        admin_url(Facility, "changelist"),
        change_url(record),
        admin_url(Project, "add"),
        admin_url(Facility, "history", record.pk),
        admin_url(Facility, "deleted"),
        transition_url(record, "retract"),
    ]
    responses = [client.get(url) for url in pages]
    posted = client.post(transition_url(record, "retract"), {"reason": "Partners cannot."})

    for response in [*responses, posted]:
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))
    assert stored(record).publication == Publication.PUBLISHED
    assert stored(record).version == 1


def test_a_partner_cannot_save_a_record_through_the_admin_even_one_its_organisation_owns(
    client, hong_kong_partner, hong_kong_partner_org, hong_kong_curator
) -> None:
    record = FacilityFactory(owner=hong_kong_partner_org, name_en="Owned laboratory")
    client.force_login(hong_kong_curator)
    data = change_form_data(open_change_form(client, record), name_en="Renamed by partner")
    client.force_login(hong_kong_partner)

    response = client.post(change_url(record), data)

    assert response.status_code == 302
    assert stored(record).name_en == "Owned laboratory"


# -- reference data ------------------------------------------------------------------------------
REFERENCE_DATA = [
    pytest.param(
        lambda: ResearchField.objects.create(code="9.9", name_en="Test field"), id="ResearchField"
    ),
    pytest.param(
        lambda: PriorityArea.objects.create(code="test-area", name_en="Test area"),
        id="PriorityArea",
    ),
    pytest.param(
        lambda: SubArea.objects.create(
            code="test-sub-area", name_en="Test sub-area", section=Section.HONG_KONG
        ),
        id="SubArea",
    ),
    pytest.param(
        lambda: ZoneSection.objects.create(code=Section.HONG_KONG, name_en="Hong Kong Park"),
        id="ZoneSection",
    ),
]


@pytest.mark.parametrize("make", REFERENCE_DATA)
def test_a_zone_editor_changes_reference_data(client, zone_editor, make) -> None:
    entry = make()
    client.force_login(zone_editor)

    response = save_change_form(client, entry, name_en="Renamed by the zone editors")

    assert response.status_code == 302
    assert stored(entry).name_en == "Renamed by the zone editors"
    assert stored(entry).history.latest().history_user == zone_editor


@pytest.mark.parametrize("curator", ["hong_kong_curator", "shenzhen_curator"])
@pytest.mark.parametrize("make", REFERENCE_DATA)
def test_a_section_curator_reads_reference_data_but_cannot_change_or_add_it(
    request, client, zone_editor, curator, make
) -> None:
    entry = make()
    client.force_login(zone_editor)
    data = change_form_data(open_change_form(client, entry), name_en="Renamed by a curator")
    client.force_login(request.getfixturevalue(curator))

    page = client.get(change_url(entry))
    refused = client.post(change_url(entry), data)
    add_page = client.get(admin_url(type(entry), "add"))

    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert refused.status_code == 403
    assert add_page.status_code == 403
    assert stored(entry).name_en != "Renamed by a curator"
