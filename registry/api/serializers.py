"""One serializer per resource, with explicit fields: a field added to a model never leaks.

Reads and writes share one shape: ``id`` is the public id, ``names`` the three scripts and
``name`` the display name for the request's language; related records are brief
``{"id", "name"}`` objects and are written as their public ids (reference data as codes).
Fields partners may not set (publication, curating section, owner, verification, version,
audit fields) are read-only here, so they are never stored whatever is sent.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.serializer_fields import CountryField
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from registry.api.fields import (
    BRIEF_SCHEMA,
    URL_PATTERN,
    BriefField,
    CodeField,
    OptionalBriefField,
    ProvenanceField,
    ReferenceField,
    StrictCharField,
    StrictDecimalField,
    TrilingualField,
    UTCDateTimeField,
    brief,
    decimal_pattern,
    is_web_address,
    lang_of,
    texts,
)
from registry.models import (
    ChangeRequest,
    Facility,
    FactorFlow,
    FundingScheme,
    Organisation,
    Output,
    PolicyInstrument,
    PriorityArea,
    Project,
    ResearchField,
    SubArea,
)
from registry.resources import SHARED_HEAD, SHARED_TAIL, api_fields

# Every field curated records share is the registry's to set, but the provenance: partners
# give the sources and the date.
COMMON_READ_ONLY = tuple(name for name in (*SHARED_HEAD, *SHARED_TAIL) if name != "provenance")


@extend_schema_field({"type": "string", "maxLength": 200, "pattern": f"^({URL_PATTERN[1:-1]})?$"})
class WebsiteField(serializers.URLField):
    """http(s) only, as the pattern documents (blank: none), so clients and fuzzers know."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str) or (data and not is_web_address(data)):
            raise serializers.ValidationError(
                _("Give an http(s) address such as https://example.org/, or leave it blank.")
            )
        return super().to_internal_value(data)

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 200)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)


class StrictCountryField(CountryField):
    """An ISO 3166 code as a string: django-countries would also read {} as "no country"."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("invalid_choice", input=str(data)[:20])
        return super().to_internal_value(data)


class DynamicFieldsMixin:
    """``?fields=a,b`` keeps only those fields, ``?omit=a,b`` drops them, ``?brief=1`` keeps
    id and name. The view checks the names and loads only the relations the fields need.
    Date-times are written in UTC (``UTCDateTimeField``)."""

    serializer_field_mapping: ClassVar[dict] = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: UTCDateTimeField,
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        chosen = self.context.get("chosen_fields")
        if chosen is not None:
            for name in list(self.fields):
                if name not in chosen:
                    self.fields.pop(name)


# A curated resource: its fields are registry/resources.py's, in that order; those every record
# shares are read-only but the provenance (``read_only_fields`` adds a resource's own). No
# docstring: the schema would show it as every resource's description.
class CuratedSerializer(DynamicFieldsMixin, serializers.ModelSerializer):
    class Meta:
        model: type[Any]
        read_only_fields = COMMON_READ_ONLY

    def get_field_names(self, declared_fields: dict, info: Any) -> list[str]:
        return list(api_fields(self.Meta.model))

    def to_internal_value(self, data: Any) -> Any:
        """A key that is no field at all is a mistake worth telling (read-only fields sent
        back from a GET are quietly ignored, as docs/architecture.md §8 says)."""
        if isinstance(data, dict):
            model_fields = {f.name for f in self.Meta.model._meta.get_fields()}
            unknown = sorted(set(data) - set(self.fields) - model_fields)
            if unknown:
                raise serializers.ValidationError(
                    {name[:60]: ["Unknown field."] for name in unknown[:20]}
                )
        return super().to_internal_value(data)

    def replacement(self) -> dict[str, Any]:
        """The validated values of a PUT, which replaces the record (RFC 9110 §9.3.4): every
        writable field it leaves out goes back to its default (no text, no link, none of a
        list); the required ones were refused already."""
        values = dict(self.validated_data)
        model = self.Meta.model
        for name, field in self.fields.items():
            if field.read_only or name in self.initial_data:
                continue
            if hasattr(field, "reset_values"):
                values.update(field.reset_values())
                continue
            model_field = model._meta.get_field(field.source)
            values[field.source] = [] if model_field.many_to_many else model_field.get_default()
        return values

    def build_standard_field(self, field_name: str, model_field: Any) -> tuple[type, dict]:
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if isinstance(model_field, models.DecimalField):
            return StrictDecimalField, {**kwargs, "pattern": decimal_pattern(model_field)}
        if field_class is serializers.CharField:
            return StrictCharField, kwargs
        return field_class, kwargs

    id = serializers.CharField(source="public_id", read_only=True)
    url = serializers.SerializerMethodField()
    name = serializers.SerializerMethodField()
    provenance = ProvenanceField(required=False)
    owner = OptionalBriefField()

    @extend_schema_field({"type": "string", "format": "uri"})
    def get_url(self, obj: Any) -> str:
        request = self.context.get("request")
        path = f"/api/v1/{self.Meta.model.RESOURCE}/{obj.public_id}/"
        return request.build_absolute_uri(path) if request else path

    def get_name(self, obj: Any) -> str:
        return obj.display_name(lang_of(self.context))


class DescribedSerializer(CuratedSerializer):
    descriptions = TrilingualField("description", 10000, required=False)


class NamedSerializer(DescribedSerializer):
    names = TrilingualField("name", 300)


class OrganisationSerializer(NamedSerializer):
    country = StrictCountryField(required=False, allow_blank=True)
    website = WebsiteField()
    established = serializers.IntegerField(
        min_value=1000, max_value=2100, allow_null=True, required=False
    )
    aliases = serializers.ListField(
        child=StrictCharField(max_length=300), required=False, max_length=100
    )
    relationships = serializers.SerializerMethodField()
    ror_id = serializers.SerializerMethodField()

    @extend_schema_field({"type": "string", "nullable": True})
    def get_ror_id(self, obj: Organisation) -> str | None:
        """The ROR id, or null for an organisation ROR does not list."""
        return obj.ror_id or None

    class Meta(CuratedSerializer.Meta):
        model = Organisation
        read_only_fields = (*COMMON_READ_ONLY, "ror_id", "external_ids")

    @extend_schema_field(
        {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    **texts("type", "ror_id"),
                    "id": {"type": "string", "nullable": True},
                    **texts("name"),
                },
            },
        }
    )
    def get_relationships(self, obj: Organisation) -> list[dict]:
        """ROR-style relations; a target the asker may not see shows only its ROR id and the
        name ROR gave, never its registry id (no query: prefetched with the targets)."""
        rows = []
        for relation in obj.relations.all():
            target = relation.target
            shown = brief(target, self.context) if target else None
            rows.append(
                {
                    "type": relation.kind,
                    "ror_id": relation.target_ror_id,
                    "id": shown["id"] if shown else None,
                    "name": shown["name"] if shown else relation.target_label,
                }
            )
        return rows


class FacilitySerializer(NamedSerializer):
    sub_area = CodeField(SubArea, required=False, allow_null=True)
    website = WebsiteField()
    parent = ReferenceField(Facility, required=False, allow_null=True)
    hosts = ReferenceField(Organisation, many=True, required=False)
    fields = CodeField(ResearchField, many=True, required=False)
    priority_areas = CodeField(PriorityArea, many=True, required=False)

    class Meta(CuratedSerializer.Meta):
        model = Facility


class ParticipationSerializer(serializers.Serializer):
    organisation = BriefField()
    facility = OptionalBriefField()
    role = serializers.CharField()
    side = serializers.CharField()
    start_date = serializers.DateField(allow_null=True)
    end_date = serializers.DateField(allow_null=True)


class FundingLineSerializer(serializers.Serializer):
    funder = BriefField()
    scheme = OptionalBriefField()
    currency = serializers.CharField()
    amount = serializers.DecimalField(max_digits=16, decimal_places=2)
    side = serializers.CharField()


class ProjectSerializer(CuratedSerializer):
    titles = TrilingualField("title", 400)
    summaries = TrilingualField("summary", 20000, required=False)
    fields = CodeField(ResearchField, many=True, required=False)
    priority_areas = CodeField(PriorityArea, many=True, required=False)
    participations = serializers.SerializerMethodField()
    funding_lines = serializers.SerializerMethodField()
    outputs = serializers.SerializerMethodField()
    flows = serializers.SerializerMethodField()

    class Meta(CuratedSerializer.Meta):
        model = Project
        read_only_fields = (*COMMON_READ_ONLY, "cross_border")

    def nested(self, serializer_class: type[serializers.Serializer], rows: list) -> list[dict]:
        """``rows`` through one ``serializer_class`` made once for this serializer, not once
        per project: a list page of 100 projects would otherwise build (and deep-copy the
        fields of) 200 nested serializers."""
        made = self.__dict__.setdefault("_nested_serializers", {})
        if serializer_class not in made:
            made[serializer_class] = serializer_class(context=self.context)
        child = made[serializer_class]
        return [child.to_representation(row) for row in rows]

    # The lists below hold what the asker may see: access.readable restricts their prefetches.
    @extend_schema_field(ParticipationSerializer(many=True))
    def get_participations(self, obj: Project) -> list[dict]:
        """Participants whose organisation the asker may see (no query: prefetched)."""
        return self.nested(ParticipationSerializer, obj.participations.all())

    @extend_schema_field(FundingLineSerializer(many=True))
    def get_funding_lines(self, obj: Project) -> list[dict]:
        """Funding lines whose funder the asker may see (no query: prefetched)."""
        return self.nested(FundingLineSerializer, obj.funding_lines.all())

    @extend_schema_field({"type": "array", "items": BRIEF_SCHEMA})
    def get_outputs(self, obj: Project) -> list[dict]:
        return [brief(output, self.context) for output in obj.outputs.all()]

    @extend_schema_field({"type": "array", "items": BRIEF_SCHEMA})
    def get_flows(self, obj: Project) -> list[dict]:
        return [brief(flow, self.context) for flow in obj.flows.all()]

    def validate(self, attrs: dict) -> dict:
        start = attrs.get("start_date", getattr(self.instance, "start_date", None))
        end = attrs.get("end_date", getattr(self.instance, "end_date", None))
        if start and end and end < start:
            raise serializers.ValidationError(
                {"end_date": "The end date cannot be before the start date."}
            )
        return attrs


class OutputSerializer(DescribedSerializer):
    titles = TrilingualField("title", 400)
    project = ReferenceField(Project)

    class Meta(CuratedSerializer.Meta):
        model = Output


class FactorFlowSerializer(DescribedSerializer):
    project = ReferenceField(Project, required=False, allow_null=True)
    facility = ReferenceField(Facility, required=False, allow_null=True)
    mechanism = ReferenceField(PolicyInstrument, required=False, allow_null=True)

    class Meta(CuratedSerializer.Meta):
        model = FactorFlow

    def validate(self, attrs: dict) -> dict:
        merged = {
            name: attrs.get(name, getattr(self.instance, name, None))
            for name in ("project", "facility", "value", "currency", "period_start", "period_end")
        }
        if merged["project"] is None and merged["facility"] is None:
            raise serializers.ValidationError(
                {"project": "A flow belongs to a project or a facility."}
            )
        if merged["value"] is not None and not merged["currency"]:
            raise serializers.ValidationError({"currency": "A value needs its currency."})
        if (
            merged["period_start"]
            and merged["period_end"]
            and merged["period_end"] < merged["period_start"]
        ):
            raise serializers.ValidationError(
                {"period_end": "The period cannot end before it starts."}
            )
        return attrs


class PolicyInstrumentSerializer(NamedSerializer):
    issuer = ReferenceField(Organisation, required=False, allow_null=True)
    factors = serializers.ListField(
        child=serializers.ChoiceField(choices=FactorFlow._meta.get_field("factor").choices),
        required=False,
        max_length=8,
    )

    class Meta(CuratedSerializer.Meta):
        model = PolicyInstrument


class CeilingSerializer(serializers.Serializer):
    side = serializers.CharField()
    currency = serializers.CharField()
    amount = serializers.DecimalField(max_digits=16, decimal_places=2)
    note = serializers.CharField()


class FundingSchemeSerializer(NamedSerializer):
    funder = ReferenceField(Organisation, required=False, allow_null=True)
    website = WebsiteField()
    ceilings = CeilingSerializer(many=True, read_only=True)
    max_duration_months = serializers.IntegerField(
        min_value=1, max_value=600, allow_null=True, required=False
    )

    class Meta(CuratedSerializer.Meta):
        model = FundingScheme


class TaxonomySerializer(DynamicFieldsMixin, serializers.ModelSerializer):
    id = serializers.CharField(source="code", read_only=True)
    name = serializers.SerializerMethodField()
    names = TrilingualField("name", 200, read_only=True)

    def get_name(self, obj: Any) -> str:
        return obj.display_name(lang_of(self.context))


class ResearchFieldSerializer(TaxonomySerializer):
    parent = OptionalBriefField()

    class Meta:
        model = ResearchField
        fields = ("id", "name", "names", "parent")


class PriorityAreaSerializer(TaxonomySerializer):
    descriptions = TrilingualField("description", read_only=True)

    class Meta:
        model = PriorityArea
        fields = ("id", "name", "names", "descriptions", "sources")


class ChangeRequestSerializer(DynamicFieldsMixin, serializers.ModelSerializer):
    id = serializers.IntegerField(source="pk", read_only=True)
    target = OptionalBriefField()

    class Meta:
        model = ChangeRequest
        fields = (
            "id",
            "target",
            "base_version",
            "proposed",
            "state",
            "comment",
            "created_at",
            "decided_at",
        )
        read_only_fields = fields
