"""``make bench-scale``: every filter and ordering of every list, timed and EXPLAINed.

For each API list (the seven curated resources) and each public listing, one address per
filter (with a value the data holds), per ordering (both directions, first page and the
deepest one), and the unfiltered first and deepest pages. Each address is requested a few
times (p50 and p95), and every SELECT it ran is run again under EXPLAIN ANALYZE: a sequential
scan that reads more than ``LARGE`` rows of a table (a scan that a LIMIT stops after a few
rows reads few) is reported, and makes ``bench --scale`` fail.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.db import connection
from django.test.utils import CaptureQueriesContext

from registry import benchmarks, filters
from registry.models import (
    Facility,
    FundingScheme,
    Organisation,
    Participation,
    PolicyInstrument,
    PriorityArea,
    Project,
    SubArea,
)

LARGE = 10_000
REPEAT = 20
PUBLIC = {Facility: "/en/facilities/", Project: "/en/projects/", Organisation: "/en/organisations/"}


@dataclass
class Report:
    latencies: dict[str, dict[str, float]] = field(default_factory=dict)
    sequential_scans: list[dict[str, str]] = field(default_factory=list)


def first(queryset: Any) -> str:
    return str(queryset.first() or "")


def samples() -> dict[str, str]:
    """A value the data holds for each filter parameter (by the parameter's name)."""
    participant = Participation.objects.exclude(facility=None).order_by("id")
    return {
        "q": "量子",
        "updated_since": "2026-11-20",
        "owner": first(
            Project.objects.exclude(owner=None).values_list("owner__public_id", flat=True)
        ),
        "organisation": first(participant.values_list("organisation__public_id", flat=True)),
        "host": first(
            Facility.hosts.through.objects.values_list("organisation__public_id", flat=True)
        ),
        "funder": first(
            Project.funding_lines.rel.related_model.objects.values_list(
                "funder__public_id", flat=True
            )
        ),
        "issuer": first(Organisation.objects.values_list("public_id", flat=True)),
        "facility": first(participant.values_list("facility__public_id", flat=True)),
        "parent": first(Facility.objects.values_list("public_id", flat=True)),
        "project": first(Project.objects.values_list("public_id", flat=True)),
        "scheme": first(FundingScheme.objects.values_list("public_id", flat=True)),
        "mechanism": first(PolicyInstrument.objects.values_list("public_id", flat=True)),
        "sub_area": first(SubArea.objects.values_list("code", flat=True)),
        "priority_area": first(PriorityArea.objects.values_list("code", flat=True)),
        "ror_id": first(Organisation.objects.exclude(ror_id="").values_list("ror_id", flat=True)),
        "field": "2",
        "role": "host",
        "side": "other",
        "currency": "HKD",
        "country": "HK",
        "city": "Shenzhen",
        "cross_border": "true",
        "key_achievement": "true",
    }


def value_for(name: str, declared: Any, known: dict[str, str]) -> str | None:
    if name in known:
        return known[name] or None
    choices = getattr(declared, "extra", {}).get("choices")
    if choices:
        return str(next(iter(choices))[0])
    kind = type(declared).__name__
    if kind == "DateFilter":
        return "2020-01-01"
    if kind == "YearFilter":
        return "2000"
    if kind == "BoundedNumberFilter":
        return "1000000"
    return None


def addresses() -> Iterator[tuple[str, str]]:
    """(label, address) for every list address bench-scale checks."""
    known = samples()
    for model, filterset in filters.FILTERSETS.items():
        base = f"/api/v1/{model.RESOURCE}/?page_size=100"
        yield f"api {model.RESOURCE}", base
        for name, declared in filterset.base_filters.items():
            if name == "ordering":
                continue
            value = value_for(name, declared, known)
            if value is not None:
                yield f"api {model.RESOURCE} {name}", f"{base}&{urlencode({name: value})}"
        for sortable in model.SORTABLE:
            for direction in ("", "-"):
                yield (
                    f"api {model.RESOURCE} ordering={direction}{sortable}",
                    (f"{base}&ordering={direction}{sortable}"),
                )
        if model in PUBLIC:
            listing = PUBLIC[model]
            yield f"public {listing}", listing
            for name, declared in filterset.base_filters.items():
                value = value_for(name, declared, known) if name != "ordering" else None
                if value is not None:
                    yield f"public {listing} {name}", f"{listing}?{urlencode({name: value})}"


def deepest(address: str) -> str | None:
    """The last page of the list at ``address``, following ``next`` from a cursor near the
    end (or None when the list fits one page)."""
    body = benchmarks.client().get(address).json()
    if not body.get("next"):
        return None
    if body["count_exact"]:
        pages = -(-body["count"] // 100)
        return f"{address}&page={pages}"
    return benchmarks.deepest_address_of(address)


def plans(queries: list[dict[str, str]]) -> Iterator[tuple[str, dict]]:
    """(sql, plan) of every SELECT, run again under EXPLAIN (ANALYZE, FORMAT JSON)."""
    with connection.cursor() as cursor:
        for query in queries:
            if query["sql"].lstrip().upper().startswith("SELECT"):
                cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + query["sql"])
                yield query["sql"], cursor.fetchone()[0][0]["Plan"]


def sequential_reads(plan: dict) -> Iterator[tuple[str, int]]:
    """(table, rows read) of each sequential scan in the plan: the rows it returned and the
    rows its filter removed, over all its loops (a scan stopped early by a LIMIT reads few)."""
    if plan.get("Node Type") == "Seq Scan":
        loops = plan.get("Actual Loops", 1)
        read = (plan.get("Actual Rows", 0) + plan.get("Rows Removed by Filter", 0)) * loops
        yield plan["Relation Name"], int(read)
    for child in plan.get("Plans", []):
        yield from sequential_reads(child)


def large_tables() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relkind = 'r' AND reltuples > %s", [LARGE]
        )
        return {row[0] for row in cursor.fetchall()}


def check(stdout: Any) -> Report:
    if connection.vendor != "postgresql":
        raise RuntimeError("bench --scale needs PostgreSQL (DATABASE_URL)")
    report = Report()
    large = large_tables()
    client = benchmarks.client()
    todo = list(addresses())
    for model in filters.FILTERSETS:
        for sortable in ("", *model.SORTABLE, *(f"-{s}" for s in model.SORTABLE)):
            base = f"/api/v1/{model.RESOURCE}/?page_size=100"
            address = f"{base}&ordering={sortable}" if sortable else base
            last = deepest(address)
            if last:
                todo.append((f"api {model.RESOURCE} deepest {sortable or 'default'}", last))
    benchmarks.settle()
    for label, address in todo:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(address)
        if response.status_code != 200:
            raise RuntimeError(f"{label}: {address} answered {response.status_code}")
        for sql, plan in plans(queries.captured_queries):
            for table, read in sequential_reads(plan):
                if table in large and read > LARGE:
                    report.sequential_scans.append(
                        {"list": label, "table": table, "rows_read": read, "sql": sql[:2000]}
                    )
        samples_ = []
        for _ in range(REPEAT):
            start = time.perf_counter()
            client.get(address)
            samples_.append(time.perf_counter() - start)
        p50 = statistics.median(samples_) * 1000
        p95 = benchmarks.percentile(samples_, 0.95) * 1000
        report.latencies[label] = {"p50_ms": round(p50, 1), "p95_ms": round(p95, 1)}
        stdout.write(f"  {p50:7.1f} ms p50 {p95:7.1f} ms p95  {label}")
    slowest = sorted(report.latencies.items(), key=lambda item: -item[1]["p95_ms"])[:3]
    stdout.write("slowest three (p95): " + "; ".join(f"{k} {v['p95_ms']} ms" for k, v in slowest))
    for scan in report.sequential_scans:
        stdout.write(
            f"SEQUENTIAL SCAN of {scan['rows_read']} rows of {scan['table']} in {scan['list']}"
        )
    return report
