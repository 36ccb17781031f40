"""Template helpers for the public pages."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import translate_url
from django.utils.translation import get_language

from registry import scripts

register = template.Library()


@register.simple_tag(takes_context=True)
def translated_url(context: dict[str, Any], language: str) -> str:
    """This page in another language, with its query string kept."""
    request = context["request"]
    url = translate_url(request.path, language)
    current = f"/{get_language()}/"
    if url == request.path and request.path.startswith(current):
        # translate_url leaves an address it cannot resolve (the 404 page) as it is: swap the
        # language prefix, so that the reader still lands on the page in their language.
        url = f"/{language}/{request.path.removeprefix(current)}"
    query = request.META.get("QUERY_STRING", "")
    return f"{url}?{query}" if query else url


@register.filter
def shown(record: Any, stem: str = "name") -> str:
    """A record's text in the page's language, with the display fallback of registry/scripts.py."""
    return scripts.localised(record, stem, get_language())


@register.filter
def in_scripts(record: Any, stem: str = "name") -> list[tuple[str, str]]:
    """The record's text in each script it has, as (language, text): none is shown missing."""
    texts = (
        (lang, getattr(record, name))
        for lang, name in zip(scripts.LANGUAGES, scripts.field_names(stem), strict=True)
    )
    return [(lang, text) for lang, text in texts if text]


@register.simple_tag(takes_context=True)
def toggle(context: dict[str, Any], parameter: str, value: str) -> str:
    """The current listing URL with ``parameter=value`` added or removed (page reset)."""
    query = context["request"].GET.copy()
    query.pop("page", None)
    values = query.getlist(parameter)
    if value in values:
        values.remove(value)
    else:
        values.append(value)
    query.setlist(parameter, values)
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"
