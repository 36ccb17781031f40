"""The permission matrix of the REST API: who may list, read, create, change and delete which
curated record (docs/architecture.md §1; registry/access.py).

Every cell is one request by one persona on one resource, and checks the status code AND the
stored data afterwards. The expectations below are written from the rules, not read off the
code: a cell that fails is a disagreement between the two.

Personas: the public, a partner of organisation A (Hong Kong), a partner of organisation B
(Shenzhen), a Shenzhen curator, a Hong Kong curator, a zone editor, and a superuser (the only
one who hard-deletes).

Records, built once for the module (every cell runs in a savepoint that is rolled back after
it, so each cell finds them as built, and sees what it changed itself):
- ``A-published`` / ``A-draft``: owned by A (and, A being a Hong Kong organisation, curated by
  Hong Kong); partner A's cell ids call them ``own-published`` / ``own-draft``;
- ``sz-published`` / ``sz-draft``: owned by nobody, curated by Shenzhen;
- ``hk-published``: owned by nobody, curated by Hong Kong (curator, editor and superuser rows).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from rest_framework.test import APIClient

from registry.models import (
    ApiToken,
    ChangeRequest,
    Facility,
    FactorFlow,
    FundingScheme,
    Organisation,
    Output,
    PolicyInstrument,
    Project,
    Publication,
    Section,
)
from tests.conftest import (
    built_for_the_module,
    make_hong_kong_curator,
    make_hong_kong_partner_org,
    make_partner,
    make_shenzhen_curator,
    make_shenzhen_partner_org,
    make_superuser,
    make_zone_editor,
)
from tests.factories import FACTORIES, CuratedFactory, ProjectFactory

pytestmark = pytest.mark.django_db

SZ, HK = Section.SHENZHEN, Section.HONG_KONG


# -- the resources ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Resource:
    path: str
    model: type
    text_key: str  # the API's trilingual field a PATCH changes
    text_attr: str  # the model field that stores its English text
    create_payload: Callable[[dict[str, str]], dict[str, Any]]

    @property
    def factory(self) -> type[CuratedFactory]:
        return FACTORIES[self.path]


def _text(resource_key: str, value: str) -> dict[str, Any]:
    return {resource_key: {"en": value}}


RESOURCES = {
    r.path: r
    for r in (
        Resource(
            "organisations",
            Organisation,
            "names",
            "name_en",
            lambda refs: {"kind": "university", "jurisdiction": "hong_kong"},
        ),
        Resource(
            "facilities",
            Facility,
            "names",
            "name_en",
            lambda refs: {"kind": "laboratory", "section": "hong_kong", "status": "planned"},
        ),
        Resource(
            "projects",
            Project,
            "titles",
            "title_en",
            lambda refs: {"status": "proposed", "start_date": "2026-01-01"},
        ),
        Resource(
            "outputs",
            Output,
            "titles",
            "title_en",
            lambda refs: {"kind": "publication", "project": refs["project"]},
        ),
        Resource(
            "flows",
            FactorFlow,
            "descriptions",
            "description_en",
            lambda refs: {
                "factor": "personnel",
                "direction": "northbound",
                "status": "planned",
                "project": refs["project"],
            },
        ),
        Resource(
            "policies",
            PolicyInstrument,
            "names",
            "name_en",
            lambda refs: {"status": "proposed"},
        ),
        Resource(
            "funding-schemes",
            FundingScheme,
            "names",
            "name_en",
            lambda refs: {},
        ),
    )
}


# -- the records --------------------------------------------------------------------------------
@dataclass(frozen=True)
class RecordSpec:
    key: str
    published: bool
    owner: str | None  # "A" or None
    section: str


RECORDS = {
    r.key: r
    for r in (
        RecordSpec("A-published", True, "A", HK),
        RecordSpec("A-draft", False, "A", HK),
        RecordSpec("sz-published", True, None, SZ),
        RecordSpec("sz-draft", False, None, SZ),
        RecordSpec("hk-published", True, None, HK),
    )
}
BASIC_RECORDS = ("A-published", "A-draft", "sz-published", "sz-draft")


# -- the personas -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Persona:
    key: str
    fixture: str | None  # the conftest persona (its fixture's name); None = the public
    kind: str  # public | partner | curator | editor | superuser
    organisation: str | None = None  # "A" or "B" for partners
    sections: frozenset[str] = frozenset()

    def sees(self, record: RecordSpec) -> bool:
        if self.kind in ("curator", "editor", "superuser"):
            return True
        if record.published:
            return True
        return self.kind == "partner" and record.owner == self.organisation

    def record_label(self, record: RecordSpec) -> str:
        if self.organisation == "A" and record.owner == "A":
            return record.key.replace("A-", "own-")
        return record.key


PERSONAS = (
    Persona("public", None, "public"),
    Persona("partner-A", "hong_kong_partner", "partner", organisation="A"),
    Persona("partner-B", "shenzhen_partner", "partner", organisation="B"),
    Persona("sz-curator", "shenzhen_curator", "curator", sections=frozenset({SZ})),
    Persona("hk-curator", "hong_kong_curator", "curator", sections=frozenset({HK})),
    Persona("zone-editor", "zone_editor", "editor", sections=frozenset({SZ, HK})),
    Persona("superuser", "superuser", "superuser", sections=frozenset({SZ, HK})),
)
# Partner organisations: A is in Hong Kong, B in Shenzhen (tests/conftest.py).
PARTNER_SECTION = {"A": HK, "B": SZ}
# How each persona is made, as its conftest fixture makes it, given the organisations A and B.
MAKE_USER: dict[str, Callable[[dict[str, Organisation]], Any]] = {
    "hong_kong_partner": lambda orgs: make_partner("hk-partner", orgs["A"]),
    "shenzhen_partner": lambda orgs: make_partner("sz-partner", orgs["B"]),
    "shenzhen_curator": lambda orgs: make_shenzhen_curator(),
    "hong_kong_curator": lambda orgs: make_hong_kong_curator(),
    "zone_editor": lambda orgs: make_zone_editor(),
    "superuser": lambda orgs: make_superuser(),
}


# -- the cells ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Cell:
    persona: Persona
    resource: str
    operation: str  # list | detail | create | update | delete
    record: str | None  # a RECORDS key; None for create
    status: int
    # create: the section asked for (curators), or "claim" (a partner sending another owner)
    variant: str | None = None
    expect: dict[str, Any] | None = None  # create: what the stored record must hold


def records_for(persona: Persona) -> tuple[str, ...]:
    if persona.kind in ("curator", "editor", "superuser"):
        return (*BASIC_RECORDS, "hk-published")
    return BASIC_RECORDS


def expected_update(persona: Persona, record: RecordSpec) -> int:
    if persona.kind == "public":
        return 401
    if persona.kind == "partner":
        if not persona.sees(record):
            return 404
        if record.owner != persona.organisation:
            return 403
        return 202 if record.published else 200
    if persona.kind == "curator":
        return 200 if record.section in persona.sections else 403
    return 200  # zone editor, superuser


def expected_delete(persona: Persona, record: RecordSpec) -> int:
    if persona.kind == "public":
        return 401
    if persona.kind == "superuser":
        return 204
    return 403 if persona.sees(record) else 404


def create_cells(persona: Persona, resource: str) -> Iterator[Cell]:
    if persona.kind == "public":
        yield Cell(persona, resource, "create", None, 401)
    elif persona.kind == "partner":
        stored = {
            "owner": persona.organisation,
            "publication": Publication.IN_REVIEW,
            "curating_section": PARTNER_SECTION[persona.organisation],
        }
        yield Cell(persona, resource, "create", None, 201, expect=stored)
        yield Cell(persona, resource, "create", None, 201, variant="claim", expect=stored)
    else:
        for section in (SZ, HK):
            allowed = section in persona.sections
            stored = {"owner": None, "publication": Publication.DRAFT, "curating_section": section}
            yield Cell(
                persona,
                resource,
                "create",
                None,
                201 if allowed else 403,
                variant=section,
                expect=stored if allowed else None,
            )


def build_cells() -> list[Cell]:
    cells = []
    for persona in PERSONAS:
        for resource in RESOURCES:
            for key in records_for(persona):
                record = RECORDS[key]
                cells.append(Cell(persona, resource, "list", key, 200))
                cells.append(
                    Cell(persona, resource, "detail", key, 200 if persona.sees(record) else 404)
                )
                cells.append(
                    Cell(persona, resource, "update", key, expected_update(persona, record))
                )
                cells.append(
                    Cell(persona, resource, "delete", key, expected_delete(persona, record))
                )
            cells.extend(create_cells(persona, resource))
    return cells


def cell_id(cell: Cell) -> str:
    parts = [cell.persona.key, cell.resource, cell.operation]
    if cell.operation == "create":
        if cell.variant == "claim":
            parts.append("claiming-other-owner")
        elif cell.variant:
            parts.append("in-shenzhen" if cell.variant == SZ else "in-hong-kong")
    else:
        parts.append(cell.persona.record_label(RECORDS[cell.record]))
    return "-".join(parts)


CELLS = build_cells()
MATRIX = [pytest.param(cell, id=cell_id(cell)) for cell in CELLS]


# -- helpers ------------------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def _no_throttling(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A thousand requests from one address: keep the throttles out of the matrix."""
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        {"anonymous": "100000/minute", "token": "100000/minute"},
    )
    cache.clear()
    yield
    cache.clear()


def client_for(user: Any) -> APIClient:
    client = APIClient()
    if user is not None:
        _token, raw = ApiToken.issue(user, scopes=["read", "write"])
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def if_match(version: int) -> dict[str, str]:
    return {"HTTP_IF_MATCH": f'"v{version}.en"'}


def snapshot(model: type) -> list[dict[str, Any]]:
    """Every stored row of ``model`` and the number of its history rows."""
    return [*model.objects.order_by("pk").values(), {"history": model.history.count()}]


def without(rows: list[dict[str, Any]], pk: int) -> list[dict[str, Any]]:
    return [row for row in rows if row.get("id") != pk]


def build_records(resource: Resource, orgs: dict[str, Organisation]) -> dict[str, Any]:
    made = {}
    for key, spec in RECORDS.items():
        made[key] = resource.factory(
            publication=Publication.PUBLISHED if spec.published else Publication.DRAFT,
            owner=orgs[spec.owner] if spec.owner else None,
            curating_section=spec.section,
            **{resource.text_attr: f"Matrix {key} {resource.path}"},
        )
    return made


@dataclass(frozen=True)
class Built:
    """The primary keys of what the module's cells share."""

    orgs: dict[str, int]  # "A", "B"
    users: dict[str, int]  # by Persona.fixture
    reference: int
    records: dict[str, dict[str, int]]  # by resource path, then by RECORDS key


@pytest.fixture(scope="module")
def built(django_db_setup: None, django_db_blocker: Any) -> Iterator[Built]:
    """Organisations A and B, every persona, a published project to refer to (outputs and flows
    belong to one) and the records of every resource: built once, not for each of the thousand
    cells."""
    with built_for_the_module(django_db_blocker):
        orgs = {"A": make_hong_kong_partner_org(), "B": make_shenzhen_partner_org()}
        users = {key: make(orgs).pk for key, make in MAKE_USER.items()}
        reference = ProjectFactory(curating_section=SZ, title_en="Matrix reference project")
        records = {
            path: {key: record.pk for key, record in build_records(resource, orgs).items()}
            for path, resource in RESOURCES.items()
        }
        yield Built({key: org.pk for key, org in orgs.items()}, users, reference.pk, records)


# -- the matrix ---------------------------------------------------------------------------------
@pytest.mark.parametrize("cell", MATRIX)
def test_permission_matrix(cell: Cell, built: Built) -> None:
    # What the cell uses is read afresh from the database: what an earlier cell changed in
    # memory (or cached on a user) is not carried into this one.
    resource = RESOURCES[cell.resource]
    model = resource.model
    persona = cell.persona.fixture
    user = get_user_model().objects.get(pk=built.users[persona]) if persona else None
    client = client_for(user)
    before = snapshot(model)
    requests_before = ChangeRequest.objects.count()
    base = f"/api/v1/{resource.path}/"

    if cell.operation == "create":
        orgs = {key: Organisation.objects.get(pk=pk) for key, pk in built.orgs.items()}
        reference = Project.objects.get(pk=built.reference)
        check_create(cell, client, base, resource, orgs, reference, before, user)
        return
    record = model.objects.get(pk=built.records[resource.path][cell.record])
    url = f"{base}{record.public_id}/"
    spec = RECORDS[cell.record]

    if cell.operation == "list":
        response = client.get(base, {"page_size": 500})
        assert response.status_code == cell.status, response.content[:300]
        ids = {row["id"] for row in response.json()["results"]}
        assert (record.public_id in ids) is cell.persona.sees(spec), sorted(ids)
        assert snapshot(model) == before
    elif cell.operation == "detail":
        response = client.get(url)
        assert response.status_code == cell.status, response.content[:300]
        if cell.status == 200:
            assert response.json()["id"] == record.public_id
            assert response["ETag"] == f'"v{record.version}.en"'
        assert snapshot(model) == before
    elif cell.operation == "update":
        new_text = f"Patched by {cell.persona.key}"
        response = client.patch(
            url, _text(resource.text_key, new_text), format="json", **if_match(record.version)
        )
        assert response.status_code == cell.status, response.content[:300]
        if cell.status == 200:
            stored = model.objects.get(pk=record.pk)
            assert getattr(stored, resource.text_attr) == new_text
            assert stored.version == record.version + 1
            assert stored.publication == record.publication
            assert stored.owner_id == record.owner_id
            assert stored.curating_section == record.curating_section
            assert without(snapshot(model)[:-1], record.pk) == without(before[:-1], record.pk)
            assert ChangeRequest.objects.count() == requests_before
        elif cell.status == 202:
            assert snapshot(model) == before  # the record waits for a curator
            change = ChangeRequest.objects.get()
            assert change.target_type == ContentType.objects.get_for_model(model)
            assert change.target_id == record.pk
            assert change.base_version == record.version
            assert change.proposed.get(resource.text_attr) == new_text
            assert change.state == ChangeRequest.State.OPEN
            assert change.created_by == user
        else:
            assert snapshot(model) == before
            assert ChangeRequest.objects.count() == requests_before
    elif cell.operation == "delete":
        response = client.delete(url, **if_match(record.version))
        assert response.status_code == cell.status, response.content[:300]
        if cell.status == 204:
            assert not model.objects.filter(pk=record.pk).exists()
            assert without(snapshot(model)[:-1], record.pk) == without(before[:-1], record.pk)
        else:
            assert snapshot(model) == before
    else:  # pragma: no cover
        raise AssertionError(cell.operation)


def check_create(
    cell: Cell,
    client: APIClient,
    base: str,
    resource: Resource,
    orgs: dict[str, Organisation],
    reference: Project,
    before: list[dict[str, Any]],
    user: Any,
) -> None:
    model = resource.model
    new_text = f"Created by {cell.persona.key}"
    payload = {
        **resource.create_payload({"project": reference.public_id}),
        **_text(resource.text_key, new_text),
    }
    if cell.variant == "claim":  # a partner tries to give the record away and publish it
        other = orgs["B" if cell.persona.organisation == "A" else "A"]
        own_section = PARTNER_SECTION[cell.persona.organisation]
        payload |= {
            "owner": other.public_id,
            "publication": Publication.PUBLISHED,
            "curating_section": SZ if own_section == HK else HK,
        }
    elif cell.variant in (SZ, HK):
        payload["curating_section"] = cell.variant
    response = client.post(base, payload, format="json")
    assert response.status_code == cell.status, response.content[:500]
    if cell.status != 201:
        assert snapshot(model) == before
        return
    created = model.objects.get(public_id=response.json()["id"])
    assert getattr(created, resource.text_attr) == new_text
    assert created.version == 1
    assert created.created_by == user
    expect = cell.expect or {}
    owner = expect["owner"]
    assert created.owner_id == (orgs[owner].pk if owner else None)
    assert created.publication == expect["publication"]
    assert created.curating_section == expect["curating_section"]
    assert response["Location"].endswith(f"{base}{created.public_id}/")
    after = snapshot(model)
    assert len(after) == len(before) + 1
    # Every row that was there before is untouched (organisations: including A and B).
    assert [row for row in after[:-1] if row["id"] != created.pk] == before[:-1]


# -- the matrix itself --------------------------------------------------------------------------
def test_the_matrix_is_complete() -> None:
    """Every persona × resource × operation × record has a cell, each id is unique."""
    ids = [cell_id(cell) for cell in CELLS]
    assert len(ids) == len(set(ids))
    for persona in PERSONAS:
        for resource in RESOURCES:
            for operation in ("list", "detail", "update", "delete"):
                for record in records_for(persona):
                    assert any(
                        c.persona == persona
                        and c.resource == resource
                        and c.operation == operation
                        and c.record == record
                        for c in CELLS
                    )
            assert any(
                c.persona == persona and c.resource == resource and c.operation == "create"
                for c in CELLS
            )
    print(f"permission matrix: {len(CELLS)} cells")
