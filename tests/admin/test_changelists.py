"""Every model has an admin, declared as house rule 13 asks, and no changelist runs N+1 queries:
each one makes the same, pinned, number of queries with 3 records as with 20."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core import checks
from django.db import connection, models
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from registry.models import (
    CURATED_MODELS,
    ApiToken,
    ChangeEvent,
    ChangeRequest,
    CuratedRecord,
    Facility,
    Organisation,
    PriorityArea,
    Project,
    Publication,
    ResearchField,
    Section,
    SubArea,
    ZoneSection,
)
from tests.admin.helpers import admin_url
from tests.factories import (
    FacilityFactory,
    FactorFlowFactory,
    FundingSchemeFactory,
    OrganisationFactory,
    OutputFactory,
    PartnerAccountFactory,
    PolicyInstrumentFactory,
    ProjectFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

User = get_user_model()
REGISTERED = list(admin.site._registry)
REGISTRY_ADMINS = {
    model: model_admin
    for model, model_admin in admin.site._registry.items()
    if model._meta.app_label == "registry"
}
CURATED_ADMINS = {model: REGISTRY_ADMINS[model] for model in CURATED_MODELS}


def label(model: type[models.Model]) -> str:
    return model._meta.label


# -- the inventory ------------------------------------------------------------------------------
def test_every_registry_model_has_an_admin_or_is_an_inline_of_one() -> None:
    inline_models = {
        inline.model
        for model_admin in admin.site._registry.values()
        for inline in model_admin.inlines
    }
    models_of_registry = [
        model
        for model in apps.get_app_config("registry").get_models()
        if not model.__name__.startswith("Historical")
    ]

    missing = [
        label(model)
        for model in models_of_registry
        if model not in admin.site._registry and model not in inline_models
    ]

    assert missing == []


def test_the_admin_passes_djangos_own_admin_checks() -> None:
    # E.g. an autocomplete field whose target admin has no search_fields.
    assert checks.run_checks(tags=[checks.Tags.admin]) == []


@pytest.mark.parametrize("model", list(REGISTRY_ADMINS), ids=label)
def test_each_registry_admin_declares_its_list_columns_and_search(model) -> None:
    model_admin = REGISTRY_ADMINS[model]

    assert model_admin.list_display != ("__str__",), "no list columns declared"
    # Tokens are told apart by their prefix column; change requests are reached from the queue.
    assert model_admin.search_fields or model in (ApiToken, ChangeRequest)


@pytest.mark.parametrize("model", list(REGISTERED), ids=label)
def test_related_list_columns_are_joined_not_fetched_row_by_row(model) -> None:
    model_admin = admin.site._registry[model]
    foreign_keys = {
        field.name
        for field in model._meta.get_fields()
        if isinstance(field, models.ForeignKey) and field.name in model_admin.list_display
    }

    selected = model_admin.list_select_related
    assert selected is True or foreign_keys <= set(selected or ())


@pytest.mark.parametrize("model", CURATED_MODELS, ids=label)
def test_curated_records_can_be_filtered_by_section_state_kind_status_and_field(model) -> None:
    model_admin = CURATED_ADMINS[model]
    filters = {item[0] if isinstance(item, tuple) else item for item in model_admin.list_filter}
    field_names = {field.name for field in model._meta.get_fields()}
    wanted = {"curating_section", "publication"} | (
        {"section", "kind", "status", "fields"} & field_names
    )

    assert wanted <= filters


def all_inlines() -> list[tuple[str, type]]:
    return [
        (f"{label(model)}.{inline.__name__}", inline)
        for model, model_admin in admin.site._registry.items()
        for inline in model_admin.inlines
    ]


@pytest.mark.parametrize(("name", "inline"), all_inlines(), ids=[n for n, _ in all_inlines()])
def test_inlines_show_no_empty_extra_rows(name, inline) -> None:
    assert inline.extra == 0


def test_the_admin_has_inlines_for_participations_funding_lines_outputs_and_flows() -> None:
    project_inlines = {inline.model for inline in CURATED_ADMINS[Project].inlines}

    assert {"Participation", "FundingLine", "Output", "FactorFlow"} <= {
        model.__name__ for model in project_inlines
    }


def admin_forms() -> list[tuple[str, Any, type[models.Model]]]:
    """Every admin and inline of the registry with the model whose form it shows."""
    forms = [(label(model), model_admin, model) for model, model_admin in REGISTRY_ADMINS.items()]
    for model, model_admin in REGISTRY_ADMINS.items():
        for inline in model_admin.get_inline_instances(superuser_request()):
            forms.append((f"{label(model)}.{type(inline).__name__}", inline, inline.model))
    return forms


def superuser_request() -> Any:
    request = RequestFactory().get("/")
    request.user = User(username="checker", is_superuser=True, is_staff=True, is_active=True)
    return request


@pytest.mark.parametrize(
    ("name", "model_admin", "model"), admin_forms(), ids=[name for name, _, _ in admin_forms()]
)
def test_every_link_to_a_record_or_a_user_is_picked_by_autocomplete(
    name, model_admin, model
) -> None:
    # A plain <select> would list every organisation (or user) of the registry on each form.
    request = superuser_request()
    editable = set(model_admin.get_fields(request)) - set(model_admin.get_readonly_fields(request))
    parent_link = None
    if hasattr(model_admin, "parent_model"):
        # The inline's link to its parent record is set by the admin, not picked.
        parent_link = model_admin.get_formset(request).fk.name
    links = {
        field.name
        for field in model._meta.get_fields()
        if isinstance(field, models.ForeignKey | models.ManyToManyField)
        and field.name in editable
        and field.name != parent_link
        and (issubclass(field.related_model, CuratedRecord) or field.related_model is User)
    }

    assert links <= set(model_admin.autocomplete_fields)


@pytest.mark.parametrize(
    ("model", "stem"),
    [
        (model, stem)
        for model in CURATED_MODELS
        for stem in ("name", "title")
        if hasattr(model, f"{stem}_en")
    ],
    ids=lambda value: value if isinstance(value, str) else label(value),
)
def test_the_three_scripts_of_a_name_sit_side_by_side_on_one_row(client, zone_editor, model, stem):
    client.force_login(zone_editor)

    response = client.get(admin_url(model, "add"))

    assert response.status_code == 200
    row = f'class="form-row field-{stem}_en field-{stem}_zh_hans field-{stem}_zh_hant"'
    assert row in response.content.decode()


@pytest.mark.parametrize("model", [ZoneSection, SubArea, ResearchField, PriorityArea], ids=label)
def test_reference_data_lists_its_names_in_all_three_scripts(model) -> None:
    columns = list(REGISTRY_ADMINS[model].list_display)

    assert columns[columns.index("name_en") :][:3] == ["name_en", "name_zh_hans", "name_zh_hant"]


# -- search and filters on the changelist ----------------------------------------------------------
def test_a_curator_finds_a_simplified_name_by_typing_it_in_traditional_script(
    client, hong_kong_curator
) -> None:
    bay_lab = FacilityFactory(name_en="Bay Laboratory", name_zh_hans="深圳湾实验室")
    FacilityFactory(name_en="Another laboratory")
    client.force_login(hong_kong_curator)

    response = client.get(admin_url(Facility, "changelist"), {"q": "深圳灣"})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [bay_lab]


def test_a_curator_finds_an_organisation_by_its_acronym_in_any_case(
    client, shenzhen_curator
) -> None:
    hkust = OrganisationFactory(name_en="Hong Kong University of Science and Technology")
    hkust.acronym = "HKUST"
    hkust.save()
    OrganisationFactory(name_en="Another university")
    client.force_login(shenzhen_curator)

    response = client.get(admin_url(Organisation, "changelist"), {"q": "hkust"})

    assert list(response.context["cl"].result_list) == [hkust]


def test_a_curator_filters_the_facilities_of_one_section(client, shenzhen_curator) -> None:
    shenzhen_lab = FacilityFactory(curating_section=Section.SHENZHEN)
    FacilityFactory(curating_section=Section.HONG_KONG)
    client.force_login(shenzhen_curator)

    response = client.get(
        admin_url(Facility, "changelist"), {"curating_section__exact": Section.SHENZHEN}
    )

    assert list(response.context["cl"].result_list) == [shenzhen_lab]


# -- no N+1 on any changelist ----------------------------------------------------------------------
_sequence = itertools.count(1)


def _facility() -> Facility:
    n = next(_sequence)
    facility = FacilityFactory(
        sub_area=SubArea.objects.create(
            code=f"test-sub-area-{n}", name_en=f"Sub-area {n}", section=Section.SHENZHEN
        )
    )
    facility.fields.add(ResearchField.objects.create(code=f"9.{n}", name_en=f"Field {n}"))
    facility.priority_areas.add(
        PriorityArea.objects.create(code=f"test-area-{n}", name_en=f"Area {n}")
    )
    facility.hosts.add(OrganisationFactory())
    return facility


def _project() -> Project:
    n = next(_sequence)
    project = ProjectFactory()
    project.fields.add(ResearchField.objects.create(code=f"9.{n}", name_en=f"Field {n}"))
    project.priority_areas.add(
        PriorityArea.objects.create(code=f"test-area-{n}", name_en=f"Area {n}")
    )
    return project


def _change_request() -> ChangeRequest:
    n = next(_sequence)
    target = OrganisationFactory()
    decided = n % 2 == 0
    return ChangeRequest.objects.create(
        target_type=ContentType.objects.get_for_model(target),
        target_id=target.pk,
        base_version=target.version,
        proposed={"name_en": f"Proposed name {n}"},
        created_by=UserFactory(),
        state=ChangeRequest.State.REJECTED if decided else ChangeRequest.State.OPEN,
        comment="Not supported by the sources." if decided else "",
        decided_by=UserFactory() if decided else None,
        decided_at=timezone.now() if decided else None,
    )


def _research_field() -> ResearchField:
    # Each field's parent is the field made before it, so every row shows a different parent.
    n = next(_sequence)
    parent = ResearchField.objects.order_by("-pk").first()
    return ResearchField.objects.create(code=f"9.{n}", name_en=f"Field {n}", parent=parent)


def _sequenced(make: Callable[[int], models.Model]) -> Callable[[], models.Model]:
    return lambda: make(next(_sequence))


def _sign_ins(model: type, extra: Callable[[int], dict] = lambda n: {}) -> Callable:
    """A builder of django-axes records of one kind: one username each, from one address."""
    return _sequenced(
        lambda n: model.objects.create(
            username=f"user{n}",
            ip_address="203.0.113.7",
            user_agent="test",
            http_accept="*/*",
            path_info="/admin/login/",
            **extra(n),
        )
    )


# One row of each registered model, with every related object its list columns show (each row
# its own), so a column fetched row by row would add queries as the list grows.
BUILDERS: dict[str, Callable[[], models.Model]] = {
    "auth.Group": _sequenced(lambda n: Group.objects.create(name=f"Test group {n}")),
    "auth.User": lambda: UserFactory(),
    "registry.PartnerAccount": lambda: PartnerAccountFactory(),
    "registry.ApiToken": lambda: ApiToken.issue(UserFactory(), scopes=["read"])[0],
    "registry.Organisation": lambda: OrganisationFactory(),
    "registry.Facility": _facility,
    "registry.Project": _project,
    "registry.Output": lambda: OutputFactory(),
    "registry.FactorFlow": lambda: FactorFlowFactory(
        facility=FacilityFactory(), mechanism=PolicyInstrumentFactory()
    ),
    "registry.PolicyInstrument": lambda: PolicyInstrumentFactory(issuer=OrganisationFactory()),
    "registry.FundingScheme": lambda: FundingSchemeFactory(funder=OrganisationFactory()),
    # Only two sections exist; more rows with made-up codes just make the list longer.
    "registry.ZoneSection": _sequenced(
        lambda n: ZoneSection.objects.create(code=f"test-section-{n}", name_en=f"Section {n}")
    ),
    "registry.SubArea": _sequenced(
        lambda n: SubArea.objects.create(
            code=f"test-sub-area-{n}", name_en=f"Sub-area {n}", section=Section.HONG_KONG
        )
    ),
    "registry.ResearchField": _research_field,
    "registry.PriorityArea": _sequenced(
        lambda n: PriorityArea.objects.create(code=f"test-area-{n}", name_en=f"Area {n}")
    ),
    "registry.ChangeRequest": _change_request,
    "registry.ChangeEvent": _sequenced(
        lambda n: ChangeEvent.objects.create(
            kind=ChangeEvent.Kind.UPDATED,
            resource="facilities",
            public_id=f"fac-{n:06d}00",
            version=n,
            publication=Publication.PUBLISHED,
            curating_section=Section.HONG_KONG,
        )
    ),
    # django-axes' sign-in records (registry/admin/lockouts.py), one username each.
    "axes.AccessAttempt": _sign_ins(
        AccessAttempt,
        lambda n: {"get_data": "", "post_data": "", "failures_since_start": n % 7 + 1},
    ),
    "axes.AccessFailureLog": _sign_ins(AccessFailureLog, lambda n: {"locked_out": n % 2 == 0}),
    "axes.AccessLog": _sign_ins(AccessLog),
}

# Queries per changelist page, whatever its length: (as the superuser, as a Hong Kong curator).
# Every page: the session, the user, a COUNT(*) for the paginator and the rows (4). A section
# curator adds 3: its role (its groups), the user's and the groups' permissions. Admins that keep
# Django's show_full_result_count add a second COUNT(*); each filter listing related rows adds 1;
# the date hierarchy adds 2. None: a curator may not open that changelist (403).
PINNED_QUERIES: dict[str, tuple[int, int | None]] = {
    "auth.Group": (5, None),  # + full count
    "auth.User": (6, None),  # + full count, + groups filter
    "registry.PartnerAccount": (4, 7),
    "registry.ApiToken": (4, 7),
    "registry.Organisation": (4, 7),
    "registry.Facility": (7, 10),  # + fields, priority areas and sub-areas filters
    "registry.Project": (8, 11),  # + fields and priority areas filters, + date hierarchy
    "registry.Output": (4, 7),
    "registry.FactorFlow": (4, 7),
    "registry.PolicyInstrument": (4, 7),
    "registry.FundingScheme": (4, 7),
    "registry.ZoneSection": (4, 7),
    "registry.SubArea": (4, 7),
    "registry.ResearchField": (5, 8),  # + major-field filter
    "registry.PriorityArea": (4, 7),
    # + the content types for the record-type filter. The page shows no target record, so it
    # loads none (the superuser's action checkboxes are labelled with str(change_request)).
    "registry.ChangeRequest": (5, 8),
    "registry.ChangeEvent": (5, 8),  # + the distinct resources for the resource filter
    # The sign-in records are the zone editors' alone. + the distinct paths for the path
    # filter, + date hierarchy.
    "axes.AccessAttempt": (7, None),
    "axes.AccessFailureLog": (7, None),
    "axes.AccessLog": (7, None),
}


def grow_to(model: type[models.Model], total: int) -> None:
    build = BUILDERS[label(model)]
    while model._default_manager.count() < total:
        build()
    assert model._default_manager.count() == total


def changelist_queries(client, model: type[models.Model]) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(admin_url(model, "changelist"))
    return response.status_code, len(queries)


def test_every_registered_admin_has_a_builder_and_a_pinned_query_count() -> None:
    registered = {label(model) for model in REGISTERED}

    assert registered == set(BUILDERS) == set(PINNED_QUERIES)


@pytest.mark.parametrize("viewer", ["superuser", "hong_kong_curator"])
@pytest.mark.parametrize("model", REGISTERED, ids=label)
def test_a_changelist_makes_as_many_queries_for_20_records_as_for_3(
    request, client, model, viewer
) -> None:
    pinned_as_superuser, pinned_as_curator = PINNED_QUERIES[label(model)]
    pinned = pinned_as_superuser if viewer == "superuser" else pinned_as_curator
    client.force_login(request.getfixturevalue(viewer))

    grow_to(model, 3)
    status_for_3, queries_for_3 = changelist_queries(client, model)
    grow_to(model, 20)
    status_for_20, queries_for_20 = changelist_queries(client, model)

    if pinned is None:
        assert status_for_3 == status_for_20 == 403
        return
    assert status_for_3 == status_for_20 == 200
    assert queries_for_20 == queries_for_3, "a list column is fetched row by row"
    assert queries_for_3 == pinned
