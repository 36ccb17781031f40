"""Load the reference data, the demo fixtures and the real ROR records into an empty registry.

`make run` calls this on every start: the first time it fills the registry, later it leaves
alone whatever curators have changed since (``--force`` loads again, overwriting the demo
records with the fixtures' values).

Every record it brings in has a history: ``loaddata`` saves raw, and django-simple-history
writes no history row for a raw save, so each record the fixtures loaded gets its first row
here (the state loaded, ``+``), through simple-history's own ``bulk_history_create`` as its
``populate_history`` command does; the ROR import saves through the normal path, with its
rows. A ``--force`` load that overwrote what a curator changed leaves a row of the overwrite
(``~``); one that changed nothing adds no row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import models, transaction
from django.db.models.signals import post_save
from simple_history.exceptions import NotHistoricalModelError
from simple_history.utils import get_app_model_primary_key_name, get_history_manager_for_model

from registry.importers.ror import import_ror_records, read_ror_paths
from registry.models import Organisation

ROR_FOLDER = Path(settings.BASE_DIR) / "fixtures" / "ror"
FIRST_STATE = "loaded from the fixtures by load_demo_data"
OVERWRITE = "overwritten from the fixtures by load_demo_data"

# The primary keys of the records saved raw, by model: models that keep no history left out.
Saved = dict[type[models.Model], set[Any]]


class Command(BaseCommand):
    help = "Fill an empty registry with reference data, demo fixtures and the ROR records."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Load even if not empty.")

    def handle(self, *args: Any, force: bool, **options: Any) -> None:
        if Organisation.objects.exists() and not force:
            self.stdout.write("The registry already holds data; demo data not loaded again.")
            return
        with transaction.atomic():
            with raw_saves() as saved:
                call_command("loaddata", "reference", "demo", stdout=self.stdout)
            first = record_first_states(saved)
            report = import_ror_records(read_ror_paths([ROR_FOLDER]))
            # After the import: a record it changed has its own row of the state it left.
            overwritten = record_overwrites(saved)
        self.stdout.write(f"ROR records from {ROR_FOLDER.name}/: {report.summary()}")
        for problem in report.errors:
            self.stderr.write(str(problem))
        self.stdout.write(
            f"History rows for the fixtures' records: {first} first states, "
            f"{overwritten} overwrites."
        )


@contextmanager
def raw_saves() -> Iterator[Saved]:
    """Collect the records saved raw in the block (what ``loaddata`` stores), by model."""
    saved: Saved = defaultdict(set)

    def collect(sender: type[models.Model], instance: Any, raw: bool = False, **kw: Any) -> None:
        if raw and _keeps_history(sender):
            saved[sender].add(instance.pk)

    post_save.connect(collect, weak=False, dispatch_uid="load_demo_data.raw_saves")
    try:
        yield saved
    finally:
        post_save.disconnect(dispatch_uid="load_demo_data.raw_saves")


def record_first_states(saved: Saved) -> int:
    """A history row (``+``) of its state as loaded for each record that has none yet; how
    many were written. A record with history already (a load before) gets none."""
    written = 0
    for model, pks in saved.items():
        history = get_history_manager_for_model(model)
        told = history.filter(**{f"{_pk_name(model)}__in": pks}).values_list(
            _pk_name(model), flat=True
        )
        untold = list(model._base_manager.filter(pk__in=pks).exclude(pk__in=told).order_by("pk"))
        history.bulk_history_create(untold, default_change_reason=FIRST_STATE)
        written += len(untold)
    return written


def record_overwrites(saved: Saved) -> int:
    """A history row (``~``) for each record whose stored state differs from its latest
    history row (a forced load put the fixture's values over a curator's); how many."""
    written = 0
    for model, pks in saved.items():
        history = get_history_manager_for_model(model)
        latest = _latest_rows(history, model, pks)
        columns = [field.attname for field in history.model.tracked_fields]
        changed = [
            record
            for record in model._base_manager.filter(pk__in=pks).order_by("pk")
            if any(getattr(record, c) != getattr(latest[record.pk], c) for c in columns)
        ]
        history.bulk_history_create(changed, update=True, default_change_reason=OVERWRITE)
        written += len(changed)
    return written


def _latest_rows(history: Any, model: type[models.Model], pks: set[Any]) -> dict[Any, Any]:
    """The newest history row of each record in ``pks``, by primary key."""
    name = _pk_name(model)
    rows = history.filter(**{f"{name}__in": pks}).order_by(name, "-history_date", "-history_id")
    latest: dict[Any, Any] = {}
    for row in rows:
        latest.setdefault(getattr(row, name), row)
    return latest


def _pk_name(model: type[models.Model]) -> str:
    return get_app_model_primary_key_name(model)


def _keeps_history(model: type[models.Model]) -> bool:
    try:
        get_history_manager_for_model(model)
    except NotHistoricalModelError:
        return False
    return True
