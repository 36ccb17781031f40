"""factory_boy factories: valid records by default, each test states only what it cares about."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from registry.models import (
    Facility,
    Factor,
    FactorFlow,
    FundingLine,
    FundingScheme,
    Organisation,
    Output,
    Participation,
    PartnerAccount,
    PolicyInstrument,
    Project,
    Publication,
    Section,
    Side,
    Verification,
)

SOURCE = "https://www.example.org/test-source"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("a-long-test-password")


class CuratedFactory(factory.django.DjangoModelFactory):
    class Meta:
        abstract = True

    publication = Publication.PUBLISHED
    curating_section = Section.HONG_KONG
    sources = factory.LazyFunction(lambda: [SOURCE])
    verification = Verification.ILLUSTRATIVE
    as_of = datetime.date(2026, 11, 25)


class OrganisationFactory(CuratedFactory):
    class Meta:
        model = Organisation

    name_en = factory.Sequence(lambda n: f"Test University {n}")
    kind = Organisation.Kind.UNIVERSITY
    jurisdiction = Organisation.Jurisdiction.HONG_KONG
    country = "HK"


class FacilityFactory(CuratedFactory):
    class Meta:
        model = Facility

    name_en = factory.Sequence(lambda n: f"Test Laboratory {n}")
    kind = Facility.Kind.LABORATORY
    section = Facility.Location.HONG_KONG
    status = Facility.Status.OPERATIONAL


class ProjectFactory(CuratedFactory):
    class Meta:
        model = Project

    title_en = factory.Sequence(lambda n: f"Test joint project {n}")
    status = Project.Status.ACTIVE
    start_date = datetime.date(2025, 1, 1)


class ParticipationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participation

    project = factory.SubFactory(ProjectFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Participation.Role.PARTNER


class FundingSchemeFactory(CuratedFactory):
    class Meta:
        model = FundingScheme

    name_en = factory.Sequence(lambda n: f"Test scheme {n}")


class FundingLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FundingLine

    project = factory.SubFactory(ProjectFactory)
    funder = factory.SubFactory(OrganisationFactory, kind=Organisation.Kind.FUNDER)
    currency = "HKD"
    amount = Decimal("1250000.00")
    side = Side.HONG_KONG


class OutputFactory(CuratedFactory):
    class Meta:
        model = Output

    project = factory.SubFactory(ProjectFactory)
    kind = Output.Kind.PUBLICATION
    title_en = factory.Sequence(lambda n: f"Test paper {n}")


class PolicyInstrumentFactory(CuratedFactory):
    class Meta:
        model = PolicyInstrument

    name_en = factory.Sequence(lambda n: f"Test measures {n}")
    status = PolicyInstrument.Status.IN_FORCE


class FactorFlowFactory(CuratedFactory):
    class Meta:
        model = FactorFlow

    project = factory.SubFactory(ProjectFactory)
    factor = Factor.PERSONNEL
    direction = FactorFlow.Direction.NORTHBOUND
    status = FactorFlow.Status.PLANNED


class PartnerAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartnerAccount

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)


# The one table of the curated kinds: each kind's name in the API (/api/v1/<name>/; the three
# with public pages have the same name there) and the factory of a valid record of it,
# published and curated by Hong Kong unless a test says otherwise. The names are written here,
# not read off the models, so that a renamed address fails the tests. A test that runs once per
# kind takes the ``curated_resource`` or ``curated_factory`` fixture (tests/conftest.py).
FACTORIES: dict[str, type[CuratedFactory]] = {
    "organisations": OrganisationFactory,
    "facilities": FacilityFactory,
    "projects": ProjectFactory,
    "outputs": OutputFactory,
    "flows": FactorFlowFactory,
    "policies": PolicyInstrumentFactory,
    "funding-schemes": FundingSchemeFactory,
}
