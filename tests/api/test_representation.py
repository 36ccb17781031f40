"""What a client reads (docs/architecture.md §8): ``id`` is the public id, ``names`` the three
scripts, ``name`` the display name for ``?lang=`` or Accept-Language, related records as brief
``{"id", "name"}`` objects; ``?fields=``, ``?omit=`` and ``?brief=1`` trim the payload and what
is loaded from the database with it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from registry.models import (
    Facility,
    Organisation,
    OrganisationRelation,
    Participation,
    PriorityArea,
    Publication,
    ResearchField,
    Side,
    SubArea,
)
from tests.api.conftest import named_parameters, problem_of
from tests.factories import (
    FacilityFactory,
    FactorFlowFactory,
    FundingLineFactory,
    FundingSchemeFactory,
    OrganisationFactory,
    OutputFactory,
    ParticipationFactory,
    PolicyInstrumentFactory,
    ProjectFactory,
)

pytestmark = pytest.mark.django_db

RESOURCES = [
    "organisations",
    "facilities",
    "projects",
    "outputs",
    "flows",
    "policies",
    "funding-schemes",
    "fields",
    "priority-areas",
    "change-requests",
    "changes",
    "stats",
]
SCRIPTS = {"en", "zh-Hans", "zh-Hant"}
ROR_A = "https://ror.org/02zhqgq86"
ROR_B = "https://ror.org/00q4vv597"


def research_field(code: str, name: str, parent: ResearchField | None = None) -> ResearchField:
    return ResearchField.objects.create(code=code, name_en=name, parent=parent)


def priority_area(code: str, name: str) -> PriorityArea:
    return PriorityArea.objects.create(code=code, name_en=name)


@pytest.mark.parametrize("resource", RESOURCES)
def test_the_public_reads_every_resource_at_its_documented_address(api, resource):
    response = api.get(f"/api/v1/{resource}/")

    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/json"


def test_a_list_is_count_next_previous_and_results(api):
    FacilityFactory.create_batch(3)

    body = api.get("/api/v1/facilities/?page_size=2").json()

    assert set(body) == {"count", "count_exact", "next", "previous", "results"}
    assert body["count"] == 3
    assert body["previous"] is None
    assert "page=2" in body["next"]
    assert len(body["results"]) == 2


def test_an_organisation_reads_with_its_public_id_three_names_and_display_name(api):
    organisation = OrganisationFactory(
        name_en="Hong Kong University of Science and Technology",
        name_zh_hans="香港科技大学",
        name_zh_hant="香港科技大學",
        acronym="HKUST",
        ror_id=ROR_A,
    )

    body = api.get(f"/api/v1/organisations/{organisation.public_id}/").json()

    assert body["id"] == organisation.public_id
    assert "pk" not in body and "public_id" not in body
    assert body["names"] == {
        "en": "Hong Kong University of Science and Technology",
        "zh-Hans": "香港科技大学",
        "zh-Hant": "香港科技大學",
    }
    assert body["name"] == "Hong Kong University of Science and Technology"
    assert body["ror_id"] == ROR_A
    assert body["url"].endswith(f"/api/v1/organisations/{organisation.public_id}/")
    assert body["provenance"] == {
        "sources": organisation.sources,
        "verification": organisation.verification,
        "as_of": "2026-11-25",
        "derived": [],
    }


def test_an_organisation_lists_a_relationship_to_an_unknown_ror_id_with_a_null_id(api):
    source = OrganisationFactory(name_en="Child Institute")
    OrganisationRelation.objects.create(
        source=source,
        kind=OrganisationRelation.Kind.PARENT,
        target_ror_id=ROR_B,
        target_label="A Parent Not Yet Registered",
    )

    body = api.get(f"/api/v1/organisations/{source.public_id}/").json()

    assert body["relationships"] == [
        {"type": "parent", "ror_id": ROR_B, "id": None, "name": "A Parent Not Yet Registered"}
    ]


def test_a_relationship_resolves_to_the_organisation_once_it_arrives(api):
    source = OrganisationFactory(name_en="Child Institute")
    OrganisationRelation.objects.create(
        source=source, kind=OrganisationRelation.Kind.PARENT, target_ror_id=ROR_B
    )
    parent = OrganisationFactory(name_en="Parent University", name_zh_hant="母大學", ror_id=ROR_B)

    english = api.get(f"/api/v1/organisations/{source.public_id}/").json()
    traditional = api.get(f"/api/v1/organisations/{source.public_id}/?lang=zh-hant").json()

    assert english["relationships"] == [
        {"type": "parent", "ror_id": ROR_B, "id": parent.public_id, "name": "Parent University"}
    ]
    assert traditional["relationships"][0]["name"] == "母大學"


def test_name_follows_the_lang_parameter(api):
    facility = FacilityFactory(
        name_en="Bay Lab", name_zh_hans="湾区实验室", name_zh_hant="灣區實驗室"
    )
    url = f"/api/v1/facilities/{facility.public_id}/"

    assert api.get(url + "?lang=en").json()["name"] == "Bay Lab"
    assert api.get(url + "?lang=zh-hans").json()["name"] == "湾区实验室"
    assert api.get(url + "?lang=zh-hant").json()["name"] == "灣區實驗室"


def test_name_follows_accept_language_when_no_lang_is_given(api):
    facility = FacilityFactory(
        name_en="Bay Lab", name_zh_hans="湾区实验室", name_zh_hant="灣區實驗室"
    )
    url = f"/api/v1/facilities/{facility.public_id}/"

    assert api.get(url, HTTP_ACCEPT_LANGUAGE="zh-Hans").json()["name"] == "湾区实验室"
    assert api.get(url, HTTP_ACCEPT_LANGUAGE="zh-HK").json()["name"] == "灣區實驗室"
    assert api.get(url, HTTP_ACCEPT_LANGUAGE="fr").json()["name"] == "Bay Lab"


def test_the_lang_parameter_wins_over_accept_language(api):
    facility = FacilityFactory(
        name_en="Bay Lab", name_zh_hans="湾区实验室", name_zh_hant="灣區實驗室"
    )

    body = api.get(
        f"/api/v1/facilities/{facility.public_id}/?lang=en", HTTP_ACCEPT_LANGUAGE="zh-Hant"
    ).json()

    assert body["name"] == "Bay Lab"


@pytest.mark.parametrize(
    ("names", "lang", "expected"),
    [
        # requested → en → zh-Hant → zh-Hans
        ({"name_zh_hans": "简", "name_zh_hant": "繁"}, "en", "繁"),
        ({"name_zh_hans": "实验室"}, "en", "實驗室"),
        ({"name_en": "English"}, "zh-hant", "English"),
        ({"name_en": "English"}, "zh-hans", "English"),
        # A Chinese script missing is converted from the other (OpenCC), never English.
        ({"name_en": "English", "name_zh_hans": "实验室"}, "zh-hant", "實驗室"),
        ({"name_en": "English", "name_zh_hant": "實驗室"}, "zh-hans", "实验室"),
    ],
)
def test_a_name_missing_in_english_falls_back_and_one_missing_in_a_chinese_script_is_converted(
    api, names, lang, expected
):
    facility = FacilityFactory(**{"name_en": "", "name_zh_hans": "", "name_zh_hant": "", **names})

    body = api.get(f"/api/v1/facilities/{facility.public_id}/?lang={lang}").json()

    assert body["name"] == expected
    assert body["names"]["en"] == names.get("name_en", "")


def test_a_flow_is_named_in_the_language_asked_for_by_lang(api):
    """A flow's name is built from its factor and direction; ``?lang=`` must name it in that
    language just as Accept-Language does (and ``?lang=en`` in English whatever the header)."""
    flow = FactorFlowFactory()
    url = f"/api/v1/flows/{flow.public_id}/"
    by_header = api.get(url, HTTP_ACCEPT_LANGUAGE="zh-Hant").json()["name"]

    by_parameter = api.get(url + "?lang=zh-hant").json()["name"]
    english = api.get(url + "?lang=en", HTTP_ACCEPT_LANGUAGE="zh-Hant").json()["name"]

    assert by_header.startswith("人員")
    assert by_parameter == by_header
    assert english.startswith("Personnel")


def test_a_facility_shows_its_related_records_as_brief_objects(api):
    sub_area = SubArea.objects.create(
        code="loop_test", name_en="The Loop (test)", section="hong_kong"
    )
    site = FacilityFactory(name_en="Innovation Park Site", kind=Facility.Kind.SITE)
    host = OrganisationFactory(name_en="Host University", name_zh_hant="東道大學")
    major = research_field("9", "Test sciences")
    field = research_field("9.1", "Test physics", parent=major)
    area = priority_area("quantum_test", "Quantum (test)")
    facility = FacilityFactory(name_en="Quantum Lab", sub_area=sub_area, parent=site)
    facility.hosts.set([host])
    facility.fields.set([field])
    facility.priority_areas.set([area])

    body = api.get(f"/api/v1/facilities/{facility.public_id}/").json()

    assert body["sub_area"] == {"id": "loop_test", "name": "The Loop (test)"}
    assert body["parent"] == {"id": site.public_id, "name": "Innovation Park Site"}
    assert body["hosts"] == [{"id": host.public_id, "name": "Host University"}]
    assert body["fields"] == [{"id": "9.1", "name": "Test physics"}]
    assert body["priority_areas"] == [{"id": "quantum_test", "name": "Quantum (test)"}]
    assert api.get(f"/api/v1/facilities/{facility.public_id}/?lang=zh-hant").json()["hosts"] == [
        {"id": host.public_id, "name": "東道大學"}
    ]


def test_a_project_lists_participants_with_role_and_side_and_funding_lines_with_currency(api):
    shenzhen_org = OrganisationFactory(
        name_en="Shenzhen Institute", jurisdiction=Organisation.Jurisdiction.MAINLAND
    )
    hong_kong_org = OrganisationFactory(name_en="Hong Kong University")
    shenzhen_lab = FacilityFactory(name_en="Shenzhen Lab", section=Facility.Location.SHENZHEN)
    project = ProjectFactory(title_en="Joint project", title_zh_hans="联合项目")
    ParticipationFactory(project=project, organisation=hong_kong_org, role=Participation.Role.LEAD)
    ParticipationFactory(
        project=project,
        organisation=shenzhen_org,
        facility=shenzhen_lab,
        role=Participation.Role.PARTNER,
    )
    scheme = FundingSchemeFactory(name_en="Joint Funding Scheme")
    funder = OrganisationFactory(name_en="Innovation Commission", kind=Organisation.Kind.FUNDER)
    FundingLineFactory(
        project=project,
        funder=funder,
        scheme=scheme,
        currency="HKD",
        amount=Decimal("4000000"),
        side=Side.HONG_KONG,
    )
    FundingLineFactory(
        project=project, funder=funder, currency="CNY", amount=Decimal("2000000"), side="shenzhen"
    )

    body = api.get(f"/api/v1/projects/{project.public_id}/").json()

    assert body["id"] == project.public_id
    # The 繁體 title is converted from the 简体 one (OpenCC) and marked so.
    assert body["titles"] == {"en": "Joint project", "zh-Hans": "联合项目", "zh-Hant": "聯合項目"}
    assert body["provenance"]["derived"] == ["titles.zh-Hant"]
    assert body["cross_border"] is True
    participants = {
        (row["organisation"]["id"], row["role"], row["side"]): row["facility"]
        for row in body["participations"]
    }
    assert participants == {
        (hong_kong_org.public_id, "lead", "hong_kong"): None,
        (shenzhen_org.public_id, "partner", "shenzhen"): {
            "id": shenzhen_lab.public_id,
            "name": "Shenzhen Lab",
        },
    }
    lines = sorted(body["funding_lines"], key=lambda row: row["currency"])
    assert lines == [
        {
            "funder": {"id": funder.public_id, "name": "Innovation Commission"},
            "scheme": None,
            "currency": "CNY",
            "amount": "2000000.00",
            "side": "shenzhen",
        },
        {
            "funder": {"id": funder.public_id, "name": "Innovation Commission"},
            "scheme": {"id": scheme.public_id, "name": "Joint Funding Scheme"},
            "currency": "HKD",
            "amount": "4000000.00",
            "side": "hong_kong",
        },
    ]


def test_outputs_flows_and_policies_refer_to_their_records_briefly(api):
    issuer = OrganisationFactory(name_en="General Administration of Customs")
    policy = PolicyInstrumentFactory(name_en="Customs measures", issuer=issuer)
    project = ProjectFactory(title_en="Organoid screening")
    output = OutputFactory(project=project, title_en="Organoid paper")
    flow = FactorFlowFactory(project=project, mechanism=policy)

    output_body = api.get(f"/api/v1/outputs/{output.public_id}/").json()
    flow_body = api.get(f"/api/v1/flows/{flow.public_id}/").json()
    policy_body = api.get(f"/api/v1/policies/{policy.public_id}/").json()

    assert output_body["project"] == {"id": project.public_id, "name": "Organoid screening"}
    assert flow_body["project"] == {"id": project.public_id, "name": "Organoid screening"}
    assert flow_body["mechanism"] == {"id": policy.public_id, "name": "Customs measures"}
    assert policy_body["issuer"] == {
        "id": issuer.public_id,
        "name": "General Administration of Customs",
    }


def test_reference_data_is_read_by_code_with_three_names(api):
    major = research_field("9", "Test sciences")
    research_field("9.1", "Test physics", parent=major)

    body = api.get("/api/v1/fields/9.1/").json()

    assert body == {
        "id": "9.1",
        "name": "Test physics",
        "names": {"en": "Test physics", "zh-Hans": "", "zh-Hant": ""},
        "parent": {"id": "9", "name": "Test sciences"},
    }


def test_a_published_record_never_names_a_draft_organisation_to_the_public(api):
    """The public sees published records only, also when they are named inside another."""
    draft_host = OrganisationFactory(name_en="Secret Partner Ltd", publication=Publication.DRAFT)
    facility = FacilityFactory()
    facility.hosts.set([draft_host])
    project = ProjectFactory()
    ParticipationFactory(project=project, organisation=draft_host)

    facility_body = api.get(f"/api/v1/facilities/{facility.public_id}/").content.decode()
    project_body = api.get(f"/api/v1/projects/{project.public_id}/").content.decode()

    assert draft_host.public_id not in facility_body
    assert draft_host.public_id not in project_body
    assert "Secret Partner Ltd" not in project_body


# -- trimming -------------------------------------------------------------------------------
def test_fields_keeps_only_the_fields_named(api):
    facility = FacilityFactory(name_en="Bay Lab")

    listed = api.get("/api/v1/facilities/?fields=id,name").json()["results"]
    detail = api.get(f"/api/v1/facilities/{facility.public_id}/?fields=id,name,hosts").json()

    assert listed == [{"id": facility.public_id, "name": "Bay Lab"}]
    assert detail == {"id": facility.public_id, "name": "Bay Lab", "hosts": []}


def test_omit_drops_the_fields_named(api):
    FacilityFactory()

    row = api.get("/api/v1/facilities/?omit=descriptions,hosts,provenance").json()["results"][0]

    assert not {"descriptions", "hosts", "provenance"} & set(row)
    assert {"id", "name", "names", "kind", "section"} <= set(row)


def test_brief_keeps_id_and_name(api):
    project = ProjectFactory(title_en="Joint project")

    listed = api.get("/api/v1/projects/?brief=1").json()["results"]
    detail = api.get(f"/api/v1/projects/{project.public_id}/?brief=true").json()

    assert listed == [{"id": project.public_id, "name": "Joint project"}]
    assert detail == {"id": project.public_id, "name": "Joint project"}


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("fields=id,colour", "fields"),
        ("omit=search_text", "omit"),
        ("fields=id;drop", "fields"),
        ("brief=yes", "brief"),
        ("lang=fr", "lang"),
    ],
)
def test_an_unknown_field_name_is_a_400_naming_the_parameter(api, query, parameter):
    facility = FacilityFactory()

    for url in ("/api/v1/facilities/", f"/api/v1/facilities/{facility.public_id}/"):
        body = problem_of(api.get(f"{url}?{query}"), 400)
        assert named_parameters(body) == {parameter}, body


def test_fields_id_name_on_facilities_reads_no_relations(api, django_assert_num_queries):
    """COUNT and the page: 2 queries; the full representation adds one prefetch each for
    hosts, fields and priority areas (owner, sub-area and parent are joined): 5."""
    host = OrganisationFactory()
    for facility in FacilityFactory.create_batch(3):
        facility.hosts.set([host])

    with django_assert_num_queries(2) as trimmed:
        api.get("/api/v1/facilities/?fields=id,name")
    with django_assert_num_queries(5):
        api.get("/api/v1/facilities/")

    trimmed_sql = " ".join(query["sql"] for query in trimmed.captured_queries)
    assert "registry_facility_hosts" not in trimmed_sql
    assert "registry_subarea" not in trimmed_sql


def test_brief_on_projects_reads_no_participants_or_funding(api, django_assert_num_queries):
    """Full: COUNT, page, and a prefetch each for fields, priority areas, participations,
    funding lines, outputs and flows (8). Brief: COUNT and page (2)."""
    project = ProjectFactory()
    ParticipationFactory(project=project)
    FundingLineFactory(project=project)

    with django_assert_num_queries(2):
        api.get("/api/v1/projects/?brief=1")
    with django_assert_num_queries(8):
        api.get("/api/v1/projects/")


def test_a_detail_with_fields_reads_only_what_they_need(api, django_assert_num_queries):
    """The record alone (1), or with hosts, fields and priority areas prefetched (4)."""
    facility = FacilityFactory()
    url = f"/api/v1/facilities/{facility.public_id}/"

    with django_assert_num_queries(1):
        api.get(url + "?fields=id,name")
    with django_assert_num_queries(4):
        api.get(url)


def test_stats_count_what_the_asker_may_see(api, api_as, hong_kong_partner, hong_kong_partner_org):
    FacilityFactory(kind=Facility.Kind.LABORATORY)
    FacilityFactory(kind=Facility.Kind.INCUBATOR, publication=Publication.DRAFT)
    FacilityFactory(
        kind=Facility.Kind.INCUBATOR, publication=Publication.DRAFT, owner=hong_kong_partner_org
    )

    public = api.get("/api/v1/stats/").json()
    partner = api_as(hong_kong_partner).get("/api/v1/stats/").json()

    assert public["facilities"]["by_kind"] == {"laboratory": 1}
    assert partner["facilities"]["by_kind"] == {"laboratory": 1, "incubator": 1}
