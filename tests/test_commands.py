"""Management commands a newcomer meets through `make run`."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from registry import access
from registry.models import ApiToken
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("setup_demo_accounts", *args, stdout=out)
    return out.getvalue()


def test_demo_accounts_are_created_with_their_credentials_printed_once():
    cityu = OrganisationFactory(ror_id="https://ror.org/03q8dnn23")
    first = run()
    passwords = dict(re.findall(r"user (\S+)\s+password (\S+)", first))
    assert set(passwords) == {
        "demo-zone-editor",
        "demo-shenzhen-curator",
        "demo-hong-kong-curator",
        "demo-partner",
    }
    for username, password in passwords.items():
        user = authenticate(username=username, password=password)
        assert user is not None, username
    editor = authenticate(username="demo-zone-editor", password=passwords["demo-zone-editor"])
    assert access.actor_for(editor).role is access.Role.ZONE_EDITOR
    partner = authenticate(username="demo-partner", password=passwords["demo-partner"])
    assert access.actor_for(partner).organisation_id == cityu.pk
    token = re.search(r"API token .*: (\S+)", first).group(1)
    assert ApiToken.authenticate(token).user == partner

    second = run()
    assert "password" not in second.replace("passwords", "")
    assert "exist" in second


def test_reset_issues_new_credentials_and_revokes_the_old_token():
    OrganisationFactory(ror_id="https://ror.org/03q8dnn23")
    old_token = re.search(r"API token .*: (\S+)", run()).group(1)
    new_token = re.search(r"API token .*: (\S+)", run("--reset")).group(1)
    assert ApiToken.authenticate(old_token) is None
    assert ApiToken.authenticate(new_token) is not None


def test_without_any_organisation_the_command_says_to_load_the_fixtures():
    with pytest.raises(CommandError, match="load the fixtures first"):
        run()


def test_the_demo_data_loads_into_an_empty_registry_once_and_leaves_later_edits_alone():
    out = StringIO()
    call_command("load_demo_data", stdout=out)
    assert "Installed" in out.getvalue() and "errors 0" in out.getvalue()
    from registry.models import Facility, Organisation

    assert Organisation.objects.filter(ror_id="https://ror.org/02zhqgq86").exists()
    facility = Facility.objects.order_by("pk").first()
    facility.name_en = "Renamed by a curator"
    facility.save()
    again = StringIO()
    call_command("load_demo_data", stdout=again)
    assert "not loaded again" in again.getvalue()
    assert Facility.objects.get(pk=facility.pk).name_en == "Renamed by a curator"
