"""The schema and the API agree on what is valid (what schema fuzzing found): numbers are plain
digit strings in range, a field is named once, the change cursor has a ceiling, a write takes
no unknown parameter, and a bad body is answered before a stale If-Match."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest

from registry.api.fields import NOT_BLANK_PATTERN, decimal_pattern
from registry.models import Facility, FactorFlow, Publication
from tests.api.conftest import named_fields, problem_of
from tests.api.test_writes import new_record_payload, stored
from tests.factories import FacilityFactory, ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def hk_partner_api(api_as, hong_kong_partner):
    return api_as(hong_kong_partner)


@pytest.fixture
def schema(api) -> dict:
    response = api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("floor_area_m2", "9.", id="trailing-point"),
        pytest.param("floor_area_m2", "-", id="lone-minus"),
        pytest.param("floor_area_m2", "1e3", id="exponent"),
        pytest.param("floor_area_m2", 1200.5, id="json-number"),
        pytest.param("floor_area_m2", "12\n", id="trailing-newline"),
        pytest.param("floor_area_m2", "-0", id="minus-on-an-area"),
        pytest.param("latitude", "539", id="latitude-off-earth"),
        pytest.param("longitude", "-180.5", id="longitude-off-earth"),
        pytest.param("latitude", "22.1234567", id="latitude-too-precise"),
    ],
)
def test_a_partner_sending_a_malformed_number_gets_a_400_naming_it(hk_partner_api, field, value):
    response = hk_partner_api.post(
        "/api/v1/facilities/",
        {**new_record_payload("facilities"), field: value},
        format="json",
    )

    assert field in named_fields(problem_of(response, 400))
    assert not Facility.objects.exists()


def test_a_partner_sends_coordinates_and_an_area_as_digit_strings(hk_partner_api):
    response = hk_partner_api.post(
        "/api/v1/facilities/",
        {
            **new_record_payload("facilities"),
            "latitude": "-90",
            "longitude": "113.912345",
            "floor_area_m2": "0.5",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    facility = Facility.objects.get()
    assert (facility.latitude, facility.longitude, facility.floor_area_m2) == (
        Decimal("-90"),
        Decimal("113.912345"),
        Decimal("0.5"),
    )


@pytest.mark.parametrize(
    ("model", "field", "accepted", "refused"),
    [
        (Facility, "floor_area_m2", ["0", "12345678901.5"], ["123456789012", "1.25", "-1"]),
        (FactorFlow, "value", ["0.01", "99999999999999.99"], ["1.001", "-1", ".5"]),
        (Facility, "latitude", ["90", "-89.999999", "0"], ["90.000001", "91", "-"]),
        (Facility, "longitude", ["180.000000", "-179.5"], ["181", "180.1", "1800"]),
    ],
)
def test_the_schema_gives_the_pattern_the_api_checks_for_each_number(
    schema, model, field, accepted, refused
):
    pattern = decimal_pattern(model._meta.get_field(field))
    component = {Facility: "FacilityRequest", FactorFlow: "FactorFlowRequest"}[model]

    assert schema["components"]["schemas"][component]["properties"][field]["pattern"] == pattern
    assert [v for v in accepted if re.fullmatch(pattern, v)] == accepted
    assert [v for v in refused if re.fullmatch(pattern, v)] == []


def test_blank_means_the_same_to_the_schema_and_to_the_api():
    """The schema's "not blank" pattern matches exactly the characters str.strip() keeps."""
    regex = re.compile(NOT_BLANK_PATTERN)
    samples = "a 中\t\n\x1c\x1f\x85\xa0\u2003\u3000\ufeff\u200b\x17"
    assert [c for c in samples if regex.match(c)] == [c for c in samples if not c.isspace()]


def test_a_name_of_control_spaces_only_is_refused_as_blank(hk_partner_api):
    response = hk_partner_api.post(
        "/api/v1/facilities/",
        {**new_record_payload("facilities"), "names": {"zh-Hans": "\x1d\u3000"}},
        format="json",
    )

    assert "names" in named_fields(problem_of(response, 400))


@pytest.mark.parametrize(
    "query",
    [
        "fields=id,name",
        "fields=id&fields=name",
        "fields=id&fields=name,id",
        "fields=name,id,name",
    ],
)
def test_repeated_and_comma_separated_fields_are_one_list(api, query):
    """Generated clients repeat a parameter, people write commas: the same fields either way,
    and a name given twice counts once (the last value alone was kept before)."""
    FacilityFactory()

    response = api.get(f"/api/v1/facilities/?{query}")

    assert response.status_code == 200, response.content
    assert set(response.json()["results"][0]) == {"id", "name"}


def test_repeated_omit_drops_every_field_named(api):
    FacilityFactory()

    response = api.get("/api/v1/facilities/?omit=names&omit=descriptions,provenance")

    kept = set(response.json()["results"][0])
    assert {"names", "descriptions", "provenance"}.isdisjoint(kept) and "id" in kept


def test_a_repeated_field_list_with_an_unknown_name_is_a_400_naming_it(api):
    body = problem_of(api.get("/api/v1/facilities/?fields=id&fields=nonsense"), 400)

    assert body["errors"] == [{"parameter": "fields", "message": "Unknown fields: nonsense."}]


def test_repeated_ordering_sorts_by_each_in_turn_like_a_comma_list(api):
    FacilityFactory(name_en="B", opened_on=datetime.date(2020, 1, 1))
    FacilityFactory(name_en="A", opened_on=datetime.date(2021, 1, 1))
    FacilityFactory(name_en="A", opened_on=datetime.date(2019, 1, 1))

    def order(query: str) -> list[tuple[str, str]]:
        rows = api.get(f"/api/v1/facilities/?{query}").json()["results"]
        return [(row["names"]["en"], row["opened_on"]) for row in rows]

    repeated = order("ordering=name_en&ordering=-opened_on")
    assert repeated == order("ordering=name_en,-opened_on")
    assert repeated == [("A", "2021-01-01"), ("A", "2019-01-01"), ("B", "2020-01-01")]


def test_a_field_name_with_a_digit_can_be_chosen(api):
    FacilityFactory(floor_area_m2=Decimal("800"))

    response = api.get("/api/v1/facilities/?fields=id,floor_area_m2")

    assert response.status_code == 200, response.content
    assert set(response.json()["results"][0]) == {"id", "floor_area_m2"}


def test_a_change_cursor_beyond_the_documented_ceiling_is_a_400(api, schema):
    ceiling = next(
        p["schema"]["maximum"]
        for p in schema["paths"]["/api/v1/changes/"]["get"]["parameters"]
        if p["name"] == "since"
    )

    assert api.get(f"/api/v1/changes/?since={ceiling}").status_code == 200
    assert problem_of(api.get(f"/api/v1/changes/?since={ceiling + 1}"), 400)


def test_a_write_with_an_unknown_query_parameter_is_a_400_and_changes_nothing(
    hk_partner_api, hong_kong_partner_org
):
    facility = FacilityFactory(publication=Publication.DRAFT, owner=hong_kong_partner_org)
    url = f"/api/v1/facilities/{facility.public_id}/"
    etag = hk_partner_api.get(url)["ETag"]

    response = hk_partner_api.patch(
        url + "?dry_run=1", {"status": "closed"}, format="json", HTTP_IF_MATCH=etag
    )

    assert problem_of(response, 400)["errors"][0]["parameter"] == "dry_run"
    assert stored(facility).version == 1


def test_a_bad_body_is_answered_before_a_stale_if_match(hk_partner_api, hong_kong_partner_org):
    """The client learns what to fix first; its ETag is still good when it sends the fix."""
    facility = FacilityFactory(publication=Publication.DRAFT, owner=hong_kong_partner_org)
    url = f"/api/v1/facilities/{facility.public_id}/"

    response = hk_partner_api.patch(url, {"kind": "castle"}, format="json", HTTP_IF_MATCH='"v99"')

    assert "kind" in named_fields(problem_of(response, 400))
    assert stored(facility).version == 1


def test_a_good_body_with_a_stale_if_match_is_still_a_412(hk_partner_api, hong_kong_partner_org):
    facility = FacilityFactory(publication=Publication.DRAFT, owner=hong_kong_partner_org)
    url = f"/api/v1/facilities/{facility.public_id}/"

    response = hk_partner_api.patch(url, {"status": "closed"}, format="json", HTTP_IF_MATCH='"v99"')

    problem_of(response, 412)
    assert stored(facility).status != "closed"


def test_a_flow_value_without_a_currency_is_refused_and_the_schema_says_so(
    hk_partner_api, schema, hong_kong_partner_org
):
    project = ProjectFactory(publication=Publication.IN_REVIEW, owner=hong_kong_partner_org)

    response = hk_partner_api.post(
        "/api/v1/flows/",
        {**new_record_payload("flows", project), "value": "100"},
        format="json",
    )

    assert "currency" in named_fields(problem_of(response, 400))
    rules = schema["components"]["schemas"]["FactorFlowRequest"]["allOf"]
    assert ["currency"] in [branch.get("required") for rule in rules for branch in rule["anyOf"]]


def test_request_bodies_allow_no_other_keys_and_responses_promise_none(schema):
    schemas = schema["components"]["schemas"]

    assert schemas["FacilityRequest"]["additionalProperties"] is False
    assert schemas["PatchedFacilityRequest"]["additionalProperties"] is False
    assert "required" in schemas["FacilityRequest"]
    assert "required" not in schemas["Facility"]
    # ChangeRequest is a response, though its name ends in "Request".
    assert "required" not in schemas["ChangeRequest"]


def test_empty_query_values_are_outside_the_schema_except_the_search(schema):
    parameters = {
        p["name"]: p["schema"] for p in schema["paths"]["/api/v1/facilities/"]["get"]["parameters"]
    }

    assert parameters["ordering"]["minItems"] == 1
    assert parameters["fields"]["minItems"] == 1
    assert "minLength" not in parameters["q"]


@pytest.mark.parametrize("value", ["0.5", "1e3", "100000"])
def test_a_year_that_is_no_whole_year_is_a_400_naming_the_filter(api, value):
    response = api.get(f"/api/v1/organisations/?established_before={value}")

    assert problem_of(response, 400)["errors"][0]["parameter"] == "established_before"


def test_organisations_established_before_a_year_are_found(api):
    from tests.factories import OrganisationFactory

    old = OrganisationFactory(established=1911)
    OrganisationFactory(established=2011)

    response = api.get("/api/v1/organisations/?established_before=1990&fields=id")

    assert [row["id"] for row in response.json()["results"]] == [old.public_id]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        pytest.param({"parent": ""}, "parent", id="empty-reference"),
        pytest.param({"address": 0}, "address", id="number-for-text"),
        pytest.param({"priority_areas": {}}, "priority_areas", id="object-for-a-list"),
        pytest.param({"hosts": {"x": 1}}, "hosts", id="object-for-references"),
        pytest.param({"website": "http://61"}, "website", id="host-without-domain"),
        pytest.param(
            {"provenance": {"sources": ["https://f"]}}, "provenance.sources", id="bare-host"
        ),
        pytest.param(
            {"provenance": {"sources": ["http://\x11@\xff.example"]}},
            "provenance.sources",
            id="control-character-host",
        ),
    ],
)
def test_a_partner_sending_a_value_of_the_wrong_shape_gets_a_400_naming_it(
    hk_partner_api, change, field
):
    response = hk_partner_api.post(
        "/api/v1/facilities/", {**new_record_payload("facilities"), **change}, format="json"
    )

    assert field in named_fields(problem_of(response, 400))
    assert not Facility.objects.exists()


def test_a_source_with_a_chinese_path_is_a_web_address(hk_partner_api):
    source = "https://hk01.com/政情/935507/國務院河套深港創科規劃出台"

    response = hk_partner_api.post(
        "/api/v1/facilities/",
        {**new_record_payload("facilities"), "provenance": {"sources": [source]}},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert Facility.objects.get().sources == [source]


def test_every_web_address_in_the_demo_data_fits_the_documented_pattern(django_db_setup):
    import json
    from pathlib import Path

    from registry.api.fields import is_web_address

    fixtures = Path(__file__).resolve().parents[2] / "fixtures"
    addresses = [
        url
        for name in ("reference.json", "demo.json")
        for row in json.loads((fixtures / name).read_text())
        for url in [*(row["fields"].get("sources") or []), row["fields"].get("website") or ""]
        if url
    ]

    assert addresses
    assert [url for url in addresses if not is_web_address(url)] == []


def test_a_patch_without_a_body_is_a_400_and_changes_nothing(hk_partner_api, hong_kong_partner_org):
    facility = FacilityFactory(publication=Publication.DRAFT, owner=hong_kong_partner_org)
    url = f"/api/v1/facilities/{facility.public_id}/"

    response = hk_partner_api.generic("PATCH", url, "", HTTP_IF_MATCH="*")

    problem_of(response, 400)
    assert stored(facility).version == 1


def test_a_flow_needs_a_project_or_a_facility_and_the_schema_says_so(hk_partner_api, schema):
    response = hk_partner_api.post(
        "/api/v1/flows/",
        {"factor": "funds", "direction": "northbound", "status": "planned"},
        format="json",
    )

    problem_of(response, 400)
    rules = schema["components"]["schemas"]["FactorFlowRequest"]["allOf"]
    assert [{"project"}, {"facility"}] in [
        [set(branch.get("required", ())) for branch in rule["anyOf"]] for rule in rules
    ]


def test_an_organisation_without_a_ror_id_shows_null(api):
    from tests.factories import OrganisationFactory

    organisation = OrganisationFactory(ror_id="")

    response = api.get(f"/api/v1/organisations/{organisation.public_id}/?fields=ror_id")

    assert response.json() == {"ror_id": None}


@pytest.mark.parametrize("country", [{}, [], 86, None])
def test_a_country_that_is_not_a_code_is_a_400_naming_it(hk_partner_api, country):
    from registry.models import Organisation

    count = Organisation.objects.count()
    response = hk_partner_api.post(
        "/api/v1/organisations/",
        {**new_record_payload("organisations"), "country": country},
        format="json",
    )

    assert "country" in named_fields(problem_of(response, 400))
    assert Organisation.objects.count() == count
