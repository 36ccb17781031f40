"""Public pages: published records only (``access.public``), the same FilterSets and read
paths as the API, server-rendered HTML that works without JavaScript."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any, ClassVar

from django.core.paginator import EmptyPage
from django.db.models import Count, Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.cache import cache_control
from django.views.decorators.vary import vary_on_headers

from registry import access, filters, paging, scripts, statistics
from registry.models import (
    Facility,
    Organisation,
    PriorityArea,
    Project,
    ResearchField,
    SubArea,
    ZoneSection,
)
from registry.paging import CappedPaginator
from registry.public.parameters import bad_request, takes_no_parameters

PAGE_SIZE = 20
PUBLIC_CACHE = cache_control(public=True, max_age=300)


def lang() -> str:
    return get_language() or "en"


@PUBLIC_CACHE
@takes_no_parameters
def home(request: HttpRequest) -> HttpResponse:
    """The zone at a glance: two parks, their sub-areas, counts from the registry, the latest
    published projects. Queries: 7 (facilities by park and kind, 3 counts, sections, sub-areas,
    latest projects)."""
    by_kind = statistics.counts(Facility, None, "section", "kind")
    by_section: Counter = Counter()
    for (section, _kind), n in by_kind.items():
        by_section[section] += n
    sections = list(ZoneSection.objects.order_by("code"))
    sub_areas = list(SubArea.objects.order_by("section", "code"))
    kind_labels = dict(Facility.Kind.choices)
    context = {
        "sections": [
            {
                "section": section,
                "sub_areas": [s for s in sub_areas if s.section == section.code],
                "facilities": by_section.get(section.code, 0),
                "kinds": [
                    (kind_labels[kind], n)
                    for (code, kind), n in sorted(by_kind.items())
                    if code == section.code
                ],
            }
            for section in sections
        ],
        "outside": by_section.get(Facility.Location.OUTSIDE, 0),
        "project_count": statistics.total(Project, None),
        "cross_border_count": statistics.total(Project, None, cross_border=True),
        "organisation_count": statistics.total(Organisation, None),
        "latest_projects": statistics.latest_projects(None, 6),
    }
    return render(request, "registry/public/home.html", context)


class Facet:
    """One facet: a filter parameter, its choices and how many current results have each."""

    def __init__(
        self,
        parameter: str,
        label: str,
        field: str,
        choices: list[tuple[str, str]],
        *,
        through: str | None = None,
    ) -> None:
        self.parameter, self.label, self.field, self.choices = parameter, label, field, choices
        self.through = through

    def counts(self, queryset: QuerySet) -> dict[str, int]:
        """One GROUP BY query over the filtered results."""
        lookup = self.through or self.field
        rows = queryset.order_by().values(lookup).annotate(n=Count("pk", distinct=True))
        return {str(row[lookup]): row["n"] for row in rows if row[lookup] is not None}


@method_decorator([PUBLIC_CACHE, vary_on_headers("Accept-Language")], name="dispatch")
class ListingView(View):
    """A listing with facets, search, sorting and pagination; every state is in the URL."""

    model: ClassVar[type[Model]]
    filterset_class: ClassVar[type]
    template_name = "registry/public/list.html"
    reads: ClassVar[tuple[str, ...]] = ()
    sort_options: ClassVar[list[tuple[str, str]]] = []
    title: ClassVar[Any] = ""

    def facets(self) -> list[Facet]:
        return []

    def get(self, request: HttpRequest) -> HttpResponse:
        base = access.readable(self.model.objects.all(), None, self.reads)
        filterset = self.filterset_class(request.GET, queryset=base, request=request)
        accepted = filters.accepted(self.filterset_class, "page")
        errors = filters.parameter_errors(request.GET, accepted, filterset=filterset)
        page_number = request.GET.get("page", "1")
        if not page_number.isdigit() or int(page_number) < 1:
            # A malformed page is a bad value like any other (as in the API); a page past the
            # last one is a well-formed address with nothing there: 404 below.
            errors["page"] = [
                _("%(name)s must be a whole number of at least 1%(limit)s.")
                % {"name": "page", "limit": ""}
            ]
        if errors:
            return bad_request(request, errors)
        results = paging.in_sort_order(filterset.qs)
        paginator = CappedPaginator(results, PAGE_SIZE)
        try:
            page = paginator.page(int(page_number))
        except EmptyPage:
            raise Http404 from None
        if not paginator.exact:
            # As the API's long lists: the page's keys read from the sort's index first, then
            # its records by primary key, so that a filter slow to match (ended_before: 50,000
            # index entries before the first match at 1 M) is not tested against whole rows.
            page.object_list, _last = paging.keys_of(results, page.object_list)
        facets = []
        for facet in self.facets():
            # Counting each option reads every result: done when there are at most
            # COUNT_CAP of them; above that the options are listed without counts.
            counts = facet.counts(paginator.matches) if paginator.exact else None
            selected = set(request.GET.getlist(facet.parameter))
            options = [
                {
                    "value": value,
                    "label": label,
                    "count": None if counts is None else counts.get(value, 0),
                    "selected": value in selected,
                }
                for value, label in facet.choices
                if counts is None or counts.get(value, 0) or value in selected
            ]
            if options:
                facets.append(
                    {"parameter": facet.parameter, "label": facet.label, "options": options}
                )
        query = request.GET.copy()
        query.pop("page", None)
        context = {
            "title": self.title,
            "page": page,
            "paginator": paginator,
            "count_cap": f"{paging.COUNT_CAP:,}",
            "facets": facets,
            "q": request.GET.get("q", ""),
            "ordering": request.GET.get("ordering", ""),
            "sort_options": self.sort_options,
            "query_without_page": query.urlencode(),
            "detail_url_name": f"public:{self.model._meta.model_name}-detail",
            "list_url": request.path,
            "kind": self.model._meta.model_name,
        }
        return render(request, self.template_name, context)


def labels(choices: list[tuple[str, Any]]) -> list[tuple[str, str]]:
    return [(value, str(label)) for value, label in choices]


def taxonomy_choices(model: type[Model]) -> list[tuple[str, str]]:
    return [(item.code, item.display_name()) for item in model.objects.order_by("code")]


def choice_facet(field: str, label: Any, choices: list[tuple[str, Any]]) -> Facet:
    """A facet over one of the model's choice fields, filtered by the parameter of its name."""
    return Facet(field, label, field, labels(choices))


def topic_facets() -> list[Facet]:
    """Research field and priority area, the facets of everything tagged with them."""
    return [
        Facet(
            "field",
            _("Research field"),
            "fields",
            taxonomy_choices(ResearchField),
            through="fields__code",
        ),
        Facet(
            "priority_area",
            _("Priority area"),
            "priority_areas",
            taxonomy_choices(PriorityArea),
            through="priority_areas__code",
        ),
    ]


class FacilityList(ListingView):
    model = Facility
    filterset_class = filters.FacilityFilterSet
    reads = ("sub_area",)
    title = _("Facilities")
    sort_options: ClassVar = [
        ("name_en", _("Name")),
        ("-opened_on", _("Newest first")),
        ("-floor_area_m2", _("Largest first")),
    ]

    def facets(self) -> list[Facet]:
        return [
            choice_facet("section", _("Park"), Facility.Location.choices),
            choice_facet("kind", _("Kind"), Facility.Kind.choices),
            choice_facet("status", _("Status"), Facility.Status.choices),
            *topic_facets(),
        ]


class ProjectList(ListingView):
    model = Project
    filterset_class = filters.ProjectFilterSet
    title = _("Joint projects")
    sort_options: ClassVar = [
        ("-start_date", _("Newest first")),
        ("start_date", _("Oldest first")),
        ("title_en", _("Title")),
    ]

    def facets(self) -> list[Facet]:
        both_banks = [("True", _("Both banks")), ("False", _("One bank"))]
        return [
            choice_facet("status", _("Status"), Project.Status.choices),
            choice_facet("cross_border", _("Cross-border"), both_banks),
            *topic_facets(),
        ]


class OrganisationList(ListingView):
    model = Organisation
    filterset_class = filters.OrganisationFilterSet
    title = _("Organisations")
    sort_options: ClassVar = [("name_en", _("Name")), ("-established", _("Newest first"))]

    def facets(self) -> list[Facet]:
        return [
            choice_facet("jurisdiction", _("Jurisdiction"), Organisation.Jurisdiction.choices),
            choice_facet("kind", _("Kind"), Organisation.Kind.choices),
        ]


@method_decorator(
    [PUBLIC_CACHE, vary_on_headers("Accept-Language"), takes_no_parameters], name="dispatch"
)
class DetailView(View):
    """A published record with its relations and provenance; 410 with a tombstone when
    retracted, 404 when not published (or mistyped)."""

    model: ClassVar[type[Model]]
    reads: ClassVar[tuple[str, ...] | None] = None

    def get(self, request: HttpRequest, public_id: str) -> HttpResponse:
        found = access.lookup(self.model.objects.all(), public_id, None, self.reads)
        if found.tombstone is not None:
            return render(
                request,
                "registry/public/gone.html",
                {
                    "record": found.tombstone,
                    "successor": found.successor,
                    "kind": self.model._meta.model_name,
                },
                status=410,
            )
        if found.record is None:
            raise Http404
        record = found.record
        context = {"record": record, **self.extra(record)}
        # "<" escaped so that no text in a record can close the script element.
        context["json_ld"] = json.dumps(self.json_ld(request, record), ensure_ascii=False).replace(
            "<", "\\u003c"
        )
        # No Last-Modified: the page also shows related records (participants, hosts…) whose
        # changes leave this record's updated_at alone, so a revalidation by date would answer
        # 304 for a changed page. The ETag (ConditionalGetMiddleware) is taken from the content.
        template = f"registry/public/{self.model._meta.model_name}_detail.html"
        return render(request, template, context)

    def extra(self, record: Model) -> dict[str, Any]:
        return {}

    def json_ld(self, request: HttpRequest, record: Model) -> dict[str, Any]:
        return {
            "@context": "https://schema.org",
            "@type": "Thing",
            "identifier": record.public_id,
            "name": record.display_name(lang()),
            # The page's own address, without whatever query string the visitor came with.
            "url": request.build_absolute_uri(request.path),
        }


def with_known(data: dict[str, Any], **facts: Any) -> dict[str, Any]:
    """``data`` and, after it, those of ``facts`` the record knows (not None nor blank)."""
    return {**data, **{name: value for name, value in facts.items() if value}}


class FacilityDetail(DetailView):
    model = Facility
    # Not "hosts": the page reads the published hosts in one query of its own (see extra).
    reads = ("owner", "sub_area", "parent", "fields", "priority_areas")

    def extra(self, record: Facility) -> dict[str, Any]:
        flows = list(access.public(record.flows.select_related("mechanism")))
        for flow in flows:
            # A policy instrument that is not published is neither named nor linked.
            flow.public_mechanism = access.shown(None, flow.mechanism)
        return {
            "hosts": access.public(record.hosts.all()),
            "children": access.public(record.children.all()),
            "projects": access.public(
                Project.objects.filter(participations__facility=record).distinct()
            ),
            "flows": flows,
            "parent": access.shown(None, record.parent),
        }

    def json_ld(self, request: HttpRequest, record: Facility) -> dict[str, Any]:
        data = {
            **super().json_ld(request, record),
            "@type": "Place" if record.kind == Facility.Kind.SITE else "ResearchOrganization",
            "alternateName": [
                name
                for name in scripts.by_key(record, "name", skip_blank=True).values()
                if name != record.display_name(lang())
            ],
        }
        located = record.latitude is not None and record.longitude is not None
        geo = {
            "@type": "GeoCoordinates",
            "latitude": float(record.latitude or 0),
            "longitude": float(record.longitude or 0),
        }
        return with_known(
            data, address=record.address, geo=geo if located else None, sameAs=record.website
        )


class ProjectDetail(DetailView):
    model = Project

    def extra(self, record: Project) -> dict[str, Any]:
        # The page shows what the public may see, as the API does: participants and funding
        # lines of published organisations (access.readable restricts the prefetches), and
        # neither names nor links a facility or scheme that is not published.
        participations = list(record.participations.all())
        for participation in participations:
            participation.public_facility = access.shown(None, participation.facility)
        funding = list(record.funding_lines.all())
        for line in funding:
            line.public_scheme = access.shown(None, line.scheme)
        by_currency: dict[str, Any] = {}
        for line in funding:
            by_currency.setdefault(line.currency, []).append(line)
        return {
            "sides": [
                (str(label), [p for p in participations if p.side == value])
                for value, label in (
                    ("shenzhen", _("Shenzhen side")),
                    ("hong_kong", _("Hong Kong side")),
                    ("other", _("Other")),
                )
                if any(p.side == value for p in participations)
            ],
            "funding_by_currency": sorted(by_currency.items()),
            "outputs": list(record.outputs.all()),
            "flows": list(record.flows.all()),
        }

    def json_ld(self, request: HttpRequest, record: Project) -> dict[str, Any]:
        return with_known(
            {**super().json_ld(request, record), "@type": "ResearchProject"},
            startDate=record.start_date and record.start_date.isoformat(),
            endDate=record.end_date and record.end_date.isoformat(),
        )


class OrganisationDetail(DetailView):
    model = Organisation

    def extra(self, record: Organisation) -> dict[str, Any]:
        relationships = list(record.relations.all())
        for relation in relationships:
            # A related organisation that is not published shows only the name ROR gave it.
            relation.public_target = access.shown(None, relation.target)
        return {
            "facilities": access.public(record.hosted_facilities.all()),
            "projects": access.public(
                Project.objects.filter(participations__organisation=record).distinct()
            ),
            "relationships": relationships,
        }

    def json_ld(self, request: HttpRequest, record: Organisation) -> dict[str, Any]:
        return with_known(
            {**super().json_ld(request, record), "@type": "Organization"},
            sameAs=record.ror_id and [record.ror_id],
            alternateName=record.acronym,
            foundingDate=record.established and str(record.established),
        )
