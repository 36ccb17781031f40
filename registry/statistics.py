"""Counts and totals of what a reader may see, for every face: the API's ``/stats/``, the
public statistics page and the home page. Each function is one query (a GROUP BY or a COUNT)
over the records ``access.visible`` gives the reader; the faces only arrange the numbers.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Model, QuerySet, Sum
from django.db.models.functions import ExtractYear

from registry import access
from registry.models import FundingLine, Project


def counts(model: type[Model], user: Any, *fields: str) -> Counter:
    """How many records of ``model`` ``user`` may see for each value of ``fields`` (a tuple
    of values when there are several fields). One GROUP BY query."""
    rows = (
        access.visible(model.objects.all(), user)
        .order_by()
        .values_list(*fields)
        .annotate(n=Count("pk"))
    )
    if len(fields) == 1:
        return Counter({value: n for value, n in rows})
    return Counter({tuple(values): n for *values, n in rows})


def total(model: type[Model], user: Any, **conditions: Any) -> int:
    """How many records of ``model`` matching ``conditions`` ``user`` may see. One COUNT."""
    return access.visible(model.objects.filter(**conditions), user).count()


def projects_by_year_and_status(user: Any) -> Counter:
    """Projects by (start year or None, status). One GROUP BY query."""
    rows = (
        access.visible(Project.objects.all(), user)
        .order_by()
        .annotate(year=ExtractYear("start_date"))
        .values_list("year", "status")
        .annotate(n=Count("pk"))
    )
    return Counter({(year, status): n for year, status, n in rows})


def funding_lines(user: Any) -> QuerySet:
    """The funding lines ``user`` may see: those of projects and funders ``user`` may see (a
    line is shown with its funder, as the project pages and the API show it). No query."""
    lines = access.visible(FundingLine.objects.all(), user, "project")
    return access.visible(lines, user, "funder")


def funding_by_currency_and_side(user: Any) -> dict[tuple[str, str], tuple[Decimal, int]]:
    """(total amount, number of lines) by (currency, side) of the funding lines ``user`` may
    see; amounts are never converted between currencies. One GROUP BY query."""
    rows = (
        funding_lines(user)
        .order_by()
        .values_list("currency", "side")
        .annotate(amount=Sum("amount"), lines=Count("pk"))
    )
    return {(currency, side): (amount, lines) for currency, side, amount, lines in rows}


def latest_projects(user: Any, limit: int) -> list[Project]:
    """The projects published last (those with no publication date last). One query."""
    # NULLS LAST as SQLite does: on PostgreSQL a record without a publication date would
    # otherwise top the list of the latest.
    return list(
        access.visible(Project.objects.all(), user).order_by(
            F("published_at").desc(nulls_last=True), F("start_date").desc(nulls_last=True)
        )[:limit]
    )
