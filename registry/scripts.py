"""The three scripts the registry writes in, named once for every face.

Every trilingual text is stored as three model fields, ``<stem>_en``, ``<stem>_zh_hans`` and
``<stem>_zh_hant`` (``name``, ``title``, ``description``, ``summary``). The API and the dumps
show them as one object keyed by BCP 47 tags (``{"en", "zh-Hans", "zh-Hant"}``); Django's
languages are ``en``, ``zh-hans`` and ``zh-hant``. This module is the one table of the three.

A record's name (or title) given in one Chinese script only gets the other from OpenCC (Hong
Kong standard for 繁體), stored like any text and flagged as derived (``derived_script``) until
a curator confirms or overrides it: see ``derive_label``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import opencc
from django.utils.translation import get_language

# (key in the API and the dumps, suffix of the model fields), in the order they are shown.
SCRIPTS: tuple[tuple[str, str], ...] = (
    ("en", "en"),
    ("zh-Hans", "zh_hans"),
    ("zh-Hant", "zh_hant"),
)
SUFFIXES: tuple[str, ...] = tuple(suffix for _key, suffix in SCRIPTS)
KEYS: tuple[str, ...] = tuple(key for key, _suffix in SCRIPTS)
# Django's language codes, in the same order (the public pages' and the API's ``?lang=``).
LANGUAGES: tuple[str, ...] = ("en", "zh-hans", "zh-hant")
LANGUAGE_SUFFIX: dict[str, str] = dict(zip(LANGUAGES, SUFFIXES, strict=True))
SUFFIX_LANGUAGE: dict[str, str] = dict(zip(SUFFIXES, LANGUAGES, strict=True))
# Display fallback for a text missing in the requested script: English, then 繁體, then 简体.
FALLBACK_ORDER: tuple[str, ...] = ("en", "zh_hant", "zh_hans")


def field_names(stem: str) -> tuple[str, ...]:
    """The model fields of one trilingual text: ``("name_en", "name_zh_hans", …)``."""
    return tuple(f"{stem}_{suffix}" for suffix in SUFFIXES)


def language_suffix(lang: str | None) -> str:
    """Map a Django language code (``zh-hant``, ``zh-hk``…) to a field suffix."""
    lang = (lang or get_language() or "en").lower()
    if lang in LANGUAGE_SUFFIX:
        return LANGUAGE_SUFFIX[lang]
    if lang.startswith("zh"):
        traditional = ("hant", "tw", "hk", "mo")
        return "zh_hant" if any(tag in lang for tag in traditional) else "zh_hans"
    return "en"


def localised(instance: Any, stem: str, lang: str | None = None) -> str:
    """The ``stem`` text (``name``, ``title``…) in ``lang``, else the first of FALLBACK_ORDER
    that is not blank. ``instance`` is a model or anything with the three attributes."""
    wanted = language_suffix(lang)
    for suffix in (wanted, *FALLBACK_ORDER):
        value = getattr(instance, f"{stem}_{suffix}", "")
        if value:
            return value
    return ""


def by_key(instance: Any, stem: str, *, skip_blank: bool = False) -> dict[str, str]:
    """``{"en": …, "zh-Hans": …, "zh-Hant": …}`` of one text (without blanks if asked)."""
    texts = {key: getattr(instance, f"{stem}_{suffix}") for key, suffix in SCRIPTS}
    return {key: text for key, text in texts.items() if text} if skip_blank else texts


def from_keys(texts: dict[str, Any] | None, stem: str) -> dict[str, str]:
    """Model field values from a ``{"en", "zh-Hans", "zh-Hant"}`` object (a missing or empty
    script is blank)."""
    texts = texts or {}
    return {f"{stem}_{suffix}": texts.get(key) or "" for key, suffix in SCRIPTS}


# -- the other Chinese script, derived --------------------------------------------------------
# Suffix of the derived text -> (suffix of the text it is converted from, OpenCC configuration).
DERIVATIONS: dict[str, tuple[str, str]] = {
    "zh_hant": ("zh_hans", "s2hk"),  # Traditional in Hong Kong's standard (台, 綫, 着…)
    "zh_hans": ("zh_hant", "hk2s"),
}


@cache
def converter(config: str) -> opencc.OpenCC:
    """One OpenCC converter per configuration (``s2hk``, ``t2s``…), built once: loading its
    dictionaries is slow."""
    return opencc.OpenCC(config)


def derived_text(source: str, suffix: str) -> str:
    """The text in script ``suffix`` (``zh_hant`` or ``zh_hans``) converted from ``source``."""
    return converter(DERIVATIONS[suffix][1]).convert(source) if source else ""


def derive_label(
    texts: dict[str, str], derived: str, loaded: dict[str, str] | None
) -> tuple[dict[str, str], str]:
    """The two Chinese texts of a label and which of them is derived, after a write.

    ``texts`` is ``{"zh_hans": …, "zh_hant": …}`` as the write leaves them, ``derived`` the
    suffix flagged as derived before it (blank: none), ``loaded`` the texts as stored before the
    write (None for a new record). Rules:

    - a derived text someone has written over (it no longer equals the conversion of its
      source, and it is not what was stored) is theirs: no longer derived;
    - a derived text whose source changed follows it;
    - a text missing while the other is given is derived from it;
    - with no Chinese text at all, nothing is derived.
    """
    texts = dict(texts)
    if derived:
        source_suffix = DERIVATIONS[derived][0]
        converted = derived_text(texts[source_suffix], derived)
        value = texts[derived]
        untouched = loaded is not None and value == loaded.get(derived)
        if not texts[source_suffix]:
            derived = ""  # its source is gone: what is left stands on its own (or is blank)
        elif value != converted:
            if untouched or not value:
                texts[derived] = converted  # the source changed: the derived text follows
            else:
                derived = ""  # written over: a person's text now
    if not derived:
        for suffix, (source_suffix, _config) in DERIVATIONS.items():
            if not texts[suffix] and texts[source_suffix]:
                texts[suffix] = derived_text(texts[source_suffix], suffix)
                derived = suffix
                break
    return texts, derived


def derived_keys(api_name: str, derived: str) -> list[str]:
    """The API's mark of a derived text: ``["names.zh-Hant"]`` (empty when none is)."""
    keys = dict((suffix, key) for key, suffix in SCRIPTS)
    return [f"{api_name}.{keys[derived]}"] if derived else []


def derived_script(keys: list[str] | None) -> str:
    """The suffix ``derived_keys`` wrote as ``["names.zh-Hant"]`` (blank for none)."""
    suffixes = dict(SCRIPTS)
    for key in keys or []:
        suffix = suffixes.get(key.rpartition(".")[2], "")
        if suffix in DERIVATIONS:
            return suffix
    return ""
