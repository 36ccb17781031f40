"""Stale edits are refused: a change form carries the version it was opened at, and a save based
on an older version than the stored one is rejected with a clear message, overwriting nothing."""

from __future__ import annotations

import pytest

from registry.models import Participation, Project, Publication, Section
from tests.admin.forms import browser_form_data, change_form_data, rendered_field_names
from tests.admin.helpers import (
    admin_url,
    change_url,
    open_change_form,
    save_change_form,
    stored,
    transition_url,
)
from tests.factories import FacilityFactory, OrganisationFactory, ProjectFactory

pytestmark = pytest.mark.django_db

STALE = "Someone else saved this record"


def shenzhen_project(**fields) -> Project:
    fields.setdefault("title_en", "Joint sensing platform")
    return ProjectFactory(curating_section=Section.SHENZHEN, **fields)


def test_the_change_form_carries_the_version_it_was_opened_at(client, shenzhen_curator) -> None:
    project = shenzhen_project()
    client.force_login(shenzhen_curator)
    save_change_form(client, project, acronym="JSP")

    response = open_change_form(client, project)

    assert response.context["adminform"].form["expected_version"].value() == 2
    # Rendered in the page, or the browser never sends it back and nothing is checked.
    assert "expected_version" in rendered_field_names(response.content.decode())


def test_when_two_curators_save_the_same_record_the_second_save_is_refused(
    client, shenzhen_curator, second_shenzhen_curator
) -> None:
    project = shenzhen_project()
    client.force_login(shenzhen_curator)
    first_form = change_form_data(open_change_form(client, project), title_en="Title by the first")
    client.force_login(second_shenzhen_curator)
    second_form = change_form_data(
        open_change_form(client, project), title_en="Title by the second"
    )

    second_saved = client.post(change_url(project), second_form)
    client.force_login(shenzhen_curator)
    first_refused = client.post(change_url(project), first_form)

    assert second_saved.status_code == 302
    assert first_refused.status_code == 200
    errors = first_refused.context["adminform"].form.non_field_errors()
    assert any(STALE in error for error in errors)
    assert STALE in first_refused.content.decode()
    assert "sz-curator-2" in " ".join(errors)  # it says who saved in between
    record = stored(project)
    assert record.title_en == "Title by the second"
    assert record.version == 2  # exactly one save went through
    assert record.updated_by == second_shenzhen_curator
    assert record.history.count() == 2


def test_two_curators_saving_from_their_browsers_the_second_save_is_refused(
    client, shenzhen_curator, second_shenzhen_curator
) -> None:
    # The same story with only what the pages render: what a browser really posts.
    project = shenzhen_project()
    client.force_login(shenzhen_curator)
    first_form = browser_form_data(open_change_form(client, project), title_en="By the first")
    client.force_login(second_shenzhen_curator)
    second_form = browser_form_data(open_change_form(client, project), title_en="By the second")

    client.post(change_url(project), second_form)
    client.force_login(shenzhen_curator)
    first_refused = client.post(change_url(project), first_form)

    assert first_refused.status_code == 200
    assert STALE in first_refused.content.decode()
    record = stored(project)
    assert (record.title_en, record.version) == ("By the second", 2)


def test_a_stale_save_changes_no_inline_row_either(
    client, shenzhen_curator, second_shenzhen_curator
) -> None:
    project = shenzhen_project()
    participation = Participation.objects.create(
        project=project, organisation=OrganisationFactory(), role=Participation.Role.PARTNER
    )
    client.force_login(shenzhen_curator)
    stale_form = change_form_data(
        open_change_form(client, project), **{"participations-0-role": Participation.Role.LEAD}
    )
    client.force_login(second_shenzhen_curator)
    save_change_form(client, project, acronym="JSP")
    client.force_login(shenzhen_curator)

    response = client.post(change_url(project), stale_form)

    assert response.status_code == 200
    assert stored(participation).role == Participation.Role.PARTNER
    assert stored(project).acronym == "JSP"
    assert stored(project).version == 2


def test_a_workflow_step_taken_meanwhile_makes_an_open_form_stale(
    client, shenzhen_curator, second_shenzhen_curator
) -> None:
    project = shenzhen_project(publication=Publication.DRAFT)
    client.force_login(shenzhen_curator)
    stale_form = change_form_data(open_change_form(client, project), acronym="OLD")
    client.force_login(second_shenzhen_curator)
    client.post(transition_url(project, "submit"))
    client.force_login(shenzhen_curator)

    response = client.post(change_url(project), stale_form)

    assert response.status_code == 200
    assert STALE in response.content.decode()
    record = stored(project)
    assert (record.acronym, record.publication, record.version) == ("", Publication.IN_REVIEW, 2)


def test_after_a_refused_save_the_curator_reopens_the_record_and_saves(
    client, shenzhen_curator, second_shenzhen_curator
) -> None:
    project = shenzhen_project()
    client.force_login(shenzhen_curator)
    stale_form = change_form_data(open_change_form(client, project), acronym="FIRST")
    client.force_login(second_shenzhen_curator)
    save_change_form(client, project, title_en="Title by the second")
    client.force_login(shenzhen_curator)
    client.post(change_url(project), stale_form)

    response = save_change_form(client, project, acronym="FIRST")

    assert response.status_code == 302
    record = stored(project)
    assert (record.title_en, record.acronym, record.version) == ("Title by the second", "FIRST", 3)


def test_a_curator_saving_twice_from_the_same_open_form_is_refused_the_second_time(
    client, shenzhen_curator
) -> None:
    # Two browser tabs on one record: the second tab's save would undo the first's.
    project = shenzhen_project()
    client.force_login(shenzhen_curator)
    response = open_change_form(client, project)
    first_tab = change_form_data(response, acronym="TAB1")
    second_tab = change_form_data(response, summary_en="Written in the second tab")

    assert client.post(change_url(project), first_tab).status_code == 302
    refused = client.post(change_url(project), second_tab)

    assert refused.status_code == 200
    record = stored(project)
    assert (record.acronym, record.summary_en, record.version) == ("TAB1", "", 2)


def test_a_revert_based_on_a_stale_form_is_refused(
    client, shenzhen_curator, second_shenzhen_curator
) -> None:
    facility = FacilityFactory(curating_section=Section.SHENZHEN, name_en="First name")
    client.force_login(shenzhen_curator)
    save_change_form(client, facility, name_en="Second name")
    url = admin_url(facility, "simple_history", facility.pk, facility.history.get(version=1).pk)
    stale_revert = change_form_data(client.get(url))
    client.force_login(second_shenzhen_curator)
    save_change_form(client, facility, name_en="Third name")
    client.force_login(shenzhen_curator)

    response = client.post(url, stale_revert)

    assert response.status_code == 200
    assert STALE in response.content.decode()
    record = stored(facility)
    assert (record.name_en, record.version) == ("Third name", 3)
