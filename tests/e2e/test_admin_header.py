"""The admin header's language control is readable on every page: on form pages the admin's
forms.css greys every label, which on the header's blue fell far below WCAG's 4.5:1."""

from __future__ import annotations

import re

import pytest

from tests.e2e.admin_helpers import admin_url, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def luminance(css_colour: str) -> float:
    red, green, blue = (int(part) / 255 for part in re.findall(r"\d+", css_colour)[:3])
    linear = [
        c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (red, green, blue)
    ]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    lighter, darker = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


@pytest.mark.parametrize("view", ["index", "registry_facility_add", "registry_project_add"])
def test_the_language_label_in_the_header_meets_wcag_contrast(live_server, page, zone_editor, view):
    log_in(page, live_server, zone_editor)
    page.goto(admin_url(live_server, view))
    label = page.locator("#header .registry-language label")
    colour = label.evaluate("element => getComputedStyle(element).color")
    background = page.locator("#header").evaluate(
        "element => getComputedStyle(element).backgroundColor"
    )
    assert contrast(colour, background) >= 4.5, (colour, background)
