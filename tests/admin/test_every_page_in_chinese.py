"""Every admin page type a curator opens reads in 简体 and in 繁體: once the data on the page
(names, addresses, ids, usernames: every word stored in the database) is set aside, no
English word of the interface is left — Django's, import-export's, simple-history's or the
registry's own."""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.test import Client
from django.urls import reverse

from registry.importers.tabular import table_fields
from registry.models import ChangeRequest, Facility, Organisation, Project, Publication, Section
from tests.conftest import built_for_the_module
from tests.factories import (
    FacilityFactory,
    OrganisationFactory,
    ParticipationFactory,
    ProjectFactory,
    UserFactory,
)

LANGUAGES = {"zh-hans": {"accept-language": "zh-hans"}, "zh-hant": {"accept-language": "zh-hant"}}
# Names that are the same in every language: formats, standards, the registry's own name.
ALWAYS = {
    *("ROR", "CSV", "XLSX", "JSON", "URL", "API", "ISO", "OECD", "HTTPS", "zip", "Hetao"),
    *("CNY", "HKD", "DOI"),  # currency codes (ISO 4217) and the identifier scheme
}
WORD = re.compile(r"[A-Za-z][A-Za-z’']+[A-Za-z]")
TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField)


@pytest.fixture(scope="module")
def records(django_db_setup, django_db_blocker):
    with built_for_the_module(django_db_blocker):
        owner = OrganisationFactory(name_en="Loop University", curating_section=Section.HONG_KONG)
        facility = FacilityFactory(
            name_en="Loop Robotics Laboratory", owner=owner, curating_section=Section.HONG_KONG
        )
        project = ProjectFactory(
            publication=Publication.IN_REVIEW, curating_section=Section.HONG_KONG
        )
        ParticipationFactory(project=project, organisation=owner)
        facility.name_en = "Loop Robotics Lab"
        facility.save()  # a second history row, so the history page has a change to show
        request = ChangeRequest.objects.create(
            target_type=ContentType.objects.get_for_model(facility),
            target_id=facility.pk,
            base_version=facility.version,
            proposed={"address": "1 Loop Road"},
            created_by=UserFactory(username="loop-partner"),
        )
        yield {"facility": facility, "project": project, "request": request}


def stored_words() -> set[str]:
    """Every word of every text stored in the database: the data a page may show; and the
    column names of the import files, which a file must spell as they are."""
    words = {
        word
        for model in (Facility, Organisation, Project)
        for column in table_fields(model)
        for word in WORD.findall(column.replace("_", " "))
    }
    for model in apps.get_models():
        texts = [f.name for f in model._meta.concrete_fields if isinstance(f, TEXT_FIELDS)]
        for row in model._base_manager.values_list(*texts) if texts else ():
            words.update(WORD.findall(" ".join(str(value) for value in row if value)))
    return words


def english_left(html: str, data: set[str]) -> list[str]:
    html = re.sub(r"(?s)<script.*?</script>|<style.*?</style>|<select.*?</select>", " ", html)
    text = re.sub(r"<[^>]+>", " ", html)
    # Entities, addresses, public ids, commands (manage.py import_ror), the ROR schema's name.
    text = re.sub(
        r"&[a-z]+;|https?://\S+|\b[a-z]{3}-[0-9a-z]{8}\b|\b\w+\.py \w+|ROR schema v2", " ", text
    )
    return sorted({word for word in WORD.findall(text) if word not in data | ALWAYS})


def pages(records: dict) -> dict[str, str]:
    facility, project, request = records["facility"], records["project"], records["request"]
    return {
        "index": reverse("admin:index"),
        "facility list": reverse("admin:registry_facility_changelist"),
        "facility form": reverse("admin:registry_facility_change", args=[facility.pk]),
        "project form": reverse("admin:registry_project_change", args=[project.pk]),
        "project add form": reverse("admin:registry_project_add"),
        "organisation list": reverse("admin:registry_organisation_changelist"),
        "history": reverse("admin:registry_facility_history", args=[facility.pk]),
        "import": reverse("admin:registry_facility_import"),
        "review queue": reverse("admin:registry_review_queue"),
        "change request": reverse("admin:registry_changerequest_change", args=[request.pk]),
        "change requests": reverse("admin:registry_changerequest_changelist"),
        "ROR upload": reverse("admin:registry_organisation_import_ror"),
        "deleted": reverse("admin:registry_facility_deleted"),
        "password change": reverse("admin:password_change"),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_every_admin_page_type_reads_in_chinese_with_the_data_set_aside(
    records, zone_editor, language
):
    client = Client()
    client.force_login(zone_editor)
    data = stored_words()
    left = {}
    for name, address in pages(records).items():
        response = client.get(address, headers=LANGUAGES[language])
        assert response.status_code == 200, (name, response.status_code)
        if found := english_left(response.content.decode(), data):
            left[name] = found
    assert left == {}, "\n".join(f"{page}: {words}" for page, words in left.items())
