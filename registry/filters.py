"""The FilterSets, one per resource, shared by the REST API and the public pages.

Conventions (docs/architecture.md §6):
- a repeated parameter means OR: ``?kind=laboratory&kind=lab_cluster``;
- ``<name>__n`` excludes: ``?status__n=closed``;
- related records are named by public id (``host=org-…``), reference data by code
  (``field=2.2``; a major field such as ``field=2`` also matches all of its fields);
- ``q`` is the cross-script search, ``updated_since`` works on every resource, ``ordering`` is
  whitelisted (``-`` for descending);
- a bad value is a ValidationError naming the parameter; ``parameter_errors`` reports those,
  unknown parameters (each face knows its own extra ones, such as ``page``) and, where a face
  refuses them, blank values, in one dict that each face renders its own way.
Relations that could repeat a row (many-to-many, reverse) are matched through a subquery on the
primary key, so no filter needs DISTINCT.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any, ClassVar

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from registry import access, identifiers
from registry.models import (
    Facility,
    Factor,
    FactorFlow,
    FundingScheme,
    Organisation,
    Output,
    Participation,
    PolicyInstrument,
    PriorityArea,
    Project,
    Publication,
    ResearchField,
    Section,
    Side,
    Verification,
)
from registry.models.currencies import ISO_4217
from registry.models.organisations import ROR_URL_PREFIX, normalise_ror_id

ROR_BARE = re.compile(r"^0[0-9a-hjkmnp-tv-z]{6}[0-9]{2}$")
CODE = re.compile(r"^[0-9a-z_.-]{1,64}$")
COUNTRY = re.compile(r"^[A-Z]{2}$")


# -- one value checkers ---------------------------------------------------------------------
def with_schema(schema: dict) -> Callable[[Callable], Callable]:
    """Attach the OpenAPI schema of one value to a checker (the API documents it)."""

    def attach(function: Callable) -> Callable:
        function.schema = schema
        return function

    return attach


def public_id_of(prefix: str) -> Callable[[str], str]:
    @with_schema({"type": "string", "pattern": f"^{prefix}-[0-9a-hjkmnp-tv-z]{{6}}[0-9]{{2}}$"})
    def check(value: str) -> str:
        # A well-formed id whose check digits are wrong is a typo: it matches nothing, as a
        # mistyped id finds nothing on a detail page. Only a malformed one is an error.
        if not identifiers.PUBLIC_ID_RE.match(identifiers.normalise(value)) or not (
            identifiers.normalise(value).startswith(f"{prefix}-")
        ):
            raise ValidationError(
                _("“%(value)s” is not a valid %(prefix)s- public id.")
                % {"value": value[:40], "prefix": prefix}
            )
        return identifiers.normalise(value)

    return check


@with_schema({"type": "string", "pattern": r"^(https://ror\.org/)?0[0-9a-hjkmnp-tv-z]{6}[0-9]{2}$"})
def ror_id(value: str) -> str:
    normalised = normalise_ror_id(value)
    if not ROR_BARE.match(normalised.removeprefix(ROR_URL_PREFIX)):
        raise ValidationError(_("“%(value)s” is not a ROR id.") % {"value": value[:40]})
    return normalised


@with_schema({"type": "string", "pattern": CODE.pattern})
def code(value: str) -> str:
    if not CODE.match(value):
        raise ValidationError(_("“%(value)s” is not a code.") % {"value": value[:40]})
    return value


@with_schema({"type": "string", "pattern": "^[A-Za-z]{2}$"})
def country(value: str) -> str:
    value = value.upper()
    if not COUNTRY.match(value):
        raise ValidationError(
            _("“%(value)s” is not an ISO 3166 country code.") % {"value": value[:40]}
        )
    return value


@with_schema({"type": "string", "enum": list(ISO_4217)})
def currency(value: str) -> str:
    value = value.upper()
    if value not in ISO_4217:
        raise ValidationError(_("“%(value)s” is not an ISO 4217 currency.") % {"value": value[:40]})
    return value


def one_of(allowed: list[str]) -> Callable[[str], str]:
    @with_schema({"type": "string", "enum": list(allowed)})
    def check(value: str) -> str:
        if value not in allowed:
            raise ValidationError(
                _("“%(value)s” is not one of %(allowed)s.")
                % {"value": value[:40], "allowed": ", ".join(allowed)}
            )
        return value

    return check


class BoundedNumberFilter(django_filters.NumberFilter):
    """A number between 0 and 10¹⁵ (amounts, areas, quantities), documented as such."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", 10**15)
        super().__init__(*args, **kwargs)
        self._spectacular_annotation = {
            "field": {"type": "number", "minimum": 0, "maximum": 10**15}
        }


class YearFilter(django_filters.NumberFilter):
    """A year as a whole number (``established_before=1990``), not 0.5 nor 10³⁰."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", 9999)
        super().__init__(*args, **kwargs)
        self._spectacular_annotation = {"field": {"type": "integer", "minimum": 0, "maximum": 9999}}


class SafeDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 date-time; one at the edge of the calendar is clamped, not a crash when
    converted to UTC (9999-12-31T23:59-01:00 is past the largest date Python can hold)."""

    def clean(self, value: Any) -> Any:
        import datetime

        cleaned = super().clean(value)
        if cleaned is None:
            return None
        try:
            return cleaned.astimezone(datetime.UTC)
        except OverflowError:
            edge = datetime.datetime.max if cleaned.year > 5000 else datetime.datetime.min
            return edge.replace(tzinfo=datetime.UTC)


class StrictBooleanField(forms.Field):
    """true/false (or 1/0); anything else is an error, not "no filter"."""

    VALUES: ClassVar[dict[str, bool]] = {"true": True, "1": True, "false": False, "0": False}

    def to_python(self, value: Any) -> bool | None:
        if value in (None, ""):
            return None
        try:
            return self.VALUES[str(value).lower()]
        except KeyError:
            raise ValidationError(_("Use true or false.")) from None


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class UpdatedSinceFilter(django_filters.IsoDateTimeFilter):
    field_class = SafeDateTimeField


# -- filters ------------------------------------------------------------------------------
class MultipleValueField(forms.Field):
    """Every value of a repeated query parameter, each checked by ``check``."""

    widget = forms.MultipleHiddenInput

    def __init__(self, *args: Any, check: Callable[[str], str] | None = None, **kwargs: Any):
        self.check = check
        super().__init__(*args, **kwargs)

    def to_python(self, value: Any) -> list[str]:
        values = [] if not value else [value] if isinstance(value, str) else list(value)
        stripped = [str(item).strip() for item in values]
        return [self.check(item) if self.check else item for item in stripped if item]


class AnyOf(django_filters.Filter):
    """Records matching any of the values (OR). With ``through``, matched by a subquery that
    returns primary keys, for relations that would otherwise repeat rows."""

    field_class = MultipleValueField

    def __init__(
        self,
        *args: Any,
        check: Callable[[str], str] | None = None,
        through: Callable[[list[str], Any], Q] | None = None,
        **kwargs: Any,
    ) -> None:
        self.through = through
        kwargs.setdefault("lookup_expr", "in")
        super().__init__(*args, check=check, **kwargs)
        # What drf-spectacular documents: repeated values, each of the checker's form.
        item = getattr(check, "schema", {"type": "string", "maxLength": 100})
        self._spectacular_annotation = {"field": {"type": "array", "items": item}}

    def filter(self, qs: QuerySet, value: list[str]) -> QuerySet:
        if not value:
            return qs
        reader = getattr(getattr(self.parent, "request", None), "user", None)
        if self.through is not None:
            condition = self.through(value, reader)
        else:
            condition = Q(**{f"{self.field_name}__{self.lookup_expr}": value})
            if self.field_name.endswith(PUBLIC_ID):
                # Only records the reader may see match: a hidden record's id answers as an
                # id that exists nowhere (no oracle).
                condition &= access.condition(reader, self.field_name[: -len(PUBLIC_ID)]) or Q()
        return qs.exclude(condition) if self.exclude else qs.filter(condition)


def choice(choices: Iterable, field_name: str | None = None) -> django_filters.Filter:
    """Any of the values of one of the record's own fields: no join, so no DISTINCT (which
    would turn the COUNT of a page into a SELECT DISTINCT over every column)."""
    return django_filters.MultipleChoiceFilter(
        choices=choices, field_name=field_name, distinct=False
    )


def choice_or_not(
    choices: Iterable, field_name: str
) -> tuple[django_filters.Filter, django_filters.Filter]:
    """``<field>`` (any of the values) and ``<field>__n`` (none of them)."""
    return choice(choices, field_name), not_choice(choices, field_name)


class NoneOf(django_filters.MultipleChoiceFilter):
    """``<field>__n``: records with none of the values, asked as "any of the other values"
    (the choices are a closed set, every write checks them, the field is never NULL), which
    the field's index serves; ``NOT IN`` would read every record."""

    def filter(self, qs: QuerySet, value: list[str]) -> QuerySet:
        if not value:
            return qs
        others = [choice for choice, _label in self.extra["choices"] if choice not in value]
        return qs.filter(**{f"{self.field_name}__in": others})


def not_choice(choices: Iterable, field_name: str) -> django_filters.Filter:
    return NoneOf(choices=list(choices), field_name=field_name, label=_("exclude"), distinct=False)


def linked_rows(model: type, relation: str) -> tuple[QuerySet, str, str]:
    """The rows that link a ``model`` record to its ``relation`` (a reverse foreign key's
    rows, or a many-to-many's through table), the name of their column pointing back at the
    record, and the prefix that reaches the related record from them."""
    field = model._meta.get_field(relation)
    if field.many_to_many:
        through = field.remote_field.through
        return (
            through._default_manager.all(),
            field.m2m_field_name(),
            field.m2m_reverse_field_name() + "__",
        )
    return field.related_model._base_manager.all(), field.field.name, ""


PUBLIC_ID = "__public_id"


def linked(model: type, relation: str, condition: Q, reader: Any = None) -> Exists:
    """EXISTS (a linked row meeting ``condition``, its lookups written from the related
    record): a semi-join the database can stop at the first match, so a filtered page reads
    its records in index order and a capped count stops early (``pk IN (subquery)`` built
    the whole list of matching records first)."""
    rows, back, prefix = linked_rows(model, relation)
    prefixed = Q.create(
        [(f"{prefix}{lookup}", value) for lookup, value in condition.children],
        connector=condition.connector,
    )
    for lookup, _value in condition.children:
        path = f"__{prefix}{lookup}".removesuffix("__in")
        if path.endswith(PUBLIC_ID):
            # A curated record named by its public id counts only if the reader may see it.
            prefixed &= access.condition(reader, path[: -len(PUBLIC_ID)].lstrip("_")) or Q()
    return Exists(rows.filter(prefixed, **{back: OuterRef("pk")}))


def via(model: type, lookup: str) -> Callable[[list[str]], Exists]:
    """Records with a linked row whose ``lookup`` (``relation__field``) is among the values."""
    relation, field = lookup.split("__", 1)
    return lambda values, reader: linked(model, relation, Q(**{f"{field}__in": values}), reader)


def with_field(model: type) -> Callable[[list[str]], Exists]:
    """``2`` is a major field and all of its fields; ``2.2`` is that field only."""
    return lambda codes, reader: linked(
        model, "fields", Q(code__in=codes) | Q(parent__code__in=codes)
    )


class RepeatableCSVWidget(django_filters.widgets.CSVWidget):
    """``?ordering=a,b``, ``?ordering=a&ordering=b`` (what generated clients send) and both
    mixed are one list: the values in order, each once. django-filter's widget kept only the
    last of repeated values."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> list[str] | None:
        if not hasattr(data, "getlist") or name not in data:
            return super().value_from_datadict(data, files, name)
        raws = data.getlist(name)
        if raws == [""]:
            return []
        return list(dict.fromkeys(part for raw in raws for part in raw.split(",")))


class OrderingFilter(django_filters.OrderingFilter):
    """``ordering`` over the model's ``SORTABLE`` fields. Every ordering ends with
    ``public_id`` in the direction of its last field: ties come back in one stable order, so
    pages never overlap, and each ordering is read from one index ``(field, public_id)``,
    forwards or backwards (``models.indexes.list_indexes``)."""

    def filter(self, qs: QuerySet, value: Any) -> QuerySet:
        if not value:
            return qs
        ordering = [self.get_ordering_value(param) for param in value]
        tie_breaker = "-public_id" if ordering[-1].startswith("-") else "public_id"
        return qs.order_by(*ordering, tie_breaker)


def ordering(model: type) -> OrderingFilter:
    return OrderingFilter(
        fields=[(field, field) for field in model.SORTABLE], widget=RepeatableCSVWidget
    )


def between(
    filter_class: type[django_filters.Filter], field: str
) -> tuple[django_filters.Filter, django_filters.Filter]:
    """A range's two filters: at least (``…_after``, ``…_min``), then at most."""
    return (
        filter_class(field_name=field, lookup_expr="gte"),
        filter_class(field_name=field, lookup_expr="lte"),
    )


class CuratedFilterSet(django_filters.FilterSet):
    """What every curated resource can be filtered by."""

    class Meta:
        # Only the filters declared here: a model field is never a filter by accident.
        fields: ClassVar[list[str]] = []

    q = django_filters.CharFilter(method="filter_q", label=_("search"), max_length=200)
    q._spectacular_annotation = {"field": {"type": "string", "maxLength": 200}}
    updated_since = UpdatedSinceFilter(field_name="updated_at", lookup_expr="gte")
    curating_section = choice(Section.choices)
    publication = choice(Publication.choices)
    verification, verification__n = choice_or_not(Verification.choices, "verification")
    owner = AnyOf(field_name="owner__public_id", check=public_id_of("org"))

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """Every word in the record's names, aliases and ids, in any script. A query that is
        one identifier (a public id, or a ROR id as ``https://ror.org/x``, ``ror.org/x`` or
        ``x``) finds that record exactly, and no text that merely holds it."""
        if identifiers.is_valid(value):
            return queryset.filter(public_id=identifiers.normalise(value))
        ror = identifiers.ror_in(value)
        if ror is not None and any(f.name == "ror_id" for f in queryset.model._meta.fields):
            return queryset.filter(ror_id=ror)
        return queryset.search(value)

    @classmethod
    def get_filters(cls) -> dict[str, django_filters.Filter]:
        """The declared filters, then ``ordering`` over the model's ``SORTABLE`` fields."""
        found = super().get_filters()
        if cls._meta.model is not None:
            found["ordering"] = ordering(cls._meta.model)
        return found


class OrganisationFilterSet(CuratedFilterSet):
    kind, kind__n = choice_or_not(Organisation.Kind.choices, "kind")
    jurisdiction = choice(Organisation.Jurisdiction.choices)
    country = AnyOf(field_name="country", check=country)
    city = django_filters.CharFilter(field_name="city", lookup_expr="iexact", max_length=120)
    status, status__n = choice_or_not(Organisation.Status.choices, "status")
    ror_id = AnyOf(field_name="ror_id", check=ror_id)
    established_after, established_before = between(YearFilter, "established")

    class Meta(CuratedFilterSet.Meta):
        model = Organisation


class FacilityFilterSet(CuratedFilterSet):
    kind, kind__n = choice_or_not(Facility.Kind.choices, "kind")
    section = choice(Facility.Location.choices)
    status, status__n = choice_or_not(Facility.Status.choices, "status")
    sub_area = AnyOf(field_name="sub_area__code", check=code)
    parent = AnyOf(field_name="parent__public_id", check=public_id_of("fac"))
    host = AnyOf(check=public_id_of("org"), through=via(Facility, "hosts__public_id"))
    field = AnyOf(check=code, through=with_field(Facility))
    priority_area = AnyOf(check=code, through=via(Facility, "priority_areas__code"))
    opened_after, opened_before = between(django_filters.DateFilter, "opened_on")
    floor_area_min, floor_area_max = between(BoundedNumberFilter, "floor_area_m2")

    class Meta(CuratedFilterSet.Meta):
        model = Facility


class ProjectFilterSet(CuratedFilterSet):
    status, status__n = choice_or_not(Project.Status.choices, "status")
    field = AnyOf(check=code, through=with_field(Project))
    priority_area = AnyOf(check=code, through=via(Project, "priority_areas__code"))
    organisation = AnyOf(
        check=public_id_of("org"), through=via(Project, "participations__organisation__public_id")
    )
    facility = AnyOf(
        check=public_id_of("fac"), through=via(Project, "participations__facility__public_id")
    )
    role = AnyOf(
        check=one_of(Participation.Role.values), through=via(Project, "participations__role")
    )
    side = AnyOf(check=one_of(Side.values), through=via(Project, "participations__side"))
    cross_border = StrictBooleanFilter(field_name="cross_border")
    started_after, started_before = between(django_filters.DateFilter, "start_date")
    ended_after = django_filters.DateFilter(field_name="end_date", lookup_expr="gte")
    ended_before = django_filters.DateFilter(
        field_name="end_date", lookup_expr="lte", method="filter_ended_before"
    )
    funder = AnyOf(
        check=public_id_of("org"), through=via(Project, "funding_lines__funder__public_id")
    )
    scheme = AnyOf(
        check=public_id_of("sch"), through=via(Project, "funding_lines__scheme__public_id")
    )
    currency = AnyOf(check=currency, through=via(Project, "funding_lines__currency"))
    amount_min = BoundedNumberFilter(method="filter_amount_min")
    amount_max = BoundedNumberFilter(method="filter_amount_max")
    key_achievement = StrictBooleanFilter(method="filter_key_achievement")

    class Meta(CuratedFilterSet.Meta):
        model = Project

    def filter_ended_before(self, queryset: QuerySet, name: str, value: date) -> QuerySet:
        """Projects that ended on or before ``value``. They started by then too (a project
        does not end before it starts), which the query says: the lists' default order is
        by start, newest first, and without that bound the database reads every project
        that started since (600,000 at 1 M) before it finds the first that had ended.
        A project with an end but no start date escapes the bound, so the bound is added
        only when there is none such (one query through a small partial index)."""
        queryset = queryset.filter(end_date__lte=value)
        undated = Project.objects.filter(start_date=None, end_date__lte=value)
        if undated.exists():
            return queryset
        return queryset.filter(start_date__lte=value)

    def filter_amount_min(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        """Projects with a funding line of at least ``value`` (in its own currency; combine
        with ``currency`` to compare like with like)."""
        return queryset.filter(self._lines(amount__gte=value))

    def filter_amount_max(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        return queryset.filter(self._lines(amount__lte=value))

    def _lines(self, **condition: Any) -> Exists:
        currencies = self.form.cleaned_data.get("currency")
        if currencies:
            condition["currency__in"] = currencies
        return linked(Project, "funding_lines", Q(**condition))

    def filter_key_achievement(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        with_key = linked(Project, "outputs", Q(key_achievement=True))
        return queryset.filter(with_key) if value else queryset.exclude(with_key)


class OutputFilterSet(CuratedFilterSet):
    kind, kind__n = choice_or_not(Output.Kind.choices, "kind")
    project = AnyOf(field_name="project__public_id", check=public_id_of("prj"))
    key_achievement = StrictBooleanFilter(field_name="key_achievement")
    date_after, date_before = between(django_filters.DateFilter, "date")

    class Meta(CuratedFilterSet.Meta):
        model = Output


class FactorFlowFilterSet(CuratedFilterSet):
    factor, factor__n = choice_or_not(Factor.choices, "factor")
    direction = choice(FactorFlow.Direction.choices)
    status, status__n = choice_or_not(FactorFlow.Status.choices, "status")
    mechanism = AnyOf(field_name="mechanism__public_id", check=public_id_of("pol"))
    project = AnyOf(field_name="project__public_id", check=public_id_of("prj"))
    facility = AnyOf(field_name="facility__public_id", check=public_id_of("fac"))
    currency = AnyOf(field_name="currency", check=currency)
    value_min, value_max = between(BoundedNumberFilter, "value")
    quantity_min, quantity_max = between(BoundedNumberFilter, "quantity")
    period_after = django_filters.DateFilter(field_name="period_start", lookup_expr="gte")
    period_before = django_filters.DateFilter(field_name="period_end", lookup_expr="lte")

    class Meta(CuratedFilterSet.Meta):
        model = FactorFlow


class PolicyInstrumentFilterSet(CuratedFilterSet):
    status, status__n = choice_or_not(PolicyInstrument.Status.choices, "status")
    issuer = AnyOf(field_name="issuer__public_id", check=public_id_of("org"))
    factor = django_filters.MultipleChoiceFilter(choices=Factor.choices, method="filter_factor")
    issued_after, issued_before = between(django_filters.DateFilter, "issued_on")
    effective_after, effective_before = between(django_filters.DateFilter, "effective_on")

    class Meta(CuratedFilterSet.Meta):
        model = PolicyInstrument

    def filter_factor(self, queryset: QuerySet, name: str, values: list[str]) -> QuerySet:
        # The factors are a JSON list; a quoted value matches one whole item on every database.
        condition = Q()
        for value in values:
            condition |= Q(factors__icontains=f'"{value}"')
        return queryset.filter(condition)


class FundingSchemeFilterSet(CuratedFilterSet):
    funder = AnyOf(field_name="funder__public_id", check=public_id_of("org"))
    currency = AnyOf(check=currency, through=via(FundingScheme, "ceilings__currency"))

    class Meta(CuratedFilterSet.Meta):
        model = FundingScheme


FILTERSETS: dict[type, type[CuratedFilterSet]] = {
    filterset._meta.model: filterset
    for filterset in (
        OrganisationFilterSet,
        FacilityFilterSet,
        ProjectFilterSet,
        OutputFilterSet,
        FactorFlowFilterSet,
        PolicyInstrumentFilterSet,
        FundingSchemeFilterSet,
    )
}


class ReferenceFilterSet(django_filters.FilterSet):
    """Reference data, searched by code or name in any script."""

    q = django_filters.CharFilter(method="filter_q", max_length=200)

    class Meta:
        fields: ClassVar[list[str]] = []

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        words = value.split()
        for word in words:
            queryset = queryset.filter(
                Q(code__istartswith=word)
                | Q(name_en__icontains=word)
                | Q(name_zh_hans__contains=word)
                | Q(name_zh_hant__contains=word)
            )
        return queryset


class ResearchFieldFilterSet(ReferenceFilterSet):
    parent = AnyOf(field_name="parent__code", check=code)
    level = django_filters.ChoiceFilter(
        choices=(("major", _("major fields")), ("field", _("fields"))), method="filter_level"
    )

    class Meta(ReferenceFilterSet.Meta):
        model = ResearchField

    def filter_level(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(parent__isnull=value == "major")


class PriorityAreaFilterSet(ReferenceFilterSet):
    class Meta(ReferenceFilterSet.Meta):
        model = PriorityArea


def accepted(filterset_class: type[django_filters.FilterSet], *extra: str) -> tuple[str, ...]:
    """The parameters a face accepts: the FilterSet's filters and the face's own (page…)."""
    return (*filterset_class.base_filters, *extra)


UNKNOWN = _("Unknown parameter.")
BLANK = _("Give a value, or leave the parameter out.")


def parameter_errors(
    query: QueryDict,
    accepted: Iterable[str],
    *,
    filterset: django_filters.FilterSet | None = None,
    blank_allowed: bool = True,
) -> dict[str, list[str]]:
    """The problems with a query string, by parameter, one kind at a time: blank values
    (unless allowed; ``q`` may always be blank), else parameters not ``accepted`` (a misspelt
    filter makes the rest of the query suspect), else the values ``filterset`` (bound to the
    query) finds malformed. Empty when the query is good. No query to the database."""
    known = set(accepted)
    if not blank_allowed:
        blank = [
            name for name, values in query.lists() if name != "q" and name in known and "" in values
        ]
        if blank:
            return {name: [BLANK] for name in blank}
    unknown = sorted(set(query) - known)
    if unknown:
        return {name: [UNKNOWN] for name in unknown}
    if filterset is not None and not filterset.is_valid():
        return {name: list(messages) for name, messages in filterset.errors.items()}
    return {}
