"""The indexes a resource's lists need (docs/architecture.md §4, "Lists at scale")."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import models


def list_indexes(
    prefix: str,
    ordering: Sequence[str],
    sortable: Sequence[str],
    narrowing: Sequence[str] = (),
    covering: Sequence[str] = (),
) -> list[models.Index]:
    """The indexes a resource's lists need (docs/architecture.md §7): one for its default
    ``ordering``; one per ``sortable`` field followed by ``public_id``, which serves ``x``
    and ``-x`` alike (read backwards; the lists break ties by ``public_id`` in the direction
    of the last field, see registry/filters.py); and one per ``narrowing`` field (a choice
    the lists filter on) followed by the default ordering, so that a filtered first page is
    read in order from the index instead of sorting every match. A narrowing index carries
    the publication state and the primary key too, so that a list's capped count of one
    choice (``kind=laboratory``: published ones, up to 1,001) is read from the index alone:
    without them the database read the table from its start until it had found enough,
    10,000 rows at 1 M for a choice held by one record in eight. The default order's index
    also carries the ``covering`` columns (PostgreSQL's INCLUDE; SQLite has none), so that a
    filter on them is tested in the index, without reading a row per entry."""
    indexes = []
    if tuple(ordering) not in {(field, "public_id") for field in sortable}:
        indexes.append(
            models.Index(fields=list(ordering), name=f"{prefix}_list", include=list(covering))
        )
    for field in sortable:
        indexes.append(models.Index(fields=[field, "public_id"], name=f"{prefix}_by_{field}"[:30]))
    for field in narrowing:
        indexes.append(
            models.Index(
                fields=[field, *ordering],
                name=f"{prefix}_{field}_list"[:30],
                include=["publication", "id"],
            )
        )
    return indexes
