"""A record's sources edited as a list of web addresses, one field per address, not as JSON.

Each stored address gets its own field, plus two empty ones for new addresses (save, and two
more appear); emptying a field removes that address. Every address is checked as a web
address before the record's own validation runs, and a bad one is named.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

EXTRA_ROWS = 2
web_address = URLValidator(schemes=["http", "https"])


class SourcesWidget(forms.Widget):
    template_name = "admin/registry/widgets/sources.html"

    def get_context(self, name: str, value: Any, attrs: dict | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        urls = value if isinstance(value, list) else as_list(value)
        base_id = context["widget"]["attrs"].get("id", f"id_{name}")
        context["widget"]["rows"] = [
            {
                "name": f"{name}_{index}",
                "id": f"{base_id}_{index}",
                "value": url,
                "number": index + 1,
            }
            for index, url in enumerate([*urls, *[""] * EXTRA_ROWS])
        ]
        return context

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        rows = sorted(
            (key for key in data if re.fullmatch(rf"{re.escape(name)}_\d+", key)),
            key=lambda key: int(key.rsplit("_", 1)[1]),
        )
        if not rows:
            return data.get(name)  # a client that posts the list as JSON text
        return [data.get(key, "") for key in rows]

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return name not in data and not any(key.startswith(f"{name}_") for key in data)


def as_list(value: Any) -> list[str]:
    """The addresses in a stored or posted value: a list, JSON text of one, or nothing."""
    if value in (None, ""):
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return [value]
    return [str(item) for item in value] if isinstance(value, list) else [str(value)]


class SourcesField(forms.Field):
    widget = SourcesWidget
    default_error_messages = {
        "invalid_url": _("“%(value)s” is not a web address (https://…)."),
    }

    def to_python(self, value: Any) -> list[str]:
        urls: list[str] = []
        for url in (item.strip() for item in as_list(value)):
            if url and url not in urls:
                urls.append(url)
        return urls

    def validate(self, value: list[str]) -> None:
        super().validate(value)
        errors = []
        for url in value:
            try:
                web_address(url)
            except ValidationError:
                errors.append(
                    ValidationError(
                        self.error_messages["invalid_url"],
                        code="invalid_url",
                        params={"value": url},
                    )
                )
        if errors:
            raise ValidationError(errors)

    def has_changed(self, initial: Any, data: Any) -> bool:
        return as_list(initial) != self.to_python(data)
