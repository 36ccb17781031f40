"""JSON bodies, refusing text that is not Unicode (lone surrogates such as "\\ud800" parse as
JSON but cannot be stored), so such a body is a 400 naming the field, never a 500."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser


def _bad_text_at(value: Any, path: str = "") -> str | None:
    """The path of the first text that cannot be encoded as UTF-8, else None."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path or "non_field_errors"
        return None
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, item in items:
        if isinstance(key, str) and _bad_text_at(key) is not None:
            return path or "non_field_errors"
        found = _bad_text_at(item, path or str(key))
        if found is not None:
            return found
    return None


class StrictJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        field = _bad_text_at(data)
        if field is not None:
            raise ValidationError({field: [_("This text is not valid Unicode.")]})
        return data
