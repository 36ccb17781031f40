"""``page`` and ``page_size`` (default 50, at most 500), checked strictly: ``page=abc`` is a
400 naming the parameter, not page 1. ``count`` stops at 1,000 (registry/paging.py):
``count_exact`` says whether it is the real number."""

from __future__ import annotations

from typing import Any

from django.core.paginator import InvalidPage
from django.utils.translation import gettext_lazy as _
from rest_framework import pagination
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from registry import paging
from registry.api.errors import InvalidParameters
from registry.filters import UNKNOWN
from registry.paging import COUNT_CAP, CappedPaginator

MAX_PAGE_SIZE = 500


def _positive_int(request: Request, name: str, default: int, maximum: int | None = None) -> int:
    raw = request.query_params.getlist(name)
    if not raw:
        return default
    if len(raw) > 1:
        raise InvalidParameters({name: [_("Give %(name)s once.") % {"name": name}]})
    value = raw[0]
    if not value.isdigit() or int(value) < 1 or (maximum and int(value) > maximum):
        limit = f" (1–{maximum})" if maximum else ""
        raise InvalidParameters(
            {
                name: [
                    _("%(name)s must be a whole number of at least 1%(limit)s.")
                    % {"name": name, "limit": limit}
                ]
            }
        )
    return int(value)


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    django_paginator_class = CappedPaginator

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list:
        return list(self.page_of(queryset, request))

    def page_of(self, queryset: Any, request: Request) -> Any:
        """The page the request asks for, as an unevaluated queryset of its records (a capped
        COUNT query first; the records are read by whoever shows them). ``page`` numbers a
        page by its position; ``cursor`` (handed out in ``next`` once a list is longer than
        the count cap) continues after a record, at the same cost however deep."""
        self.request = request
        page_size = _positive_int(request, "page_size", self.page_size, MAX_PAGE_SIZE)
        # Curated lists end their sort with public_id and take cursors; the reference
        # vocabularies (a few dozen codes) are paged by number only.
        self.keys = paging.sort_keys(queryset) if paging.keyed(queryset) else None
        if self.keys:
            queryset = paging.in_sort_order(queryset)
        cursors = request.query_params.getlist("cursor")
        if cursors and not self.keys:
            # Such a list never hands out a cursor, nor documents one.
            raise InvalidParameters({"cursor": [UNKNOWN]})
        if cursors:
            return self._after_cursor(queryset, request, cursors, page_size)
        number = _positive_int(request, "page", 1)
        paginator = self.django_paginator_class(queryset, page_size)
        try:
            self.page = paginator.page(number)
        except InvalidPage:
            if not paginator.exact:
                raise NotFound(_("There is no page %(number)s.") % {"number": number}) from None
            raise NotFound(
                _("There is no page %(number)s; the last page is %(last)s.")
                % {"number": number, "last": paginator.num_pages}
            ) from None
        self.count, self.exact = paginator.count, paginator.exact
        self.next_values = None
        if self.keys and not paginator.exact and self.page.has_next():
            # A long list continues by cursor: as cheap a thousand pages on as here. The
            # page's keys are read once, and its records then by primary key, so a filter
            # that is slow to match is not matched twice.
            page, self.next_values = paging.keys_of(queryset, self.page.object_list)
            return page
        return self.page.object_list

    def _after_cursor(
        self, queryset: Any, request: Request, cursors: list[str], page_size: int
    ) -> Any:
        if len(cursors) > 1 or "page" in request.query_params:
            raise InvalidParameters({"cursor": [_("Give one cursor, and no page with it.")]})
        try:
            values = paging.decode_cursor(queryset, cursors[0])
        except paging.BadCursor as error:
            raise InvalidParameters(
                {
                    "cursor": [
                        _("This is not a cursor this list handed out: %(why)s.") % {"why": error}
                    ]
                }
            ) from None
        self.page = None
        records, self.next_values = paging.keyset_page(queryset, values, page_size)
        self.count, self.exact = paging.capped_count(queryset)
        return records

    def get_next_link(self) -> str | None:
        if self.next_values is not None:
            url = remove_query_param(self.request.build_absolute_uri(), self.page_query_param)
            token = paging.encode_cursor(self.keys, self.next_values)
            return replace_query_param(url, "cursor", token)
        return None if self.page is None else super().get_next_link()

    def get_previous_link(self) -> str | None:
        # Cursors go forward (a partner syncing reads on to the end); page numbers go both ways.
        return None if self.page is None else super().get_previous_link()

    def get_paginated_response(self, data: Any) -> Response:
        return Response(
            {
                "count": self.count,
                "count_exact": self.exact,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict) -> dict:
        described = super().get_paginated_response_schema(schema)
        described["required"] = ["count", "count_exact", "results"]
        described["properties"]["count"] = {
            "type": "integer",
            "minimum": 0,
            "maximum": COUNT_CAP,
            "description": (
                f"How many records match, counted up to {COUNT_CAP:,}: "
                f"when more match, this is {COUNT_CAP:,} and count_exact is false."
            ),
        }
        described["properties"] = {
            "count": described["properties"]["count"],
            "count_exact": {
                "type": "boolean",
                "description": f"False when more than {COUNT_CAP:,} records match.",
            },
            **{k: v for k, v in described["properties"].items() if k != "count"},
        }
        return described

    def get_schema_operation_parameters(self, view: Any) -> list[dict]:
        page = {
            "name": "page",
            "required": False,
            "in": "query",
            "description": "Page number (from 1).",
            "schema": {"type": "integer", "minimum": 1, "maximum": 2147483647},
        }
        cursor = {
            "name": "cursor",
            "required": False,
            "in": "query",
            "description": (
                "Where to continue a long list: the token in a response's `next` link "
                f"once more than {COUNT_CAP:,} records match (not with `page`)."
            ),
            "schema": {"type": "string", "minLength": 1, "maxLength": 400},
        }
        # Only lists sorted down to the public id hand out cursors (the curated resources);
        # the others are paged by number alone.
        model = view.get_serializer_class().Meta.model
        keyed = paging.keyed(model._default_manager.all())
        return [
            page,
            *([cursor] if keyed else []),
            {
                "name": "page_size",
                "required": False,
                "in": "query",
                "description": f"Results per page (default 50, at most {MAX_PAGE_SIZE}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
            },
        ]
