"""A partner syncs from nothing with a dump and then the change feed (docs/api.md,
"Syncing"): the dump's manifest says where in /api/v1/changes/ it stands."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from registry import exports
from registry.models import ChangeEvent, Publication
from tests.factories import FacilityFactory

pytestmark = pytest.mark.django_db


def test_the_manifest_names_the_feed_cursor_the_dump_was_taken_at(tmp_path, zone_editor):
    lab = FacilityFactory(publication=Publication.PUBLISHED, name_en="Bay Lab")
    FacilityFactory(publication=Publication.PUBLISHED)

    manifest = exports.write_dump(tmp_path).data
    assert manifest["changes_cursor"] == ChangeEvent.objects.latest("pk").pk

    lab.name_en = "Bay Lab II"
    lab.save(user=zone_editor)
    feed = APIClient().get(f"/api/v1/changes/?since={manifest['changes_cursor']}").json()

    assert [(e["event"], e["id"]) for e in feed["results"]] == [("updated", lab.public_id)]


def test_an_empty_registry_dumps_cursor_zero(tmp_path):
    assert exports.write_dump(tmp_path).data["changes_cursor"] == 0
