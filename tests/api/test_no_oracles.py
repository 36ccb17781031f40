"""No oracles: a filter naming a record the reader may not see answers exactly as one naming an
id that exists nowhere — the same status and the same body — on the API and the public pages,
while a curator, who sees the record, gets its matches."""

from __future__ import annotations

import pytest

from registry import identifiers
from registry.models import Publication
from tests.factories import (
    FacilityFactory,
    FundingLineFactory,
    OrganisationFactory,
    OutputFactory,
    ParticipationFactory,
    ProjectFactory,
)

pytestmark = pytest.mark.django_db

DRAFT, PUBLISHED = Publication.DRAFT, Publication.PUBLISHED


@pytest.fixture
def hidden() -> dict[str, str]:
    """Draft records, each linked to published ones by the relation a filter follows."""
    organisation = OrganisationFactory(publication=DRAFT, name_en="Quiet Fund")
    facility = FacilityFactory(publication=DRAFT)
    project = ProjectFactory(publication=DRAFT)
    published_project = ProjectFactory(publication=PUBLISHED)
    ParticipationFactory(project=published_project, organisation=organisation)
    FundingLineFactory(project=published_project, funder=organisation)
    FacilityFactory(publication=PUBLISHED, parent=facility, owner=organisation).hosts.add(
        organisation
    )
    OutputFactory(publication=PUBLISHED, project=project)
    return {"org": organisation.public_id, "fac": facility.public_id, "prj": project.public_id}


FILTERS = [
    ("/api/v1/projects/", "organisation", "org"),
    ("/api/v1/projects/", "funder", "org"),
    ("/api/v1/facilities/", "host", "org"),
    ("/api/v1/facilities/", "owner", "org"),
    ("/api/v1/facilities/", "parent", "fac"),
    ("/api/v1/outputs/", "project", "prj"),
    ("/en/projects/", "organisation", "org"),
    ("/en/facilities/", "host", "org"),
]


@pytest.mark.parametrize(("url", "parameter", "prefix"), FILTERS)
def test_a_hidden_record_s_id_answers_as_an_id_that_exists_nowhere(
    client, api_as, hong_kong_partner, hidden, url, parameter, prefix
):
    nowhere = identifiers.mint(prefix)
    for reader in (client, api_as(hong_kong_partner)):
        on_hidden = reader.get(url, {parameter: hidden[prefix]})
        on_nowhere = reader.get(url, {parameter: nowhere})
        assert on_hidden.status_code == on_nowhere.status_code == 200
        assert on_hidden.content.replace(hidden[prefix].encode(), b"ID") == (
            on_nowhere.content.replace(nowhere.encode(), b"ID")
        )


@pytest.mark.parametrize(("url", "parameter", "prefix"), FILTERS[:6])
def test_a_curator_who_sees_the_record_gets_its_matches(
    api_as, zone_editor, hidden, url, parameter, prefix
):
    body = api_as(zone_editor).get(url, {parameter: hidden[prefix]}).json()
    assert body["count"] == 1
