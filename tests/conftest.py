"""Named personas, so that a test reads as a sentence about who may do what.

Tests that need PostgreSQL call ``require_postgres()``: elsewhere they skip with the reason,
unless REGISTRY_REQUIRE names "postgres" (CI sets it), which turns that skip into a failure.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.db import connection

from registry import access
from registry.models import Organisation, Section
from tests.factories import (
    FACTORIES,
    CuratedFactory,
    OrganisationFactory,
    PartnerAccountFactory,
    UserFactory,
)


def pytest_sessionstart(session: pytest.Session) -> None:
    """Plain `pytest` works without `make`: compile the .po files first (a no-op when fresh).
    Done once, by the process that starts the xdist workers, so that no worker reads a .mo
    file another one is writing."""
    from registry.management.commands.compile_translations import compile_translations

    if not hasattr(session.config, "workerinput"):
        compile_translations()


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """``-n auto`` (addopts): a worker per core when the run names a folder (the whole suite
    names tests/). A run of single files or tests stays in one process: a second worker would
    first build its own test database, which costs more than a file's tests take."""
    if all(Path(arg.split("::")[0]).is_file() for arg in config.args):
        return 0
    return None  # xdist's own answer: the number of cores


@pytest.fixture(autouse=True)
def _english_unless_asked() -> None:
    """A request in Chinese leaves its language active in the thread: start each test in
    English so no test depends on the one before it."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.activate("en")


REQUIRED = {part.strip() for part in os.environ.get("REGISTRY_REQUIRE", "").split(",") if part}


def require(capability: str, available: bool, reason: str) -> None:
    """Skip a test that needs ``capability``; fail instead where REGISTRY_REQUIRE demands it."""
    if available:
        return
    if capability in REQUIRED:
        pytest.fail(f"REGISTRY_REQUIRE demands {capability}, but {reason}")
    pytest.skip(reason)


def require_postgres() -> None:
    require(
        "postgres",
        connection.vendor == "postgresql",
        "needs PostgreSQL: run with DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry",
    )


def _in_group(name: str, username: str):
    # A transactional test (the browser tests) flushes the tables, and with them the groups
    # the migrations made: make the group again as migration 0005 does.
    group, created = Group.objects.get_or_create(name=name)
    if created:
        group.permissions.set(
            Permission.objects.filter(
                content_type__app_label="registry", codename__regex=r"^(view|add|change)_"
            ).exclude(codename__contains="_historical")
        )
    user = UserFactory(username=username, is_staff=True)
    user.groups.add(group)
    return user


# -- every kind of curated record ----------------------------------------------------------------
@pytest.fixture(params=list(FACTORIES))
def curated_resource(request: pytest.FixtureRequest) -> str:
    """Each kind of curated record in turn, by its API name (tests/factories.py, FACTORIES): a
    test that takes this fixture, or ``curated_factory``, runs once per kind."""
    return request.param


@pytest.fixture
def curated_factory(curated_resource: str) -> type[CuratedFactory]:
    """The factory of the kind ``curated_resource`` names."""
    return FACTORIES[curated_resource]


# -- personas -------------------------------------------------------------------------------------
@pytest.fixture
def the_public() -> AnonymousUser:
    return AnonymousUser()


@pytest.fixture
def zone_editor(db):
    return _in_group(access.ZONE_EDITORS, "zone-editor")


@pytest.fixture
def shenzhen_curator(db):
    return _in_group(access.SHENZHEN_CURATORS, "sz-curator")


@pytest.fixture
def second_shenzhen_curator(db):
    return _in_group(access.SHENZHEN_CURATORS, "sz-curator-2")


@pytest.fixture
def hong_kong_curator(db):
    return _in_group(access.HONG_KONG_CURATORS, "hk-curator")


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True, is_staff=True)


@pytest.fixture
def hong_kong_partner_org(db) -> Organisation:
    return OrganisationFactory(
        name_en="Partner University of Hong Kong",
        jurisdiction=Organisation.Jurisdiction.HONG_KONG,
        curating_section=Section.HONG_KONG,
    )


@pytest.fixture
def shenzhen_partner_org(db) -> Organisation:
    return OrganisationFactory(
        name_en="Partner Institute of Shenzhen",
        jurisdiction=Organisation.Jurisdiction.MAINLAND,
        country="CN",
        curating_section=Section.SHENZHEN,
    )


@pytest.fixture
def hong_kong_partner(hong_kong_partner_org):
    """A partner user acting for a Hong Kong organisation."""
    return PartnerAccountFactory(
        user=UserFactory(username="hk-partner"), organisation=hong_kong_partner_org
    ).user


@pytest.fixture
def shenzhen_partner(shenzhen_partner_org):
    """A partner user acting for a Shenzhen organisation."""
    return PartnerAccountFactory(
        user=UserFactory(username="sz-partner"), organisation=shenzhen_partner_org
    ).user
