"""The curator admin speaks English, Simplified Chinese and Traditional Chinese: the registry's
own model names, field labels, choice labels, fieldsets and workflow messages are translated
(Django, django-countries, import-export and simple-history bring their own catalogues), and the
two catalogues under locale/ are complete, not fuzzy, and keep every placeholder."""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.db.models import Model
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from registry import workflow
from registry.models import Facility, Publication, Section
from tests.factories import FacilityFactory

SIMPLIFIED = {"accept-language": "zh-hans"}
TRADITIONAL = {"accept-language": "zh-hant"}
ENGLISH = {"accept-language": "en"}

LOCALE = Path(settings.BASE_DIR) / "locale"
CATALOGUES = {
    "zh_Hans": LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po",
    "zh_Hant": LOCALE / "zh_Hant" / "LC_MESSAGES" / "django.po",
}

# A few characters that exist only in one script, to catch a string pasted into the wrong file.
SIMPLIFIED_ONLY = set("们这记发设机项资数据员审编区园构实验时间国门态删术单应为护础")
TRADITIONAL_ONLY = set("們這記發設機項資數據員審編區園構實驗時間國門態刪術單應為護礎")


def url(model: type[Model] | Model, view: str, *args: object) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def page(client: Client, address: str, headers: dict[str, str] | None = None) -> str:
    response = client.get(address, headers=headers or {})
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def messages_of(response: HttpResponse) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def publish_selected(client: Client, records: list[Facility], headers: dict[str, str]):
    data = {
        "action": "publish_selected",
        "_selected_action": [str(record.pk) for record in records],
        "index": "0",
    }
    return client.post(url(Facility, "changelist"), data, headers=headers)


# The third-party pages a curator works in: what they show of import-export's and
# simple-history's own strings (neither ships a 繁體 catalogue; locale/ carries them).
THIRD_PARTY_PAGES = {
    "import": ("File to import", "Format", "Submit", "This importer will import the following"),
    "export": ("Format", "Submit", "This exporter will export the following fields"),
    "history": ("Date/time", "Changed by", "Change reason", "Changes", "Comment", "Object"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("view", sorted(THIRD_PARTY_PAGES))
@pytest.mark.parametrize("headers", [SIMPLIFIED, TRADITIONAL], ids=["zh-hans", "zh-hant"])
def test_the_import_export_and_history_pages_speak_the_curator_s_script(
    client, zone_editor, view, headers
):
    facility = FacilityFactory(name_en="Loop Lab")
    client.force_login(zone_editor)
    address = url(facility, view, facility.pk) if view == "history" else url(Facility, view)
    shown = re.sub(r"<[^>]+>", " ", page(client, address, headers))

    left = [text for text in THIRD_PARTY_PAGES[view] if text in shown]
    assert left == [], f"English left on the {view} page: {left}"


# -- the admin, read by curators --------------------------------------------------------------


@pytest.mark.django_db
def test_a_shenzhen_curator_reads_the_admin_index_in_simplified_chinese(client, shenzhen_curator):
    client.force_login(shenzhen_curator)

    html = page(client, reverse("admin:index"), SIMPLIFIED)

    assert '<html lang="zh-hans"' in html
    for words in ("河套名录 — 审编员", "审编名录", "审核队列", "设施", "项目", "机构", "要素流动"):
        assert words in html, words
    assert "政策工具" in html and "资助计划" in html
    assert "Facilities" not in html and "Curate the registry" not in html


@pytest.mark.django_db
def test_a_hong_kong_curator_reads_a_facility_form_in_traditional_chinese(
    client, hong_kong_curator
):
    facility = FacilityFactory(
        kind=Facility.Kind.LABORATORY,
        section=Facility.Location.HONG_KONG,
        status=Facility.Status.OPERATIONAL,
        curating_section=Section.HONG_KONG,
    )
    client.force_login(hong_kong_curator)

    html = page(client, url(facility, "change", facility.pk), TRADITIONAL)

    # Field labels and fieldsets.
    for label in ("名稱（英文）", "名稱（簡體中文）", "名稱（繁體中文）", "類型", "狀態"):
        assert label in html, label
    for fieldset in ("位置", "概況", "管理歸屬", "來源資訊"):
        assert fieldset in html, fieldset
    # Choice labels of kind, park and status, and the workflow line and button.
    for choice in ("實驗室", "實驗室集群", "香港園區", "深圳園區", "運作中", "興建中"):
        assert choice in html, choice
    assert "已發佈" in html and "版本 1" in html and "撤回" in html
    assert "Laboratory cluster" not in html and "Hong Kong Park" not in html


@pytest.mark.django_db
def test_choice_labels_in_a_changelist_filter_are_translated(client, shenzhen_curator):
    FacilityFactory(curating_section=Section.SHENZHEN, section=Facility.Location.SHENZHEN)
    client.force_login(shenzhen_curator)

    html = page(client, url(Facility, "changelist"), SIMPLIFIED)

    for choice in ("深圳园区", "香港园区", "合作区外（参与合作）"):  # location
        assert choice in html, choice
    for choice in ("实验室", "企业研发中心", "规划中", "运营中"):  # kind, status
        assert choice in html, choice
    for choice in ("草稿", "审核中", "已发布", "已撤回"):  # publication
        assert choice in html, choice
    assert "未核实" in html and "示例（为演示而虚构）" in html  # verification
    assert "发布所选记录" in html  # a bulk action
    assert "Shenzhen Park" not in html and "In review" not in html


@pytest.mark.django_db
def test_english_stays_english(client, zone_editor):
    facility = FacilityFactory()
    client.force_login(zone_editor)

    index = page(client, reverse("admin:index"), ENGLISH)
    form = page(client, url(facility, "change", facility.pk), ENGLISH)

    assert "Facilities" in index and "Factor flows" in index and "Curate the registry" in index
    assert "Name (Traditional Chinese)" in form and "Hong Kong Park" in form
    assert "Operational" in form and "Provenance" in form
    for chinese in ("设施", "設施", "名稱", "香港园区", "香港園區"):
        assert chinese not in index + form, chinese


@pytest.mark.django_db
def test_the_language_cookie_chooses_traditional_chinese(client, zone_editor):
    client.force_login(zone_editor)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hant"

    html = page(client, reverse("admin:index"))

    assert "設施" in html and "項目" in html and "機構" in html and "要素流動" in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("accept_language", "expected", "unexpected"),
    [("zh-HK,zh;q=0.8", "設施", "设施"), ("zh-CN,zh;q=0.8", "设施", "設施")],
)
def test_a_browser_set_to_hong_kong_or_mainland_chinese_gets_its_script(
    client, zone_editor, accept_language, expected, unexpected
):
    client.force_login(zone_editor)

    html = page(client, reverse("admin:index"), {"accept-language": accept_language})

    assert expected in html and unexpected not in html


@pytest.mark.django_db
def test_a_curator_who_submitted_is_refused_publication_in_traditional_chinese(
    client, hong_kong_curator
):
    facility = FacilityFactory(curating_section=Section.HONG_KONG, publication=Publication.DRAFT)
    workflow.submit(facility, user=hong_kong_curator)
    client.force_login(hong_kong_curator)

    response = publish_selected(client, [facility], TRADITIONAL)

    assert any("雙人複核規則" in message for message in messages_of(response))


@pytest.mark.django_db
def test_a_second_curator_is_told_of_a_bulk_publication_in_simplified_chinese(
    client, shenzhen_curator, second_shenzhen_curator
):
    facility = FacilityFactory(curating_section=Section.SHENZHEN, publication=Publication.DRAFT)
    workflow.submit(facility, user=shenzhen_curator)
    client.force_login(second_shenzhen_curator)

    response = publish_selected(client, [facility], SIMPLIFIED)

    assert "1 条记录：已完成“发布”。" in messages_of(response)


# -- the catalogues ---------------------------------------------------------------------------

PLACEHOLDER = re.compile(r"%\([A-Za-z_]\w*\)[sdif]|%[sdif]|\{\{\s*\w+\s*\}\}|\{\w*\}")


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def live_entries(path: Path) -> list[polib.POEntry]:
    return [entry for entry in polib.pofile(str(path)) if not entry.obsolete]


@pytest.mark.parametrize("language", sorted(CATALOGUES))
def test_every_string_is_translated_and_none_is_fuzzy(language):
    catalogue = polib.pofile(str(CATALOGUES[language]))

    assert catalogue.untranslated_entries() == []
    assert catalogue.fuzzy_entries() == []
    assert not catalogue.metadata_is_fuzzy
    assert len(catalogue.translated_entries()) > 300


@pytest.mark.parametrize("language", sorted(CATALOGUES))
def test_the_header_names_the_language_charset_and_one_plural_form(language):
    metadata = polib.pofile(str(CATALOGUES[language])).metadata

    assert metadata["Language"] == language
    assert "charset=UTF-8" in metadata["Content-Type"]
    assert metadata["Plural-Forms"].replace(" ", "") == "nplurals=1;plural=0;"


@pytest.mark.parametrize("language", sorted(CATALOGUES))
def test_every_placeholder_of_a_msgid_appears_in_its_msgstr(language):
    for entry in live_entries(CATALOGUES[language]):
        if entry.msgid_plural:
            assert sorted(entry.msgstr_plural) == [0], entry.msgid  # Chinese has one form
            translations = list(entry.msgstr_plural.values())
        else:
            translations = [entry.msgstr]
        for translation in translations:
            assert placeholders(translation) == placeholders(entry.msgid), entry.msgid


def test_both_catalogues_translate_the_same_strings():
    hans = {(e.msgctxt, e.msgid) for e in live_entries(CATALOGUES["zh_Hans"])}
    hant = {(e.msgctxt, e.msgid) for e in live_entries(CATALOGUES["zh_Hant"])}

    assert hans == hant


@pytest.mark.parametrize(
    ("language", "foreign"), [("zh_Hans", TRADITIONAL_ONLY), ("zh_Hant", SIMPLIFIED_ONLY)]
)
def test_each_catalogue_is_written_in_its_own_script(language, foreign):
    for entry in live_entries(CATALOGUES[language]):
        text = entry.msgstr + "".join(entry.msgstr_plural.values())
        assert not foreign & set(text), (entry.msgid, text)


@pytest.mark.parametrize(
    ("msgid", "simplified", "traditional"),
    [
        ("facility", "设施", "設施"),
        ("organisation", "机构", "機構"),
        ("project", "项目", "項目"),
        ("factor flow", "要素流动", "要素流動"),
        ("policy instrument", "政策工具", "政策工具"),
        ("funding scheme", "资助计划", "資助計劃"),
        ("public id", "公开编号", "公開編號"),
        ("Provenance", "来源信息", "來源資訊"),
        ("Shenzhen Park", "深圳园区", "深圳園區"),
        ("Hong Kong Park", "香港园区", "香港園區"),
        ("Draft", "草稿", "草稿"),
        ("In review", "审核中", "審核中"),
        ("Publish", "发布", "發佈"),
        ("Retract", "撤回", "撤回"),
    ],
)
def test_the_agreed_terminology_is_used(msgid, simplified, traditional):
    for language, expected in (("zh_Hans", simplified), ("zh_Hant", traditional)):
        entry = polib.pofile(str(CATALOGUES[language])).find(msgid)
        assert entry is not None and entry.msgstr == expected, (language, msgid)
