"""Public pages: published records only (``access.public``), the same FilterSets and read
paths as the API, server-rendered HTML that works without JavaScript."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from django.core.paginator import Paginator
from django.db.models import Count, F, Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.cache import cache_control
from django.views.decorators.vary import vary_on_headers

from registry import access, filters
from registry.models import (
    Facility,
    Organisation,
    PriorityArea,
    Project,
    Publication,
    ResearchField,
    SubArea,
    ZoneSection,
)

PAGE_SIZE = 20
PUBLIC_CACHE = cache_control(public=True, max_age=300)


def lang() -> str:
    return get_language() or "en"


@PUBLIC_CACHE
def home(request: HttpRequest) -> HttpResponse:
    """The zone at a glance: two parks, their sub-areas, counts from the registry, the latest
    published projects. Queries: sections, sub-areas, 2 counts, latest projects."""
    facilities = access.public(Facility.objects.all())
    by_section = dict(facilities.order_by().values_list("section").annotate(n=Count("pk")))
    by_kind = (
        facilities.order_by()
        .values("section", "kind")
        .annotate(n=Count("pk"))
        .order_by("section", "kind")
    )
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
                    (kind_labels[row["kind"]], row["n"])
                    for row in by_kind
                    if row["section"] == section.code
                ],
            }
            for section in sections
        ],
        "outside": by_section.get(Facility.Location.OUTSIDE, 0),
        "project_count": access.public(Project.objects.all()).count(),
        "cross_border_count": access.public(Project.objects.filter(cross_border=True)).count(),
        "organisation_count": access.public(Organisation.objects.all()).count(),
        "latest_projects": list(
            # NULLS LAST as SQLite does: on PostgreSQL a record without a publication date
            # would otherwise top the list of the latest.
            access.public(Project.objects.all()).order_by(
                F("published_at").desc(nulls_last=True), F("start_date").desc(nulls_last=True)
            )[:6]
        ),
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
        unknown = filters.unknown_parameters(self.filterset_class, request.GET.keys(), ("page",))
        base = access.public(self.model.objects.with_relations(self.reads))
        filterset = self.filterset_class(request.GET, queryset=base)
        errors = dict(filterset.errors) if not filterset.is_valid() else {}
        for name in unknown:
            errors[name] = [_("Unknown parameter.")]
        page_number = request.GET.get("page", "1")
        if not page_number.isdigit() or int(page_number) < 1:
            # A malformed page is a bad value like any other (as in the API); a page past the
            # last one is a well-formed address with nothing there: 404 below.
            errors["page"] = [
                _("%(name)s must be a whole number of at least 1%(limit)s.")
                % {"name": "page", "limit": ""}
            ]
        if errors:
            return render(
                request, "registry/public/bad_request.html", {"errors": errors}, status=400
            )
        results = filterset.qs
        paginator = Paginator(results, PAGE_SIZE)
        if int(page_number) > max(paginator.num_pages, 1):
            raise Http404
        page = paginator.page(int(page_number))
        facets = []
        for facet in self.facets():
            counts = facet.counts(results)
            selected = set(request.GET.getlist(facet.parameter))
            options = [
                {
                    "value": value,
                    "label": label,
                    "count": counts.get(value, 0),
                    "selected": value in selected,
                }
                for value, label in facet.choices
                if counts.get(value, 0) or value in selected
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


def section_choices() -> list[tuple[str, str]]:
    return [(value, str(label)) for value, label in Facility.Location.choices]


def taxonomy_choices(model: type[Model]) -> list[tuple[str, str]]:
    return [(item.code, item.display_name()) for item in model.objects.order_by("code")]


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
            Facet("section", _("Park"), "section", section_choices()),
            Facet(
                "kind", _("Kind"), "kind", [(v, str(label)) for v, label in Facility.Kind.choices]
            ),
            Facet(
                "status",
                _("Status"),
                "status",
                [(v, str(label)) for v, label in Facility.Status.choices],
            ),
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
        return [
            Facet(
                "status",
                _("Status"),
                "status",
                [(v, str(label)) for v, label in Project.Status.choices],
            ),
            Facet(
                "cross_border",
                _("Cross-border"),
                "cross_border",
                [("True", str(_("Both banks"))), ("False", str(_("One bank")))],
            ),
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


class OrganisationList(ListingView):
    model = Organisation
    filterset_class = filters.OrganisationFilterSet
    title = _("Organisations")
    sort_options: ClassVar = [("name_en", _("Name")), ("-established", _("Newest first"))]

    def facets(self) -> list[Facet]:
        return [
            Facet(
                "jurisdiction",
                _("Jurisdiction"),
                "jurisdiction",
                [(v, str(label)) for v, label in Organisation.Jurisdiction.choices],
            ),
            Facet(
                "kind",
                _("Kind"),
                "kind",
                [(v, str(label)) for v, label in Organisation.Kind.choices],
            ),
        ]


@method_decorator([PUBLIC_CACHE, vary_on_headers("Accept-Language")], name="dispatch")
class DetailView(View):
    """A published record with its relations and provenance; 410 with a tombstone when
    retracted, 404 when not published (or mistyped)."""

    model: ClassVar[type[Model]]
    template_name: ClassVar[str]
    reads: ClassVar[tuple[str, ...] | None] = None

    def get(self, request: HttpRequest, public_id: str) -> HttpResponse:
        record = (
            access.public(self.model.objects.with_relations(self.reads))
            .by_public_id(public_id)
            .first()
        )
        if record is None:
            gone = (
                access.gone(self.model.objects.select_related("successor"))
                .by_public_id(public_id)
                .first()
            )
            if gone is None:
                raise Http404
            successor = gone.successor
            if successor is not None and successor.publication != Publication.PUBLISHED:
                successor = None
            return render(
                request,
                "registry/public/gone.html",
                {"record": gone, "successor": successor, "kind": self.model._meta.model_name},
                status=410,
            )
        context = {"record": record, **self.extra(record)}
        # "<" escaped so that no text in a record can close the script element.
        context["json_ld"] = json.dumps(self.json_ld(request, record), ensure_ascii=False).replace(
            "<", "\\u003c"
        )
        # No Last-Modified: the page also shows related records (participants, hosts…) whose
        # changes leave this record's updated_at alone, so a revalidation by date would answer
        # 304 for a changed page. The ETag (ConditionalGetMiddleware) is taken from the content.
        return render(request, self.template_name, context)

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


def is_published(record: Model | None) -> bool:
    """Whether the public may see this related record (access.py decides; no query)."""
    return record is not None and access.can_view(None, record)


def names_by_script(record: Model, stem: str = "name") -> dict[str, str]:
    return {
        key: getattr(record, f"{stem}_{suffix}")
        for key, suffix in (("en", "en"), ("zh-Hans", "zh_hans"), ("zh-Hant", "zh_hant"))
        if getattr(record, f"{stem}_{suffix}")
    }


class FacilityDetail(DetailView):
    model = Facility
    template_name = "registry/public/facility_detail.html"
    # Not "hosts": the page reads the published hosts in one query of its own (see extra).
    reads = ("owner", "sub_area", "parent", "fields", "priority_areas")

    def extra(self, record: Facility) -> dict[str, Any]:
        flows = list(access.public(record.flows.select_related("mechanism")))
        for flow in flows:
            # A policy instrument that is not published is neither named nor linked.
            flow.public_mechanism = flow.mechanism if is_published(flow.mechanism) else None
        return {
            "hosts": access.public(record.hosts.all()),
            "children": access.public(record.children.all()),
            "projects": access.public(
                Project.objects.filter(participations__facility=record).distinct()
            ),
            "flows": flows,
            "parent": record.parent
            if record.parent and record.parent.publication == Publication.PUBLISHED
            else None,
        }

    def json_ld(self, request: HttpRequest, record: Facility) -> dict[str, Any]:
        data = {
            **super().json_ld(request, record),
            "@type": "Place" if record.kind == Facility.Kind.SITE else "ResearchOrganization",
            "alternateName": [
                v for v in names_by_script(record).values() if v != record.display_name(lang())
            ],
        }
        if record.address:
            data["address"] = record.address
        if record.latitude is not None and record.longitude is not None:
            data["geo"] = {
                "@type": "GeoCoordinates",
                "latitude": float(record.latitude),
                "longitude": float(record.longitude),
            }
        if record.website:
            data["sameAs"] = record.website
        return data


class ProjectDetail(DetailView):
    model = Project
    template_name = "registry/public/project_detail.html"

    def extra(self, record: Project) -> dict[str, Any]:
        # An organisation, facility or scheme that is not published is neither named nor
        # linked: the page shows what the public may see, as the API's brief objects do.
        participations = [p for p in record.participations.all() if is_published(p.organisation)]
        for participation in participations:
            participation.public_facility = (
                participation.facility if is_published(participation.facility) else None
            )
        funding = list(record.funding_lines.all())
        for line in funding:
            line.public_funder = line.funder if is_published(line.funder) else None
            line.public_scheme = line.scheme if is_published(line.scheme) else None
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
            "outputs": [o for o in record.outputs.all() if o.publication == Publication.PUBLISHED],
            "flows": [f for f in record.flows.all() if f.publication == Publication.PUBLISHED],
        }

    def json_ld(self, request: HttpRequest, record: Project) -> dict[str, Any]:
        data = {**super().json_ld(request, record), "@type": "ResearchProject"}
        if record.start_date:
            data["startDate"] = record.start_date.isoformat()
        if record.end_date:
            data["endDate"] = record.end_date.isoformat()
        return data


class OrganisationDetail(DetailView):
    model = Organisation
    template_name = "registry/public/organisation_detail.html"

    def extra(self, record: Organisation) -> dict[str, Any]:
        relationships = list(record.relations.all())
        for relation in relationships:
            # A related organisation that is not published shows only the name ROR gave it.
            relation.public_target = relation.target if is_published(relation.target) else None
        return {
            "facilities": access.public(record.hosted_facilities.all()),
            "projects": access.public(
                Project.objects.filter(participations__organisation=record).distinct()
            ),
            "relationships": relationships,
        }

    def json_ld(self, request: HttpRequest, record: Organisation) -> dict[str, Any]:
        data = {**super().json_ld(request, record), "@type": "Organization"}
        if record.ror_id:
            data["sameAs"] = [record.ror_id]
        if record.acronym:
            data["alternateName"] = record.acronym
        if record.established:
            data["foundingDate"] = str(record.established)
        return data
