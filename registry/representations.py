"""What the registry sends out about a curated record, built once for every face that sends
records: the API's reads and the open-data dumps.

A page of records is read with lean queries and no model instance: one ``values()`` query for
the records themselves (their own columns and those of the single related records, joined),
then one query per related list the chosen fields show (participants, hosts, research
fields…), each narrowed to what the reader may see as ``access.readable`` narrows its
prefetches. Plain Python stitches the rows into the API's shape: the same keys in the same
order and the same values as the API's DRF serializers give (``tests/test_representations.py``
compares the two over every resource, language and field selection). The serializers stay for
validation, writes and the OpenAPI schema.

The shape is the API's (docs/architecture.md §8): ``id`` is the public id, ``names`` (or
``titles``…) the three scripts, ``name`` the display name in the reader's language, related
records ``{"id", "name"}`` or null when the reader may not see them.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import orjson
from django.db import models
from django.db.models import QuerySet
from django.utils import translation
from rest_framework.utils.encoders import JSONEncoder

from registry import access
from registry.models import (
    CuratedRecord,
    FactorFlow,
    FundingCeiling,
    FundingLine,
    Organisation,
    OrganisationRelation,
    Participation,
)
from registry.resources import TEXTS, api_fields, label_text
from registry.scripts import SCRIPTS, derived_keys, field_names, localised


@dataclass(frozen=True)
class Reader:
    """Who reads, and what they asked for: ``lang`` a Django language code; ``fields`` the API
    fields to show (None: all); ``url_base`` the scheme and host that make ``url`` absolute
    (empty: a path, as in the dumps); ``dump``: an organisation's relationship to one the
    reader may not see and that has no ROR id is left out rather than shown unnamed."""

    user: Any = None
    lang: str = "en"
    fields: frozenset[str] | None = None
    url_base: str = ""
    dump: bool = False

    def wants(self, name: str) -> bool:
        return self.fields is None or name in self.fields


# -- how values are written --------------------------------------------------------------------
def datetime_text(value: Any) -> str | None:
    """A date-time as the API and the dumps write every one: UTC, ISO 8601, ending in "Z"
    (as ``api.fields.UTCDateTimeField``)."""
    if value is None:
        return None
    return value.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


def date_text(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def decimal_text(places: int, digits: int) -> Callable[[Any], str | None]:
    """As DRF's DecimalField writes a number: a string with ``places`` decimals."""
    exponent = Decimal(".1") ** places

    def write(value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            value = Decimal(str(value).strip())
        return f"{value.quantize(exponent, context=_context(digits)):f}"

    return write


def _context(digits: int) -> Any:
    import decimal

    context = decimal.getcontext().copy()
    context.prec = digits
    return context


def _same(value: Any) -> Any:
    return value


def writer(model_field: models.Field) -> Callable[[Any], Any]:
    """How a model field's value appears in the JSON."""
    if isinstance(model_field, models.DateTimeField):
        return datetime_text
    if isinstance(model_field, models.DateField):
        return date_text
    if isinstance(model_field, models.DecimalField):
        return decimal_text(model_field.decimal_places, model_field.max_digits)
    return _same


# -- related records as brief objects ----------------------------------------------------------
# A joined curated record is read as these columns after its lookup path ("owner__…").
STATE = ("public_id", "publication", "owner_id")


def label_columns(model: type[models.Model]) -> tuple[str, ...]:
    """The columns a record's display name is made from."""
    if model is FactorFlow:
        return ("factor", "direction")
    return field_names(model.LABEL_STEM)


class Labeller:
    """Display names of related records in the reader's language (no query)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self._flow_labels: tuple[dict, dict] | None = None

    def name(self, model: type[models.Model], row: dict[str, Any], prefix: str = "") -> str:
        """As ``display_name(lang)``: a flow is its factor and direction (it has no name)."""
        if model is FactorFlow:
            factors, directions = self.flow_labels()
            factor = factors.get(row[f"{prefix}factor"], row[f"{prefix}factor"])
            direction = directions.get(row[f"{prefix}direction"], row[f"{prefix}direction"])
            return f"{factor} · {direction} ({row[f'{prefix}public_id']})"
        return localised(_Texts(row, prefix), model.LABEL_STEM, self.lang)

    def flow_labels(self) -> tuple[dict, dict]:
        if self._flow_labels is None:
            with translation.override(self.lang):
                self._flow_labels = tuple(
                    {value: str(label) for value, label in FactorFlow._meta.get_field(name).choices}
                    for name in ("factor", "direction")
                )
        return self._flow_labels


class _Texts:
    """A row's trilingual columns seen as attributes, for ``scripts.localised``."""

    def __init__(self, row: dict[str, Any], prefix: str) -> None:
        self.row, self.prefix = row, prefix

    def __getattr__(self, name: str) -> Any:
        return self.row.get(f"{self.prefix}{name}", "")


def brief_columns(model: type[models.Model], prefix: str) -> list[str]:
    """The columns a brief ``{"id", "name"}`` of a ``model`` record at ``prefix`` needs."""
    if issubclass(model, CuratedRecord):
        return [f"{prefix}{column}" for column in (*STATE, *label_columns(model))]
    return [f"{prefix}{column}" for column in ("code", *field_names("name"))]


def visible_to(user: Any) -> Callable[[dict[str, Any], str], bool]:
    """Whether ``user`` may see the curated record whose state is in a row at ``prefix``:
    ``access.viewer`` decides (no query)."""
    sees = access.viewer(user)
    return lambda row, prefix: sees(row[f"{prefix}publication"], row[f"{prefix}owner_id"])


@dataclass
class Context:
    """What building one page needs: the reader, names, visibility."""

    reader: Reader
    labels: Labeller = field(init=False)
    sees: Callable[[dict[str, Any], str], bool] = field(init=False)

    def __post_init__(self) -> None:
        self.labels = Labeller(self.reader.lang)
        self.sees = visible_to(self.reader.user)

    def brief(
        self, model: type[models.Model], row: dict[str, Any], prefix: str
    ) -> dict[str, str] | None:
        """``{"id", "name"}`` of the related record at ``prefix`` in ``row``; None when there
        is none or the reader may not see it."""
        if issubclass(model, CuratedRecord):
            if row[f"{prefix}public_id"] is None or not self.sees(row, prefix):
                return None
            return {"id": row[f"{prefix}public_id"], "name": self.labels.name(model, row, prefix)}
        if row[f"{prefix}code"] is None:
            return None
        name = localised(_Texts(row, prefix), "name", self.reader.lang)
        return {"id": row[f"{prefix}code"], "name": name}


# -- the parts of a representation -------------------------------------------------------------
class Part:
    """One field of the representation: the columns it needs from the record's own query, what
    it loads with queries of its own (``load``), and its value for a row."""

    def __init__(self, name: str) -> None:
        self.name = name

    def columns(self) -> Sequence[str]:
        return ()

    def load(self, pks: list[int], context: Context) -> None:
        """Read what the records in ``pks`` need besides their own row (a query, or none)."""

    def value(self, row: dict[str, Any], context: Context) -> Any:
        raise NotImplementedError


class Own(Part):
    """A column of the record, written as the API writes its kind of field."""

    def __init__(self, name: str, column: str, write: Callable[[Any], Any] = _same) -> None:
        super().__init__(name)
        self.column, self.write = column, write

    def columns(self) -> Sequence[str]:
        return (self.column,)

    def value(self, row: dict[str, Any], context: Context) -> Any:
        return self.write(row[self.column])


class Url(Part):
    def __init__(self, resource: str) -> None:
        super().__init__("url")
        self.resource = resource

    def columns(self) -> Sequence[str]:
        return ("public_id",)

    def value(self, row: dict[str, Any], context: Context) -> str:
        return f"{context.reader.url_base}/api/v1/{self.resource}/{row['public_id']}/"


class Name(Part):
    def __init__(self, model: type[CuratedRecord]) -> None:
        super().__init__("name")
        self.model = model

    def columns(self) -> Sequence[str]:
        return ("public_id", *label_columns(self.model))

    def value(self, row: dict[str, Any], context: Context) -> str:
        return context.labels.name(self.model, row)


class Texts(Part):
    """One text in the three scripts: ``{"en", "zh-Hans", "zh-Hant"}``."""

    def __init__(self, name: str, stem: str) -> None:
        super().__init__(name)
        self.stem = stem

    def columns(self) -> Sequence[str]:
        return field_names(self.stem)

    def value(self, row: dict[str, Any], context: Context) -> dict[str, str]:
        return {key: row[f"{self.stem}_{suffix}"] for key, suffix in SCRIPTS}


class Provenance(Part):
    """Where the record comes from, and which of its texts a machine derived (``derived``:
    ``["names.zh-Hant"]`` for a 繁體 name converted from the 简体 one)."""

    def __init__(self, model: type[CuratedRecord]) -> None:
        super().__init__("provenance")
        self.label = label_text(model)

    def columns(self) -> Sequence[str]:
        derived = ("derived_script",) if self.label else ()
        return ("sources", "verification", "as_of", *derived)

    def value(self, row: dict[str, Any], context: Context) -> dict[str, Any]:
        return {
            "sources": row["sources"],
            "verification": row["verification"],
            "as_of": date_text(row["as_of"]),
            "derived": derived_keys(self.label, row["derived_script"]) if self.label else [],
        }


class Joined(Part):
    """A single related record (owner, parent, sub-area…), read in the record's own query."""

    def __init__(self, name: str, related: type[models.Model]) -> None:
        super().__init__(name)
        self.related, self.prefix = related, f"{name}__"

    def columns(self) -> Sequence[str]:
        return brief_columns(self.related, self.prefix)

    def value(self, row: dict[str, Any], context: Context) -> dict[str, str] | None:
        return context.brief(self.related, row, self.prefix)


class Listed(Part):
    """A list of related rows, read for the whole page in one query keyed by the record."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.by_record: dict[int, list[Any]] = {}

    def query(self, pks: list[int], context: Context) -> Iterable[dict[str, Any]]:
        """The related rows of the records in ``pks``, in the order the API lists them, each
        with its record's pk as ``"of"``."""
        raise NotImplementedError

    def item(self, row: dict[str, Any], context: Context) -> Any:
        raise NotImplementedError

    def load(self, pks: list[int], context: Context) -> None:
        self.by_record = defaultdict(list)
        if not pks:
            return
        for row in self.query(pks, context):
            item = self.item(row, context)
            if item is not None:
                self.by_record[row["of"]].append(item)

    def value(self, row: dict[str, Any], context: Context) -> list[Any]:
        return self.by_record.get(row["pk"], [])


class ManyToMany(Listed):
    """Hosts, research fields, priority areas: briefs through the link table, in the order of
    the related model (a host the reader may not see is left out, in the query)."""

    def __init__(self, name: str, model_field: models.ManyToManyField, restricted: bool) -> None:
        super().__init__(name)
        self.link = model_field.remote_field.through
        self.source = model_field.m2m_field_name()
        self.target = model_field.m2m_reverse_field_name()
        self.related = model_field.related_model
        self.restricted = restricted

    def query(self, pks: list[int], context: Context) -> Iterable[dict[str, Any]]:
        rows = self.link.objects.filter(**{f"{self.source}_id__in": pks})
        if self.restricted:
            rows = access.visible(rows, context.reader.user, self.target)
        order = [f"{self.target}__{name}" for name in self.related._meta.ordering]
        columns = brief_columns(self.related, f"{self.target}__")
        return rows.order_by(*order).values(*columns, of=models.F(f"{self.source}_id"))

    def item(self, row: dict[str, Any], context: Context) -> dict[str, str] | None:
        return context.brief(self.related, row, f"{self.target}__")


class Reverse(Listed):
    """Rows that point at the record (outputs, flows, participants, funding lines, ceilings,
    relationships), in their model's order, narrowed as the model's ``RELATED_READS`` says."""

    row_model: type[models.Model]
    pointer: str  # the field on the row that points at the record
    through: str | None = None  # None: not narrowed; "": by the row's own state

    def __init__(self, name: str) -> None:
        super().__init__(name)

    def row_columns(self) -> list[str]:
        raise NotImplementedError

    def query(self, pks: list[int], context: Context) -> Iterable[dict[str, Any]]:
        rows = self.row_model._default_manager.filter(**{f"{self.pointer}_id__in": pks})
        if self.through is not None:
            rows = access.visible(rows, context.reader.user, self.through)
        return rows.values(*self.row_columns(), of=models.F(f"{self.pointer}_id"))


class Briefs(Reverse):
    """A project's outputs and flows: briefs of the curated records that point at it."""

    def __init__(self, name: str, row_model: type[CuratedRecord], pointer: str) -> None:
        super().__init__(name)
        self.row_model, self.pointer, self.through = row_model, pointer, ""

    def row_columns(self) -> list[str]:
        return brief_columns(self.row_model, "")

    def item(self, row: dict[str, Any], context: Context) -> dict[str, str] | None:
        return context.brief(self.row_model, row, "")


class Rows(Reverse):
    """A record's own rows (participants, funding lines, ceilings): the related records they
    name, shown brief, then their plain columns, written as the API writes them."""

    def __init__(
        self,
        name: str,
        row_model: type[models.Model],
        pointer: str,
        through: str | None,
        briefs: tuple[str, ...],
        plain: tuple[str, ...],
    ) -> None:
        super().__init__(name)
        self.row_model, self.pointer, self.through = row_model, pointer, through
        self.briefs = {brief: _model_of(row_model, brief) for brief in briefs}
        self.plain = {column: writer(row_model._meta.get_field(column)) for column in plain}

    def row_columns(self) -> list[str]:
        named = [brief_columns(model, f"{name}__") for name, model in self.briefs.items()]
        return [*(column for columns in named for column in columns), *self.plain]

    def item(self, row: dict[str, Any], context: Context) -> dict[str, Any]:
        shown = {
            name: context.brief(model, row, f"{name}__") for name, model in self.briefs.items()
        }
        return {**shown, **{column: write(row[column]) for column, write in self.plain.items()}}


class Relationships(Reverse):
    """ROR-style relations; a target the reader may not see shows only its ROR id and the name
    ROR gave, never its registry id (in a dump, without a ROR id it is left out)."""

    row_model, pointer, through = OrganisationRelation, "source", None

    def row_columns(self) -> list[str]:
        return [*brief_columns(Organisation, "target__"), "kind", "target_ror_id", "target_label"]

    def item(self, row: dict[str, Any], context: Context) -> dict[str, Any] | None:
        shown = context.brief(Organisation, row, "target__")
        hidden = row["target__public_id"] is not None and shown is None
        if hidden and context.reader.dump and not row["target_ror_id"]:
            return None
        return {
            "type": row["kind"],
            "ror_id": row["target_ror_id"],
            "id": shown["id"] if shown else None,
            "name": shown["name"] if shown else row["target_label"],
        }


def _model_of(model: type[models.Model], name: str) -> type[models.Model]:
    return model._meta.get_field(name).related_model


# -- each resource's parts ---------------------------------------------------------------------
SPECIAL: dict[str, Callable[[type[CuratedRecord]], Part]] = {
    "id": lambda model: Own("id", "public_id"),
    "url": lambda model: Url(model.RESOURCE),
    "name": lambda model: Name(model),
    "provenance": Provenance,
    "owner": lambda model: Joined("owner", Organisation),
    "ror_id": lambda model: Own("ror_id", "ror_id", lambda value: value or None),
    "relationships": lambda model: Relationships("relationships"),
    # A participant is shown with its organisation, a funding line with its funder.
    "participations": lambda model: Rows(
        "participations",
        Participation,
        "project",
        "organisation",
        ("organisation", "facility"),
        ("role", "side", "start_date", "end_date"),
    ),
    "funding_lines": lambda model: Rows(
        "funding_lines",
        FundingLine,
        "project",
        "funder",
        ("funder", "scheme"),
        ("currency", "amount", "side"),
    ),
    "ceilings": lambda model: Rows(
        "ceilings", FundingCeiling, "scheme", None, (), ("side", "currency", "amount", "note")
    ),
}


def part(model: type[CuratedRecord], name: str) -> Part:
    """The part that shows API field ``name`` of ``model``."""
    if name in SPECIAL:
        return SPECIAL[name](model)
    if name in TEXTS:
        return Texts(name, TEXTS[name])
    model_field = model._meta.get_field(name)
    if isinstance(model_field, models.ManyToManyField):
        read = model.RELATED_READS[name]
        return ManyToMany(name, model_field, read.restricted)
    if model_field.one_to_many:
        return Briefs(name, model_field.related_model, model_field.field.name)
    if isinstance(model_field, models.ForeignKey):
        return Joined(name, model_field.related_model)
    return Own(name, model_field.attname, writer(model_field))


def parts(model: type[CuratedRecord], reader: Reader) -> list[Part]:
    """The parts of what ``reader`` asked for, in the API's order (fresh: parts hold a page)."""
    return [part(model, name) for name in api_fields(model) if reader.wants(name)]


# -- building ----------------------------------------------------------------------------------
def build(queryset: QuerySet, reader: Reader) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Each record of ``queryset`` (already narrowed to what the reader may see, ordered and
    sliced to a page) as the API shows it to ``reader``, and the records' rows (with ``pk``
    and ``version`` whatever the fields chosen, for ETags). Queries: 1 for the records, plus 1
    per related list the chosen fields show (none when the page is empty)."""
    context = Context(reader)
    chosen = parts(queryset.model, reader)
    columns = dict.fromkeys(column for piece in chosen for column in piece.columns())
    rows = list(queryset.values(*dict.fromkeys(("pk", "version", *columns))))
    pks = [row["pk"] for row in rows]
    for piece in chosen:
        piece.load(pks, context)
    records = [{piece.name: piece.value(row, context) for piece in chosen} for row in rows]
    return records, rows


def represent(queryset: QuerySet, reader: Reader) -> list[dict[str, Any]]:
    """Each record of ``queryset`` as the API shows it to ``reader`` (see ``build``)."""
    return build(queryset, reader)[0]


# -- reference data ----------------------------------------------------------------------------
# The fields of each kind of reference data as the API (fields, priority areas) and the dumps
# (sub-areas too) show them.
REFERENCE_FIELDS: dict[str, tuple[str, ...]] = {
    "fields": ("id", "name", "names", "parent"),
    "priority-areas": ("id", "name", "names", "descriptions", "sources"),
    "sub-areas": ("id", "name", "names", "section", "area_km2", "sources"),
}


def represent_reference(
    queryset: QuerySet, resource: str, lang: str, fields: Iterable[str] | None = None
) -> list[dict[str, Any]]:
    """Reference items (``queryset`` ordered) as the API shows them, with the ``fields``
    chosen (None: all): ``id`` is the code. Queries: 1 (a research field's parent is joined)."""
    model = queryset.model
    context = Context(Reader(lang=lang))
    chosen = None if fields is None else set(fields)
    names = [name for name in REFERENCE_FIELDS[resource] if chosen is None or name in chosen]
    columns = ["code", *field_names("name")]
    if "parent" in names:
        columns += brief_columns(model, "parent__")
    if "descriptions" in names:
        columns += field_names("description")
    columns += [name for name in ("section", "area_km2", "sources") if name in names]
    area = writer(model._meta.get_field("area_km2")) if "area_km2" in names else _same
    shown: list[dict[str, Any]] = []
    for row in queryset.values(*columns):
        record: dict[str, Any] = {}
        for name in names:
            if name == "id":
                record[name] = row["code"]
            elif name == "name":
                record[name] = localised(_Texts(row, ""), "name", lang)
            elif name in TEXTS:
                record[name] = Texts(name, TEXTS[name]).value(row, context)
            elif name == "parent":
                record[name] = context.brief(model, row, "parent__")
            elif name == "area_km2":
                record[name] = area(row[name])
            else:
                record[name] = row[name]
        shown.append(record)
    return shown


# -- the bytes ----------------------------------------------------------------------------------
_ENCODER = JSONEncoder()
# Dates and times go through DRF's encoder, which writes UTC as "Z" where orjson writes "+00:00".
_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME


def json_bytes(data: Any) -> bytes:
    """``data`` as the API writes it: the bytes of DRF's JSONRenderer (compact UTF-8,
    U+2028/U+2029 escaped, other values through DRF's encoder), written by orjson. Raises
    TypeError for what orjson refuses (the API's renderer then falls back to DRF's)."""
    rendered = orjson.dumps(data, default=_ENCODER.default, option=_OPTIONS)
    return rendered.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
