"""Pages of a list that stay cheap at a million records (the API's and the public listings').

Counting every match of a filter reads every match: over a million projects that is the
slowest part of a page (130 ms of 200 measured). So a list counts at most ``COUNT_CAP``
matches, reading no further than that: below the cap the count is exact, above it the list
says "more than 1,000" (the API's ``count_exact`` is false). Pages past the cap are still
served; whether one more follows is read from the rows, not from a count.
"""

from __future__ import annotations

import math
from functools import cached_property
from typing import Any

from django.core.paginator import EmptyPage, Page, Paginator
from django.db.models import QuerySet

COUNT_CAP = 1_000


def capped_count(queryset: QuerySet) -> tuple[int, bool]:
    """``(count, exact)``: the number of records, or ``COUNT_CAP`` and False when there are
    more. One query that stops after ``COUNT_CAP + 1`` rows (reading only primary keys)."""
    cap = COUNT_CAP
    found = queryset.order_by().values("pk")[: cap + 1].count()
    return (found, True) if found <= cap else (cap, False)


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

    @cached_property
    def count(self) -> int:
        count, self.exact = capped_count(self.object_list)
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
        return self._get_page(self.object_list[bottom:top], number, self)

    def _get_page(self, *args: Any, **kwargs: Any) -> CappedPage:
        return CappedPage(*args, **kwargs)
