"""The public pages speak the reader's script: every page rendered in 简体 and 繁體 from the
reference and demo fixtures shows its navigation, headings and labels translated, and no English
interface string of the registry's catalogue is left on it (records' own English names, shown
where a record has no name in the reader's script, are data, not interface).

The catalogue-wide checks (no empty or fuzzy msgstr, placeholders kept, the header's Language
and Plural-Forms, one script per file) are in tests/admin/test_i18n.py, and
tests/test_translation_catalogue.py finds the ``{% translate %}`` and gettext strings that
makemessages has not collected. Here, what those cannot see: the ``{% blocktranslate %}``
strings of the public pages (with their plurals and placeholders), and gettext imported under a
name that makemessages does not know, whose strings never reach the catalogues."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from pprint import pformat
from typing import Any

import polib
import pytest
from django.apps import apps
from django.core.management import call_command
from django.db.models import CharField, TextField
from django.test import override_settings
from django.utils.translation.template import templatize

from registry import exports
from registry.models import Facility, Organisation, Project, Publication
from tests.admin.test_i18n import CATALOGUES, LOCALE, placeholders
from tests.conftest import built_for_the_module
from tests.public import Element, parse

ROOT = LOCALE.parent
LANGUAGES = {"zh-hans": "zh_Hans", "zh-hant": "zh_Hant"}
PUBLIC_TEMPLATES = sorted(
    [
        *(ROOT / "registry" / "templates" / "registry" / "public").glob("*.html"),
        ROOT / "registry" / "templates" / "404.html",
    ]
)

# The main navigation, in the order of base.html: Facilities, Projects, Organisations, Open
# data, Statistics, Collaboration.
NAVIGATION = {
    "en": ["Facilities", "Projects", "Organisations", "Open data", "Statistics", "Collaboration"],
    "zh-hans": ["设施", "项目", "机构", "开放数据", "统计", "合作"],
    "zh-hant": ["設施", "項目", "機構", "開放數據", "統計", "合作"],
}
BRAND = {"en": "Hetao Registry", "zh-hans": "河套名录", "zh-hant": "河套名錄"}

# Per page: the <h1> (None where it is a record's name) and labels the page always shows.
EXPECTED: dict[str, dict[str, tuple[str | None, list[str]]]] = {
    "zh-hans": {
        "home": ("河套深港科技创新合作区", ["名录主要数据", "深圳园区", "香港园区", "合作项目"]),
        "facility-list": ("设施", ["筛选", "排序方式", "条结果", "类型", "状态"]),
        "project-list": ("合作项目", ["筛选", "排序方式", "跨境"]),
        "organisation-list": ("机构", ["筛选", "法域"]),
        "facility-detail": (None, ["名称", "类型", "位置", "建筑面积", "平方米", "来源"]),
        "project-detail": (None, ["标题", "状态", "参与方", "资金", "来源"]),
        "organisation-detail": (None, ["名称", "类型", "法域", "来源"]),
        "statistics": ("名录数据一览", ["合计", "合作项目", "设施", "资金"]),
        "collaboration": ("两岸：谁与谁跨河合作", ["深圳方", "香港方", "共同项目"]),
        "data": ("开放数据", ["校验和", "最新数据包的文件", "许可协议"]),
        "not-found": ("页面未找到", ["搜索设施"]),
        "gone": ("此记录已撤回", []),
        "bad-request": ("无法显示此列表", []),
    },
    "zh-hant": {
        "home": ("河套深港科技創新合作區", ["名錄主要數據", "深圳園區", "香港園區", "合作項目"]),
        "facility-list": ("設施", ["篩選", "排序方式", "項結果", "類型", "狀態"]),
        "project-list": ("合作項目", ["篩選", "排序方式", "跨境"]),
        "organisation-list": ("機構", ["篩選", "法域"]),
        "facility-detail": (None, ["名稱", "類型", "位置", "建築面積", "平方米", "來源"]),
        "project-detail": (None, ["標題", "狀態", "參與方", "資金", "來源"]),
        "organisation-detail": (None, ["名稱", "類型", "法域", "來源"]),
        "statistics": ("名錄數據一覽", ["合計", "合作項目", "設施", "資金"]),
        "collaboration": ("兩岸：誰與誰跨河合作", ["深圳方", "香港方", "共同項目"]),
        "data": ("開放數據", ["校驗和", "最新數據包的檔案", "授權條款"]),
        "not-found": ("找不到頁面", ["搜尋設施"]),
        "gone": ("此記錄已撤回", []),
        "bad-request": ("無法顯示此列表", []),
    },
}
STATUS = {"not-found": 404, "gone": 410, "bad-request": 400}
# Attributes a reader hears or sees as text.
SPOKEN_ATTRIBUTES = ("aria-label", "title", "alt", "placeholder")
# Names the xgettext keywords of makemessages know (Django's list plus xgettext's Python ones).
GETTEXT_NAMES = {
    "_",
    "gettext",
    "gettext_lazy",
    "gettext_noop",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "npgettext",
    "npgettext_lazy",
}
TEMPLATIZED_CALL = re.compile(r"\b(n?p?gettext)\(((?:\s*u'(?:[^'\\]|\\.)*'\s*,?)+)")
TEMPLATIZED_STRING = re.compile(r"u'(?:[^'\\]|\\.)*'")


# -- the pages ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pages(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    """The reference and demo data, an open-data dump of it, and a path of each kind of page:
    built once for the module, whose tests only read them."""
    dumps = tmp_path_factory.mktemp("translations") / "dumps"
    with built_for_the_module(django_db_blocker), override_settings(REGISTRY_DUMP_DIR=dumps):
        yield build_pages(dumps)


def build_pages(dumps: Path) -> dict[str, str]:
    call_command("loaddata", "reference", "demo", verbosity=0)
    exports.write_dump(dumps)
    published = {"publication": Publication.PUBLISHED}
    facility = (
        Facility.objects.filter(**published, floor_area_m2__isnull=False).order_by("pk").first()
    )
    project = Project.objects.filter(**published, participations__isnull=False).first()
    organisation = Organisation.objects.filter(
        **published, hosted_facilities__publication=Publication.PUBLISHED
    ).first()
    retracted = Project.objects.filter(publication=Publication.RETRACTED).first()
    assert facility and project and organisation and retracted, "the demo data changed"
    return {
        "home": "",
        "facility-list": "facilities/",
        "project-list": "projects/",
        "organisation-list": "organisations/",
        "facility-detail": f"facilities/{facility.public_id}/",
        "project-detail": f"projects/{project.public_id}/",
        "organisation-detail": f"organisations/{organisation.public_id}/",
        "statistics": "statistics/",
        "collaboration": "collaboration/",
        "data": "data/",
        "not-found": "no-such-page/",
        "gone": f"projects/{retracted.public_id}/",
        "bad-request": "facilities/?no_such_filter=1",
    }


def interface_texts(root: Element, language: str) -> list[str]:
    """The page's text nodes and spoken attributes, except scripts and anything marked as
    written in another language (a record's English name, the language switcher)."""
    texts: list[str] = []

    def walk(element: Element, foreign: bool) -> None:
        if element.tag in ("script", "style"):
            return
        if element.tag != "html" and element.attrs.get("lang"):
            foreign = element.attrs["lang"] != language
        if not foreign:
            texts.extend(
                " ".join(element.attrs[name].split())
                for name in SPOKEN_ATTRIBUTES
                if element.attrs.get(name)
            )
        for child in element.children:
            if isinstance(child, Element):
                walk(child, foreign)
            elif not foreign and child.strip():
                texts.append(" ".join(child.split()))

    walk(root, False)
    return texts


def english_interface(catalogue: polib.POFile) -> list[tuple[str, re.Pattern[str]]]:
    """Each English msgid the catalogue translates differently, as a pattern that finds it as
    whole words in a text node, a word or two only at the start ("Kind", "Verification: 示例"),
    any value standing for a placeholder ("%(area)s m²" finds "2500 m²")."""
    found = []
    for entry in catalogue:
        translations = [entry.msgstr, *entry.msgstr_plural.values()]
        for msgid in filter(None, (entry.msgid, entry.msgid_plural)):
            parts = re.split(r"%\(\w+\)[sdif]|%[sdif]", " ".join(msgid.split()))
            if msgid in translations or not re.search(r"[A-Za-z]", "".join(parts)):
                continue
            pattern = r"\S+".join(re.escape(part) for part in parts)
            if len(parts) == 1 and len(msgid.split()) <= 2:
                pattern = rf"^{pattern}"  # "Kind", "Verification: …", not "… Kind"
            found.append((msgid, re.compile(rf"(?<![\w-]){pattern}(?![\w./-])")))
    return found


def record_texts() -> set[str]:
    """Every line of text the records hold, and the licence of the dump: data, shown as
    written (a record without a name in the reader's script shows its English one)."""
    values = [str(value) for value in exports.LICENCE.values()]
    for model in apps.get_app_config("registry").get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, CharField | TextField):
                values.extend(
                    model.objects.exclude(**{field.name: ""}).values_list(field.name, flat=True)
                )
    return {" ".join(line.split()) for value in values if value for line in str(value).splitlines()}


def english_left(
    texts: list[str], patterns: list[tuple[str, re.Pattern[str]]], data: set[str]
) -> set[str]:
    left = set()
    for text in texts:
        if text in data or text.strip(" —·:()") in data:
            continue
        found = {msgid for msgid, pattern in patterns if pattern.search(text)}
        if found:
            # A label beside a record's words ("原因： …"): take out the records' words, which
            # may well be English, and look again.
            for value in sorted(
                (v for v in data if len(v) > 3 and v in text), key=len, reverse=True
            ):
                text = text.replace(value, "⋯")  # still a value for a placeholder
            left.update(
                msgid for msgid, pattern in patterns if msgid in found and pattern.search(text)
            )
    return left


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_every_public_page_is_in_the_readers_script(client, db, pages, language):
    catalogue = polib.pofile(str(CATALOGUES[LANGUAGES[language]]))
    english = english_interface(catalogue)
    data = record_texts()
    problems: dict[str, Any] = {}

    for name, path in pages.items():
        response = client.get(f"/{language}/{path}")
        assert response.status_code == STATUS.get(name, 200), (name, response.status_code)
        page = parse(response.content)
        heading, labels = EXPECTED[language][name]
        texts = interface_texts(page, language)
        whole = "\n".join(texts)

        if page.find("html").attrs["lang"] != language:
            problems[name, "lang"] = page.find("html").attrs["lang"]
        navigation = [a.text for a in page.find("nav").find_all("a")]
        if navigation != NAVIGATION[language]:
            problems[name, "navigation"] = navigation
        if page.find("p", class_="brand").text != BRAND[language]:
            problems[name, "brand"] = page.find("p", class_="brand").text
        if heading is not None and page.find("h1").text != heading:
            problems[name, "h1"] = page.find("h1").text
        if missing := [label for label in labels if label not in whole]:
            problems[name, "missing"] = missing
        if left := english_left(texts, english, data):
            problems[name, "English left"] = sorted(left)

    assert not problems, pformat(problems, width=100)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("home", {"Key figures from the registry", "%(area)s km²", "Sub-areas"}),
        ("facility-detail", {"Floor area", "%(area)s m²", "Verification:", "Public id"}),
        ("statistics", {"The registry in figures", "Total", "Start year"}),
        ("data", {"Checksums", "Licence", "Please credit: %(attribution)s"}),
    ],
)
def test_the_check_finds_the_english_of_the_english_pages(client, db, pages, name, expected):
    """The same check, run on the English pages, finds their English: it can see it."""
    english = english_interface(polib.pofile(str(CATALOGUES["zh_Hans"])))
    page = parse(client.get(f"/en/{pages[name]}").content)

    left = english_left(interface_texts(page, "en"), english, record_texts())

    assert [a.text for a in page.find("nav").find_all("a")] == NAVIGATION["en"]
    assert {*NAVIGATION["en"], BRAND["en"], *expected} <= left


# -- the strings of the public templates ------------------------------------------------------


def marked_in_public_templates() -> set[tuple[str, str]]:
    """(msgid, msgid_plural) of every {% translate %} and {% blocktranslate %} of the public
    pages, read the way makemessages reads them (``{{ counter }}`` becomes ``%(counter)s``)."""
    found = set()
    for template in PUBLIC_TEMPLATES:
        python = templatize(template.read_text(encoding="utf-8"), origin=str(template))
        for call in TEMPLATIZED_CALL.finditer(python):
            strings = [ast.literal_eval(s) for s in TEMPLATIZED_STRING.findall(call.group(2))]
            if call.group(1) in ("pgettext", "npgettext"):
                strings = strings[1:]  # the context
            plural = strings[1] if call.group(1) in ("ngettext", "npgettext") else ""
            found.add((strings[0], plural))
    return found


def test_the_template_scan_sees_translate_blocktranslate_and_plurals():
    marked = marked_in_public_templates()

    assert ("Skip to content", "") in marked  # {% translate %}, in base.html
    assert ("%(area)s km²", "") in marked  # {% blocktranslate with %}, in home.html
    assert ("%(counter)s result", "%(counter)s results") in marked  # count ... plural
    assert ("Page not found", "") in marked  # 404.html


@pytest.mark.parametrize("language", sorted(CATALOGUES))
def test_every_string_of_the_public_templates_is_translated_with_its_placeholders(language):
    catalogue = polib.pofile(str(CATALOGUES[language]))
    problems = {}

    for msgid, plural in sorted(marked_in_public_templates()):
        entry = catalogue.find(msgid)
        if entry is None or entry.obsolete:
            problems[msgid] = "missing: run makemessages"
        elif "fuzzy" in entry.flags:
            problems[msgid] = "fuzzy"
        elif entry.msgid_plural != plural:
            problems[msgid] = f"plural {entry.msgid_plural!r}, the template says {plural!r}"
        else:
            translations = list(entry.msgstr_plural.values()) if plural else [entry.msgstr]
            if not all(translations):
                problems[msgid] = "untranslated"
            elif any(placeholders(text) != placeholders(msgid) for text in translations):
                problems[msgid] = f"placeholders differ: {translations}"

    assert not problems, pformat(problems, width=100)


# -- gettext under names makemessages knows ---------------------------------------------------


def test_gettext_is_imported_only_under_names_makemessages_collects():
    """``gettext_lazy as _lazy`` works at run time, but makemessages never collects its strings,
    so they stay English in every language."""
    wrong = []
    for source in [*(ROOT / "registry").rglob("*.py"), *(ROOT / "hetao").rglob("*.py")]:
        if "migrations" in source.parts:
            continue
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
                for alias in node.names:
                    if alias.name in GETTEXT_NAMES and (alias.asname or alias.name) not in {
                        alias.name,
                        "_",
                    }:
                        wrong.append(f"{source.relative_to(ROOT)}: {alias.name} as {alias.asname}")
                    if alias.asname == "_" and "ngettext" in alias.name:
                        wrong.append(f"{source.relative_to(ROOT)}: {alias.name} as _ (no plural)")

    assert wrong == []
