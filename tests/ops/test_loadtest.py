"""``manage.py loadtest`` (registry/loadtest.py) for a few seconds against the live (threaded)
server: lists, details, searches and If-Match PATCHes from concurrent workers give no 5xx,
lose no update, and leave one history row per 2xx write. CI's short load run on both databases
(DATABASE_URL selects one, as for tests/api/test_concurrency.py)."""

from __future__ import annotations

import io
import json

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection

from registry import loadtest
from registry.models import CURATED_MODELS, ApiToken, Publication
from tests.factories import (
    FacilityFactory,
    OrganisationFactory,
    OutputFactory,
    PolicyInstrumentFactory,
    ProjectFactory,
)


@pytest.fixture
def demo_like(hong_kong_partner_org):
    """Published records of several kinds for the readers, and the partner's own: two drafts
    and a record in review (which it changes directly) and a published one (which it does not:
    the load never writes it)."""
    for n in range(3):
        OrganisationFactory(name_en=f"Lok Ma Chau Loop Institute {n}", name_zh_hant="河套研究院")
        FacilityFactory(name_en=f"Quantum laboratory {n}", name_zh_hans="深圳湾实验室")
        PolicyInstrumentFactory()
    project = ProjectFactory(title_en="Cross-border materials project")
    OutputFactory(project=project)
    owned = [
        FacilityFactory(
            name_en="Partner laboratory", publication=Publication.DRAFT, owner=hong_kong_partner_org
        ),
        ProjectFactory(
            title_en="Partner project", publication=Publication.DRAFT, owner=hong_kong_partner_org
        ),
        OutputFactory(
            project=project, publication=Publication.IN_REVIEW, owner=hong_kong_partner_org
        ),
    ]
    FacilityFactory(name_en="Partner's published laboratory", owner=hong_kong_partner_org)
    return owned


@pytest.mark.django_db(transaction=True)
def test_mixed_load_loses_no_update_and_leaves_a_history_row_per_write(
    live_server, hong_kong_partner, demo_like, monkeypatch, capsys
):
    from rest_framework.throttling import SimpleRateThrottle

    # The server under test runs with high rates (as `make serve` for a load run would).
    monkeypatch.setattr(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        {"anonymous": "1000000/minute", "token": "1000000/minute"},
    )
    cache.clear()
    if connection.vendor == "sqlite":
        assert not connection.is_in_memory_db(), "the live server's threads would share one "
        "connection: hetao/test_settings.py gives the SQLite test database a file"
    _token, raw = ApiToken.issue(hong_kong_partner, scopes=["read", "write"])

    out = io.StringIO()
    call_command(
        "loadtest",
        url=live_server.url,
        token=raw,
        seconds=3,
        concurrency=4,
        records=4,
        seed="tests",
        json=True,
        stdout=out,
    )
    lines = out.getvalue().splitlines()
    report = json.loads(lines[-1])
    with capsys.disabled():
        print(f"\n[loadtest on {connection.vendor}]\n" + "\n".join(lines[:-1]))

    assert report["failures"] == [], report["failures"]
    assert report["server_errors"] == 0, report["samples"]["server_errors"]
    assert report["transport_errors"] == 0, report["samples"]["transport"]
    assert report["unexpected"] == 0, report["samples"]["unexpected"]
    assert report["lost_updates"] == 0, report["problems"]
    assert report["history_rows"] == report["writes"], report["records"]
    assert report["writes"] >= 3, report["statuses_by_kind"]  # some PATCHes got through
    assert report["proposals"] == 0  # no published record was written
    # The three the partner changes directly, and one facility the command added (POST).
    written = {record["id"] for record in report["records"]}
    assert {record.public_id for record in demo_like} <= written
    assert report["records_added"] == 1
    assert all(report["statuses_by_kind"][kind].get("200") for kind in ("list", "detail"))
    assert report["statuses_by_kind"]["search"].get("200")

    # The same, read here: every written record is at version 1 + its 2xx writes, with one
    # history row for its creation and one for each write.
    by_id = {record["id"]: record for record in report["records"]}
    for model in CURATED_MODELS:
        for record in model.objects.filter(public_id__in=by_id):
            writes = by_id[record.public_id]["writes"]
            assert record.version == 1 + writes, (record.public_id, record.version, writes)
            assert model.history.filter(id=record.pk).count() == 1 + writes


@pytest.mark.django_db
def test_the_check_finds_two_writes_from_one_etag_and_a_write_overwritten(hong_kong_partner_org):
    """What the run reports when the optimistic lock fails: two 2xx PATCHes that answered one
    version (one history row and one version for two writes), and a record whose stored text
    is not the last 2xx write's. Either fails the run, and so does a 5xx."""
    twice, overwritten = (
        FacilityFactory(publication=Publication.DRAFT, owner=hong_kong_partner_org)
        for _ in range(2)
    )
    targets = [loadtest.Target("facilities", record.public_id) for record in (twice, overwritten)]
    assert all(target.snapshot() for target in targets)
    assert [target.version for target in targets] == [1, 1]
    for record, text in ((twice, "write B"), (overwritten, "someone else's")):
        record.description_en = text
        record.save()
    writes = [
        loadtest.Write(twice.public_id, 2, "write A"),
        loadtest.Write(twice.public_id, 2, "write B"),
        loadtest.Write(overwritten.public_id, 2, "write C"),
    ]

    records, problems = loadtest.check(targets, writes)

    assert records == [
        {
            "id": twice.public_id,
            "writes": 2,
            "initial_version": 1,
            "stored_version": 2,
            "history_rows": 1,
            "landed": 2,
            "lost": 1,
        },
        {
            "id": overwritten.public_id,
            "writes": 1,
            "initial_version": 1,
            "stored_version": 2,
            "history_rows": 1,
            "landed": 1,
            "lost": 1,
        },
    ]
    assert len(problems) == 4, problems  # version, one version twice, history; the text
    tally = loadtest.Tally(writes=writes)
    report = loadtest.Report("http://x", "sqlite", 1.0, 1, records, tally, problems=problems)
    assert report.failures() == ["lost updates: 2", "history rows 2 for 3 stored writes"]
    tally.statuses["patch"][500] += 1
    assert report.failures()[0] == "5xx answers: 1"


@pytest.mark.django_db
def test_in_an_outage_a_write_answered_503_may_have_landed_but_a_2xx_one_must_have(
    hong_kong_partner_org,
):
    """A PATCH answered 503 while the database went away may have committed before its
    connection died: either outcome passes, as long as every 2xx write is stored and every
    history row stands for a stored write. A 2xx write missing still fails."""
    landed, vanished = (
        FacilityFactory(publication=Publication.DRAFT, owner=hong_kong_partner_org)
        for _ in range(2)
    )
    targets = [loadtest.Target("facilities", record.public_id) for record in (landed, vanished)]
    assert all(target.snapshot() for target in targets)
    landed.description_en = "answered 503"
    landed.save()  # version 2: the 503'd write committed after all
    uncertain = [
        loadtest.Write(landed.public_id, 2, "answered 503"),
        loadtest.Write(vanished.public_id, 2, "answered 503 too"),  # and did not commit
    ]

    records, problems = loadtest.check(targets, [], uncertain)

    assert problems == []
    assert [(r["landed"], r["history_rows"], r["lost"]) for r in records] == [(1, 1, 0), (0, 0, 0)]
    claimed = [loadtest.Write(vanished.public_id, 2, "a 2xx that is not there")]
    records, problems = loadtest.check(targets, claimed, uncertain)
    assert records[1]["lost"] >= 1 and problems
