"""``manage.py bench``: performance as ratios measured in one run (make bench).

Measures, on whatever database is configured (make bench uses a fresh SQLite file):
- queries of every list endpoint at page_size 10 and 100 (the ratio must be 1.0);
- the time of the projects and facilities API list pages (page_size 100, full representation)
  against a floor: the same rows read with ``values()`` and dumped with orjson.
The last line printed is one JSON object with the ratios.
"""

from __future__ import annotations

import json
import statistics
import time
from typing import Any

import orjson
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from registry import access
from registry.models import Facility, Project
from registry.scripts import field_names

ENDPOINTS = (
    "organisations",
    "facilities",
    "projects",
    "outputs",
    "flows",
    "policies",
    "funding-schemes",
)


def timed(function: Any, repeat: int) -> float:
    """Median seconds of ``repeat`` runs (after one warm-up)."""
    function()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


class Command(BaseCommand):
    help = "Measure API query counts and speed against a values()+orjson floor."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--projects", type=int, default=1000)
        parser.add_argument("--repeat", type=int, default=15)

    def handle(self, *args: Any, projects: int, repeat: int, **options: Any) -> None:
        if Project.objects.count() < projects:
            call_command("generate_synthetic", projects=projects, stdout=self.stdout)
        client = Client(HTTP_HOST="127.0.0.1")
        results: dict[str, Any] = {}

        for endpoint in ENDPOINTS:
            counts = []
            for size in (10, 100):
                with CaptureQueriesContext(connection) as queries:
                    response = client.get(f"/api/v1/{endpoint}/?page_size={size}")
                assert response.status_code == 200, (endpoint, response.status_code)
                counts.append(len(queries))
            results[f"queries_{endpoint}_100_over_10"] = round(counts[1] / counts[0], 3)
            self.stdout.write(f"{endpoint}: {counts[0]} queries at 10, {counts[1]} at 100")

        for endpoint, model, fields in (
            (
                "projects",
                Project,
                (
                    "public_id",
                    *field_names("title"),
                    "status",
                    "start_date",
                    "end_date",
                    "cross_border",
                    "curating_section",
                    "publication",
                    "version",
                    "created_at",
                    "updated_at",
                ),
            ),
            (
                "facilities",
                Facility,
                (
                    "public_id",
                    *field_names("name"),
                    "kind",
                    "section",
                    "status",
                    "curating_section",
                    "publication",
                    "version",
                    "created_at",
                    "updated_at",
                ),
            ),
        ):

            def api(endpoint: str = endpoint) -> None:
                response = client.get(f"/api/v1/{endpoint}/?page_size=100")
                assert response.status_code == 200

            def floor(model: Any = model, fields: tuple = fields) -> None:
                rows = list(
                    access.public(model.objects.all())
                    .order_by(*model._meta.ordering)
                    .values(*fields)[:100]
                )
                orjson.dumps({"count": len(rows), "results": rows}, default=str)

            api_seconds, floor_seconds = timed(api, repeat), timed(floor, repeat)
            results[f"api_{endpoint}_list_over_floor"] = round(api_seconds / floor_seconds, 2)
            self.stdout.write(
                f"{endpoint} list page of 100: API {api_seconds * 1000:.1f} ms, "
                f"floor {floor_seconds * 1000:.1f} ms"
            )
        self.stdout.write(json.dumps(results, sort_keys=True))
