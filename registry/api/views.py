"""The API's viewsets. Views are thin: visibility and rights come from registry/access.py,
filters from registry/filters.py, loading from the models' ``with_relations`` read path."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Count, QuerySet, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from registry import access, filters
from registry.api import serializers as s
from registry.api.conditional import etag_for, expected_version, not_modified
from registry.api.errors import Gone, InvalidParameters, PayloadTooLarge, PreconditionFailed
from registry.models import (
    ChangeEvent,
    ChangeRequest,
    CuratedRecord,
    Facility,
    FactorFlow,
    FundingLine,
    FundingScheme,
    Organisation,
    Output,
    PolicyInstrument,
    PriorityArea,
    Project,
    Publication,
    ResearchField,
    Section,
)
from registry.models.base import (
    StaleRecordError,
    language_suffix,
    mint_unique_public_id,
    violated_fields,
)

LANGS = {"en": "en", "zh-hans": "zh-hans", "zh-hant": "zh-hant"}
FIELD_LIST_RE = re.compile(r"^[a-z][a-z0-9_]*(,[a-z][a-z0-9_]*)*$")
# Parameters every list understands besides its filters.
# The change feed's cursors are event ids: 64-bit on PostgreSQL, kept well inside that.
MAX_CURSOR = 2**62
LIST_PARAMETERS = ("page", "page_size", "fields", "omit", "brief", "lang")
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
        for suffix in ("en", "zh_hans", "zh_hant")
    },
    "sources": "provenance",
    "as_of": "provenance",
}


def validate_record(record: CuratedRecord) -> None:
    """The model's own validation (field values, choices, constraints) before any write, so a
    bad value is a 400 naming the field, never a database error."""
    found: dict[str, list[str]] = {}
    try:
        record.full_clean(validate_unique=True, validate_constraints=False)
    except DjangoValidationError as error:
        found.update(error.message_dict)
    try:
        record.validate_constraints()
    except DjangoValidationError as error:
        # Name the field each broken rule is about, not just "the record".
        named = violated_fields(record)
        covered = {message for messages in named.values() for message in messages}
        for field, messages in error.message_dict.items():
            rest = [m for m in messages if m not in covered]
            if rest:
                named.setdefault(field, []).extend(rest)
        for field, messages in named.items():
            found.setdefault(field, []).extend(messages)
    if found:
        problems: dict[str, list[str]] = {}
        for field, messages in found.items():
            key = "non_field_errors" if field == NON_FIELD_ERRORS else API_FIELD.get(field, field)
            problems.setdefault(key, []).extend(messages)
        raise ValidationError(problems)


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter, plus: an unknown query parameter is a 400 that names it."""

    def filter_queryset(self, request: Request, queryset: QuerySet, view: Any) -> QuerySet:
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            unknown = filters.unknown_parameters(
                filterset_class, request.query_params.keys(), LIST_PARAMETERS
            )
            blank = [
                name
                for name, values in request.query_params.lists()
                if name != "q" and name not in unknown and any(v == "" for v in values)
            ]
            if blank:
                raise InvalidParameters(
                    {name: [_("Give a value, or leave the parameter out.")] for name in blank}
                )
            if unknown:
                raise InvalidParameters({name: [_("Unknown parameter.")] for name in unknown})
            filterset = self.get_filterset(request, queryset, view)
            if not filterset.is_valid():
                raise InvalidParameters(
                    {name: list(errors) for name, errors in filterset.errors.items()}
                )
            return filterset.qs
        return queryset


class RegistryViewMixin:
    """Language, ``fields``/``omit``/``brief``, body size and the ``Vary`` header."""

    request: Request
    serializer_class: Any

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
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
            unknown = sorted(set(request.query_params) - set(allowed))
            if unknown:
                raise InvalidParameters({name: [_("Unknown parameter.")] for name in unknown})

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Vary"] = "Accept, Accept-Language, Authorization"
        return response

    def _language(self, request: Request) -> str:
        asked = request.query_params.get("lang")
        if asked is not None:
            if asked.lower() not in LANGS:
                raise InvalidParameters({"lang": [_("Use en, zh-hans or zh-hant.")]})
            return LANGS[asked.lower()]
        return {"en": "en", "zh_hans": "zh-hans", "zh_hant": "zh-hant"}[
            language_suffix(get_language())
        ]

    def _chosen_fields(self, request: Request) -> set[str] | None:
        available = set(self.serializer_class().fields) if self.serializer_class else set()
        chosen = set(available)
        params = request.query_params
        for name in ("fields", "omit"):
            if name in params:
                raw = params[name].replace(" ", "")
                if not FIELD_LIST_RE.match(raw):
                    raise InvalidParameters({name: [_("A comma-separated list of field names.")]})
                listed = raw.split(",")
                names = set(listed)
                if len(names) < len(listed):
                    repeated = sorted({n for n in listed if listed.count(n) > 1})
                    raise InvalidParameters(
                        {name: [_("Name each field once: %(f)s.") % {"f": ", ".join(repeated)}]}
                    )
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
    def read_path(self) -> QuerySet:
        fields = (
            self.chosen_fields
            if self.chosen_fields is not None
            else set(self.serializer_class().fields)
        )
        reads = self.serializer_class.reads_for(fields)
        return self.model.objects.with_relations(reads)

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reading the model
            return self.model.objects.none()
        return access.visible(self.read_path(), self.request.user).order_by(
            *self.model._meta.ordering
        )

    def get_object(self) -> CuratedRecord:
        """The record, or 404; a retracted one the user may not see is 410 with a tombstone."""
        public_id = self.kwargs["public_id"]
        record = self.get_queryset().by_public_id(public_id).first()
        if record is not None:
            return record
        retracted = (
            access.gone(self.model.objects.select_related("successor"))
            .by_public_id(public_id)
            .first()
        )
        if retracted is not None:
            raise Gone(self.tombstone(retracted))
        raise Http404

    def tombstone(self, record: CuratedRecord) -> dict[str, Any]:
        successor = record.successor
        if successor is not None and successor.publication != Publication.PUBLISHED:
            successor = None
        return {
            "id": record.public_id,
            "name": record.display_name(self.lang),
            "reason": record.retraction_reason,
            "retracted_at": record.retracted_at.isoformat() if record.retracted_at else None,
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

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        record = self.get_object()
        etag = etag_for(record.version, self.lang)
        if not_modified(request, etag):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        response = Response(self.get_serializer(record).data)
        response["ETag"] = etag
        return response

    # -- writing --------------------------------------------------------------------------------
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        actor = access.actor_for(request.user)
        values = dict(serializer.validated_data)
        m2m = {name: values.pop(name) for name in list(values) if self._is_m2m(name)}
        record = self.model(**values)
        if actor.role is access.Role.PARTNER:
            # A partner's record belongs to its organisation and waits for a curator.
            record.owner_id = actor.organisation_id
            owner = Organisation.objects.get(pk=actor.organisation_id)
            record.curating_section = (
                Section.SHENZHEN
                if owner.jurisdiction == Organisation.Jurisdiction.MAINLAND
                else Section.HONG_KONG
            )
            record.publication = Publication.IN_REVIEW
            record.submitted_by = request.user
            record.submitted_at = timezone.now()
        elif actor.is_curator:
            section = (
                request.data.get("curating_section") if isinstance(request.data, dict) else None
            )
            sections = sorted(actor.sections)
            record.curating_section = section or (sections[0] if len(sections) == 1 else "")
            if record.curating_section not in Section.values:
                raise InvalidParameters({"curating_section": [_("Say which section curates it.")]})
        if not access.can_create(
            request.user, curating_section=record.curating_section, owner_id=record.owner_id
        ):
            raise PermissionDenied(_("You may not add records here."))
        record.public_id = mint_unique_public_id(self.model)
        validate_record(record)
        with transaction.atomic():
            record.save(user=request.user)
            for name, values_ in m2m.items():
                getattr(record, name).set(values_)
        record = self.read_path().get(pk=record.pk)
        data = self.get_serializer(record).data
        headers = {
            "Location": request.build_absolute_uri(
                f"/api/v1/{self.model.RESOURCE}/{record.public_id}/"
            ),
            "ETag": etag_for(record.version, self.lang),
        }
        return Response(data, status=status.HTTP_201_CREATED, headers=headers)

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
        version = expected_version(request, record.version)
        values = dict(serializer.validated_data)
        if not access.can_edit_directly(request.user, record):
            return self._change_request(record, values, version)
        m2m = {name: values.pop(name) for name in list(values) if self._is_m2m(name)}
        for name, value in values.items():
            setattr(record, name, value)
        validate_record(record)
        try:
            with transaction.atomic():
                record.save(user=request.user, expected_version=version)
                for name, value in m2m.items():
                    getattr(record, name).set(value)
        except StaleRecordError:
            raise PreconditionFailed() from None
        record = self.read_path().get(pk=record.pk)
        response = Response(self.get_serializer(record).data)
        response["ETag"] = etag_for(record.version, self.lang)
        return response

    def _change_request(self, record: CuratedRecord, values: dict, version: int) -> Response:
        """A partner's change to its published record waits for a curator: 202."""
        proposed = {}
        for name, value in values.items():
            if self._is_m2m(name):
                proposed[name] = [item.pk for item in value]
            elif hasattr(value, "pk"):
                proposed[f"{name}_id"] = value.pk
            elif hasattr(value, "isoformat"):
                proposed[name] = value.isoformat()
            elif value.__class__.__name__ == "Decimal":
                proposed[name] = str(value)
            else:
                proposed[name] = value
        from django.contrib.contenttypes.models import ContentType

        change_request = ChangeRequest.objects.create(
            target_type=ContentType.objects.get_for_model(record),
            target_id=record.pk,
            base_version=version,
            proposed=proposed,
            created_by=self.request.user,
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

    def _is_m2m(self, name: str) -> bool:
        field = next((f for f in self.model._meta.many_to_many if f.name == name), None)
        return field is not None


class OrganisationViewSet(CuratedViewSet):
    model = Organisation
    serializer_class = s.OrganisationSerializer
    filterset_class = filters.OrganisationFilterSet


class FacilityViewSet(CuratedViewSet):
    model = Facility
    serializer_class = s.FacilitySerializer
    filterset_class = filters.FacilityFilterSet


class ProjectViewSet(CuratedViewSet):
    model = Project
    serializer_class = s.ProjectSerializer
    filterset_class = filters.ProjectFilterSet


class OutputViewSet(CuratedViewSet):
    model = Output
    serializer_class = s.OutputSerializer
    filterset_class = filters.OutputFilterSet


class FactorFlowViewSet(CuratedViewSet):
    model = FactorFlow
    serializer_class = s.FactorFlowSerializer
    filterset_class = filters.FactorFlowFilterSet


class PolicyInstrumentViewSet(CuratedViewSet):
    model = PolicyInstrument
    serializer_class = s.PolicyInstrumentSerializer
    filterset_class = filters.PolicyInstrumentFilterSet


class FundingSchemeViewSet(CuratedViewSet):
    model = FundingScheme
    serializer_class = s.FundingSchemeSerializer
    filterset_class = filters.FundingSchemeFilterSet


class ReferenceViewSet(RegistryViewMixin, viewsets.ReadOnlyModelViewSet):
    """Reference data: everyone reads it, by code."""

    lookup_field = "code"
    lookup_value_regex = "[^/]+"
    filter_backends: ClassVar[list] = [StrictFilterBackend]


class ResearchFieldViewSet(ReferenceViewSet):
    queryset = ResearchField.objects.select_related("parent").order_by("code")
    serializer_class = s.ResearchFieldSerializer
    filterset_class = filters.ResearchFieldFilterSet


class PriorityAreaViewSet(ReferenceViewSet):
    queryset = PriorityArea.objects.order_by("code")
    serializer_class = s.PriorityAreaSerializer
    filterset_class = filters.PriorityAreaFilterSet


class ChangeRequestViewSet(
    RegistryViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """A partner follows its own change requests; curators see them all."""

    serializer_class = s.ChangeRequestSerializer
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet:
        queryset = ChangeRequest.objects.select_related("target_type").prefetch_related("target")
        return access.visible_change_requests(queryset, self.request.user).order_by("-pk")


CHANGE_EVENT_SCHEMA = {
    "type": "object",
    "properties": {
        "cursor": {"type": "integer"},
        "event": {
            "type": "string",
            "enum": ["created", "updated", "published", "retracted", "deleted"],
        },
        "resource": {"type": "string"},
        "id": {"type": "string"},
        "version": {"type": "integer"},
        "publication": {"type": "string"},
        "at": {"type": "string", "format": "date-time"},
        "url": {"type": "string"},
    },
}
CHANGE_FEED_SCHEMA = {
    "type": "object",
    "properties": {
        "results": {"type": "array", "items": CHANGE_EVENT_SCHEMA},
        "next_cursor": {"type": "integer"},
        "next": {"type": "string", "nullable": True},
    },
}
COUNTS = {"type": "object", "additionalProperties": {"type": "integer"}}


@extend_schema_view(
    list=extend_schema(
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
        unknown = sorted(set(request.query_params) - {"since", "limit", "lang"})
        if unknown:
            raise InvalidParameters({name: [_("Unknown parameter.")] for name in unknown})
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
                "at": event.occurred_at.isoformat(),
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
        unknown = sorted(set(request.query_params) - {"lang"})
        if unknown:
            raise InvalidParameters({name: [_("Unknown parameter.")] for name in unknown})
        user = request.user

        def counts(model: type, field: str) -> dict[str, int]:
            rows = (
                access.visible(model.objects.all(), user)
                .order_by()
                .values(field)
                .annotate(n=Count("pk"))
            )
            return {row[field] or "": row["n"] for row in rows}

        projects = access.visible(Project.objects.all(), user)
        funding = (
            FundingLine.objects.filter(project__in=projects)
            .order_by()
            .values("currency", "side")
            .annotate(total=Sum("amount"), lines=Count("pk"))
        )
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
                    "cross_border": projects.filter(cross_border=True).count(),
                },
                "funding": [
                    {
                        "currency": row["currency"],
                        "side": row["side"],
                        "total": str(row["total"]),
                        "lines": row["lines"],
                    }
                    for row in funding
                ],
                "flows": {
                    "by_factor": counts(FactorFlow, "factor"),
                    "by_direction": counts(FactorFlow, "direction"),
                    "by_status": counts(FactorFlow, "status"),
                },
                "outputs": {"by_kind": counts(Output, "kind")},
            }
        )
