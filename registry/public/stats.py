"""Statistics and the "two banks" collaboration page: published records only, drawn as
server-side SVG (``registry/public/charts.py``) with the same numbers in a table beside each
drawing, so the pages need no JavaScript and read well with a screen reader."""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.vary import vary_on_headers

from registry import access, filters
from registry import statistics as figures
from registry.models import (
    Facility,
    Factor,
    FactorFlow,
    Organisation,
    Participation,
    PriorityArea,
    Project,
    ResearchField,
    Side,
)
from registry.public import charts
from registry.public.parameters import bad_request, takes_no_parameters
from registry.public.views import PUBLIC_CACHE, lang, taxonomy_choices
from registry.scripts import field_names, localised

NO_START_DATE = "none"


def present(choices: list[tuple[str, Any]], keys: set[str]) -> list[charts.Item]:
    """The choices that occur in the data, in the choices' own order."""
    return [charts.Item(value, str(label)) for value, label in choices if value in keys]


# -- statistics -------------------------------------------------------------------------------
def projects_by_year_and_status() -> charts.BarChart:
    """One GROUP BY query. Every year from the first to the last start is a bar (a year with
    no start shows as empty, not as missing); projects without a start date come last."""
    counts = figures.projects_by_year_and_status(None)
    values = {(str(year or NO_START_DATE), status): n for (year, status), n in counts.items()}
    years = [year for year, _status in counts if year is not None]
    span = range(min(years), max(years) + 1) if years else range(0)
    categories = [charts.Item(str(year), str(year)) for year in span]
    if any(year is None for year, _status in counts):
        categories.append(charts.Item(NO_START_DATE, _("No start date")))
    return charts.BarChart(
        chart_id="projects-by-year",
        title=_("Joint projects by start year and status"),
        description=_(
            "One bar per start year, divided by the projects' status; the number at the end "
            "of each bar is the year's total. The table gives every number."
        ),
        category_label=_("Start year"),
        value_label=_("Number of projects"),
        categories=categories,
        series=present(Project.Status.choices, {status for _year, status in counts}),
        values=values,
    )


def facilities_by_section_and_kind() -> charts.BarChart:
    """One GROUP BY query."""
    counts = figures.counts(Facility, None, "kind", "section")
    return charts.BarChart(
        chart_id="facilities-by-kind",
        title=_("Facilities by kind and park"),
        description=_(
            "One bar per kind of facility, divided by where it is: the Shenzhen Park, the "
            "Hong Kong Park or outside the zone. The table gives every number."
        ),
        category_label=_("Kind"),
        value_label=_("Number of facilities"),
        categories=present(Facility.Kind.choices, {kind for kind, _section in counts}),
        series=present(Facility.Location.choices, {section for _kind, section in counts}),
        values=dict(counts),
    )


def funding_by_currency_and_side() -> charts.BarChart:
    """One GROUP BY query over the funding lines the public may see (a funding line has no
    publication state of its own: it is public when its project and its funder are)."""
    totals = figures.funding_by_currency_and_side(None)
    currencies = sorted({currency for currency, _side in totals})
    return charts.BarChart(
        chart_id="funding-by-currency",
        title=_("Funding by currency and side"),
        description=_(
            "For each currency, one bar per side of the river with the total amount of the "
            "funding lines of published projects. Amounts are in their own currency and are "
            "not converted. The table gives every number."
        ),
        category_label=_("Currency"),
        value_label=_("Total amount, in each currency"),
        categories=[charts.Item(c, c) for c in currencies],
        series=present(Side.choices, {side for _currency, side in totals}),
        values={key: amount for key, (amount, _lines) in totals.items()},
        grouped=True,
    )


def factor_flow_charts() -> list[charts.BarChart]:
    """One GROUP BY query (factor, direction, status) feeds both flow charts."""
    counts = figures.counts(FactorFlow, None, "factor", "direction", "status")
    factors = present(Factor.choices, {factor for factor, _direction, _status in counts})

    def by_factor_and(position: int, choices: list, chart_id: str, title: Any, description: Any):
        values: dict[tuple[str, str], int] = defaultdict(int)
        for key, n in counts.items():
            values[key[0], key[position]] += n
        return charts.BarChart(
            chart_id=chart_id,
            title=title,
            description=description,
            category_label=_("Factor"),
            value_label=_("Number of factor flows"),
            categories=factors,
            series=present(choices, {key[position] for key in counts}),
            values=dict(values),
        )

    return [
        by_factor_and(
            1,
            FactorFlow.Direction.choices,
            "flows-by-direction",
            _("Factor flows by factor and direction"),
            _(
                "One bar per innovation factor, divided by the direction it crosses the "
                "border. The table gives every number."
            ),
        ),
        by_factor_and(
            2,
            FactorFlow.Status.choices,
            "flows-by-status",
            _("Factor flows by factor and status"),
            _(
                "One bar per innovation factor, divided by how far its flows have got. The "
                "table gives every number."
            ),
        ),
    ]


@PUBLIC_CACHE
@vary_on_headers("Accept-Language")
@takes_no_parameters
def statistics(request: HttpRequest) -> HttpResponse:
    """Projects, facilities, funding and factor flows in figures. Queries: 4 (one GROUP BY
    each for projects, facilities and funding lines, one for both factor-flow charts)."""
    flows_by_direction, flows_by_status = factor_flow_charts()
    sections = [
        {
            "id": "projects",
            "heading": _("Joint projects"),
            "charts": [projects_by_year_and_status()],
        },
        {
            "id": "facilities",
            "heading": _("Facilities"),
            "charts": [facilities_by_section_and_kind()],
        },
        {"id": "funding", "heading": _("Funding"), "charts": [funding_by_currency_and_side()]},
        {
            "id": "flows",
            "heading": _("Cross-border factor flows"),
            "charts": [
                flows_by_direction,
                flows_by_status,
            ],
        },
    ]
    return render(request, "registry/public/statistics.html", {"sections": sections})


# -- collaboration: the two banks ---------------------------------------------------------------
COLLABORATION_PARAMETERS = ("field", "priority_area")
# The strongest pairs drawn and listed: beyond a few dozen curves the drawing is unreadable,
# and the limit keeps the page's cost flat however large the registry grows.
MAX_PAIRS = 60
NAME_FIELDS = field_names("name")
TITLE_FIELDS = field_names("title")


@dataclass
class Pair:
    """A Shenzhen-side and a Hong Kong-side organisation that share published projects."""

    shenzhen: SimpleNamespace
    hong_kong: SimpleNamespace
    count: int
    projects: list[SimpleNamespace] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return f"pair-{self.shenzhen.public_id}-{self.hong_kong.public_id}"

    @property
    def href(self) -> str:
        """Where the pair's curve links to.

        ``/projects/?organisation=<a>&organisation=<b>`` would be wrong: a repeated parameter
        means OR in the FilterSets (registry/filters.py), so it lists every project of either
        organisation, not the projects they share. No listing URL can say "both", so a pair
        sharing one project links straight to that project, and a pair sharing several links
        to its row in the table on this page, which lists exactly the shared projects, each
        linked (linking to only the first of several would hide the others)."""
        if len(self.projects) == 1:
            return self.projects[0].url
        return f"#{self.anchor}"

    @property
    def label(self) -> str:
        return ngettext(
            "%(shenzhen)s and %(hong_kong)s: %(count)s shared project",
            "%(shenzhen)s and %(hong_kong)s: %(count)s shared projects",
            self.count,
        ) % {"shenzhen": self.shenzhen.name, "hong_kong": self.hong_kong.name, "count": self.count}


def crossing_participations(projects: QuerySet, **hong_kong_side: Any) -> QuerySet:
    """Shenzhen-side participations joined to the Hong Kong-side participations of the same
    project (``partner``), both organisations published, an organisation never paired with
    itself (a university taking part on both banks is not a collaboration). No query.

    The Hong Kong-side conditions must share one ``filter()`` call so that they apply to the
    same joined row: chained filters on a multi-valued relation would each join afresh."""
    organisations = access.public(Organisation.objects.all())
    conditions = {f"project__participations__{key}": value for key, value in hong_kong_side.items()}
    return (
        Participation.objects.filter(
            project__in=projects,
            side=Side.SHENZHEN,
            organisation__in=organisations,
            project__participations__side=Side.HONG_KONG,
            project__participations__organisation__in=organisations,
            **conditions,
        )
        .annotate(partner=F("project__participations__organisation"))
        .filter(~Q(organisation=F("partner")))
        .order_by()
    )


def organisation_of(row: dict[str, Any], prefix: str) -> SimpleNamespace:
    record = SimpleNamespace(
        public_id=row[f"{prefix}public_id"], **{n: row[f"{prefix}{n}"] for n in NAME_FIELDS}
    )
    record.name = localised(record, "name", lang())
    record.url = reverse("public:organisation-detail", args=[record.public_id])
    return record


def collaboration_pairs(projects: QuerySet) -> tuple[list[Pair], bool]:
    """The pairs sharing most of ``projects``, with the shared projects; and whether there were
    more than MAX_PAIRS. Queries: 2 (the pairs with their counts, then their shared projects),
    1 when no pair shares a project."""
    partner = "project__participations__organisation__"
    rows = list(
        crossing_participations(projects)
        .values(
            "organisation",
            "partner",
            "organisation__public_id",
            *(f"organisation__{n}" for n in NAME_FIELDS),
            f"{partner}public_id",
            *(f"{partner}{n}" for n in NAME_FIELDS),
        )
        .annotate(n=Count("project", distinct=True))
        .order_by("-n", "organisation__public_id", f"{partner}public_id")[: MAX_PAIRS + 1]
    )
    more = len(rows) > MAX_PAIRS
    pairs = {
        (row["organisation"], row["partner"]): Pair(
            organisation_of(row, "organisation__"), organisation_of(row, partner), row["n"]
        )
        for row in rows[:MAX_PAIRS]
    }
    if not pairs:
        return [], more
    shared = (
        crossing_participations(projects, organisation_id__in=sorted({hk for _sz, hk in pairs}))
        .filter(organisation_id__in=sorted({sz for sz, _hk in pairs}))
        .values_list(
            "organisation",
            "partner",
            "project__public_id",
            *(f"project__{t}" for t in TITLE_FIELDS),
        )
        .distinct()
        .order_by("project__title_en", "project__public_id")
    )
    for shenzhen, hong_kong, public_id, *titles in shared:
        pair = pairs.get((shenzhen, hong_kong))
        if pair is None:
            continue  # both organisations are among the strongest pairs, but not as a pair
        project = SimpleNamespace(
            public_id=public_id, **dict(zip(TITLE_FIELDS, titles, strict=True))
        )
        project.title = localised(project, "title", lang())
        project.url = reverse("public:project-detail", args=[public_id])
        pair.projects.append(project)
    return list(pairs.values()), more


def two_banks(pairs: list[Pair]) -> str:
    shenzhen = {
        p.shenzhen.public_id: charts.Bank(p.shenzhen.public_id, p.shenzhen.name) for p in pairs
    }
    hong_kong = {
        p.hong_kong.public_id: charts.Bank(p.hong_kong.public_id, p.hong_kong.name) for p in pairs
    }
    drawing = functools.partial(
        charts.two_banks_svg,
        chart_id="two-banks",
        title=_("Shenzhen-side and Hong Kong-side organisations that share projects"),
        description=_(
            "Shenzhen-side organisations stand on the left bank, Hong Kong-side ones on the "
            "right; each curve joins two organisations that share published projects, thicker "
            "for more shared projects, and links to those projects. The table after the "
            "drawing lists the same pairs."
        ),
        shenzhen_heading=_("Shenzhen side"),
        hong_kong_heading=_("Hong Kong side"),
        river_label=_("Shenzhen River"),
        shenzhen=list(shenzhen.values()),
        hong_kong=list(hong_kong.values()),
        crossings=[
            charts.Crossing(p.shenzhen.public_id, p.hong_kong.public_id, p.count, p.href, p.label)
            for p in pairs
        ],
    )
    # One for a desk, one for a phone: the page's CSS shows the one that fits.
    return drawing() + drawing(narrow=True)


@PUBLIC_CACHE
@vary_on_headers("Accept-Language")
def collaboration(request: HttpRequest) -> HttpResponse:
    """Which Shenzhen-side and Hong Kong-side organisations work together, narrowed by
    ``field`` and ``priority_area`` (checked by the shared ProjectFilterSet; anything else, or a
    bad value, is a 400 naming it). Queries: 4 (research fields and priority areas for the
    filter form, the pairs, their shared projects)."""
    data = QueryDict(mutable=True)
    for name in COLLABORATION_PARAMETERS:
        data.setlist(name, request.GET.getlist(name))
    filterset = filters.ProjectFilterSet(data, queryset=access.public(Project.objects.all()))
    errors = filters.parameter_errors(request.GET, COLLABORATION_PARAMETERS, filterset=filterset)
    if errors:
        return bad_request(request, errors)
    pairs, more = collaboration_pairs(filterset.qs)
    selected = {name: set(request.GET.getlist(name)) for name in COLLABORATION_PARAMETERS}
    context = {
        "pairs": pairs,
        "more": more,
        "max_pairs": MAX_PAIRS,
        "drawing": two_banks(pairs) if pairs else "",
        "project_count": len({p.public_id for pair in pairs for p in pair.projects}),
        "filters": [
            {
                "name": name,
                "label": label,
                "all": everything,
                "options": [
                    {"value": value, "label": text, "selected": value in selected[name]}
                    for value, text in choices
                ],
            }
            for name, label, everything, choices in (
                (
                    "field",
                    _("Research field"),
                    _("All research fields"),
                    [(code, f"{code} {name}") for code, name in taxonomy_choices(ResearchField)],
                ),
                (
                    "priority_area",
                    _("Priority area"),
                    _("All priority areas"),
                    taxonomy_choices(PriorityArea),
                ),
            )
        ],
        "filtered": any(selected.values()),
    }
    return render(request, "registry/public/collaboration.html", context)
