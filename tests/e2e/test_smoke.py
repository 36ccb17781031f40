"""The admin opens in a real browser."""

import pytest
from django.urls import reverse

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_zone_editor_signs_in_to_the_admin_in_a_real_browser(live_server, page, zone_editor):
    zone_editor.set_password("a-long-test-password")
    zone_editor.save()
    page.goto(live_server.url + reverse("admin:login"))
    page.fill("#id_username", zone_editor.username)
    page.fill("#id_password", "a-long-test-password")
    page.click("input[type=submit]")
    page.wait_for_url(live_server.url + reverse("admin:index"))
    assert page.locator("text=Review queue").first.is_visible()
