"""A curator edits a record's sources as web addresses, one field each, not as JSON text: an
address added in an empty field is kept, an emptied field removes its address, and a field that
holds no web address is refused with the address named, nothing saved."""

from __future__ import annotations

import pytest

from registry.models import Section
from tests.admin.forms import change_form_data
from tests.admin.helpers import change_url, stored
from tests.factories import FacilityFactory

pytestmark = pytest.mark.django_db

FIRST, SECOND = "https://www.hkstp.org/about", "https://www.info.gov.hk/gia/general/2025.htm"


@pytest.fixture
def facility():
    return FacilityFactory(curating_section=Section.HONG_KONG, sources=[FIRST])


def test_the_form_shows_one_field_per_address_and_two_empty_ones(
    client, hong_kong_curator, facility
):
    client.force_login(hong_kong_curator)
    page = client.get(change_url(facility)).content.decode()
    assert f'name="sources_0" id="id_sources_0" value="{FIRST}"' in page
    assert 'name="sources_1"' in page and 'name="sources_2"' in page
    assert 'name="sources_3"' not in page


def test_a_curator_adds_an_address_and_removes_another(client, hong_kong_curator, facility):
    client.force_login(hong_kong_curator)
    form = client.get(change_url(facility))
    data = change_form_data(form, sources_0="", sources_1=SECOND, sources_2="")

    response = client.post(change_url(facility), data)

    assert response.status_code == 302, response.content[-2000:]
    assert stored(facility).sources == [SECOND]


def test_an_address_that_is_no_web_address_is_refused_by_name(client, hong_kong_curator, facility):
    client.force_login(hong_kong_curator)
    form = client.get(change_url(facility))
    data = change_form_data(form, sources_1="ftp://files.example/x", sources_2="")

    response = client.post(change_url(facility), data)

    assert response.status_code == 200
    assert "“ftp://files.example/x” is not a web address" in response.content.decode()
    assert stored(facility).sources == [FIRST]
