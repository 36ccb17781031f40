"""What the admin scenarios share: signing in through the real form, the admin's URLs, and
picking an organisation or facility in a select2 autocomplete of an inline row."""

from __future__ import annotations

from django.db.models import Model
from django.urls import reverse
from playwright.sync_api import Page, expect

PASSWORD = "a-long-test-password"


def admin_url(live_server, name: str, *args) -> str:
    return live_server.url + reverse(f"admin:{name}", args=args)


def change_url(live_server, record: Model) -> str:
    opts = record._meta
    return admin_url(live_server, f"{opts.app_label}_{opts.model_name}_change", record.pk)


def log_in(page: Page, live_server, user) -> None:
    """Sign ``user`` in through the admin's own login form, as a person would."""
    user.set_password(PASSWORD)
    user.save()
    page.goto(admin_url(live_server, "login"))
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(admin_url(live_server, "index"))


def pick_autocomplete(page: Page, field_cell: str, typed: str, option: str) -> None:
    """Open the select2 box inside ``field_cell`` (a CSS selector), type part of a name and
    click the option that carries ``option``."""
    page.locator(f"{field_cell} .select2-selection").click()
    search = page.locator(".select2-container--open .select2-search__field")
    search.fill(typed)
    choice = page.locator(".select2-results__option", has_text=option)
    expect(choice).to_have_count(1)
    choice.click()
    expect(page.locator(f"{field_cell} .select2-selection__rendered")).to_contain_text(option)


def success_message(page: Page):
    return page.locator("ul.messagelist li.success")


def error_message(page: Page):
    return page.locator("ul.messagelist li.error")
