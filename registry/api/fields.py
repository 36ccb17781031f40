"""Serializer fields for the API's shapes: three scripts as one object, brief related records,
provenance as one object, public ids and codes as references."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import Model, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.relations import MANY_RELATION_KWARGS

from registry import access, identifiers
from registry.models import CuratedRecord, Verification
from registry.models.base import validate_source_urls
from registry.resources import label_text
from registry.scripts import SCRIPTS, by_key, derived_keys

# What str.strip() removes, so that the schema and the API agree on "blank" (JSON Schema's
# \s differs from Python's: it lacks \x1c-\x1f and \x85, and has \ufeff).
NOT_BLANK_PATTERN = (
    "[^\\t\\n\\v\\f\\r \\x1c-\\x1f\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029"
    "\\u202f\\u205f\\u3000]"
)
# Web addresses the API takes (sources, websites): http(s), a host name with a top-level
# domain (or an IPv4 address), an optional port and a path without spaces: a subset of what
# Django's URLValidator accepts, so the schema and the API say the same.
_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_HOST = (
    r"(([A-Za-z0-9]([A-Za-z0-9-]{0,30}[A-Za-z0-9])?\.){1,5}[A-Za-z]{2,24}"
    rf"|{_OCTET}(\.{_OCTET}){{3}})"
)
URL_BODY = rf"https?://{_HOST}(:[0-9]{{1,5}})?([/?#]{NOT_BLANK_PATTERN}*)?"
URL_PATTERN = rf"^{URL_BODY}$"
_URL_RE = re.compile(URL_BODY)


def is_web_address(value: Any) -> bool:
    return isinstance(value, str) and _URL_RE.fullmatch(value) is not None


# Coordinates in range, with at most six decimals.
DECIMAL_PATTERNS = {
    "latitude": r"^-?(90(\.0{1,6})?|[1-8]?[0-9](\.[0-9]{1,6})?)$",
    "longitude": r"^-?(180(\.0{1,6})?|(1[0-7][0-9]|[1-9]?[0-9])(\.[0-9]{1,6})?)$",
}

TRILINGUAL_SCHEMA = {
    "type": "object",
    "properties": {key: {"type": "string", "maxLength": 400} for key, _ in SCRIPTS},
    "additionalProperties": False,
}


def texts(*names: str) -> dict[str, dict[str, str]]:
    """JSON Schema properties that are each a string."""
    return {name: {"type": "string"} for name in names}


def an_object(**properties: dict[str, Any]) -> dict[str, Any]:
    """The JSON Schema of an object with these properties."""
    return {"type": "object", "properties": properties}


BRIEF_SCHEMA = {
    "type": "object",
    "properties": texts("id", "name"),
    "required": ["id", "name"],
}
NULLABLE_BRIEF_SCHEMA = {**BRIEF_SCHEMA, "nullable": True}


def lang_of(context: dict[str, Any]) -> str | None:
    return context.get("lang")


def brief(obj: Model | None, context: dict[str, Any]) -> dict[str, str] | None:
    """``{"id", "name"}`` for a related record (public id) or reference item (code); None for
    a record the asker may not see (``access.shown``), so a published record never leaks an
    unpublished one's name. No query: visibility is read from the loaded record."""
    if isinstance(obj, CuratedRecord):
        obj = access.shown(getattr(context.get("request"), "user", None), obj)
    if obj is None:
        return None
    identifier = getattr(obj, "public_id", None) or getattr(obj, "code", str(obj.pk))
    return {"id": identifier, "name": obj.display_name(lang_of(context))}


@extend_schema_field(BRIEF_SCHEMA)
class BriefField(serializers.Field):
    """A related record or reference item, read-only, as ``{"id", "name"}`` (see ``brief``)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value: Model) -> dict[str, str] | None:
        return brief(value, self.context)


@extend_schema_field(NULLABLE_BRIEF_SCHEMA)
class OptionalBriefField(BriefField):
    """A related record or reference item that may be missing (null)."""


class UTCDateTimeField(serializers.DateTimeField):
    """A date-time as the whole API and its dumps write one: UTC, ISO 8601, ending in "Z"
    (DRF would write the registry's own zone, +08:00)."""

    def default_timezone(self) -> datetime.tzinfo:
        return datetime.UTC


class TrilingualField(serializers.Field):
    """``{"en", "zh-Hans", "zh-Hant"}`` over the model's ``<stem>_en/_zh_hans/_zh_hant``;
    a write may send some of the keys (a PATCH changes only those)."""

    def __init__(self, stem: str, max_length: int = 400, **kwargs: Any) -> None:
        self.stem = stem
        self.max_length = max_length
        kwargs["source"] = "*"
        super().__init__(**kwargs)

    def to_representation(self, instance: Model) -> dict[str, str]:
        return by_key(instance, self.stem)

    def reset_values(self) -> dict[str, str]:
        """What a PUT that leaves the field (or a script of it) out stores: no text."""
        return {f"{self.stem}_{suffix}": "" for _key, suffix in SCRIPTS}

    def to_internal_value(self, data: Any) -> dict[str, str]:
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                _('Send an object such as {"en": "…", "zh-Hans": "…", "zh-Hant": "…"}.')
            )
        allowed = dict(SCRIPTS)
        unknown = sorted(set(data) - set(allowed))
        if unknown:
            raise serializers.ValidationError(
                _("Unknown script keys: %(keys)s (use en, zh-Hans, zh-Hant).")
                % {"keys": ", ".join(unknown)}
            )
        values = {}
        for key, value in data.items():
            if not isinstance(value, str):
                raise serializers.ValidationError(_("%(key)s must be a text.") % {"key": key})
            if "\x00" in value:
                raise serializers.ValidationError(
                    _("%(key)s contains a NUL character.") % {"key": key}
                )
            if len(value) > self.max_length:
                raise serializers.ValidationError(
                    _("%(key)s is longer than %(n)d characters.")
                    % {"key": key, "n": self.max_length}
                )
            values[f"{self.stem}_{allowed[key]}"] = value.strip()
        if not getattr(self.root, "partial", False):
            # A POST or PUT sends the whole text: a script it leaves out has none.
            values = {**self.reset_values(), **values}
        return values


@extend_schema_field(
    {
        "type": "object",
        "properties": {
            "sources": {
                "type": "array",
                "items": {"type": "string", "pattern": URL_PATTERN, "maxLength": 2000},
            },
            "verification": {"type": "string", "enum": Verification.values, "readOnly": True},
            "as_of": {"type": "string", "format": "date", "nullable": True},
            "derived": {
                "type": "array",
                "readOnly": True,
                "description": (
                    "Texts a machine derived and no curator has confirmed yet: "
                    '"names.zh-Hant" is a Traditional Chinese name converted from the '
                    "Simplified one with OpenCC (Hong Kong standard)."
                ),
                "items": {
                    "type": "string",
                    "enum": [
                        f"{text}.{key}"
                        for text in ("names", "titles")
                        for key in ("zh-Hans", "zh-Hant")
                    ],
                },
            },
        },
        "additionalProperties": False,
    }
)
class ProvenanceField(serializers.Field):
    """``{"sources", "verification", "as_of", "derived"}``. Partners set the sources and date;
    the verification level is the curators' judgement and ``derived`` the registry's record of
    what OpenCC wrote: neither is ever taken from a partner (a record sent back as it was read
    is accepted, those two keys ignored)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["source"] = "*"
        super().__init__(**kwargs)

    def to_representation(self, instance: Model) -> dict[str, Any]:
        return {
            "sources": instance.sources,
            "verification": instance.verification,
            "as_of": instance.as_of.isoformat() if instance.as_of else None,
            "derived": derived_keys(label, instance.derived_script)
            if (label := label_text(type(instance)))
            else [],
        }

    def reset_values(self) -> dict[str, Any]:
        """What a PUT that leaves the provenance (or part of it) out stores."""
        return {"sources": [], "as_of": None}

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise serializers.ValidationError(_("Send an object with sources and as_of."))
        unknown = sorted(set(data) - {"sources", "verification", "as_of", "derived"})
        if unknown:
            raise serializers.ValidationError(
                _("Unknown provenance keys: %(keys)s.") % {"keys": ", ".join(unknown)}
            )
        values: dict[str, Any] = {}
        if "sources" in data:
            sources = data["sources"]
            if isinstance(sources, list) and not all(
                is_web_address(url) and len(url) <= 2000 for url in sources
            ):
                raise serializers.ValidationError(
                    {"sources": [_("Every source is an http(s) address such as https://…")]}
                )
            try:
                validate_source_urls(data["sources"])
            except Exception as error:  # Django's ValidationError → DRF's
                raise serializers.ValidationError(
                    {"sources": list(getattr(error, "messages", [str(error)]))}
                ) from None
            values["sources"] = data["sources"]
        if "as_of" in data:
            values["as_of"] = serializers.DateField(allow_null=True).run_validation(data["as_of"])
        if not getattr(self.root, "partial", False):
            values = {**self.reset_values(), **values}  # a PUT sends the whole provenance
        return values


class StrictManyRelatedField(serializers.ManyRelatedField):
    """A JSON list of references; DRF would take any iterable (an object as its keys)."""

    def to_internal_value(self, data: Any) -> list:
        if not isinstance(data, list):
            self.fail("not_a_list", input_type=type(data).__name__)
        return super().to_internal_value(data)


class ListedRelatedField(serializers.RelatedField):
    """A related item shown brief; ``many=True`` makes a strict JSON list of them (whose
    curated records are those the asker may see: access.readable restricts the prefetch)."""

    def __init__(self, model: type[Model], **kwargs: Any) -> None:
        self.model = model
        kwargs.setdefault("queryset", model.objects.all())
        super().__init__(**kwargs)

    @classmethod
    def many_init(cls, *args: Any, **kwargs: Any) -> StrictManyRelatedField:
        child_kwargs = {k: v for k, v in kwargs.items() if k not in MANY_RELATION_KWARGS}
        list_kwargs = {k: v for k, v in kwargs.items() if k in MANY_RELATION_KWARGS}
        list_kwargs["child_relation"] = cls(*args, **child_kwargs)
        return StrictManyRelatedField(**list_kwargs)

    def to_representation(self, value: Model) -> dict[str, str] | None:
        return brief(value, self.context)

    def get_choices(self, cutoff: int | None = None) -> dict:
        return {}  # never list every record (the browsable API would)

    blank_message: Any = ""

    def run_validation(self, data: Any = serializers.empty) -> Any:
        if data == "":  # DRF reads "" as null; the schema (and this API) does not
            raise serializers.ValidationError(self.blank_message)
        return super().run_validation(data)


class ReferenceField(ListedRelatedField):
    """A related curated record: shown brief, written as its public id (or ``{"id": …}``).
    Only records the writer may see can be referred to; anything else is "not found"."""

    blank_message = _("Give a public id, or null for none.")

    def to_internal_value(self, data: Any) -> Model:
        value = data.get("id") if isinstance(data, dict) else data
        if not isinstance(value, str) or not identifiers.is_valid(
            value, self.model.PUBLIC_ID_PREFIX
        ):
            raise serializers.ValidationError(
                _("Give a %(prefix)s- public id.") % {"prefix": self.model.PUBLIC_ID_PREFIX}
            )
        user = self.context["request"].user
        found = access.visible(self.get_queryset(), user).by_public_id(value).first()
        if found is None:
            raise serializers.ValidationError(
                _("No %(kind)s has the id %(id)s.")
                % {"kind": self.model._meta.verbose_name, "id": value}
            )
        return found


class CodeField(ListedRelatedField):
    """A reference item (field, priority area, sub-area) by code."""

    blank_message = _("Give a code, or null for none.")

    def to_internal_value(self, data: Any) -> Model:
        value = data.get("id") if isinstance(data, dict) else data
        if not isinstance(value, str):
            raise serializers.ValidationError(_("Give a code."))
        queryset: QuerySet = self.get_queryset()
        found = queryset.filter(code=value).first()
        if found is None:
            raise serializers.ValidationError(
                _("No %(kind)s has the code %(code)s.")
                % {"kind": self.model._meta.verbose_name, "code": value[:40]}
            )
        return found


def decimal_pattern(model_field: models.DecimalField) -> str:
    """Plain digits (no exponent, no lone sign or point) within the model's digits; a minus
    only where the model allows negative values."""
    if model_field.name in DECIMAL_PATTERNS:
        return DECIMAL_PATTERNS[model_field.name]
    whole = model_field.max_digits - model_field.decimal_places
    signed = not any(
        constraint.name.endswith(f"_{model_field.name}_not_negative")
        for constraint in model_field.model._meta.constraints
    )
    places = model_field.decimal_places
    fraction = rf"(\.[0-9]{{1,{places}}})?" if places else ""
    return rf"^{'-?' if signed else ''}[0-9]{{1,{whole}}}{fraction}$"


class StrictCharField(serializers.CharField):
    """Text must be a JSON string: DRF would also take 0 or 1.5 and store "0"."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictDecimalField(serializers.DecimalField):
    """A decimal sent as a string of plain digits that the schema's pattern describes
    exactly: "12.5" or "-3" (where negatives make sense), never 1e3, "9.", "-" or 12.5."""

    def __init__(self, *args: Any, pattern: str, **kwargs: Any) -> None:
        self.pattern = pattern
        self._regex = re.compile(pattern)
        super().__init__(*args, **kwargs)

    def to_internal_value(self, data: Any) -> Decimal:
        if not isinstance(data, str) or not self._regex.fullmatch(data):
            raise serializers.ValidationError(
                _('Give a number as a string of digits such as "12.5", within range.')
            )
        return super().to_internal_value(data)


__all__ = [
    "CodeField",
    "OpenApiTypes",
    "ProvenanceField",
    "ReferenceField",
    "StrictCharField",
    "StrictDecimalField",
    "TrilingualField",
]
