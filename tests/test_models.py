"""The core model keeps the data right in the database itself, whichever face writes."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from registry.models import (
    ApiToken,
    Facility,
    FundingCeiling,
    Organisation,
    OrganisationRelation,
    Participation,
    Project,
    Section,
    Side,
)
from registry.models.base import StaleRecordError
from tests.factories import (
    FacilityFactory,
    FactorFlowFactory,
    FundingLineFactory,
    FundingSchemeFactory,
    OrganisationFactory,
    ParticipationFactory,
    ProjectFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def refused_by_database(save, constraint: str) -> None:
    """``save`` bypasses form validation; the database itself must refuse it, by name."""
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        save()
    # Both engines name a CHECK constraint; for uniqueness they differ, so say "unique".
    assert constraint.lower() in str(caught.value).lower(), caught.value


# -- dates, amounts, currencies ------------------------------------------------------------------
def test_a_project_cannot_end_before_it_starts():
    project = ProjectFactory.build(
        start_date=datetime.date(2025, 6, 1), end_date=datetime.date(2025, 5, 31)
    )
    refused_by_database(project.save, "registry_project_end_date_not_before_start_date")
    assert not Project.objects.exists()


def test_a_project_may_end_on_the_day_it_starts_or_have_no_end_yet():
    ProjectFactory(start_date=datetime.date(2025, 6, 1), end_date=datetime.date(2025, 6, 1))
    ProjectFactory(start_date=datetime.date(2025, 6, 1), end_date=None)
    assert Project.objects.count() == 2


def test_a_participation_and_a_flow_period_cannot_end_before_they_start():
    participation = ParticipationFactory.build(
        project=ProjectFactory(),
        organisation=OrganisationFactory(),
        start_date=datetime.date(2025, 1, 2),
        end_date=datetime.date(2025, 1, 1),
    )
    refused_by_database(participation.save, "registry_participation_end_date_not_before")
    flow = FactorFlowFactory.build(
        project=ProjectFactory(),
        period_start=datetime.date(2025, 1, 2),
        period_end=datetime.date(2025, 1, 1),
    )
    refused_by_database(flow.save, "registry_factorflow_period_end_not_before_period_start")


def test_funding_amounts_and_ceilings_cannot_be_negative():
    line = FundingLineFactory.build(
        project=ProjectFactory(), funder=OrganisationFactory(), amount=Decimal("-1")
    )
    refused_by_database(line.save, "registry_fundingline_amount_not_negative")
    ceiling = FundingCeiling(
        scheme=FundingSchemeFactory(), side=Side.SHENZHEN, currency="CNY", amount=Decimal("-5")
    )
    refused_by_database(ceiling.save, "registry_fundingceiling_amount_not_negative")


def test_flow_quantities_values_and_floor_areas_cannot_be_negative():
    flow = FactorFlowFactory.build(project=ProjectFactory(), quantity=Decimal("-3"))
    refused_by_database(flow.save, "registry_factorflow_quantity_not_negative")
    facility = FacilityFactory.build(floor_area_m2=Decimal("-10"))
    refused_by_database(facility.save, "registry_facility_floor_area_m2_not_negative")


@pytest.mark.parametrize("currency", ["XYZ", "hkd", "RMB", "HK$", ""])
def test_a_funding_line_needs_an_iso_4217_currency(currency):
    line = FundingLineFactory.build(
        project=ProjectFactory(), funder=OrganisationFactory(), currency=currency
    )
    refused_by_database(line.save, "registry_fundingline_currency_iso4217")


def test_cny_and_hkd_lines_sit_side_by_side_on_one_project():
    project = ProjectFactory()
    FundingLineFactory(project=project, currency="CNY", amount=Decimal("3000000"), side="shenzhen")
    FundingLineFactory(project=project, currency="HKD", amount=Decimal("1250000"))
    assert sorted(project.funding_lines.values_list("currency", flat=True)) == ["CNY", "HKD"]


def test_a_flow_value_needs_its_currency():
    flow = FactorFlowFactory.build(project=ProjectFactory(), value=Decimal("10"), currency="")
    refused_by_database(flow.save, "registry_factorflow_value_has_currency")


def test_a_flow_belongs_to_a_project_or_a_facility():
    flow = FactorFlowFactory.build(project=None, facility=None)
    refused_by_database(flow.save, "registry_factorflow_has_project_or_facility")


def test_a_facility_stays_on_earth():
    facility = FacilityFactory.build(latitude=Decimal("91"), longitude=Decimal("114"))
    refused_by_database(facility.save, "registry_facility_coordinates_on_earth")


def test_a_facility_cannot_be_part_of_itself():
    facility = FacilityFactory()
    facility.parent = facility
    with pytest.raises(ValidationError) as caught:
        facility.full_clean()
    assert caught.value.messages == ["A facility cannot be part of itself."]
    refused_by_database(facility.save, "registry_facility_not_own_parent")


def test_a_facility_cannot_be_part_of_one_of_its_own_parts():
    """A cluster holds a lab that holds a unit: putting the cluster inside the unit would make
    each of them part of itself."""
    cluster = FacilityFactory(name_en="Cluster")
    lab = FacilityFactory(name_en="Lab", parent=cluster)
    unit = FacilityFactory(name_en="Unit", parent=lab)

    for inner in (lab, unit):
        cluster.parent = inner
        with pytest.raises(ValidationError) as caught:
            cluster.full_clean()
        assert caught.value.message_dict["parent"] == [
            "A facility cannot be part of one of its own parts."
        ]
    # Moving a part sideways or up stays allowed, and a new facility may join any chain.
    unit.parent = cluster
    unit.full_clean()
    FacilityFactory.build(parent=unit).clean()


def test_a_cycle_stored_before_the_check_does_not_hang_the_check():
    first, second = FacilityFactory(), FacilityFactory()
    # save() does not validate: this is how a loop could have been stored before the check.
    first.parent, second.parent = second, first
    first.save()
    second.save()
    third = FacilityFactory(parent=first)

    third.full_clean()
    assert third.ancestor_ids() == [first.pk, second.pk]


def test_a_record_needs_a_name_in_at_least_one_script():
    organisation = OrganisationFactory.build(name_en="", name_zh_hans="", name_zh_hant="")
    refused_by_database(organisation.save, "registry_organisation_name_in_some_script")
    OrganisationFactory(name_en="", name_zh_hant="香港理工大學")


def test_validation_reports_a_constraint_with_its_message_before_the_database_does():
    project = ProjectFactory.build(
        start_date=datetime.date(2025, 6, 1), end_date=datetime.date(2025, 1, 1)
    )
    with pytest.raises(ValidationError) as caught:
        project.full_clean()
    assert "The end date cannot be before the start date." in str(caught.value)


# -- identifiers ----------------------------------------------------------------------------------
def test_public_ids_are_unique():
    first = OrganisationFactory()
    clone = OrganisationFactory.build(public_id=first.public_id)
    refused_by_database(clone.save, "unique")


@pytest.mark.parametrize(
    "bad_ror", ["https://ror.org/12345", "https://ror.org/1zhqgq86x", "https://ror.org/02ZHQGQ8O"]
)
def test_a_ror_id_must_have_the_ror_form(bad_ror):
    organisation = OrganisationFactory.build()
    organisation.ror_id = bad_ror
    refused_by_database(organisation.save, "registry_organisation_ror_id_format")


def test_a_bare_ror_id_is_stored_as_its_url_and_two_organisations_cannot_share_it():
    hku = OrganisationFactory(ror_id="02zhqgq86")
    assert Organisation.objects.get(pk=hku.pk).ror_id == "https://ror.org/02zhqgq86"
    duplicate = OrganisationFactory.build(ror_id="https://ror.org/02zhqgq86")
    refused_by_database(duplicate.save, "unique")


def test_many_organisations_may_have_no_ror_id():
    OrganisationFactory.create_batch(3, ror_id="")
    assert Organisation.objects.filter(ror_id="").count() == 3


# -- version and history --------------------------------------------------------------------------
def test_version_starts_at_one_and_goes_up_by_one_on_every_save():
    organisation = OrganisationFactory()
    assert organisation.version == 1
    for expected in (2, 3, 4):
        organisation.city = f"City {expected}"
        organisation.save()
        assert Organisation.objects.get(pk=organisation.pk).version == expected


def test_a_save_with_update_fields_still_bumps_the_version_and_search_text():
    organisation = OrganisationFactory(name_en="Before")
    organisation.name_en = "After Institute"
    organisation.save(update_fields=["name_en"])
    stored = Organisation.objects.get(pk=organisation.pk)
    assert (stored.version, stored.name_en) == (2, "After Institute")
    assert "after institute" in stored.search_text


def test_every_create_update_and_delete_leaves_a_history_row_attributed_to_its_user():
    curator = UserFactory()
    organisation = OrganisationFactory.build()
    organisation.save(user=curator)
    organisation.city = "Hong Kong"
    organisation.save(user=curator)
    pk = organisation.pk
    organisation.delete()
    rows = Organisation.history.filter(id=pk).order_by("history_date")
    assert [row.history_type for row in rows] == ["+", "~", "-"]
    assert [row.version for row in rows][:2] == [1, 2]
    assert rows[0].history_user == curator and rows[1].history_user == curator
    created = Organisation.history.filter(id=pk).earliest("history_date")
    assert created.created_by_id == curator.pk


def test_a_deleted_record_can_be_restored_from_its_history():
    organisation = OrganisationFactory(name_en="Restorable Institute")
    public_id = organisation.public_id
    organisation.delete()
    last = Organisation.history.filter(public_id=public_id).latest("history_date")
    last.prev_record.instance.save()
    restored = Organisation.objects.get(public_id=public_id)
    assert restored.name_en == "Restorable Institute"


def test_parts_of_a_project_keep_history_too():
    participation = ParticipationFactory()
    participation.role = Participation.Role.LEAD
    participation.save()
    assert [r.history_type for r in participation.history.order_by("history_date")] == ["+", "~"]


def test_audit_fields_record_who_and_when():
    curator = UserFactory()
    before = timezone.now()
    organisation = OrganisationFactory.build()
    organisation.save(user=curator)
    stored = Organisation.objects.get(pk=organisation.pk)
    assert stored.created_by == curator and stored.updated_by == curator
    assert stored.created_at >= before and stored.updated_at >= stored.created_at


# -- cross-border flag and sides ------------------------------------------------------------------
def hk_university():
    return OrganisationFactory(jurisdiction=Organisation.Jurisdiction.HONG_KONG)


def sz_institute():
    return OrganisationFactory(jurisdiction=Organisation.Jurisdiction.MAINLAND, country="CN")


def test_a_project_becomes_cross_border_when_both_banks_take_part():
    project = ProjectFactory()
    ParticipationFactory(project=project, organisation=hk_university())
    assert Project.objects.get(pk=project.pk).cross_border is False
    ParticipationFactory(project=project, organisation=sz_institute())
    assert Project.objects.get(pk=project.pk).cross_border is True


def test_a_project_stops_being_cross_border_when_one_bank_leaves():
    project = ProjectFactory()
    ParticipationFactory(project=project, organisation=hk_university())
    shenzhen_side = ParticipationFactory(project=project, organisation=sz_institute())
    shenzhen_side.delete()
    assert Project.objects.get(pk=project.pk).cross_border is False


def test_the_side_comes_from_the_facility_park_before_the_organisation():
    hk_org = hk_university()
    shenzhen_branch = FacilityFactory(section=Facility.Location.SHENZHEN)
    participation = ParticipationFactory(organisation=hk_org, facility=shenzhen_branch)
    assert participation.side == Side.SHENZHEN
    outside = FacilityFactory(section=Facility.Location.OUTSIDE)
    other = ParticipationFactory(organisation=hk_org, facility=outside)
    assert other.side == Side.HONG_KONG
    overseas = OrganisationFactory(jurisdiction=Organisation.Jurisdiction.OVERSEAS)
    assert ParticipationFactory(organisation=overseas).side == Side.OTHER


def test_moving_a_facility_to_the_other_park_updates_sides_and_the_cross_border_flag():
    project = ProjectFactory()
    lab = FacilityFactory(section=Facility.Location.HONG_KONG)
    ParticipationFactory(project=project, organisation=hk_university(), facility=lab)
    ParticipationFactory(project=project, organisation=sz_institute())
    assert Project.objects.get(pk=project.pk).cross_border is True
    lab.section = Facility.Location.SHENZHEN
    lab.save()
    assert set(project.participations.values_list("side", flat=True)) == {Side.SHENZHEN}
    assert Project.objects.get(pk=project.pk).cross_border is False


def test_changing_an_organisations_jurisdiction_updates_its_projects():
    project = ProjectFactory()
    moving = OrganisationFactory(jurisdiction=Organisation.Jurisdiction.OVERSEAS)
    ParticipationFactory(project=project, organisation=moving)
    ParticipationFactory(project=project, organisation=sz_institute())
    moving.jurisdiction = Organisation.Jurisdiction.HONG_KONG
    moving.save()
    assert Project.objects.get(pk=project.pk).cross_border is True


def test_the_cross_border_flag_changes_the_version_only_when_it_changes():
    project = ProjectFactory()
    ParticipationFactory(project=project, organisation=hk_university())
    ParticipationFactory(project=project, organisation=hk_university())
    assert Project.objects.get(pk=project.pk).version == 1


# -- organisation relations -----------------------------------------------------------------------
def test_a_relation_to_an_organisation_not_yet_registered_is_kept_and_resolves_on_arrival():
    hku = OrganisationFactory(ror_id="https://ror.org/02zhqgq86")
    relation = OrganisationRelation.objects.create(
        source=hku,
        kind=OrganisationRelation.Kind.RELATED,
        target_ror_id="00t33hh48",
        target_label="Chinese University of Hong Kong",
    )
    assert relation.target is None and relation.target_ror_id == "https://ror.org/00t33hh48"
    cuhk = OrganisationFactory(ror_id="https://ror.org/00t33hh48")
    relation.refresh_from_db()
    assert relation.target == cuhk and relation.is_resolved
    assert relation.history.count() == 2  # created unresolved, then resolved


def test_a_relation_to_a_registered_organisation_resolves_at_once():
    cuhk = OrganisationFactory(ror_id="https://ror.org/00t33hh48")
    relation = OrganisationRelation.objects.create(
        source=OrganisationFactory(), kind="related", target_ror_id="https://ror.org/00t33hh48"
    )
    assert relation.target == cuhk


def test_a_relation_needs_a_target():
    relation = OrganisationRelation(source=OrganisationFactory(), kind="parent")
    refused_by_database(relation.save, "registry_organisationrelation_has_target")


# -- trilingual display ---------------------------------------------------------------------------
def test_names_fall_back_from_the_requested_script_to_english_then_traditional_then_simplified():
    full = OrganisationFactory.build(name_en="CityU", name_zh_hans="城大简", name_zh_hant="城大繁")
    assert full.display_name("zh-hans") == "城大简"
    assert full.display_name("zh-hant") == "城大繁"
    assert full.display_name("zh-hk") == "城大繁"
    no_simplified = OrganisationFactory.build(name_en="CityU", name_zh_hans="", name_zh_hant="繁")
    assert no_simplified.display_name("zh-hans") == "CityU"
    chinese_only = OrganisationFactory.build(name_en="", name_zh_hans="简", name_zh_hant="繁")
    assert chinese_only.display_name("en") == "繁"
    simplified_only = OrganisationFactory.build(name_en="", name_zh_hans="简", name_zh_hant="")
    assert simplified_only.display_name("zh-hant") == "简"


# -- API tokens -----------------------------------------------------------------------------------
def test_an_api_token_is_stored_only_as_a_hash_and_authenticates_until_revoked():
    partner = UserFactory()
    token, raw = ApiToken.issue(partner, scopes=["read", "write"], expires_days=30)
    stored = ApiToken.objects.get(pk=token.pk)
    assert raw not in {stored.key_hash, stored.key_prefix, stored.name}
    assert raw.startswith(stored.key_prefix)
    assert ApiToken.authenticate(raw) == token
    assert ApiToken.authenticate(raw + "x") is None
    token.revoke()
    assert ApiToken.authenticate(raw) is None


def test_an_expired_token_does_not_authenticate():
    token, raw = ApiToken.issue(UserFactory(), scopes=["read"])
    token.expires_at = timezone.now() - datetime.timedelta(seconds=1)
    token.save()
    assert ApiToken.authenticate(raw) is None


@pytest.mark.parametrize(("scopes", "days"), [([], None), (["admin"], None), (["read"], 0)])
def test_a_token_needs_known_scopes_and_a_positive_lifetime(scopes, days):
    with pytest.raises(ValueError):
        ApiToken.issue(UserFactory(), scopes=scopes, expires_days=days)
    assert not ApiToken.objects.exists()


def test_records_remember_their_curating_section():
    project = ProjectFactory(curating_section=Section.SHENZHEN)
    assert Project.objects.get(pk=project.pk).get_curating_section_display() == "Shenzhen"


# -- lost updates ---------------------------------------------------------------------------------
def test_a_save_from_a_stale_copy_still_gets_the_next_version():
    first_copy = OrganisationFactory()
    second_copy = Organisation.objects.get(pk=first_copy.pk)
    first_copy.city = "Shenzhen"
    first_copy.save()
    second_copy.city = "Hong Kong"
    second_copy.save()
    assert Organisation.objects.get(pk=first_copy.pk).version == 3
    assert sorted(
        Organisation.history.filter(id=first_copy.pk).values_list("version", flat=True)
    ) == [1, 2, 3]


def test_an_edit_based_on_an_old_version_is_refused_and_nothing_is_overwritten():
    organisation = OrganisationFactory(city="Hong Kong")
    seen_by_both = organisation.version
    colleague = Organisation.objects.get(pk=organisation.pk)
    colleague.city = "Shatin"
    colleague.save(expected_version=seen_by_both)
    organisation.city = "Pok Fu Lam"
    with pytest.raises(StaleRecordError, match="changed after you opened it"):
        organisation.save(expected_version=seen_by_both)
    stored = Organisation.objects.get(pk=organisation.pk)
    assert (stored.city, stored.version) == ("Shatin", 2)
    assert Organisation.history.filter(id=organisation.pk).count() == 2
