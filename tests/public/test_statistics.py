"""/<lang>/statistics/: server-side SVG charts over published records, each with a table holding
the same numbers, in a page without inline scripts or styles."""

from __future__ import annotations

import datetime
import re
from collections import Counter
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import translation

from registry.models import (
    Facility,
    Factor,
    FactorFlow,
    FundingLine,
    Project,
    Publication,
    Side,
)
from registry.public import charts
from tests.factories import FacilityFactory, FactorFlowFactory, FundingLineFactory, ProjectFactory
from tests.public import Element, parse, table_cells

URL = "/en/statistics/"
CHARTS = {
    "projects-by-year",
    "facilities-by-kind",
    "funding-by-currency",
    "flows-by-direction",
    "flows-by-status",
}
STACKED = CHARTS - {"funding-by-currency"}
PUBLISHED = Publication.PUBLISHED


def make_registry() -> None:
    """A few published records of each kind, and unpublished ones that must not be counted."""
    for start, status in (
        (datetime.date(2021, 3, 1), Project.Status.COMPLETED),
        (datetime.date(2024, 1, 1), Project.Status.ACTIVE),
        (datetime.date(2024, 6, 1), Project.Status.ACTIVE),
        (datetime.date(2024, 9, 1), Project.Status.PROPOSED),
        (None, Project.Status.ACTIVE),
    ):
        ProjectFactory(start_date=start, status=status)
    draft = ProjectFactory(
        publication=Publication.DRAFT,
        start_date=datetime.date(2019, 1, 1),
        status=Project.Status.SUSPENDED,
    )
    ProjectFactory(publication=Publication.IN_REVIEW, start_date=datetime.date(2024, 2, 1))

    for kind, section in (
        (Facility.Kind.LABORATORY, Facility.Location.SHENZHEN),
        (Facility.Kind.LABORATORY, Facility.Location.SHENZHEN),
        (Facility.Kind.LABORATORY, Facility.Location.HONG_KONG),
        (Facility.Kind.INCUBATOR, Facility.Location.OUTSIDE),
    ):
        FacilityFactory(kind=kind, section=section)
    FacilityFactory(kind=Facility.Kind.SITE, publication=Publication.DRAFT)

    funded = Project.objects.get(start_date=datetime.date(2024, 1, 1))
    FundingLineFactory(
        project=funded, currency="CNY", amount=Decimal(1_000_000), side=Side.SHENZHEN
    )
    FundingLineFactory(project=funded, currency="HKD", amount=Decimal("2500000.50"))
    FundingLineFactory(project=funded, currency="HKD", amount=Decimal(500_000))
    FundingLineFactory(project=draft, currency="CNY", amount=Decimal(9_999), side=Side.SHENZHEN)

    FactorFlowFactory.create_batch(2, project=funded)
    FactorFlowFactory(
        project=funded,
        factor=Factor.RESEARCH_DATA,
        direction=FactorFlow.Direction.SOUTHBOUND,
        status=FactorFlow.Status.CLEARED,
    )
    FactorFlowFactory(project=funded, factor=Factor.EQUIPMENT, publication=Publication.DRAFT)


def expected_numbers() -> dict[str, Counter]:
    """What each chart should show, counted straight from the database in English."""
    with translation.override("en"):
        projects = Project.objects.filter(publication=PUBLISHED)
        facilities = Facility.objects.filter(publication=PUBLISHED)
        lines = FundingLine.objects.filter(project__publication=PUBLISHED)
        flows = FactorFlow.objects.filter(publication=PUBLISHED)
        funding: Counter = Counter()
        for line in lines:
            funding[line.currency, line.get_side_display()] += line.amount
        return {
            "projects-by-year": Counter(
                (
                    str(p.start_date.year) if p.start_date else "No start date",
                    p.get_status_display(),
                )
                for p in projects
            ),
            "facilities-by-kind": Counter(
                (f.get_kind_display(), f.get_section_display()) for f in facilities
            ),
            "funding-by-currency": funding,
            "flows-by-direction": Counter(
                (f.get_factor_display(), f.get_direction_display()) for f in flows
            ),
            "flows-by-status": Counter(
                (f.get_factor_display(), f.get_status_display()) for f in flows
            ),
        }


def as_number(text: str) -> Decimal:
    return Decimal(text.replace(",", "").replace("\u00a0", "").replace(" ", ""))


def shown_numbers(figure: Element) -> Counter:
    """The table's non-zero cells as {(row, column): number}; checks each row's total too."""
    header, rows = table_cells(figure.find("table"))
    assert header[-1] == "Total"
    numbers: Counter = Counter()
    for label, *cells, total in rows:
        values = [as_number(cell) for cell in cells]
        assert sum(values) == as_number(total), label
        for column, value in zip(header[1:-1], values, strict=True):
            if value:
                numbers[label, column] = value
    return numbers


def figures(page: Element) -> dict[str, Element]:
    return {f.attrs["id"]: f for f in page.find_all("figure")}


def assert_tables_match_database(page: Element) -> None:
    shown = figures(page)
    assert set(shown) == CHARTS
    for chart_id, expected in expected_numbers().items():
        assert shown_numbers(shown[chart_id]) == +expected, chart_id


def test_every_chart_has_a_table_with_the_published_numbers(client, db) -> None:
    make_registry()

    page = parse(client.get(URL).content)

    assert_tables_match_database(page)
    years = figures(page)["projects-by-year"].find("table")
    header, rows = table_cells(years)
    # Years without a start are shown as zero; the draft's 2019 and "Suspended" are not shown.
    assert [row[0] for row in rows] == ["2021", "2022", "2023", "2024", "No start date"]
    assert rows[3][-1] == "3"  # the project in review is not counted
    assert "Suspended" not in header
    kinds = [row[0] for row in table_cells(figures(page)["facilities-by-kind"].find("table"))[1]]
    assert kinds == ["Laboratory", "Incubator"]
    funding = dict(shown_numbers(figures(page)["funding-by-currency"]))
    assert funding == {
        ("CNY", "Shenzhen side"): Decimal(1_000_000),
        ("HKD", "Hong Kong side"): Decimal("3000000.50"),
    }
    flow_rows = table_cells(figures(page)["flows-by-direction"].find("table"))[1]
    assert [row[0] for row in flow_rows] == ["Personnel", "Research data"]


def test_the_demo_data_is_charted_as_the_database_counts_it(client, db) -> None:
    call_command("loaddata", "reference", "demo", verbosity=0)
    assert Project.objects.exclude(publication=PUBLISHED).exists()

    page = parse(client.get(URL).content)

    assert_tables_match_database(page)


def test_the_bars_draw_the_numbers_of_the_table(client, db) -> None:
    """One rectangle per non-zero cell of a stacked chart, and the label at the end of each
    bar is the row's total."""
    make_registry()

    shown = figures(parse(client.get(URL).content))

    for chart_id in STACKED:
        figure = shown[chart_id]
        bars = figure.find("g", class_="bars")
        assert len(bars.find_all("rect")) == len(shown_numbers(figure)), chart_id
        totals = [t.text for t in bars.find_all("text") if t.attrs.get("font-weight") == "bold"]
        _header, rows = table_cells(figure.find("table"))
        assert totals == [row[-1] for row in rows], chart_id
    funding = shown["funding-by-currency"]
    header, rows = table_cells(funding.find("table"))
    # Grouped: one bar for every currency and side, zero included.
    assert len(funding.find("g", class_="bars").find_all("rect")) == len(rows) * (len(header) - 2)


@pytest.mark.parametrize("lang", ["en", "zh-hant"])
def test_on_a_phone_each_number_is_read_with_its_column_name(client, db, lang) -> None:
    """A phone shows a chart's table row by row (CSS, table.stack): every number carries the
    name of its column, in the page's language, for the CSS to show before it."""
    make_registry()

    for chart_id, figure in figures(parse(client.get(f"/{lang}/statistics/").content)).items():
        table = figure.find("table")
        assert "stack" in table.attrs["class"].split(), chart_id
        header, _rows = table_cells(table)
        for row in table.find("tbody").find_all("tr"):
            labels = [cell.attrs.get("data-label") for cell in row.find_all("td")]
            assert labels == header[1:], chart_id


def test_each_chart_is_a_titled_image_with_a_captioned_table(client, db) -> None:
    make_registry()

    page = parse(client.get(URL).content)

    assert len(page.find_all("h1")) == 1
    for chart_id, figure in figures(page).items():
        svg = figure.find("svg")
        assert svg.attrs["role"] == "img"
        title = svg.find("title", id=svg.attrs["aria-labelledby"])
        assert title.text == figure.find("figcaption").text != ""
        assert svg.find("desc", id=svg.attrs["aria-describedby"]).text
        table = figure.find("table")
        assert chart_id and table.find("caption").text
        assert {th.attrs.get("scope") for th in table.find("thead").find_all("th")} == {"col"}
        assert {th.attrs.get("scope") for th in table.find("tbody").find_all("th")} == {"row"}


def test_the_page_holds_no_inline_script_or_style(client, db) -> None:
    make_registry()

    response = client.get(URL)

    assert "style-src 'self'" in response["Content-Security-Policy"]
    page = parse(response.content)
    assert not [e for e in page.iter() if "style" in e.attrs]
    assert not page.find_all("script")
    assert not page.find_all("style")
    assert not re.search(rb"<(script|style)\b|\sstyle\s*=", response.content, re.IGNORECASE)


def test_the_page_costs_four_queries_whatever_the_data(
    client, db, django_assert_num_queries
) -> None:
    """Projects by year and status, facilities by kind and park, funding by currency and side,
    factor flows by factor, direction and status (both flow charts): one GROUP BY each."""
    with django_assert_num_queries(4):
        empty = client.get(URL)
    assert empty.status_code == 200
    assert b"No published record to count yet." in empty.content

    make_registry()
    call_command("loaddata", "reference", "demo", verbosity=0)
    with django_assert_num_queries(4):
        assert client.get(URL).status_code == 200


@pytest.mark.parametrize("language", ["en", "zh-hans", "zh-hant"])
def test_the_page_answers_in_each_language(client, db, language: str) -> None:
    make_registry()

    response = client.get(f"/{language}/statistics/")

    assert response.status_code == 200
    page = parse(response.content)
    assert page.find("html").attrs["lang"] == language
    assert set(figures(page)) == CHARTS
    assert "Accept-Language" in response["Vary"]
    assert "public" in response["Cache-Control"]
    assert "max-age=300" in response["Cache-Control"]


def test_the_main_navigation_links_both_pages(client, db) -> None:
    nav = parse(client.get("/zh-hant/").content).find("nav")

    hrefs = {a.attrs["href"] for a in nav.find_all("a")}

    assert {"/zh-hant/statistics/", "/zh-hant/collaboration/"} <= hrefs


# -- the chart builder --------------------------------------------------------------------------
def test_the_builder_escapes_every_text() -> None:
    chart = charts.BarChart(
        chart_id='x"><script>',
        title="<script>alert(1)</script>",
        description="Fish & chips",
        category_label="c",
        value_label="<v>",
        categories=[charts.Item("a", '<img src=x onerror="alert(1)">')],
        series=[charts.Item("s", "</text><script>")],
        values={("a", "s"): 3},
    )

    svg = str(chart.svg)

    assert "<script" not in svg
    assert "<img" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
    assert "Fish &amp; chips" in svg
    assert parse(svg).find("svg").attrs["aria-labelledby"] == 'x"><script>-title'


def test_ticks_are_round_and_reach_the_largest_value() -> None:
    assert charts.nice_ticks(3) == [0, 1, 2, 3]
    assert charts.nice_ticks(8) == [0, 2, 4, 6, 8]
    assert charts.nice_ticks(14_800_000) == [0, 5_000_000, 10_000_000, 15_000_000]
    assert charts.nice_ticks(0) == [0, 1]


def test_a_phone_gets_each_chart_drawn_to_its_width_with_the_same_bars(client, db) -> None:
    """Each chart is drawn twice: for a desk, labels beside the bars; for a phone, 340 wide
    (a 375 px screen less its margins), each label above its bars. Both draw the same
    rectangles and totals, and each is titled by its own ids."""
    make_registry()

    shown = figures(parse(client.get(URL).content))

    for chart_id, figure in shown.items():
        wide, narrow = figure.find_all("svg")
        assert (wide.attrs["class"], narrow.attrs["class"]) == ("wide", "narrow")
        assert float(narrow.attrs["width"]) == charts.NARROW < float(wide.attrs["width"])
        assert narrow.attrs["viewbox"].split()[2] == narrow.attrs["width"]
        assert narrow.find("title", id=narrow.attrs["aria-labelledby"]).text == (
            wide.find("title", id=wide.attrs["aria-labelledby"]).text
        )
        assert narrow.attrs["aria-labelledby"] != wide.attrs["aria-labelledby"]

        def drawn(svg: Element) -> list[tuple[str, str]]:
            bars = svg.find("g", class_="bars")
            return [(r.attrs["fill"], r.find("title").text) for r in bars.find_all("rect")]

        assert drawn(narrow) == drawn(wide), chart_id
        # Every label, bar and total lies inside the phone's drawing.
        for rect in narrow.find("g", class_="bars").find_all("rect"):
            right = float(rect.attrs["x"]) + float(rect.attrs["width"])
            assert right <= charts.NARROW, chart_id
