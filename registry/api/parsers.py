"""JSON bodies, refusing what parses but cannot be stored or walked, so such a body is a 400,
never a 500: text that is not Unicode (lone surrogates such as "\\ud800"), naming the field, and
nesting deeper than any record has (a body nested a thousand deep would exhaust the stack)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError, ValidationError
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


# A record's deepest value is a list of objects holding an object (participants' names):
# three levels. Twenty leaves room for any future shape and none for a stack attack.
MAX_DEPTH = 20


def _too_deep(value: Any, depth: int = 0) -> bool:
    """Whether ``value`` nests lists or objects more than MAX_DEPTH deep (iteratively: the
    check itself must not recurse on a hostile body)."""
    stack = [(value, depth)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            if level >= MAX_DEPTH:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)
    return False


class StrictJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            data = None
            deep = True
        else:
            deep = _too_deep(data)
        if deep:
            raise ParseError(
                _("The JSON body nests deeper than %(depth)d levels.") % {"depth": MAX_DEPTH}
            )
        field = _bad_text_at(data)
        if field is not None:
            raise ValidationError({field: [_("This text is not valid Unicode.")]})
        return data
