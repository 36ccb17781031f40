"""Names in every script (issue #14, point 5): a record named in one Chinese script only gets
the other from OpenCC (Hong Kong standard for 繁體), stored, marked as derived in the admin and
the API until a curator confirms or corrects it; 繁體 and 简体 pages show it instead of
falling back to English."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from registry.models import Facility, Organisation, Publication, Section
from registry.scripts import derive_label
from tests.admin.forms import change_form_data
from tests.admin.helpers import change_url, open_change_form, stored
from tests.factories import FacilityFactory, OrganisationFactory, ProjectFactory

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def named_in_simplified(**fields) -> Facility:
    return FacilityFactory(
        name_en="",
        name_zh_hans="深圳湾实验室",
        name_zh_hant="",
        curating_section=Section.SHENZHEN,
        publication=Publication.PUBLISHED,
        **fields,
    )


# -- the rule ------------------------------------------------------------------------------------
def test_a_record_named_only_in_simplified_gets_a_derived_traditional_name_in_hong_kong_forms():
    facility = named_in_simplified()

    record = stored(facility)
    assert record.name_zh_hant == "深圳灣實驗室"
    assert record.derived_script == "zh_hant"
    # Hong Kong's standard, not OpenCC's own: 平台 and 合眾, not 平臺 and 合衆.
    texts, _ = derive_label({"zh_hans": "开放创新平台", "zh_hant": ""}, "", None)
    assert texts["zh_hant"] == "開放創新平台"


def test_a_record_named_only_in_traditional_gets_a_derived_simplified_name():
    organisation = OrganisationFactory(name_en="", name_zh_hans="", name_zh_hant="研究資助局")

    record = stored(organisation)
    assert (record.name_zh_hans, record.derived_script) == ("研究资助局", "zh_hans")


def test_a_record_without_a_chinese_name_gets_none_and_nothing_is_marked():
    organisation = OrganisationFactory(name_en="Loop University", name_zh_hans="", name_zh_hant="")

    record = stored(organisation)
    assert (record.name_zh_hans, record.name_zh_hant, record.derived_script) == ("", "", "")


def test_a_record_named_in_both_scripts_by_people_has_nothing_derived():
    project = ProjectFactory(title_zh_hans="量子传感", title_zh_hant="量子感測")

    record = stored(project)
    assert (record.title_zh_hant, record.derived_script) == ("量子感測", "")


def test_a_derived_name_follows_a_change_of_the_name_it_was_converted_from():
    facility = named_in_simplified()

    record = stored(facility)
    record.name_zh_hans = "深圳湾生命科学实验室"
    record.save()

    assert stored(facility).name_zh_hant == "深圳灣生命科學實驗室"
    assert stored(facility).derived_script == "zh_hant"


def test_a_derived_name_someone_corrects_is_theirs_and_no_longer_follows():
    facility = named_in_simplified()

    record = stored(facility)
    record.name_zh_hant = "深圳灣實驗室（SZBL）"
    record.save()
    record = stored(facility)
    assert (record.name_zh_hant, record.derived_script) == ("深圳灣實驗室（SZBL）", "")

    record.name_zh_hans = "深圳湾生命科学实验室"
    record.save()
    assert stored(facility).name_zh_hant == "深圳灣實驗室（SZBL）"


def test_a_save_of_other_fields_only_leaves_the_names_alone():
    facility = named_in_simplified()
    Facility.objects.filter(pk=facility.pk).update(name_zh_hant="", derived_script="")

    record = stored(facility)
    record.address = "1 Binhe Avenue"
    record.save(update_fields=["address"])

    assert (stored(facility).name_zh_hant, stored(facility).derived_script) == ("", "")


# -- the public pages ----------------------------------------------------------------------------
def test_a_traditional_page_shows_the_derived_name_instead_of_english(client: Client):
    facility = named_in_simplified()
    facility.name_en = "Shenzhen Bay Laboratory"
    facility.save()

    page = client.get(f"/zh-hant/facilities/{facility.public_id}/").content.decode()
    listing = client.get("/zh-hant/facilities/").content.decode()

    assert "深圳灣實驗室" in page
    assert "深圳灣實驗室" in listing


# -- the admin -----------------------------------------------------------------------------------
def test_the_admin_marks_the_derived_name_and_offers_to_confirm_it(client, shenzhen_curator):
    facility = named_in_simplified()
    client.force_login(shenzhen_curator)

    response = open_change_form(client, facility)

    form = response.context["adminform"].form
    assert "registry-derived" in form.fields["name_zh_hant"].widget.attrs["class"]
    assert "OpenCC" in str(form.fields["name_zh_hant"].help_text)
    assert "confirm_derived" in form.fields
    assert 'name="confirm_derived"' in response.content.decode()


def test_the_admin_in_traditional_chinese_explains_the_mark(client, shenzhen_curator):
    facility = named_in_simplified()
    client.force_login(shenzhen_curator)

    page = client.get(change_url(facility), headers={"accept-language": "zh-hant"})

    assert "OpenCC" in page.content.decode()
    assert "確認" in page.content.decode()


def test_a_curator_confirms_a_derived_name_and_it_is_no_longer_marked(client, shenzhen_curator):
    facility = named_in_simplified()
    client.force_login(shenzhen_curator)
    response = open_change_form(client, facility)

    saved = client.post(change_url(facility), change_form_data(response, confirm_derived="on"))

    assert saved.status_code == 302, saved.content[:2000]
    record = stored(facility)
    assert (record.name_zh_hant, record.derived_script) == ("深圳灣實驗室", "")
    assert (
        "confirm_derived" not in open_change_form(client, facility).context["adminform"].form.fields
    )
    # The confirmation is in the record's history, by the curator.
    last = record.history.first()
    assert (last.derived_script, last.history_user) == ("", shenzhen_curator)


def test_a_curator_correcting_the_derived_name_in_the_admin_makes_it_theirs(
    client, shenzhen_curator
):
    facility = named_in_simplified()
    client.force_login(shenzhen_curator)
    response = open_change_form(client, facility)

    client.post(change_url(facility), change_form_data(response, name_zh_hant="深圳灣實驗室 SZBL"))

    record = stored(facility)
    assert (record.name_zh_hant, record.derived_script) == ("深圳灣實驗室 SZBL", "")


def test_a_record_with_names_written_by_people_has_no_confirm_box(client, shenzhen_curator):
    project = ProjectFactory(
        title_zh_hans="量子传感", title_zh_hant="量子感測", curating_section=Section.SHENZHEN
    )
    client.force_login(shenzhen_curator)

    form = open_change_form(client, project).context["adminform"].form

    assert "confirm_derived" not in form.fields


# -- the fixtures --------------------------------------------------------------------------------
def test_every_fixture_record_s_derived_names_are_what_the_registry_would_derive():
    for name in ("reference.json", "demo.json"):
        for row in json.loads((FIXTURES / name).read_text()):
            fields = row["fields"]
            if "derived_script" not in fields:
                continue
            stem = "title" if "title_en" in fields else "name"
            texts = {s: fields[f"{stem}_{s}"] for s in ("zh_hans", "zh_hant")}
            derived = fields["derived_script"]
            source = {"zh_hant": "zh_hans", "zh_hans": "zh_hant"}.get(derived)
            given = {**texts, derived: ""} if source else texts
            assert derive_label(given, "", None) == (texts, derived), row["fields"]["public_id"]


def test_the_reference_data_names_government_bodies_and_funders_in_chinese():
    call_command("loaddata", "reference", verbosity=0)
    names = dict(
        Organisation.objects.filter(
            name_en__in=["Ministry of Science and Technology", "Research Grants Council"]
        ).values_list("name_en", "name_zh_hant")
    )
    assert names == {
        "Ministry of Science and Technology": "中華人民共和國科學技術部",
        "Research Grants Council": "研究資助局",
    }
    research_grants_council = Organisation.objects.get(name_en="Research Grants Council")
    assert research_grants_council.derived_script == "zh_hans"
    assert "https://www.ugc.edu.hk/big5/rgc/" in research_grants_council.sources


def test_a_derived_name_follows_its_source_through_two_saves_of_the_same_record():
    record = stored(named_in_simplified())

    record.name_zh_hans = "深圳湾生命科学实验室"
    record.save()
    record.name_zh_hans = "深圳湾区实验室"
    record.save()

    assert (stored(record).name_zh_hant, stored(record).derived_script) == (
        "深圳灣區實驗室",
        "zh_hant",
    )
