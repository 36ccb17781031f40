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

from registry.api.errors import InvalidParameters
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
        """The page the request asks for, as an unevaluated slice of ``queryset`` (a COUNT
        query for the number of pages; the slice is read by whoever shows it)."""
        self.request = request
        page_size = _positive_int(request, "page_size", self.page_size, MAX_PAGE_SIZE)
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
        return self.page.object_list

    def get_paginated_response(self, data: Any) -> Response:
        return Response(
            {
                "count": self.page.paginator.count,
                "count_exact": self.page.paginator.exact,
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
        return [
            {
                "name": "page",
                "required": False,
                "in": "query",
                "description": "Page number (from 1).",
                "schema": {"type": "integer", "minimum": 1, "maximum": 2147483647},
            },
            {
                "name": "page_size",
                "required": False,
                "in": "query",
                "description": f"Results per page (default 50, at most {MAX_PAGE_SIZE}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
            },
        ]
