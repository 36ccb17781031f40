"""Named personas, so that a test reads as a sentence about who may do what; the once-per-kind
fixtures over tests/factories.py's FACTORIES; built_for_the_module() for data that a module's
tests only read; and how the suite spreads over the cores (pytest-xdist).

Tests that need PostgreSQL call ``require_postgres()``: elsewhere they skip with the reason,
unless REGISTRY_REQUIRE names "postgres" (CI sets it), which turns that skip into a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.db import connection, transaction

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


@contextmanager
def built_for_the_module(django_db_blocker: Any) -> Iterator[None]:
    """For a module-scoped fixture whose tests only read what it builds, or change it and roll
    back: what is built inside is stored in a transaction that the module's tests run in (each
    test's own transaction is a savepoint of it, rolled back after the test), and that is rolled
    back after the module's last test. Never for a test that needs real commits
    (``transactional_db``, ``live_server``); pytest-django runs those after all the others.

        @pytest.fixture(scope="module")
        def demo(django_db_setup, django_db_blocker):
            with built_for_the_module(django_db_blocker):
                call_command("loaddata", "reference", "demo", verbosity=0)
                yield

    A test takes the fixture and ``db``. Objects a fixture hands out outlive one test: a test
    that changes one in memory, or an instance cache such as ``user._registry_actor`` (in
    registry/access.py), must read it again from the database first. Once built, the data stays
    until the module's last test, for the tests that do not take the fixture too: one that needs
    the database without it goes before the first that takes it (tests run in file order)."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield
        transaction.set_rollback(True)


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
# Each persona is made by a function, which the fixtures below call for one test, and a module
# that builds its data once for all its tests calls itself (tests/api/test_permission_matrix.py).
def make_zone_editor():
    return _in_group(access.ZONE_EDITORS, "zone-editor")


def make_shenzhen_curator():
    return _in_group(access.SHENZHEN_CURATORS, "sz-curator")


def make_second_shenzhen_curator():
    return _in_group(access.SHENZHEN_CURATORS, "sz-curator-2")


def make_hong_kong_curator():
    return _in_group(access.HONG_KONG_CURATORS, "hk-curator")


def make_superuser():
    return UserFactory(username="root", is_superuser=True, is_staff=True)


def make_hong_kong_partner_org() -> Organisation:
    return OrganisationFactory(
        name_en="Partner University of Hong Kong",
        jurisdiction=Organisation.Jurisdiction.HONG_KONG,
        curating_section=Section.HONG_KONG,
    )


def make_shenzhen_partner_org() -> Organisation:
    return OrganisationFactory(
        name_en="Partner Institute of Shenzhen",
        jurisdiction=Organisation.Jurisdiction.MAINLAND,
        country="CN",
        curating_section=Section.SHENZHEN,
    )


def make_partner(username: str, organisation: Organisation):
    """A partner user acting for ``organisation``."""
    return PartnerAccountFactory(
        user=UserFactory(username=username), organisation=organisation
    ).user


@pytest.fixture
def the_public() -> AnonymousUser:
    return AnonymousUser()


@pytest.fixture
def zone_editor(db):
    return make_zone_editor()


@pytest.fixture
def shenzhen_curator(db):
    return make_shenzhen_curator()


@pytest.fixture
def second_shenzhen_curator(db):
    return make_second_shenzhen_curator()


@pytest.fixture
def hong_kong_curator(db):
    return make_hong_kong_curator()


@pytest.fixture
def superuser(db):
    return make_superuser()


@pytest.fixture
def hong_kong_partner_org(db) -> Organisation:
    return make_hong_kong_partner_org()


@pytest.fixture
def shenzhen_partner_org(db) -> Organisation:
    return make_shenzhen_partner_org()


@pytest.fixture
def hong_kong_partner(hong_kong_partner_org):
    """A partner user acting for a Hong Kong organisation."""
    return make_partner("hk-partner", hong_kong_partner_org)


@pytest.fixture
def shenzhen_partner(shenzhen_partner_org):
    """A partner user acting for a Shenzhen organisation."""
    return make_partner("sz-partner", shenzhen_partner_org)
