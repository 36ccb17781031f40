"""Build the POST a browser would send from an admin change (or add) form the test just GOT.

``change_form_data(response)`` reads ``response.context["adminform"].form`` and every inline
formset in ``response.context["inline_admin_formsets"]`` and returns a dict for ``client.post``:
each field's current value in the format its widget posts (JSON text for JSON fields,
``name_0``/``name_1`` for split date-times and for each source address, a list for multiple
choices, nothing for an unticked checkbox), the hidden ``expected_version`` exactly as the form
gave it, and the management form of each inline formset with its prefix.
"""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

from django import forms
from django.http import HttpResponse

from registry.admin.sources import SourcesWidget, as_list


def change_form_data(response: HttpResponse, **changes: Any) -> dict[str, Any]:
    """The admin form in ``response`` as POST data, with ``changes`` (field name → value as
    it would be posted) applied on top."""
    context = response.context
    data: dict[str, Any] = {}
    data.update(form_data(context["adminform"].form))
    for inline in context.get("inline_admin_formsets") or []:
        data.update(formset_data(inline.formset))
    data.update(changes)
    return data


def browser_form_data(response: HttpResponse, **changes: Any) -> dict[str, Any]:
    """Like ``change_form_data``, but only the fields the page really renders: what a browser
    would post. A field the form has but the template leaves out is not sent."""
    rendered = rendered_field_names(response.content.decode())
    data = change_form_data(response, **changes)
    return {name: value for name, value in data.items() if name in rendered}


class _FieldNames(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        name = dict(attrs).get("name")
        if tag in ("input", "select", "textarea") and name:
            self.names.add(name)


def rendered_field_names(html: str) -> set[str]:
    """The names of every input, select and textarea in ``html``."""
    parser = _FieldNames()
    parser.feed(html)
    return parser.names


def formset_data(formset: forms.BaseFormSet) -> dict[str, Any]:
    """The management form of ``formset`` (with its prefix) and the values of its forms."""
    data = form_data(formset.management_form)
    for form in formset.forms:
        data.update(form_data(form))
    return data


def form_data(form: forms.BaseForm) -> dict[str, Any]:
    """Each field of ``form`` under its HTML name, as a browser would post it."""
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        bound = form[name]
        value = bound.value()
        widget = field.widget
        if isinstance(widget, forms.MultiWidget):
            parts = value if isinstance(value, list | tuple) else widget.decompress(value)
            for suffix, part in zip(widget.widgets_names, parts, strict=True):
                data[f"{bound.html_name}{suffix}"] = as_posted(part)
            continue
        if isinstance(widget, SourcesWidget):
            # One field per address, as the page renders them (the empty ones post "").
            for index, url in enumerate(as_list(value)):
                data[f"{bound.html_name}_{index}"] = url
            continue
        if isinstance(field, forms.BooleanField):
            if value:
                data[bound.html_name] = "on"
            continue  # an unticked checkbox is not posted at all
        if isinstance(field, forms.JSONField):
            # BoundField.value() already gives JSON text; a raw Python value is encoded here.
            data[bound.html_name] = value if isinstance(value, str) else json.dumps(value)
            continue
        if isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField):
            # Posted once per chosen value; nothing at all when none is chosen.
            data[bound.html_name] = [as_posted(item) for item in value or []]
            continue
        data[bound.html_name] = as_posted(value)
    return data


def as_posted(value: Any) -> str:
    """One value as the text a browser posts for it."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, Decimal):
        return format(value, "f")
    if hasattr(value, "pk"):
        return str(value.pk)
    return str(value)
