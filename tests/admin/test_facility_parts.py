"""Facilities nest (a cluster holds labs, a lab holds units), and the nesting never loops: a
curator who puts a facility inside one of its own parts sees why on the parent field, and
nothing is saved."""

from __future__ import annotations

import pytest

from registry.models import Section
from tests.admin.helpers import save_change_form, stored
from tests.factories import FacilityFactory

pytestmark = pytest.mark.django_db


def test_a_curator_cannot_put_a_cluster_inside_its_own_lab(client, shenzhen_curator) -> None:
    cluster = FacilityFactory(curating_section=Section.SHENZHEN, name_en="Loop Cluster")
    lab = FacilityFactory(curating_section=Section.SHENZHEN, name_en="Loop Lab", parent=cluster)
    client.force_login(shenzhen_curator)

    response = save_change_form(client, cluster, parent=str(lab.pk))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["parent"] == [
        "A facility cannot be part of one of its own parts."
    ]
    assert stored(cluster).parent is None
    assert stored(cluster).version == cluster.version


def test_a_curator_moves_a_lab_from_one_cluster_to_another(client, shenzhen_curator) -> None:
    first = FacilityFactory(curating_section=Section.SHENZHEN, name_en="First Cluster")
    second = FacilityFactory(curating_section=Section.SHENZHEN, name_en="Second Cluster")
    lab = FacilityFactory(curating_section=Section.SHENZHEN, name_en="Loop Lab", parent=first)
    client.force_login(shenzhen_curator)

    response = save_change_form(client, lab, parent=str(second.pk))

    assert response.status_code == 302
    assert stored(lab).parent == second
