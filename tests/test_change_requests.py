"""Approving a change request applies it through the normal save path; rejecting keeps all."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType

from registry import workflow
from registry.models import ChangeRequest, Facility, Section
from tests.factories import FacilityFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


def request_for(record, proposed, partner):
    return ChangeRequest.objects.create(
        target_type=ContentType.objects.get_for_model(record),
        target_id=record.pk,
        base_version=record.version,
        proposed=proposed,
        created_by=partner,
    )


def test_a_curator_approves_a_partners_change_with_a_new_host_and_parent(
    hong_kong_curator, hong_kong_partner
):
    lab = FacilityFactory(curating_section=Section.HONG_KONG, name_en="Old name")
    site = FacilityFactory()
    host = OrganisationFactory()
    change = request_for(
        lab,
        {
            "name_en": "New name",
            "parent_id": site.pk,
            "hosts": [host.pk],
            "opened_on": "2025-12-22",
        },
        hong_kong_partner,
    )
    workflow.approve_change_request(change, user=hong_kong_curator, comment="Checked.")
    stored = Facility.objects.get(pk=lab.pk)
    assert (stored.name_en, stored.parent, stored.version) == ("New name", site, 2)
    assert list(stored.hosts.all()) == [host]
    assert str(stored.opened_on) == "2025-12-22"
    assert stored.history.first().history_user == hong_kong_curator
    assert ChangeRequest.objects.get(pk=change.pk).state == ChangeRequest.State.APPROVED


def test_a_change_request_cannot_move_a_record_to_another_owner_or_section(
    hong_kong_curator, hong_kong_partner, shenzhen_partner_org
):
    lab = FacilityFactory(curating_section=Section.HONG_KONG)
    change = request_for(
        lab,
        {"owner_id": shenzhen_partner_org.pk, "curating_section": "shenzhen"},
        hong_kong_partner,
    )
    with pytest.raises(workflow.WorkflowError, match="cannot be changed this way"):
        workflow.approve_change_request(change, user=hong_kong_curator)
    stored = Facility.objects.get(pk=lab.pk)
    assert (stored.owner_id, stored.curating_section, stored.version) == (None, "hong_kong", 1)
    assert ChangeRequest.objects.get(pk=change.pk).state == ChangeRequest.State.OPEN


def test_only_a_curator_of_the_records_section_decides(shenzhen_curator, hong_kong_partner):
    lab = FacilityFactory(curating_section=Section.HONG_KONG)
    change = request_for(lab, {"name_en": "X"}, hong_kong_partner)
    with pytest.raises(workflow.NotPermitted):
        workflow.approve_change_request(change, user=shenzhen_curator)
    with pytest.raises(workflow.NotPermitted):
        workflow.reject_change_request(change, user=shenzhen_curator, comment="No.")
    assert ChangeRequest.objects.get(pk=change.pk).state == ChangeRequest.State.OPEN
