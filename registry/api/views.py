"""The API's viewsets. Views are thin: visibility and rights come from registry/access.py,
filters from registry/filters.py, loading from the models' ``with_relations`` read path."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import MethodNotAllowed, PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from registry import access, filters, representations, statistics, workflow
from registry.api import serializers as s
from registry.api.conditional import etag_for, expected_version, not_modified
from registry.api.errors import Gone, InvalidParameters, PayloadTooLarge, PreconditionFailed
from registry.api.fields import an_object, texts
from registry.models import (
    ChangeEvent,
    ChangeRequest,
    CuratedRecord,
    Facility,
    FactorFlow,
    Organisation,
    Output,
    PriorityArea,
    Project,
    ResearchField,
)
from registry.models.base import StaleRecordError
from registry.scripts import LANGUAGES, SUFFIX_LANGUAGE, SUFFIXES, language_suffix

FIELD_LIST_RE = re.compile(r"^[a-z][a-z0-9_]*(,[a-z][a-z0-9_]*)*$")
# Parameters every list understands besides its filters.
# The change feed's cursors are event ids: 64-bit on PostgreSQL, kept well inside that.
MAX_CURSOR = 2**62
LIST_PARAMETERS = ("page", "cursor", "page_size", "fields", "omit", "brief", "lang")
DETAIL_PARAMETERS = ("fields", "omit", "brief", "lang")


# API field names for model fields that a validation message may name.
API_FIELD = {
    **{
        f"{stem}_{suffix}": plural
        for stem, plural in (
            ("name", "names"),
            ("title", "titles"),
            ("summary", "summaries"),
            ("description", "descriptions"),
        )
        for suffix in SUFFIXES
    },
    "sources": "provenance",
    "as_of": "provenance",
}


def api_errors(error: DjangoValidationError) -> ValidationError:
    """A record's validation errors (keyed by model field) as the API names its fields."""
    problems: dict[str, list[str]] = {}
    for field, messages in error.message_dict.items():
        key = "non_field_errors" if field == NON_FIELD_ERRORS else API_FIELD.get(field, field)
        problems.setdefault(key, []).extend(messages)
    return ValidationError(problems)


def check_parameters(request: Request, accepted: Any, **kwargs: Any) -> None:
    """A 400 problem naming every unknown, blank or malformed parameter (filters.py finds them;
    see ``filters.parameter_errors`` for ``kwargs``)."""
    errors = filters.parameter_errors(request.query_params, accepted, **kwargs)
    if errors:
        raise InvalidParameters(errors)


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter, plus: an unknown, blank or malformed query parameter is a 400 that
    names it."""

    def filter_queryset(self, request: Request, queryset: QuerySet, view: Any) -> QuerySet:
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return queryset
        filterset = self.get_filterset(request, queryset, view)
        accepted = filters.accepted(filterset_class, *LIST_PARAMETERS)
        check_parameters(request, accepted, filterset=filterset, blank_allowed=False)
        return filterset.qs


class RegistryViewMixin:
    """Language, ``fields``/``omit``/``brief``, body size and the ``Vary`` header."""

    request: Request
    serializer_class: Any

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        method = request.method.lower()
        if method not in self.http_method_names or not hasattr(self, method):
            # A method the address does not offer is a 405 for everyone, before any question
            # of who is asking (the permission check would answer 401 to the public).
            raise MethodNotAllowed(request.method)
        length = request.META.get("CONTENT_LENGTH") or "0"
        if length.isdigit() and int(length) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            raise PayloadTooLarge()
        super().initial(request, *args, **kwargs)
        self.lang = self._language(request)
        self.chosen_fields = self._chosen_fields(request)
        allowed = None
        if self.action == "retrieve":
            allowed = DETAIL_PARAMETERS
        elif self.action == "list" and getattr(self, "filterset_class", None) is None:
            allowed = LIST_PARAMETERS
        elif self.action in ("create", "update", "partial_update", "destroy"):
            allowed = ("lang",)
        if allowed is not None and self.serializer_class is not None:
            check_parameters(request, allowed)

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Vary"] = "Accept, Accept-Language, Authorization"
        return response

    def _language(self, request: Request) -> str:
        asked = request.query_params.get("lang")
        if asked is not None:
            if asked.lower() not in LANGUAGES:
                raise InvalidParameters({"lang": [_("Use en, zh-hans or zh-hant.")]})
            return asked.lower()
        return SUFFIX_LANGUAGE[language_suffix(get_language())]

    def _chosen_fields(self, request: Request) -> set[str] | None:
        available = set(self.serializer_class().fields) if self.serializer_class else set()
        chosen = set(available)
        params = request.query_params
        for name in ("fields", "omit"):
            if name in params:
                # Repeated (?fields=a&fields=b, what generated clients send) or comma-separated
                # (?fields=a,b), or both: one list, each name once.
                raws = [raw.replace(" ", "") for raw in params.getlist(name)]
                if not all(FIELD_LIST_RE.match(raw) for raw in raws):
                    raise InvalidParameters({name: [_("A comma-separated list of field names.")]})
                names = {field for raw in raws for field in raw.split(",")}
                unknown = sorted(names - available)
                if unknown:
                    raise InvalidParameters(
                        {name: [_("Unknown fields: %(f)s.") % {"f": ", ".join(unknown)}]}
                    )
                chosen = chosen & names if name == "fields" else chosen - names
        if "brief" in params:
            if params["brief"] not in ("0", "1", "true", "false"):
                raise InvalidParameters({"brief": [_("Use brief=1 or brief=0.")]})
            if params["brief"] in ("1", "true"):
                chosen = chosen & {"id", "name"}
        return None if chosen == available else chosen

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        context["lang"] = getattr(self, "lang", None)
        context["chosen_fields"] = getattr(self, "chosen_fields", None)
        return context


class CuratedViewSet(RegistryViewMixin, viewsets.ModelViewSet):
    """list, retrieve, create, update (PUT/PATCH with If-Match), destroy (superusers only)."""

    model: ClassVar[type[CuratedRecord]]
    lookup_field = "public_id"
    lookup_value_regex = "[^/]+"
    filter_backends: ClassVar[list] = [StrictFilterBackend]
    http_method_names: ClassVar[list[str]] = ["get", "post", "put", "patch", "delete", "head"]

    # -- reading --------------------------------------------------------------------------------
    def get_queryset(self) -> QuerySet:
        """What the asker may see, in the resource's order (access.py); the representation
        reads the page of it (registry/representations.py)."""
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reading the model
            return self.model.objects.none()
        return access.visible(self.model.objects.all(), self.request.user).order_by(
            *self.model._meta.ordering
        )

    def reader(self) -> representations.Reader:
        chosen = self.chosen_fields
        return representations.Reader(
            user=self.request.user,
            lang=self.lang,
            fields=None if chosen is None else frozenset(chosen),
            url_base=self.request.build_absolute_uri("/").rstrip("/"),
        )

    def get_object(self) -> CuratedRecord:
        """The record (for a write), or 404; a retracted one the user may not see is 410 with
        a tombstone."""
        found = access.lookup(
            self.model.objects.all(), self.kwargs["public_id"], self.request.user, ()
        )
        return self.found(found)

    def found(self, found: access.Lookup) -> CuratedRecord:
        if found.tombstone is not None:
            raise Gone(self.tombstone(found.tombstone, found.successor))
        if found.record is None:
            raise Http404
        return found.record

    def tombstone(self, record: CuratedRecord, successor: CuratedRecord | None) -> dict[str, Any]:
        return {
            "id": record.public_id,
            "name": record.display_name(self.lang),
            "reason": record.retraction_reason,
            "retracted_at": representations.datetime_text(record.retracted_at),
            "successor": None
            if successor is None
            else {
                "id": successor.public_id,
                "name": successor.display_name(self.lang),
                "url": self.request.build_absolute_uri(
                    f"/api/v1/{self.model.RESOURCE}/{successor.public_id}/"
                ),
            },
        }

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginator.page_of(self.filter_queryset(self.get_queryset()), request)
        return self.paginator.get_paginated_response(representations.represent(page, self.reader()))

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        public_id = self.kwargs["public_id"]
        records, rows = representations.build(
            self.get_queryset().by_public_id(public_id), self.reader()
        )
        if not records:
            self.found(access.missing(self.model, public_id))
        etag = etag_for(rows[0]["version"], self.lang)
        if not_modified(request, etag):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        return Response(records[0], headers={"ETag": etag})

    # -- writing: registry/workflow.py decides, the API translates its errors -----------------
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        return self.saved(serializer.instance, status.HTTP_201_CREATED)

    def perform_create(self, serializer: s.CuratedSerializer) -> None:
        data = self.request.data
        section = data.get("curating_section") if isinstance(data, dict) else None
        try:
            serializer.instance = workflow.create(
                self.model,
                user=self.request.user,
                values=dict(serializer.validated_data),
                curating_section=section,
            )
        except workflow.SectionNeeded as error:
            raise InvalidParameters({"curating_section": [str(error)]}) from None
        except workflow.NotPermitted as error:
            raise PermissionDenied(str(error)) from None
        except DjangoValidationError as error:
            raise api_errors(error) from None

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partial = kwargs.pop("partial", False)
        record = self.get_object()
        if not access.can_edit(request.user, record):
            raise PermissionDenied(_("You may not change this record."))
        # A bad body is a 400 before any precondition is looked at: a client learns what to
        # fix first, and its If-Match is still good when it sends the fix (RFC 9110 13.2.1).
        if request.META.get("CONTENT_LENGTH", "") in ("", "0"):
            raise ValidationError(
                {"non_field_errors": [_("Send a JSON object with the fields to change.")]}
            )
        serializer = self.get_serializer(record, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        self.expected_version = expected_version(request, record.version)
        # PATCH changes what it sends; PUT replaces the record (what it leaves out is reset).
        self.values = dict(serializer.validated_data) if partial else serializer.replacement()
        if not access.can_edit_directly(request.user, record):
            if not workflow.changes(record, self.values):
                return self.saved(record, status.HTTP_200_OK)  # nothing to ask a curator
            return self.change_request(record, self.values)
        self.perform_update(serializer)
        return self.saved(serializer.instance, status.HTTP_200_OK)

    def perform_update(self, serializer: s.CuratedSerializer) -> None:
        try:
            workflow.update(
                serializer.instance,
                user=self.request.user,
                values=self.values,
                expected_version=self.expected_version,
            )
        except DjangoValidationError as error:
            raise api_errors(error) from None
        except StaleRecordError:
            raise PreconditionFailed() from None

    def saved(self, record: CuratedRecord, status_code: int) -> Response:
        """The saved record as the writer now reads it, with its ETag (and where a new one
        lives)."""
        records, rows = representations.build(
            self.get_queryset().filter(pk=record.pk), self.reader()
        )
        headers = {"ETag": etag_for(rows[0]["version"], self.lang)}
        if status_code == status.HTTP_201_CREATED:
            headers["Location"] = self.request.build_absolute_uri(
                f"/api/v1/{self.model.RESOURCE}/{record.public_id}/"
            )
        return Response(records[0], status=status_code, headers=headers)

    def change_request(self, record: CuratedRecord, values: dict[str, Any]) -> Response:
        """A partner's change to its published record waits for a curator: 202."""
        change_request = workflow.propose(
            record, user=self.request.user, values=values, base_version=self.expected_version
        )
        url = self.request.build_absolute_uri(f"/api/v1/change-requests/{change_request.pk}/")
        body = s.ChangeRequestSerializer(change_request, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": url})

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        record = self.get_object()
        if not access.can_delete(request.user, record):
            raise PermissionDenied(_("Records are retracted, not deleted; ask a curator."))
        expected_version(request, record.version)
        record._history_user = request.user
        record.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


def curated_viewset(serializer_class: type[s.CuratedSerializer]) -> type[CuratedViewSet]:
    """The viewset of one curated resource: its model, serializer and FilterSet."""
    model = serializer_class.Meta.model
    attributes = {
        "model": model,
        "serializer_class": serializer_class,
        "filterset_class": filters.FILTERSETS[model],
        "__module__": __name__,
    }
    return type(f"{model.__name__}ViewSet", (CuratedViewSet,), attributes)


OrganisationViewSet = curated_viewset(s.OrganisationSerializer)
FacilityViewSet = curated_viewset(s.FacilitySerializer)
ProjectViewSet = curated_viewset(s.ProjectSerializer)
OutputViewSet = curated_viewset(s.OutputSerializer)
FactorFlowViewSet = curated_viewset(s.FactorFlowSerializer)
PolicyInstrumentViewSet = curated_viewset(s.PolicyInstrumentSerializer)
FundingSchemeViewSet = curated_viewset(s.FundingSchemeSerializer)


class ReferenceViewSet(RegistryViewMixin, viewsets.ReadOnlyModelViewSet):
    """Reference data: everyone reads it, by code (registry/representations.py shows it)."""

    lookup_field = "code"
    lookup_value_regex = "[^/]+"
    filter_backends: ClassVar[list] = [StrictFilterBackend]
    resource: ClassVar[str]

    def represent(self, queryset: QuerySet) -> list[dict[str, Any]]:
        return representations.represent_reference(
            queryset, self.resource, self.lang, self.chosen_fields
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginator.page_of(self.filter_queryset(self.get_queryset()), request)
        return self.paginator.get_paginated_response(self.represent(page))

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        records = self.represent(self.get_queryset().filter(code=self.kwargs["code"]))
        if not records:
            raise Http404(f"No {self.queryset.model._meta.object_name} matches the given query.")
        return Response(records[0])


class ResearchFieldViewSet(ReferenceViewSet):
    queryset = ResearchField.objects.order_by("code")
    serializer_class = s.ResearchFieldSerializer
    filterset_class = filters.ResearchFieldFilterSet
    resource = "fields"


class PriorityAreaViewSet(ReferenceViewSet):
    queryset = PriorityArea.objects.order_by("code")
    serializer_class = s.PriorityAreaSerializer
    filterset_class = filters.PriorityAreaFilterSet
    resource = "priority-areas"


class ChangeRequestViewSet(
    RegistryViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """A partner follows its own change requests; curators see them all."""

    serializer_class = s.ChangeRequestSerializer
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet:
        queryset = ChangeRequest.objects.select_related("target_type").prefetch_related("target")
        return access.visible_change_requests(queryset, self.request.user).order_by("-pk")


INTEGER = {"type": "integer"}
CHANGE_EVENT_SCHEMA = an_object(
    cursor=INTEGER,
    event={"type": "string", "enum": ["created", "updated", "published", "retracted", "deleted"]},
    **texts("resource", "id"),
    version=INTEGER,
    **texts("publication"),
    at={"type": "string", "format": "date-time"},
    **texts("url"),
)
CHANGE_FEED_SCHEMA = an_object(
    results={"type": "array", "items": CHANGE_EVENT_SCHEMA},
    next_cursor=INTEGER,
    next={"type": "string", "nullable": True},
)
COUNTS = {"type": "object", "additionalProperties": {"type": "integer"}}


@extend_schema_view(
    list=extend_schema(
        operation_id="changes_list",
        parameters=[
            OpenApiParameter(
                "since",
                {"type": "integer", "minimum": 0, "maximum": MAX_CURSOR},
                description="The cursor of the last event you have (0: all).",
            ),
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": 1000},
                description="Events per call (default 100).",
            ),
        ],
        responses={200: CHANGE_FEED_SCHEMA},
    )
)
class ChangeFeedView(RegistryViewMixin, viewsets.ViewSet):
    """``/api/v1/changes/?since=<cursor>``: events in order; replay them to stay in sync.
    ``next_cursor`` is the ``since`` of the next call (the same one when nothing is new)."""

    serializer_class = None

    def list(self, request: Request) -> Response:
        check_parameters(request, ("since", "limit", "lang"))
        since = self._number(request, "since", 0, minimum=0, maximum=MAX_CURSOR)
        limit = self._number(request, "limit", 100, minimum=1, maximum=1000)
        events = list(
            access.visible_events(ChangeEvent.objects.filter(pk__gt=since), request.user).order_by(
                "pk"
            )[:limit]
        )
        next_cursor = events[-1].pk if events else since
        results = [
            {
                "cursor": event.pk,
                "event": event.kind,
                "resource": event.resource,
                "id": event.public_id,
                "version": event.version,
                "publication": event.publication,
                "at": representations.datetime_text(event.occurred_at),
                "url": request.build_absolute_uri(f"/api/v1/{event.resource}/{event.public_id}/"),
            }
            for event in events
        ]
        more = len(events) == limit
        next_url = (
            request.build_absolute_uri(f"/api/v1/changes/?since={next_cursor}&limit={limit}")
            if more
            else None
        )
        return Response({"results": results, "next_cursor": next_cursor, "next": next_url})

    @staticmethod
    def _number(
        request: Request, name: str, default: int, *, minimum: int, maximum: int | None = None
    ) -> int:
        raw = request.query_params.get(name)
        if raw is None:
            return default
        if not raw.isdigit() or int(raw) < minimum or (maximum is not None and int(raw) > maximum):
            bound = f"{minimum}–{maximum}" if maximum is not None else f"≥ {minimum}"
            raise InvalidParameters({name: [_("A whole number, %(b)s.") % {"b": bound}]})
        return int(raw)


@extend_schema_view(
    list=extend_schema(
        responses={
            200: {
                "type": "object",
                "properties": {
                    name: {"type": "object", "additionalProperties": True}
                    for name in ("organisations", "facilities", "projects", "flows", "outputs")
                }
                | {"funding": {"type": "array", "items": {"type": "object"}}},
            }
        }
    )
)
class StatsView(RegistryViewMixin, viewsets.ViewSet):
    """Counts of what the asker may see: records per resource and their main breakdowns."""

    serializer_class = None

    def list(self, request: Request) -> Response:
        check_parameters(request, ("lang",))
        user = request.user

        def counts(model: type, field: str) -> dict[str, int]:
            return {value or "": n for value, n in statistics.counts(model, user, field).items()}

        funding = statistics.funding_by_currency_and_side(user)
        return Response(
            {
                "organisations": {
                    "by_kind": counts(Organisation, "kind"),
                    "by_jurisdiction": counts(Organisation, "jurisdiction"),
                },
                "facilities": {
                    "by_section": counts(Facility, "section"),
                    "by_kind": counts(Facility, "kind"),
                    "by_status": counts(Facility, "status"),
                },
                "projects": {
                    "by_status": counts(Project, "status"),
                    "cross_border": statistics.total(Project, user, cross_border=True),
                },
                "funding": [
                    {"currency": currency, "side": side, "total": str(amount), "lines": lines}
                    for (currency, side), (amount, lines) in funding.items()
                ],
                "flows": {
                    "by_factor": counts(FactorFlow, "factor"),
                    "by_direction": counts(FactorFlow, "direction"),
                    "by_status": counts(FactorFlow, "status"),
                },
                "outputs": {"by_kind": counts(Output, "kind")},
            }
        )
