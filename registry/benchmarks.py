"""What ``make bench`` measures, and the floors it measures against (docs/performance.md).

A floor is the least work that produces the same bytes as the real response; each is
asserted byte-identical before it is timed. Real and floor are timed in interleaved rounds
in one run, and ratios of medians are reported, so the machine's speed cancels out.

- The API floor reads the page with the core's lean read path (registry/representations.py:
  the same queries) and writes it with orjson: what is left to measure is the framework
  around it (middleware, DRF's request, authentication, throttling, parameter checks,
  paging, negotiation, rendering).
- The public listing's floor calls the view directly, without the URL resolver and the
  middleware: the template and the queries are the listing's own work.
- ``floor_application`` serves the API floor as a WSGI application, for the throughput
  comparison under gunicorn.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from django.db import connection
from django.http import QueryDict
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from registry import access, filters, paging, representations, search
from registry.models import Project

HOST = "127.0.0.1"
PAGE = 100
LIST = f"/api/v1/projects/?page_size={PAGE}"


@lru_cache(maxsize=1)
def client() -> Client:
    """One client for the run, as one server process serves many requests (a new client
    would load the middleware again, whitenoise's scan of the static files included)."""
    return Client(HTTP_HOST=HOST)


def api_floor(query: str = "", page: int = 1) -> bytes:
    """The unfiltered projects page of the API, built without the framework."""
    records = paging.in_sort_order(access.visible(Project.objects.all(), None))
    matches, count, exact = paging.capped_matches(records)
    start = (page - 1) * PAGE
    results = representations.represent(
        matches[start : start + PAGE], representations.Reader(url_base=f"http://{HOST}")
    )
    more = start + PAGE < count if exact else records[start + PAGE :].exists()
    body = {
        "count": count,
        "count_exact": exact,
        "next": f"http://{HOST}/api/v1/projects/?page={page + 1}&page_size={PAGE}"
        if more and exact
        else None,
        "previous": None,
        "results": results,
    }
    if more and not exact:  # the next page is a cursor past the last record
        keys = paging.sort_keys(records)
        last = paging.key_values(
            records.values(*(name for name, _ in keys))[start + PAGE - 1], keys
        )
        token = paging.encode_cursor(keys, last)
        body["next"] = f"http://{HOST}/api/v1/projects/?cursor={token}&page_size={PAGE}"
    return representations.json_bytes(body)


def public_floor(path: str = "/en/projects/") -> bytes:
    """The public projects listing from its view, without URL resolution or middleware."""
    from registry.public.views import ProjectList

    request = RequestFactory(HTTP_HOST=HOST).get(path)
    with translation.override("en"):
        request.LANGUAGE_CODE = "en"
        return ProjectList.as_view()(request).content


def floor_application(environ: dict, start_response: Callable) -> list[bytes]:
    """The API floor as a WSGI application (served by registry/floor_wsgi.py)."""
    body = api_floor()
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


@dataclass
class Timing:
    real: list[float]
    floor: list[float]

    @property
    def ratio(self) -> float:
        return round(statistics.median(self.real) / statistics.median(self.floor), 2)

    @staticmethod
    def ms(samples: list[float]) -> float:
        return round(statistics.median(samples) * 1000, 1)


def interleaved(real: Callable[[], Any], floor: Callable[[], Any], rounds: int) -> Timing:
    """Time ``real`` and ``floor`` alternately (after a warm-up of each)."""
    real(), floor()
    timing = Timing([], [])
    for _ in range(rounds):
        for function, samples in ((real, timing.real), (floor, timing.floor)):
            start = time.perf_counter()
            function()
            samples.append(time.perf_counter() - start)
    return timing


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def get(address: str) -> bytes:
    response = client().get(address)
    assert response.status_code == 200, (address, response.status_code, response.content[:300])
    return response.content


def queries_of(address: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        get(address)
    return len(queries)


def deepest_address_of(address: str) -> str:
    """The last page of the API list at ``address`` (by page number below the count cap,
    else by the cursor the page before it hands out)."""
    path, _, query = address.partition("?")
    resource = path.strip("/").split("/")[-1]
    model = next(m for m in filters.FILTERSETS if resource == m.RESOURCE)
    base = access.visible(model.objects.all(), None).order_by(*model._meta.ordering)
    records = paging.in_sort_order(filters.FILTERSETS[model](QueryDict(query), base).qs)
    count, exact = paging.capped_count(records)
    if exact:
        return f"{address}&page={max(1, -(-count // PAGE))}"
    keys = paging.sort_keys(records)
    tail = list(records.reverse().values(*(name for name, _ in keys))[: PAGE + 1])
    token = paging.encode_cursor(keys, paging.key_values(tail[-1], keys))
    return f"{address}&cursor={token}"


def deepest_address() -> str:
    return deepest_address_of(LIST)


# A selective search matches at most this many published projects.
FEW = 100


def selective_query() -> str:
    """Words of one project's title that few other projects share: its first three words of
    more than three letters, and one more at a time while they match more than ``FEW``
    projects (at a million synthetic projects three common words match a thousand)."""
    published = access.visible(Project.objects.all(), None)
    title = published.order_by("public_id").values_list("title_en", flat=True)[:1]
    words = [word for word in (title[0] if title else "").split() if len(word) > 3]
    for used in range(min(3, len(words)), len(words) + 1):
        q = " ".join(words[:used])
        count, exact = paging.capped_count(search.filter_queryset(published, q))
        if exact and count <= FEW:
            return q
    return " ".join(words) or "synthetic"


def settle() -> None:
    """Freeze what this process holds now, as a server worker does once it has started
    (hetao/wsgi.py), so that the timings are those of a worker's requests."""
    gc.collect()
    gc.freeze()


def measure(rounds: int) -> dict[str, Any]:
    """Everything but throughput; asserts every floor gives the real bytes first."""
    results: dict[str, Any] = {}
    assert get(LIST) == api_floor(), "the API floor must give the same bytes as the API"
    assert get("/en/projects/") == public_floor(), "the listing floor must give the same bytes"
    results["queries_page_10"] = queries_of("/api/v1/projects/?page_size=10")
    results["queries_page_100"] = queries_of(LIST)
    settle()

    api = interleaved(lambda: get(LIST), api_floor, rounds)
    results["api_list_ratio"] = api.ratio
    results["api_list_ms"] = Timing.ms(api.real)
    results["api_list_floor_ms"] = Timing.ms(api.floor)
    results["api_list_p90_over_p50"] = round(
        percentile(api.real, 0.9) / statistics.median(api.real), 2
    )
    public = interleaved(lambda: get("/en/projects/"), public_floor, rounds)
    results["public_list_ratio"] = public.ratio
    results["public_list_ms"] = Timing.ms(public.real)

    q = selective_query()
    searched = f"{LIST}&{urlencode({'q': q})}"
    searching = interleaved(lambda: get(searched), lambda: get(LIST), rounds)
    results["search_ratio"] = searching.ratio
    results["search_query"] = q
    results["search_matches"] = paging.capped_count(
        search.filter_queryset(access.visible(Project.objects.all(), None), q)
    )[0]
    deepest = deepest_address()
    deep = interleaved(lambda: get(deepest), lambda: get(LIST), rounds)
    results["deep_page_ratio"] = deep.ratio
    results["deep_page_ms"] = Timing.ms(deep.real)
    return results
