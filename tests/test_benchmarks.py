"""``make bench``'s floors give the same bytes as what they are measured against; bench-scale
counts the rows a sequential scan reads."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.management import call_command

from registry import benchmarks, paging, scale
from registry.models import Project
from tests.conftest import built_for_the_module


@pytest.fixture(scope="module")
def synthetic(django_db_setup: Any, django_db_blocker: Any) -> None:
    with built_for_the_module(django_db_blocker):
        call_command("generate_synthetic", projects=150, seed=2, verbosity=0)
        yield


@pytest.fixture(autouse=True)
def _bench_client(settings: Any) -> None:
    """bench's client, as bench runs it: on 127.0.0.1, one client per run."""
    settings.ALLOWED_HOSTS = [benchmarks.HOST]
    benchmarks.client.cache_clear()


@pytest.mark.parametrize("cap", [1_000, 50])
def test_the_api_floor_gives_the_api_pages_bytes(db: Any, synthetic: None, monkeypatch, cap):
    """With an exact count (a page link next) and past the cap (a cursor next)."""
    monkeypatch.setattr(paging, "COUNT_CAP", cap)

    assert benchmarks.api_floor() == benchmarks.get(benchmarks.LIST)


def test_the_listing_floor_gives_the_public_listings_bytes(db: Any, synthetic: None) -> None:
    assert benchmarks.public_floor() == benchmarks.get("/en/projects/")


def test_the_deepest_page_is_the_last_one(db: Any, synthetic: None, monkeypatch) -> None:
    monkeypatch.setattr(paging, "COUNT_CAP", 50)
    last = benchmarks.client().get(benchmarks.deepest_address()).json()

    assert last["next"] is None and len(last["results"]) == 100
    assert "cursor=" in benchmarks.deepest_address()


def test_the_selective_search_matches_few_projects(db: Any, synthetic: None, monkeypatch) -> None:
    """Words of one title, one more while they match more than benchmarks.FEW projects."""
    monkeypatch.setattr(benchmarks, "FEW", 1)
    q = benchmarks.selective_query()
    found = benchmarks.client().get(f"{benchmarks.LIST}&{urlencode({'q': q})}").json()

    title = Project.objects.order_by("public_id").values_list("title_en", flat=True)[0]
    assert q.split() == [word for word in title.split() if len(word) > 3][: len(q.split())]
    assert found["count_exact"] and found["count"] >= 1
    # Few enough, or every word of the title was needed (and other titles share them all).
    assert found["count"] <= 1 or len(q.split()) == len([w for w in title.split() if len(w) > 3])


def test_a_sequential_scan_is_counted_by_the_rows_it_reads() -> None:
    plan = {
        "Node Type": "Limit",
        "Plans": [
            {
                "Node Type": "Seq Scan",
                "Relation Name": "registry_project",
                "Actual Rows": 1001,
                "Rows Removed by Filter": 40,
                "Actual Loops": 1,
            },
            {
                "Node Type": "Seq Scan",
                "Relation Name": "registry_facility",
                "Actual Rows": 3,
                "Rows Removed by Filter": 20_000,
                "Actual Loops": 2,
            },
        ],
    }

    assert list(scale.sequential_reads(plan)) == [
        ("registry_project", 1041),
        ("registry_facility", 40_006),
    ]
