"""The API writes JSON with orjson: byte for byte what DRF's own renderer writes."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from rest_framework.renderers import JSONRenderer

from registry.api.renderers import FastJSONRenderer
from registry.models import Facility, Organisation, Project
from tests.conftest import built_for_the_module

RESOURCES = ("organisations", "facilities", "projects", "outputs", "flows", "policies")
RESOURCES += ("funding-schemes", "fields", "priority-areas")


@pytest.fixture(scope="module")
def demo(django_db_setup: Any, django_db_blocker: Any) -> None:
    with built_for_the_module(django_db_blocker):
        call_command("load_demo_data", verbosity=0)
        yield


def addresses() -> list[str]:
    found = ["/api/v1/stats/", "/api/v1/changes/?limit=50", "/api/v1/nowhere/"]
    for resource in RESOURCES:
        base = f"/api/v1/{resource}/"
        found += [base, f"{base}?page_size=500", f"{base}?colour=red", f"{base}?page=999"]
        found += [f"{base}?lang={lang}" for lang in ("zh-hans", "zh-hant")]
    found += ["/api/v1/projects/?brief=true", "/api/v1/projects/?fields=id,title,participants"]
    found += ["/api/v1/facilities/?omit=description", "/api/v1/projects/?q=量子"]
    for model in (Organisation, Facility, Project):
        for record in model.objects.order_by("public_id")[:3]:
            found.append(f"/api/v1/{model.RESOURCE}/{record.public_id}/")
    return found


def test_every_response_is_the_same_bytes_as_drfs_renderer_writes(db: Any, demo: None, api):
    compared = 0
    for address in addresses():
        response = api.get(address)
        data = getattr(response, "data", None)
        if data is None:
            continue
        assert FastJSONRenderer().render(data) == JSONRenderer().render(data), address
        assert response.content == JSONRenderer().render(data), address
        compared += 1
    assert compared >= 60


@pytest.mark.parametrize(
    "data",
    [
        {"text": "line\u2028separator\u2029paragraph", "zh": "深圳湾 | 河套"},
        {"amount": Decimal("1234.50"), "on": datetime.date(2026, 12, 3)},
        {"at": datetime.datetime(2026, 12, 3, 8, 30, 15, 123456, tzinfo=datetime.UTC)},
        {2024: 3, 2025: 7, "nested": [{"a": None, "b": True, "c": 1.5}]},
        {"big": 10**20, "small": -7, "float": 0.1, "e": 1e-7},
        [],
        "plain",
    ],
)
def test_tricky_values_come_out_as_drfs_renderer_writes_them(data: Any) -> None:
    assert FastJSONRenderer().render(data) == JSONRenderer().render(data)


def test_a_pretty_printed_response_is_left_to_drfs_renderer() -> None:
    data = {"a": [1, 2]}
    wanted = "application/json; indent=2"
    assert FastJSONRenderer().render(data, wanted) == JSONRenderer().render(data, wanted)
    assert b"\n" in FastJSONRenderer().render(data, wanted)
