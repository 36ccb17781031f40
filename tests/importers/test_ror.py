"""Importing ROR records: 14 real schema v2 records (fixtures/ror/) become organisations, with
names in the right script, and importing again changes nothing."""

from __future__ import annotations

import copy
import datetime
import json
import os
import subprocess
import sys
import zipfile
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from registry.importers.ror import (
    ImportRow,
    RorRecord,
    RowAction,
    Script,
    classify_script,
    import_ror_records,
    read_ror_paths,
)
from registry.models import (
    Organisation,
    OrganisationRelation,
    Publication,
    Section,
    Verification,
)
from registry.scripts import derived_text
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]
ROR_FIXTURES = REPO / "fixtures" / "ror"
ROR = "https://ror.org/"
HKU, CUHK, HKUST, CITYU, POLYU = "02zhqgq86", "00t33hh48", "00q4vv597", "03q8dnn23", "0030zas98"
SUSTECH, SZU, SZBL, STIC, ITC = "049tv2d57", "01vy4gh70", "00sdcjz77", "017n8df75", "04vf9tr09"
HKSTP, NSCCSZ, HKCLR, QUANTUM = "05q8mqd91", "02291hh73", "04xzpxc31", "03qb6k992"

# What the 14 files say, read by hand: (English, 简体, 繁體, acronym).
NAMES = {
    HKU: ("University of Hong Kong", "", "", "HKU"),
    CUHK: ("Chinese University of Hong Kong", "", "香港中文大學", "CUHK"),
    HKUST: ("Hong Kong University of Science and Technology", "", "", "HKUST"),
    CITYU: ("City University of Hong Kong", "", "", ""),
    POLYU: ("Hong Kong Polytechnic University", "", "香港理工大學", "HKPU"),
    SUSTECH: ("Southern University of Science and Technology", "南方科技大学", "", "SUSTC"),
    SZU: ("Shenzhen University", "深圳大学", "", "SZU"),
    # A Hong Kong organisation whose only Chinese label is written in Simplified characters.
    HKSTP: ("Hong Kong Science and Technology Parks Corporation", "香港科技园公司", "", "HKSTP"),
    ITC: ("Innovation and Technology Commission", "", "創新科技署", "ITC"),
    STIC: ("Shenzhen Science and Technology Innovation Commission", "深圳市科技创新局", "", ""),
    SZBL: ("Shenzhen Bay Laboratory", "深圳湾实验室", "", "SZBL"),
    NSCCSZ: ("National Supercomputing Center in Shenzhen", "国家超级计算深圳中心", "", ""),
    HKCLR: ("Hong Kong Centre for Logistics Robotics", "", "香港物流機械人研究中心", "HKCLR"),
    QUANTUM: (
        "Quantum Science Center of Guangdong-Hong Kong-Macao Greater Bay Area",
        "粤港澳量子科学中心",
        "",
        "",
    ),
}
# (kind, ROR types) — the priority education > … > facility > nonprofit > funder decides.
KINDS = {
    HKU: Organisation.Kind.UNIVERSITY,  # education, funder
    CUHK: Organisation.Kind.UNIVERSITY,
    HKUST: Organisation.Kind.UNIVERSITY,
    CITYU: Organisation.Kind.UNIVERSITY,
    POLYU: Organisation.Kind.UNIVERSITY,
    SUSTECH: Organisation.Kind.UNIVERSITY,
    SZU: Organisation.Kind.UNIVERSITY,
    HKSTP: Organisation.Kind.NONPROFIT,  # nonprofit
    ITC: Organisation.Kind.GOVERNMENT,  # funder, government
    STIC: Organisation.Kind.GOVERNMENT,  # funder, government
    SZBL: Organisation.Kind.RESEARCH_INSTITUTE,  # facility, funder
    NSCCSZ: Organisation.Kind.RESEARCH_INSTITUTE,  # facility
    HKCLR: Organisation.Kind.RESEARCH_INSTITUTE,  # facility, funder
    QUANTUM: Organisation.Kind.RESEARCH_INSTITUTE,  # facility
}
# (country, city, established, website)
PLACES = {
    HKU: ("HK", "Pok Fu Lam", 1911, "https://www.hku.hk"),
    CUHK: ("HK", "Hong Kong", 1963, "http://www.cuhk.edu.hk/english/index.html"),
    HKUST: ("HK", "Hong Kong", 1991, "https://hkust.edu.hk"),
    CITYU: ("HK", "Hong Kong", 1984, "https://www.cityu.edu.hk"),
    POLYU: ("HK", "Hong Kong", 1937, "http://www.polyu.edu.hk/web/en/home/index.html"),
    SUSTECH: ("CN", "Shenzhen", 2009, "https://sustech.edu.cn"),
    SZU: ("CN", "Shenzhen", 1983, "https://www.szu.edu.cn"),
    HKSTP: ("HK", "Shatin", 2001, "https://www.hkstp.org/"),
    ITC: ("HK", "Hong Kong", 2000, "https://www.itc.gov.hk"),
    STIC: ("CN", "Shenzhen", None, "https://stic.sz.gov.cn"),
    SZBL: ("CN", "Shenzhen", None, "https://www.szbl.ac.cn/"),
    NSCCSZ: ("CN", "Shenzhen", 2009, "https://nsccsz.cn"),
    HKCLR: ("HK", "Hong Kong", 2020, "https://www.hkclr.hk"),
    QUANTUM: ("CN", "Shenzhen", None, "http://www.quantumsc.cn"),
}


def ror_record(suffix: str) -> dict[str, Any]:
    return json.loads((ROR_FIXTURES / f"{suffix}.json").read_text(encoding="utf-8"))


def all_ror_records() -> list[dict[str, Any]]:
    return [ror_record(suffix) for suffix in sorted(NAMES)]


def organisation(suffix: str) -> Organisation:
    return Organisation.objects.get(ror_id=f"{ROR}{suffix}")


def history_rows() -> int:
    return Organisation.history.count() + OrganisationRelation.history.count()


def hkust_shenzhen_institute() -> dict[str, Any]:
    """A child of HKUST that is not among the 14 files: SZBL's record, re-identified as the
    real ROR id HKUST's record lists as its child, with a parent link back to HKUST."""
    record = ror_record(SZBL)
    record["id"] = f"{ROR}00sz56h79"
    record["names"] = [
        {
            "lang": "en",
            "types": ["ror_display", "label"],
            "value": "HKUST Shenzhen Research Institute",
        }
    ]
    record["relationships"] = [
        {
            "label": "Hong Kong University of Science and Technology",
            "type": "parent",
            "id": f"{ROR}{HKUST}",
        }
    ]
    return record


def changed_cuhk() -> dict[str, Any]:
    """CUHK's record as a later ROR release might give it: inactive, founded a year later, in
    Macao, with a new alias, modified later; one relation relabelled, one kept, four gone and
    one new."""
    record = ror_record(CUHK)
    record["status"] = "inactive"
    record["established"] = 1964
    record["locations"][0]["geonames_details"]["country_code"] = "MO"
    record["admin"]["last_modified"]["date"] = "2025-06-01"
    record["names"].append({"lang": None, "types": ["alias"], "value": "CUHK, Sha Tin"})
    record["relationships"] = [
        {**record["relationships"][0], "label": "CUHK-Shenzhen"},
        record["relationships"][1],
        {"label": "Hong Kong Science Park", "type": "related", "id": f"{ROR}{HKSTP}"},
    ]
    return record


# What the dry run of changed_cuhk() over the stored CUHK lists: (label, old, new).
CUHK_CHANGES = [
    ("status", "Active", "Inactive"),
    ("established (year)", "1963", "1964"),
    ("country", "Hong Kong", "Macao"),
    ("jurisdiction", "Hong Kong", "Macao"),
    ("aliases", "—", "CUHK, Sha Tin"),
    ("as of", "2025-05-05", "2025-06-01"),
    (
        "relationships",
        "State Key Laboratory of Synthetic Chemistry (Child); Pamela Youde Nethersole Eastern "
        "Hospital (Related); Prince of Wales Hospital (Related); Hong Kong Eye Hospital "
        "(Related); Chinese University of Hong Kong, Shenzhen (Child)",
        "CUHK-Shenzhen (Child); Hong Kong Science Park (Related)",
    ),
]


def stored_state() -> tuple[list, list, int]:
    """Every organisation's and relation's stored values, and the history rows: what a dry run
    must leave as it was."""
    organisations = list(Organisation._base_manager.order_by("pk").values())
    relations = list(OrganisationRelation._base_manager.order_by("pk").values())
    return organisations, relations, history_rows()


def run_command(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_ror", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# -- what a reader of the registry finds after an import ----------------------------------------
def test_all_fourteen_ror_records_become_published_organisations_named_in_the_right_script():
    report = import_ror_records(all_ror_records())

    assert (report.created, report.updated, report.unchanged, report.errors) == (14, 0, 0, [])
    assert Organisation.objects.count() == 14
    for suffix, (english, simplified, traditional, acronym) in NAMES.items():
        stored = organisation(suffix)
        # The Chinese script ROR gives no name in is converted from the other, marked so.
        derived = "zh_hant" if simplified and not traditional else ""
        derived = "zh_hans" if traditional and not simplified else derived
        simplified = simplified or derived_text(traditional, "zh_hans")
        traditional = traditional or derived_text(simplified, "zh_hant")
        assert (stored.name_en, stored.name_zh_hans, stored.name_zh_hant) == (
            english,
            simplified,
            traditional,
        ), suffix
        assert stored.derived_script == derived, suffix
        assert stored.acronym == acronym, suffix
        assert stored.publication == Publication.PUBLISHED, suffix


def test_chinese_names_are_filed_by_their_characters_even_though_ror_tags_them_all_zh():
    import_ror_records(all_ror_records())

    cuhk, sustech, hkstp = organisation(CUHK), organisation(SUSTECH), organisation(HKSTP)
    # ROR's label is filed under its script; the other script is converted and marked so.
    assert (cuhk.name_zh_hant, cuhk.derived_script) == ("香港中文大學", "zh_hans")
    assert (sustech.name_zh_hans, sustech.derived_script) == ("南方科技大学", "zh_hant")
    # Hong Kong, yet its ROR label is Simplified: the characters decide, not the place.
    assert (hkstp.name_zh_hans, hkstp.derived_script) == ("香港科技园公司", "zh_hant")
    assert sustech.display_name("zh-hant") == "南方科技大學"
    # With no Chinese label at all, nothing is invented: the display falls back to English.
    assert organisation(HKU).display_name("zh-hans") == "University of Hong Kong"


def test_acronyms_aliases_and_other_labels_are_kept_once_each():
    import_ror_records(all_ror_records())

    sustech = organisation(SUSTECH)
    assert sustech.acronym == "SUSTC"  # the first acronym; the second is an alias
    assert sustech.aliases == ["SUSTech", "South University of Science and Technology of China"]
    assert organisation(POLYU).aliases == ["PolyU"]
    assert organisation(HKU).aliases == ["Hong Kong University"]
    assert organisation(CITYU).aliases == []
    # The Shenzhen commission's second Chinese name is an alias, not a second name_zh_hans.
    assert organisation(STIC).aliases == [
        "Shenzhen Municipal Science and Technology Innovation Council",
        "Shenzhen Science and Technology Innovation Committee",
        "深圳市科技创新委员会",
    ]
    assert Organisation.objects.search("sustech").get() == sustech
    assert Organisation.objects.search("polyu").get() == organisation(POLYU)


def test_ror_types_become_one_kind_by_priority():
    import_ror_records(all_ror_records())

    assert {suffix: organisation(suffix).kind for suffix in KINDS} == KINDS


def test_status_established_location_and_website_come_from_ror():
    import_ror_records(all_ror_records())

    for suffix, (country, city, established, website) in PLACES.items():
        stored = organisation(suffix)
        assert (stored.country.code, stored.city, stored.established, stored.website) == (
            country,
            city,
            established,
            website,
        ), suffix
        expected = "mainland" if country == "CN" else "hong_kong"
        assert stored.jurisdiction == expected, suffix
        assert stored.status == Organisation.Status.ACTIVE, suffix


def test_external_ids_are_kept_by_type_with_all_their_values():
    import_ror_records(all_ror_records())

    assert organisation(HKU).external_ids == {
        "fundref": ["501100003803", "501100003802", "501100012692"],
        "grid": ["grid.194645.b"],
        "isni": ["0000 0001 2174 2757"],  # ROR's "preferred" is null here
        "wikidata": ["Q15568"],
    }
    assert organisation(SZBL).external_ids == {
        "fundref": ["501100021177"],
        "grid": ["grid.510951.9"],
        "isni": ["0000 0004 7775 6738"],
    }
    assert organisation(QUANTUM).external_ids == {}


def test_new_organisations_are_curated_by_their_own_side_with_ror_as_the_source():
    import_ror_records(all_ror_records())

    sustech, hku = organisation(SUSTECH), organisation(HKU)
    assert sustech.curating_section == Section.SHENZHEN
    assert hku.curating_section == Section.HONG_KONG
    assert hku.ror_id == f"{ROR}{HKU}"
    assert hku.sources == [f"{ROR}{HKU}"]
    assert hku.verification == Verification.VERIFIED_PRIMARY
    assert hku.as_of == datetime.date(2025, 11, 24)  # admin.last_modified.date
    assert hku.published_at is not None
    assert hku.version == 1


def test_relations_are_stored_even_when_their_target_is_not_in_the_registry():
    import_ror_records(all_ror_records())

    hku_relations = OrganisationRelation.objects.filter(source=organisation(HKU))
    assert hku_relations.count() == 15
    assert not hku_relations.filter(target__isnull=False).exists()
    queen_mary = hku_relations.get(target_ror_id=f"{ROR}02xkx3e48")
    assert (queen_mary.kind, queen_mary.target_label) == ("related", "Queen Mary Hospital")
    assert OrganisationRelation.objects.filter(source=organisation(STIC)).get().kind == "parent"
    assert OrganisationRelation.objects.count() == 34


# -- idempotent upserts -------------------------------------------------------------------------
def test_importing_the_same_records_twice_changes_nothing_the_second_time(
    django_assert_num_queries,
):
    import_ror_records(all_ror_records())
    versions = dict(Organisation.objects.values_list("ror_id", "version"))
    rows = history_rows()

    # The batch's savepoint, then the organisations and their relations in one query each.
    with django_assert_num_queries(4):
        report = import_ror_records(all_ror_records())

    assert (report.created, report.updated, report.unchanged, report.errors) == (0, 0, 14, [])
    assert report.rows == []  # unchanged records are only counted
    assert dict(Organisation.objects.values_list("ror_id", "version")) == versions
    assert history_rows() == rows
    assert OrganisationRelation.objects.count() == 34


def test_an_organisation_already_in_the_registry_is_updated_and_keeps_its_curation():
    partner = OrganisationFactory(name_en="Owner")
    existing = OrganisationFactory(
        ror_id=f"{ROR}{HKU}",
        name_en="HKU (typed by hand)",
        name_zh_hant="香港大學",
        description_en="Founded in 1911.",
        kind=Organisation.Kind.PUBLIC_BODY,
        external_ids={"uscc": ["hand-entered"], "wikidata": ["Q0"]},
        owner=partner,
        curating_section=Section.SHENZHEN,
        publication=Publication.DRAFT,
    )

    report = import_ror_records(all_ror_records())

    assert (report.created, report.updated, report.unchanged) == (13, 1, 0)
    assert Organisation.objects.filter(ror_id=f"{ROR}{HKU}").count() == 1
    existing.refresh_from_db()
    assert existing.name_en == "University of Hong Kong"
    assert existing.name_zh_hant == "香港大學"  # ROR has no Traditional name: the curator's stays
    assert existing.acronym == "HKU" and existing.established == 1911
    assert existing.external_ids["wikidata"] == ["Q15568"]
    assert existing.external_ids["uscc"] == ["hand-entered"]
    assert existing.kind == Organisation.Kind.PUBLIC_BODY  # no ROR type says "public body"
    assert existing.owner == partner
    assert existing.curating_section == Section.SHENZHEN
    assert existing.publication == Publication.DRAFT
    assert existing.description_en == "Founded in 1911."
    assert existing.verification == Verification.ILLUSTRATIVE
    assert existing.sources == ["https://www.example.org/test-source", f"{ROR}{HKU}"]
    assert existing.version == 2
    assert OrganisationRelation.objects.filter(source=existing).count() == 15


def test_a_changed_ror_record_updates_the_organisation_and_its_relations():
    editor = UserFactory(username="ror-importer")
    import_ror_records([ror_record(CUHK)])
    cuhk = organisation(CUHK)
    changed = ror_record(CUHK)
    changed["status"] = "inactive"
    changed["relationships"] = [
        {**changed["relationships"][0], "label": "CUHK-Shenzhen"},  # relabelled
        changed["relationships"][1],  # kept as it was
        {"label": "Hong Kong Science Park", "type": "related", "id": f"{ROR}{HKSTP}"},  # new
    ]  # the other four are gone

    report = import_ror_records([changed], user=editor)

    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    cuhk.refresh_from_db()
    assert cuhk.status == Organisation.Status.INACTIVE and cuhk.version == 2
    relations = {r.target_ror_id: r for r in OrganisationRelation.objects.filter(source=cuhk)}
    assert set(relations) == {f"{ROR}02d5ks197", f"{ROR}00qfke340", f"{ROR}{HKSTP}"}
    assert relations[f"{ROR}02d5ks197"].target_label == "CUHK-Shenzhen"
    deleted = OrganisationRelation.history.filter(history_type="-")
    assert deleted.count() == 4
    assert {row.history_user for row in deleted} == {editor}
    assert cuhk.history.latest("history_date").history_user == editor


# -- relations resolve in either order ---------------------------------------------------------
def test_a_child_imported_before_its_parent_links_to_it_once_the_parent_arrives():
    import_ror_records([hkust_shenzhen_institute()])
    child = organisation("00sz56h79")
    to_parent = OrganisationRelation.objects.get(source=child)
    assert to_parent.target is None and to_parent.target_ror_id == f"{ROR}{HKUST}"

    import_ror_records([ror_record(HKUST)])

    hkust = organisation(HKUST)
    to_parent.refresh_from_db()
    assert to_parent.target == hkust
    to_child = OrganisationRelation.objects.get(source=hkust, target_ror_id=f"{ROR}00sz56h79")
    assert to_child.target == child and to_child.kind == "child"
    assert OrganisationRelation.objects.filter(source=hkust, target__isnull=True).count() == 5


def test_a_parent_imported_before_its_child_links_to_it_once_the_child_arrives():
    import_ror_records([ror_record(HKUST)])
    hkust = organisation(HKUST)
    to_child = OrganisationRelation.objects.get(source=hkust, target_ror_id=f"{ROR}00sz56h79")
    assert to_child.target is None

    import_ror_records([hkust_shenzhen_institute()])

    child = organisation("00sz56h79")
    to_child.refresh_from_db()
    assert to_child.target == child
    assert OrganisationRelation.objects.get(source=child).target == hkust


# -- sources: files, folders, dumps; and what goes wrong ----------------------------------------
def test_a_folder_imports_every_json_file_inside_it():
    records = read_ror_paths([ROR_FIXTURES])  # the README beside them is not a record

    report = import_ror_records(records)

    assert len(records) == 14
    assert (report.created, report.errors) == (14, [])


def test_a_ror_data_dump_zip_imports_every_record_of_its_json_members(tmp_path):
    records = all_ror_records()
    dump = tmp_path / "v1.74-2026-06-23-ror-data.zip"
    with zipfile.ZipFile(dump, "w") as archive:
        archive.writestr(
            "v1.74-2026-06-23-ror-data/v1.74-2026-06-23-ror-data_schema_v2.json",
            json.dumps(records[:13]),
        )
        # The same release in schema v1: skipped, since its v2 twin is in the dump.
        archive.writestr(
            "v1.74-2026-06-23-ror-data/v1.74-2026-06-23-ror-data.json",
            json.dumps([{"id": records[0]["id"], "name": "A v1 record"}]),
        )
        archive.writestr("v1.74-2026-06-23-ror-data/extra.json", json.dumps(records[13]))
        archive.writestr("v1.74-2026-06-23-ror-data/v1.74-ror-data.csv", "id,name\n")

    report = import_ror_records(read_ror_paths([dump]))

    assert (report.created, report.updated, report.unchanged, report.errors) == (14, 0, 0, [])
    assert Organisation.objects.count() == 14
    assert organisation(CUHK).name_zh_hant == "香港中文大學"


def test_a_bad_file_and_bad_records_are_error_rows_and_the_good_records_still_import(tmp_path):
    (tmp_path / "broken.json").write_text('{"id": "https://ror.org/02zhqgq86",', "utf-8")
    bad_check_digits = {**ror_record(HKU), "id": f"{ROR}02zhqgq87"}
    v1_record = {"id": f"{ROR}{CITYU}", "name": "City University of Hong Kong"}
    bad_status = {**ror_record(POLYU), "status": "closed"}
    (tmp_path / "batch.json").write_text(
        json.dumps(
            [
                "not a record",
                {"names": []},
                {**ror_record(HKU), "id": "https://ror.org/12345"},
                bad_check_digits,
                v1_record,
                bad_status,
                ror_record(SUSTECH),
            ]
        ),
        "utf-8",
    )
    (tmp_path / "good.json").write_text(json.dumps(ror_record(CUHK)), "utf-8")

    report = import_ror_records(read_ror_paths([tmp_path]))

    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    assert set(Organisation.objects.values_list("ror_id", flat=True)) == {
        f"{ROR}{SUSTECH}",
        f"{ROR}{CUHK}",
    }
    errors = [str(error) for error in report.errors]
    batch = tmp_path / "batch.json"
    assert errors == [
        f"{batch}[0]: not a JSON object but a string",
        f"{batch}[1]: no `id`",
        f"{batch}[2] (https://ror.org/12345): 'https://ror.org/12345' is not a ROR id "
        "(https://ror.org/ followed by 0, six base32 characters and two check digits)",
        f"{batch}[3] ({ROR}02zhqgq87): '{ROR}02zhqgq87' is not a ROR id "
        "(https://ror.org/ followed by 0, six base32 characters and two check digits)",
        f"{batch}[4] ({ROR}{CITYU}): a ROR schema v1 record: this importer reads schema v2 "
        "(in a data dump, the …_schema_v2.json file)",
        f"{batch}[5] ({ROR}{POLYU}): status 'closed' is not active, inactive or withdrawn",
        f"{tmp_path / 'broken.json'}: invalid JSON: Expecting property name enclosed in double "
        "quotes: line 1 column 36 (char 35)",
    ]


def test_a_record_the_registry_cannot_hold_is_an_error_row_and_undoes_nothing_else():
    too_long = ror_record(HKU)
    too_long["names"][2]["value"] = "University " * 30  # over the 300 characters of a name
    bad_website = ror_record(CITYU)
    bad_website["links"][0]["value"] = "not a url"

    report = import_ror_records([too_long, ror_record(CUHK), bad_website])

    assert (report.created, len(report.errors)) == (1, 2)
    assert report.errors[0].origin == "record 1" and report.errors[0].ror_id == f"{ROR}{HKU}"
    assert report.errors[0].message.startswith("name_en: Ensure this value has at most 300")
    assert report.errors[1].message == "website: Enter a valid URL."
    assert list(Organisation.objects.values_list("ror_id", flat=True)) == [f"{ROR}{CUHK}"]
    assert OrganisationRelation.objects.count() == 6  # CUHK's; none of the refused records'


def test_a_record_listed_twice_in_one_batch_is_created_once():
    report = import_ror_records([ror_record(HKU), ror_record(SZU), ror_record(HKU)])

    assert (report.created, report.unchanged) == (2, 1)
    assert organisation(HKU).version == 1
    assert OrganisationRelation.objects.filter(source=organisation(HKU)).count() == 15


def test_a_refused_update_leaves_the_stored_organisation_and_its_relations_as_they_were():
    import_ror_records([ror_record(CUHK)])
    refused = ror_record(CUHK)
    refused["names"][1]["value"] = "CUHK " * 70  # over 300 characters
    refused["relationships"] = []
    rows = history_rows()

    report = import_ror_records([refused, ror_record(CUHK)])

    assert (report.updated, report.unchanged, len(report.errors)) == (0, 1, 1)
    cuhk = organisation(CUHK)
    assert (cuhk.name_en, cuhk.version) == ("Chinese University of Hong Kong", 1)
    assert OrganisationRelation.objects.filter(source=cuhk).count() == 6
    assert history_rows() == rows


def test_a_dry_run_reports_what_would_happen_and_writes_nothing():
    report = import_ror_records(all_ror_records(), dry_run=True)

    assert report.dry_run
    assert (report.created, report.updated, report.unchanged) == (14, 0, 0)
    assert not Organisation.objects.exists()
    assert not OrganisationRelation.objects.exists()
    assert history_rows() == 0


def test_a_dry_run_over_stored_records_reports_the_updates_and_leaves_them_as_they_were():
    import_ror_records(all_ror_records())
    changed = ror_record(SZU)
    changed["established"] = 1984
    rows = history_rows()

    report = import_ror_records([changed, ror_record(HKU)], dry_run=True)

    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    szu = organisation(SZU)
    assert (szu.established, szu.version) == (1983, 1)
    assert history_rows() == rows


def test_a_dry_run_lists_each_change_with_its_label_and_old_and_new_value_and_writes_nothing():
    import_ror_records([ror_record(CUHK), ror_record(HKU)])
    cuhk = organisation(CUHK)
    before = stored_state()

    report = import_ror_records([changed_cuhk(), ror_record(HKU), ror_record(SZU)], dry_run=True)

    assert (report.created, report.updated, report.unchanged) == (1, 1, 1)
    updated, created = report.rows  # HKU, unchanged, is only counted
    assert (updated.ror_id, updated.public_id, updated.name, updated.action) == (
        f"{ROR}{CUHK}",
        cuhk.public_id,
        "Chinese University of Hong Kong",
        RowAction.UPDATED,
    )
    assert [(str(c.label), c.old, c.new) for c in updated.changes] == CUHK_CHANGES
    # A dry run's new organisation has no public id: the one it minted was rolled back.
    assert created == ImportRow(f"{ROR}{SZU}", "", "Shenzhen University", RowAction.CREATED)
    assert stored_state() == before
    assert not Organisation.objects.filter(ror_id=f"{ROR}{SZU}").exists()


def test_an_import_lists_what_it_did_with_the_public_ids_it_minted():
    import_ror_records([ror_record(CUHK)])

    report = import_ror_records([changed_cuhk(), ror_record(SZU)])

    updated, created = report.rows
    assert [(str(c.label), c.old, c.new) for c in updated.changes] == CUHK_CHANGES
    assert created.public_id == organisation(SZU).public_id != ""
    assert organisation(CUHK).status == Organisation.Status.INACTIVE


def test_a_change_only_to_relations_and_a_blanked_value_are_listed_readably():
    import_ror_records([ror_record(STIC), ror_record(HKU)])
    stic, hku = ror_record(STIC), ror_record(HKU)
    stic["relationships"] = []
    hku["external_ids"] = [entry for entry in hku["external_ids"] if entry["type"] != "grid"]

    report = import_ror_records([stic, hku], dry_run=True)

    changes = [[(str(c.label), c.old, c.new) for c in row.changes] for row in report.rows]
    parent = OrganisationRelation.objects.get(source=organisation(STIC))
    assert changes == [
        [("relationships", f"{parent.target_label} (Parent)", "—")],
        [
            (
                "external ids",
                "fundref: 501100003803, 501100003802, 501100012692; grid: grid.194645.b; "
                "isni: 0000 0001 2174 2757; wikidata: Q15568",
                "fundref: 501100003803, 501100003802, 501100012692; "
                "isni: 0000 0001 2174 2757; wikidata: Q15568",
            )
        ],
    ]


def test_a_dry_run_lists_its_changes_in_the_active_language():
    import_ror_records([ror_record(CUHK)])

    with translation.override("zh-hant"):
        report = import_ror_records([changed_cuhk()], dry_run=True)
        (row,) = report.rows
        shown = [(str(c.label), c.old, c.new) for c in row.changes][:4]
        assert (str(row.action.label), shown) == (
            "更新",
            [
                ("狀態", "活躍", "不活躍"),
                (str(Organisation._meta.get_field("established").verbose_name), "1963", "1964"),
                ("國家/地區", "香港", "澳門"),
                (str(Organisation._meta.get_field("jurisdiction").verbose_name), "香港", "澳門"),
            ],
        )


# -- scripts, read from the characters ------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "script"),
    [
        ("香港中文大學", Script.TRADITIONAL),
        ("南方科技大学", Script.SIMPLIFIED),
        ("台灣大學", Script.TRADITIONAL),  # Hong Kong and Taiwan write 台, OpenCC's standard 臺
        ("香港", Script.CHINESE_COMMON),
        ("東京大学", Script.OTHER),  # Japanese: both scripts at once
        ("서울대학교", Script.OTHER),
        ("Université de Genève", Script.LATIN),
    ],
)
def test_a_names_script_is_read_from_its_characters(text, script):
    assert classify_script(text) == script


def test_a_name_written_alike_in_both_scripts_fills_both_and_lang_tags_are_not_trusted():
    record = copy.deepcopy(ror_record(HKSTP))
    record["id"] = f"{ROR}{HKSTP}"
    record["names"] = [
        {"lang": "en", "types": ["ror_display", "label"], "value": "Hong Kong Park"},
        {"lang": "en", "types": ["label"], "value": "香港公園"},  # mis-tagged: 繁體
        {"lang": "zh", "types": ["label"], "value": "香港"},  # common to both scripts
    ]

    import_ror_records([record])

    stored = organisation(HKSTP)
    assert (stored.name_en, stored.name_zh_hans, stored.name_zh_hant) == (
        "Hong Kong Park",
        "香港",
        "香港公園",
    )
    assert stored.aliases == []


# -- the management command ---------------------------------------------------------------------
def test_the_command_prints_a_summary_and_attributes_history_to_the_user(zone_editor):
    out, err = run_command(str(ROR_FIXTURES), "--user", zone_editor.username)

    assert out == "created 14, updated 0, unchanged 0, errors 0\n"
    assert err == ""
    assert {row.history_user for row in Organisation.history.all()} == {zone_editor}
    assert {row.history_user for row in OrganisationRelation.history.all()} == {zone_editor}
    assert {o.created_by for o in Organisation.objects.all()} == {zone_editor}

    again, _ = run_command(str(ROR_FIXTURES), "--user", zone_editor.username)
    assert again == "created 0, updated 0, unchanged 14, errors 0\n"


def test_links_that_resolve_later_are_attributed_to_the_importing_user_too(zone_editor):
    run_command(str(ROR_FIXTURES / f"{HKUST}.json"))
    child = {**hkust_shenzhen_institute(), "relationships": []}
    import_ror_records([child], user=zone_editor)  # resolves HKUST's pending link to it

    resolved = OrganisationRelation.objects.get(target_ror_id=f"{ROR}00sz56h79")
    assert resolved.target == organisation("00sz56h79")
    assert resolved.history.latest("history_date").history_user == zone_editor


def test_the_command_lists_each_error_on_its_own_line(tmp_path):
    (tmp_path / "broken.json").write_text("[", "utf-8")
    (tmp_path / "hku.json").write_text(json.dumps(ror_record(HKU)), "utf-8")
    (tmp_path / "list.json").write_text(json.dumps([1, {"id": "nope"}]), "utf-8")

    out, err = run_command(str(tmp_path))

    assert out == "created 1, updated 0, unchanged 0, errors 3\n"
    assert err.splitlines() == [
        f"error: {tmp_path / 'broken.json'}: invalid JSON: Expecting value: line 1 column 2 "
        "(char 1)",
        f"error: {tmp_path / 'list.json'}[0]: not a JSON object but a number",
        f"error: {tmp_path / 'list.json'}[1] (nope): 'nope' is not a ROR id (https://ror.org/ "
        "followed by 0, six base32 characters and two check digits)",
    ]


def test_the_command_dry_run_says_so_lists_what_it_would_create_and_writes_nothing():
    out, _ = run_command(str(ROR_FIXTURES), "--dry-run")

    summary, *rows = out.splitlines()
    assert summary == "created 14, updated 0, unchanged 0, errors 0 (dry run: nothing was written)"
    assert rows == [f"created {ROR}{suffix} {NAMES[suffix][0]}" for suffix in sorted(NAMES)]
    assert not Organisation.objects.exists()


def test_the_command_dry_run_prints_a_line_per_change_after_its_summary(tmp_path):
    import_ror_records([ror_record(CUHK), ror_record(HKU)])
    cuhk = organisation(CUHK)
    before = stored_state()
    (tmp_path / "cuhk.json").write_text(json.dumps(changed_cuhk()), "utf-8")
    (tmp_path / "hku.json").write_text(json.dumps(ror_record(HKU)), "utf-8")

    out, err = run_command(str(tmp_path), "--dry-run")

    changes = " | ".join(f"{label}: {old} → {new}" for label, old, new in CUHK_CHANGES)
    assert out.splitlines() == [
        "created 0, updated 1, unchanged 1, errors 0 (dry run: nothing was written)",
        f"updated {cuhk.public_id} ({ROR}{CUHK}) Chinese University of Hong Kong: {changes}",
    ]
    assert err == ""
    assert stored_state() == before


def test_the_command_refuses_a_path_that_does_not_exist(tmp_path):
    missing = tmp_path / "nowhere.zip"

    with pytest.raises(CommandError, match=r"nowhere\.zip does not exist") as refused:
        run_command(str(ROR_FIXTURES), str(missing))

    assert refused.value.returncode == 1
    assert not Organisation.objects.exists()  # nothing is read before every path is checked


def test_the_command_fails_when_nothing_could_be_read(tmp_path):
    (tmp_path / "broken.json").write_text("not json", "utf-8")
    with pytest.raises(CommandError, match="no ROR record could be imported"):
        run_command(str(tmp_path / "broken.json"))

    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(CommandError, match="no ROR record found"):
        run_command(str(empty))


def test_the_command_refuses_an_unknown_user():
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        run_command(str(ROR_FIXTURES), "--user", "nobody")
    assert not Organisation.objects.exists()


def test_the_command_exits_non_zero_from_the_shell(tmp_path):
    # Fails before touching any database, so it can run as a real process.
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "hetao.test_settings"}
    finished = subprocess.run(
        [sys.executable, "manage.py", "import_ror", str(tmp_path / "missing.json")],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert finished.returncode == 1
    assert "missing.json does not exist" in finished.stderr


def test_plain_records_and_read_records_can_be_mixed():
    report = import_ror_records([ror_record(HKU), RorRecord("somewhere.json", ror_record(SZU))])

    assert report.created == 2
