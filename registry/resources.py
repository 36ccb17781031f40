"""Each curated resource's fields, named once, in the order the API shows them: the API's
serializers, the open-data dumps and the tabular importers take their field lists from here, so
that they agree on what a record is.

Names are the API's: a trilingual text is one name (``names``, ``titles``, ``summaries``,
``descriptions``) for its three model fields (``registry/scripts.py``); the others are model
fields and relations. Every resource shows its own fields between those every curated record
shares.
"""

from __future__ import annotations

from django.db import models

from registry.models import CuratedRecord

SHARED_HEAD: tuple[str, ...] = ("id", "url", "name")
SHARED_TAIL: tuple[str, ...] = (
    "publication",
    "curating_section",
    "owner",
    "provenance",
    "version",
    "created_at",
    "updated_at",
)
# The API name of each trilingual text, and the stem of its model fields.
TEXTS: dict[str, str] = {
    "names": "name",
    "titles": "title",
    "summaries": "summary",
    "descriptions": "description",
}


def label_text(model: type[CuratedRecord]) -> str:
    """The API name of the text a record is known by (``names``, ``titles``) when its missing
    Chinese script is derived (``scripts.derive_label``); blank for records without one."""
    if not model.DERIVABLE:
        return ""
    return next(name for name, stem in TEXTS.items() if stem == model.LABEL_STEM)


# Stored, but derived from other data and never written from outside (signals.py keeps them).
DERIVED: frozenset[str] = frozenset({"cross_border"})

FIELDS: dict[str, tuple[str, ...]] = {
    "organisations": (
        "names",
        "acronym",
        "aliases",
        "kind",
        "jurisdiction",
        "country",
        "city",
        "website",
        "established",
        "status",
        "ror_id",
        "external_ids",
        "relationships",
        "descriptions",
    ),
    "facilities": (
        "names",
        "kind",
        "section",
        "sub_area",
        "parent",
        "hosts",
        "fields",
        "priority_areas",
        "status",
        "opened_on",
        "floor_area_m2",
        "address",
        "latitude",
        "longitude",
        "website",
        "descriptions",
    ),
    "projects": (
        "titles",
        "acronym",
        "summaries",
        "fields",
        "priority_areas",
        "status",
        "start_date",
        "end_date",
        "cross_border",
        "participations",
        "funding_lines",
        "outputs",
        "flows",
    ),
    "outputs": (
        "titles",
        "kind",
        "project",
        "identifier",
        "date",
        "key_achievement",
        "descriptions",
    ),
    "flows": (
        "factor",
        "direction",
        "project",
        "facility",
        "mechanism",
        "status",
        "quantity",
        "unit",
        "value",
        "currency",
        "period_start",
        "period_end",
        "descriptions",
    ),
    "policies": (
        "names",
        "document_number",
        "issuer",
        "issued_on",
        "effective_on",
        "status",
        "factors",
        "descriptions",
    ),
    "funding-schemes": (
        "names",
        "acronym",
        "funder",
        "ceilings",
        "max_duration_months",
        "website",
        "descriptions",
    ),
}


def own_fields(model: type[CuratedRecord]) -> tuple[str, ...]:
    """The resource's own fields, without those every record shares."""
    return FIELDS[model.RESOURCE]


def api_fields(model: type[CuratedRecord]) -> tuple[str, ...]:
    """Every field of the resource, in the API's order."""
    return (*SHARED_HEAD, *own_fields(model), *SHARED_TAIL)


def scalars(model: type[CuratedRecord]) -> tuple[str, ...]:
    """The resource's own model fields that hold a plain value (no relation, no trilingual
    text, nothing derived): what a dump row or a table cell carries as it is."""
    concrete = {
        field.name: field
        for field in model._meta.concrete_fields
        if not isinstance(field, models.ForeignKey)
    }
    return tuple(name for name in own_fields(model) if name in concrete and name not in DERIVED)
