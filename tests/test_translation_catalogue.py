"""Every interface string marked for translation is in both catalogues: a string added to a
template or to the code without running ``makemessages`` (and translating it) fails here, and
the public pages then speak the reader's script, not English."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import polib
import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
CATALOGUES = {
    lang: ROOT / "locale" / lang / "LC_MESSAGES" / "django.po" for lang in ("zh_Hans", "zh_Hant")
}
TRANSLATE_TAG = re.compile(r"""{%\s*(?:translate|trans)\s+(["'])(.+?)\1(?:\s+[^%]*)?%}""")
GETTEXT_NAMES = {"_", "gettext", "gettext_lazy", "pgettext", "pgettext_lazy", "ngettext"}


def marked_in_templates() -> set[str]:
    found = set()
    for template in (ROOT / "registry" / "templates").rglob("*.html"):
        found.update(match.group(2) for match in TRANSLATE_TAG.finditer(template.read_text()))
    return found


def marked_in_code() -> set[str]:
    """First string arguments of gettext calls in the project's Python code."""
    found = set()
    for source in [*(ROOT / "registry").rglob("*.py"), *(ROOT / "hetao").rglob("*.py")]:
        if "migrations" in source.parts:
            continue
        for node in ast.walk(ast.parse(source.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in GETTEXT_NAMES
                and node.args
            ):
                index = 1 if node.func.id.startswith("pgettext") else 0
                argument = node.args[index] if len(node.args) > index else None
                if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                    found.add(argument.value)
    return found


def test_the_scan_finds_the_strings_of_the_public_pages_and_the_api():
    """The scan itself works: it sees strings known to be marked in each kind of file."""
    assert "Skip to content" in marked_in_templates()
    assert "Give a value, or leave the parameter out." in marked_in_code()


@pytest.mark.parametrize("lang", CATALOGUES)
def test_every_marked_string_is_in_the_catalogue_and_translated(lang):
    catalogue = polib.pofile(str(CATALOGUES[lang]))
    translated = {
        entry.msgid
        for entry in catalogue
        if (entry.msgstr or any(entry.msgstr_plural.values())) and "fuzzy" not in entry.flags
    }

    missing = sorted((marked_in_templates() | marked_in_code()) - translated)

    assert missing == [], f"run `make messages` after makemessages and translate: {missing}"
