"""The three scripts the registry writes in, named once for every face.

Every trilingual text is stored as three model fields, ``<stem>_en``, ``<stem>_zh_hans`` and
``<stem>_zh_hant`` (``name``, ``title``, ``description``, ``summary``). The API and the dumps
show them as one object keyed by BCP 47 tags (``{"en", "zh-Hans", "zh-Hant"}``); Django's
languages are ``en``, ``zh-hans`` and ``zh-hant``. This module is the one table of the three.
"""

from __future__ import annotations

from typing import Any

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
