"""Pages of a list that stay cheap at a million records (the API's and the public listings').

Counting every match of a filter reads every match: over a million projects that is the
slowest part of a page (130 ms of 200 measured). So a list counts at most ``COUNT_CAP``
matches, reading no further than that: below the cap the count is exact, above it the list
says "more than 1,000" (the API's ``count_exact`` is false). Pages past the cap are still
served; whether one more follows is read from the rows, not from a count.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from functools import cached_property
from typing import Any

from django.core.exceptions import ValidationError
from django.core.paginator import EmptyPage, Page, Paginator
from django.db.models import F, Q, QuerySet
from django.db.models.expressions import OrderBy
from django.utils.translation import gettext_lazy as _

COUNT_CAP = 1_000


def capped_count(queryset: QuerySet) -> tuple[int, bool]:
    """``(count, exact)``: the number of records, or ``COUNT_CAP`` and False when there are
    more. One query that stops after ``COUNT_CAP + 1`` rows (reading only primary keys)."""
    _matches, count, exact = capped_matches(queryset)
    return count, exact


def capped_matches(queryset: QuerySet) -> tuple[QuerySet, int, bool]:
    """``(matches, count, exact)`` as ``capped_count``, in the same one query, which reads the
    primary keys of up to ``COUNT_CAP + 1`` matches instead of counting them. When they are
    all (the count is exact), ``matches`` is the list as those records by primary key, in its
    order: its pages and facets then never evaluate the filters again, which for a search
    (trigrams, character pairs) or a filter through related rows costs more than looking up a
    thousand keys. Otherwise ``matches`` is ``queryset`` itself."""
    cap = COUNT_CAP
    keys = list(queryset.order_by().values_list("pk", flat=True)[: cap + 1])
    if len(keys) > cap:
        return queryset, cap, False
    order = queryset.query.order_by or queryset.model._meta.ordering
    matches = queryset.model._base_manager.filter(pk__in=keys).order_by(*order)
    # What the list reads with each record stays as asked (joins, prefetches, deferred columns).
    matches.query.select_related = queryset.query.select_related
    matches.query.deferred_loading = queryset.query.deferred_loading
    matches._prefetch_related_lookups = queryset._prefetch_related_lookups
    return matches, len(keys), True


class CappedPage(Page):
    @cached_property
    def more(self) -> bool:
        """Whether records follow this page (read from the rows past the cap: one query)."""
        if self.paginator.exact or self.number < self.paginator.num_pages:
            return self.number < self.paginator.num_pages
        start = self.number * self.paginator.per_page
        return self.paginator.object_list[start : start + 1].exists()

    def has_next(self) -> bool:
        return self.more

    def next_page_number(self) -> int:
        return self.number + 1


class CappedPaginator(Paginator):
    """A Django paginator whose ``count`` is capped (``exact`` says whether it is the real
    number); ``num_pages`` is then the number of pages up to the cap, and a page past it is
    served when it has records."""

    def __init__(self, object_list: QuerySet, per_page: int, **kwargs: Any) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.exact = True
        self.matches = object_list

    @cached_property
    def count(self) -> int:
        """Also sets ``matches`` (see ``capped_matches``): the pages are slices of it."""
        self.matches, count, self.exact = capped_matches(self.object_list)
        return count

    @cached_property
    def num_pages(self) -> int:
        if self.count == 0 and not self.allow_empty_first_page:
            return 0
        return max(1, math.ceil(self.count / self.per_page))

    def validate_number(self, number: Any) -> int:
        try:
            return super().validate_number(number)  # counts first: sets ``exact``
        except EmptyPage:
            if self.exact or int(number) < 1:
                raise
        start = (int(number) - 1) * self.per_page  # past the cap: is there a record there?
        if not self.object_list[start : start + 1].exists():
            raise EmptyPage(self.error_messages["no_results"])
        return int(number)

    def page(self, number: Any) -> CappedPage:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if self.exact and top + self.orphans >= self.count:
            top = self.count
        return self._get_page(self.matches[bottom:top], number, self)

    def _get_page(self, *args: Any, **kwargs: Any) -> CappedPage:
        return CappedPage(*args, **kwargs)


# -- keyset (cursor) paging --------------------------------------------------------------------
class BadCursor(ValueError):
    """A cursor that this list did not hand out (altered, or for another sort)."""


def sort_keys(queryset: QuerySet) -> list[tuple[str, bool]]:
    """The list's sort as ``(field, descending)`` pairs; every list ends with ``public_id``
    (the model's ordering and registry/filters.py's OrderingFilter see to it)."""
    keys = [_key(item) for item in queryset.query.order_by or queryset.model._meta.ordering]
    if not keys or keys[-1][0] != "public_id":
        raise ValueError(f"{queryset.model.__name__} lists must end their sort with public_id")
    return keys


def keyed(queryset: QuerySet) -> bool:
    """Whether the list's sort ends with ``public_id``, so that a cursor can name a place."""
    order = queryset.query.order_by or queryset.model._meta.ordering
    return bool(order) and _key(order[-1])[0] == "public_id"


def _key(item: Any) -> tuple[str, bool]:
    if isinstance(item, OrderBy):
        return item.expression.name, item.descending
    return str(item).lstrip("-"), str(item).startswith("-")


def in_sort_order(queryset: QuerySet) -> QuerySet:
    """The list's sort with NULLs placed alike on every database, as if larger than any
    value: PostgreSQL's default, which its indexes follow (SQLite would put them first)."""
    return queryset.order_by(
        *(
            F(name).desc(nulls_first=True) if descending else F(name).asc(nulls_last=True)
            for name, descending in sort_keys(queryset)
        )
    )


def encode_cursor(keys: list[tuple[str, bool]], values: list[Any]) -> str:
    """An opaque token for "the records after the one with these sort-key values"."""
    values = [None if value is None else str(value) for value in values]
    payload = json.dumps({"s": [("-" if d else "") + n for n, d in keys], "v": values})
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(queryset: QuerySet, token: str) -> list[Any]:
    """The sort-key values a cursor holds, as the model's fields read them."""
    keys = sort_keys(queryset)
    try:
        padded = token + "=" * (-len(token) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        if payload["s"] != [("-" if d else "") + n for n, d in keys]:
            raise BadCursor(_("it was made for another sort order"))
        values = payload["v"]
        if not isinstance(values, list) or len(values) != len(keys) or values[-1] is None:
            raise BadCursor(_("it is malformed"))
        fields = [queryset.model._meta.get_field(name) for name, _ in keys]
        return [None if v is None else f.to_python(v) for f, v in zip(fields, values, strict=True)]
    except BadCursor:
        raise
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, binascii.Error) as error:
        raise BadCursor(_("it is malformed")) from error
    except ValidationError as error:
        raise BadCursor(_("it is malformed")) from error


def _strictly_after(name: str, descending: bool, value: Any) -> Q:
    """NULLs sort as if larger than any value (PostgreSQL's default, which its indexes
    follow): last going up, first going down."""
    if value is None:
        return Q(**{f"{name}__isnull": False}) if descending else Q(pk__in=[])
    if descending:
        return Q(**{f"{name}__lt": value})
    return Q(**{f"{name}__gt": value})


def _equal(name: str, value: Any) -> Q:
    return Q(**{f"{name}__isnull": True}) if value is None else Q(**{name: value})


def after(queryset: QuerySet, values: list[Any]) -> list[QuerySet]:
    """The records after the one whose sort-key values are ``values``, as the querysets to
    read one after the other: a range of the sort's index (its first key bounded, so a page
    a million records deep costs what the first one does), then, going up from a value, the
    records whose first key is NULL (they come last, and an OR would defeat the index)."""
    keys = sort_keys(queryset)
    condition = _strictly_after(*keys[-1], values[-1])
    for (name, descending), value in zip(keys[-2::-1], values[-2::-1], strict=True):
        condition = _strictly_after(name, descending, value) | (_equal(name, value) & condition)
    (first, descending), start = keys[0], values[0]
    if start is None or first == "public_id":
        return [queryset.filter(condition)]
    bound = Q(**{f"{first}__lte" if descending else f"{first}__gte": start})
    segments = [queryset.filter(bound, condition)]
    if not descending and queryset.model._meta.get_field(first).null:
        segments.append(queryset.filter(**{f"{first}__isnull": True}))
    return segments


def key_values(row: dict[str, Any], keys: list[tuple[str, bool]]) -> list[Any]:
    return [row[name] for name, _ in keys]


def keys_of(queryset: QuerySet, page: QuerySet) -> tuple[QuerySet, list[Any]]:
    """A page (a slice of ``queryset``) as a queryset of its records by primary key, and the
    sort-key values of its last record, for the cursor to the next page: one query."""
    keys = sort_keys(queryset)
    rows = list(page.values("pk", *(name for name, _ in keys)))
    return queryset.filter(pk__in=[row["pk"] for row in rows]), key_values(rows[-1], keys)


def keyset_page(queryset: QuerySet, values: list[Any], size: int) -> tuple[QuerySet, list | None]:
    """The ``size`` records after ``values`` (a cursor's), in order, and the sort-key values
    of the last one when more follow (for the next cursor), else None. Reads the keys of at
    most ``size + 1`` records from the index first (one query, two past a NULL boundary),
    then hands back the page as a queryset of those records for the representation."""
    keys = sort_keys(queryset)
    names = [name for name, _ in keys]
    rows: list[dict[str, Any]] = []
    for segment in after(queryset, values):
        rows += segment.values("pk", *names)[: size + 1 - len(rows)]
        if len(rows) > size:
            break
    more = len(rows) > size
    rows = rows[:size]
    page = queryset.filter(pk__in=[row["pk"] for row in rows])
    return page, (key_values(rows[-1], keys) if more and rows else None)
