"""History in the admin: every change is attributed to the user who made it, the history page
shows a field-by-field diff, an old version can be restored by reverting to it, and a record a
superuser deleted is listed and can be restored through its history."""

from __future__ import annotations

import pytest
from django.urls import reverse

from registry.models import (
    Facility,
    Organisation,
    OrganisationRelation,
    Participation,
    Publication,
    Section,
    Side,
)
from tests.admin.forms import change_form_data
from tests.admin.helpers import admin_url, save_change_form, stored, transition_url
from tests.factories import (
    FacilityFactory,
    FundingSchemeFactory,
    OrganisationFactory,
    ProjectFactory,
)

pytestmark = pytest.mark.django_db


def shenzhen_facility(**fields) -> Facility:
    fields.setdefault("name_en", "Shenzhen Bay Laboratory")
    return FacilityFactory(
        curating_section=Section.SHENZHEN, section=Facility.Location.SHENZHEN, **fields
    )


def revert_url(record: Facility, history_id: int) -> str:
    return admin_url(record, "simple_history", record.pk, history_id)


def first_version(record: Facility):
    return record.history.get(version=1)


# -- attribution ----------------------------------------------------------------------------------
def test_every_change_made_in_the_admin_is_attributed_to_the_curator_who_made_it(
    client, shenzhen_curator, second_shenzhen_curator
) -> None:
    facility = shenzhen_facility(publication=Publication.DRAFT)
    client.force_login(shenzhen_curator)
    save_change_form(client, facility, address="1 Science Avenue, Futian")
    client.post(transition_url(facility, "submit"))
    client.force_login(second_shenzhen_curator)
    save_change_form(client, facility, website="https://www.example.org/szbl")
    client.post(transition_url(facility, "publish"))

    rows = list(stored(facility).history.order_by("history_date", "history_id"))

    assert [(row.version, row.history_user, row.history_change_reason) for row in rows[1:]] == [
        (2, shenzhen_curator, None),
        (3, shenzhen_curator, "submit"),
        (4, second_shenzhen_curator, None),
        (5, second_shenzhen_curator, "publish"),
    ]
    assert stored(facility).updated_by == second_shenzhen_curator


def test_the_history_page_shows_who_changed_what_field_by_field(
    client, shenzhen_curator, hong_kong_curator
) -> None:
    facility = shenzhen_facility()
    client.force_login(shenzhen_curator)
    save_change_form(client, facility, name_en="Shenzhen Bay Laboratory (Futian)")
    # A curator of the other section may read the history too: curators see everything.
    client.force_login(hong_kong_curator)

    response = client.get(admin_url(facility, "history", facility.pk))

    assert response.status_code == 200
    latest = response.context["page_obj"][0]
    assert latest.history_user == shenzhen_curator
    assert {
        "field": "Name (English)",
        "old": "Shenzhen Bay Laboratory",
        "new": "Shenzhen Bay Laboratory (Futian)",
    } in latest.history_delta_changes
    page = response.content.decode()
    assert "<strong>Name (English):</strong>" in page
    assert "sz-curator" in page


# Parts of a record added through its change form: (parent factory, formset prefix, new row).
NEW_PARTS = {
    "participation": (
        ProjectFactory,
        "participations",
        lambda: {"organisation": OrganisationFactory().pk, "role": Participation.Role.LEAD},
    ),
    "funding line": (
        ProjectFactory,
        "funding_lines",
        lambda: {
            "funder": OrganisationFactory(kind=Organisation.Kind.FUNDER).pk,
            "side": Side.HONG_KONG,
            "currency": "HKD",
            "amount": "800000.00",
        },
    ),
    "organisation relation": (
        OrganisationFactory,
        "relations",
        lambda: {"kind": OrganisationRelation.Kind.PARENT, "target": OrganisationFactory().pk},
    ),
    "funding ceiling": (
        FundingSchemeFactory,
        "ceilings",
        lambda: {"side": Side.HONG_KONG, "currency": "HKD", "amount": "1500000.00"},
    ),
}


def test_a_change_saved_without_a_reason_shows_a_blank_reason_not_none(
    client, shenzhen_curator
) -> None:
    facility = shenzhen_facility()
    client.force_login(shenzhen_curator)
    save_change_form(client, facility, name_en="Shenzhen Bay Laboratory (Futian)")

    page = client.get(admin_url(facility, "history", facility.pk)).content.decode()

    assert stored(facility).history.first().history_change_reason is None
    compact = page.replace("\n", "").replace(" ", "")
    latest = compact.split("<tbody>", 1)[1].split("<tr")[1]  # the curator's save
    assert "sz-curator" in latest and "<td>None</td>" not in latest


@pytest.mark.parametrize("part", sorted(NEW_PARTS))
def test_a_part_added_on_a_records_change_form_is_attributed_to_the_curator(
    client, hong_kong_curator, part
) -> None:
    make_parent, prefix, new_row = NEW_PARTS[part]
    parent = make_parent(curating_section=Section.HONG_KONG)
    client.force_login(hong_kong_curator)
    form_page = client.get(admin_url(parent, "change", parent.pk))
    row = {f"{prefix}-0-{name}": str(value) for name, value in new_row().items()}
    data = change_form_data(form_page, **{f"{prefix}-TOTAL_FORMS": "1"}, **row)

    response = client.post(admin_url(parent, "change", parent.pk), data)

    assert response.status_code == 302
    (added_model,) = [
        inline.formset.model
        for inline in form_page.context["inline_admin_formsets"]
        if inline.formset.prefix == prefix
    ]
    added = added_model.objects.get()
    assert added.history.get().history_user == hong_kong_curator


# -- revert ---------------------------------------------------------------------------------------
def test_a_curator_reverts_a_record_to_an_earlier_version(client, shenzhen_curator) -> None:
    facility = shenzhen_facility()
    client.force_login(shenzhen_curator)
    save_change_form(client, facility, name_en="Wrong name", address="Wrong address")
    url = revert_url(facility, first_version(facility).history_id)

    form_page = client.get(url)
    assert form_page.status_code == 200
    assert form_page.context["adminform"].form["name_en"].value() == "Shenzhen Bay Laboratory"
    response = client.post(url, change_form_data(form_page))

    assert response.status_code == 302
    reverted = stored(facility)
    assert (reverted.name_en, reverted.address) == ("Shenzhen Bay Laboratory", "")
    # A revert is a new save: the version moves on and history keeps the wrong version too.
    assert reverted.version == 3
    assert reverted.history.count() == 3
    assert reverted.history.latest().history_user == shenzhen_curator


def test_a_revert_restores_the_content_but_never_moves_the_publication_state(
    client, shenzhen_curator
) -> None:
    # Publication moves only through the workflow: reverting a retracted record to a version
    # from before the retraction must not publish it again behind the four-eyes rule's back.
    facility = shenzhen_facility(publication=Publication.PUBLISHED)
    client.force_login(shenzhen_curator)
    save_change_form(client, facility, name_en="Renamed before the retraction")
    client.post(transition_url(facility, "retract"), {"reason": "Never existed."})
    url = revert_url(facility, first_version(facility).history_id)

    response = client.post(url, change_form_data(client.get(url)))

    assert response.status_code == 302
    reverted = stored(facility)
    assert reverted.name_en == "Shenzhen Bay Laboratory"
    assert reverted.publication == Publication.RETRACTED
    assert reverted.retraction_reason == "Never existed."
    assert reverted.retracted_at is not None


def test_a_hong_kong_curator_gets_no_revert_button_on_a_shenzhen_record(
    client, shenzhen_curator, hong_kong_curator
) -> None:
    facility = shenzhen_facility()
    client.force_login(shenzhen_curator)
    save_change_form(client, facility, name_en="Renamed")
    client.force_login(hong_kong_curator)

    response = client.get(revert_url(facility, first_version(facility).history_id))

    assert response.status_code == 200
    assert response.context["revert_disabled"] is True
    assert 'name="_save"' not in response.content.decode()


def test_a_hong_kong_curator_cannot_revert_a_shenzhen_record(
    client, shenzhen_curator, hong_kong_curator
) -> None:
    facility = shenzhen_facility()
    client.force_login(shenzhen_curator)
    save_change_form(client, facility, name_en="Renamed by Shenzhen")
    url = revert_url(facility, first_version(facility).history_id)
    client.force_login(hong_kong_curator)
    form_page = client.get(url)
    # The form offers a Hong Kong curator only their own section, so that is what is posted.
    data = change_form_data(form_page, curating_section=Section.HONG_KONG)

    response = client.post(url, data)

    assert response.status_code == 403
    unchanged = stored(facility)
    assert unchanged.name_en == "Renamed by Shenzhen"
    assert unchanged.curating_section == Section.SHENZHEN
    assert unchanged.version == 2


# -- deleted records ------------------------------------------------------------------------------
def delete_as(client, user, record: Facility) -> None:
    client.force_login(user)
    response = client.post(admin_url(record, "delete", record.pk), {"post": "yes"})
    assert response.status_code == 302


def test_a_record_the_superuser_deleted_is_listed_with_who_deleted_it(
    client, superuser, shenzhen_curator
) -> None:
    facility = shenzhen_facility()
    kept = shenzhen_facility(name_en="Kept laboratory")
    delete_as(client, superuser, facility)
    client.force_login(shenzhen_curator)

    response = client.get(admin_url(Facility, "deleted"))

    assert response.status_code == 200
    deleted = list(response.context["deleted"])
    assert [row.public_id for row in deleted] == [facility.public_id]
    assert deleted[0].history_user == superuser
    page = response.content.decode()
    assert facility.public_id in page
    assert kept.public_id not in page
    assert admin_url(Facility, "history", facility.pk) in page


def test_the_changelist_links_to_the_deleted_records(client, shenzhen_curator) -> None:
    client.force_login(shenzhen_curator)

    response = client.get(admin_url(Facility, "changelist"))

    assert admin_url(Facility, "deleted") in response.content.decode()


def test_a_deleted_record_is_restored_through_its_history(client, superuser) -> None:
    facility = shenzhen_facility(address="1 Science Avenue")
    public_id = facility.public_id
    delete_as(client, superuser, facility)
    assert not Facility.objects.filter(pk=facility.pk).exists()

    history_page = client.get(admin_url(Facility, "history", facility.pk))
    assert history_page.status_code == 200
    last = Facility.history.filter(id=facility.pk).latest()
    url = revert_url(facility, last.history_id)
    assert url in history_page.content.decode()
    form_page = client.get(url)
    response = client.post(url, change_form_data(form_page))

    assert response.status_code == 302
    restored = Facility.objects.get(pk=facility.pk)
    assert restored.public_id == public_id
    assert (restored.name_en, restored.address) == ("Shenzhen Bay Laboratory", "1 Science Avenue")
    assert restored.curating_section == Section.SHENZHEN
    assert restored.publication == Publication.PUBLISHED
    assert restored.history.latest().history_user == superuser
    deleted_page = client.get(admin_url(Facility, "deleted"))
    assert list(deleted_page.context["deleted"]) == []


def test_nothing_deleted_means_an_empty_deleted_list(client, zone_editor) -> None:
    shenzhen_facility()
    client.force_login(zone_editor)

    response = client.get(reverse("admin:registry_facility_deleted"))

    assert list(response.context["deleted"]) == []
    assert "Nothing has been deleted." in response.content.decode()
