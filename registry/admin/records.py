"""ModelAdmins of the curated records, their parts as inlines, and the reference data."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import path
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV, JSON, XLSX
from import_export.forms import ImportForm
from simple_history.admin import SimpleHistoryAdmin

from registry import access, uploads
from registry.admin.base import (
    AUDIT_FIELDSET,
    PROVENANCE_FIELDSET,
    STEWARDSHIP_FIELDSET,
    CuratedRecordAdmin,
    scripts_row,
)
from registry.admin.ror import import_ror_view
from registry.importers.tabular import FacilityResource, OrganisationResource, ProjectResource
from registry.models import (
    Facility,
    FactorFlow,
    FundingCeiling,
    FundingLine,
    FundingScheme,
    Organisation,
    OrganisationRelation,
    Output,
    Participation,
    PolicyInstrument,
    PriorityArea,
    Project,
    ResearchField,
    SubArea,
    ZoneSection,
)
from registry.scripts import field_names


class ParentScopedInline(admin.TabularInline):
    """Rows of a record are changed by whoever may change the record itself."""

    extra = 0
    show_change_link = True

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return super().has_change_permission(request, obj) and (
            obj is None or access.curates(request.user, obj)
        )

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return super().has_add_permission(request, obj) and (
            obj is None or access.curates(request.user, obj)
        )

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # Parts of a record (participants, funding lines) may be removed by its curators.
        return obj is None or access.curates(request.user, obj)


class CuratedChildInline(ParentScopedInline):
    """Inline curated records (outputs, flows): they are retracted, never deleted here. Each
    is a record of its own with a dozen fields, shown stacked (a row of fields per line): in
    a table their columns were too narrow to read at 1,280 px."""

    template = "admin/edit_inline/stacked.html"

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return access.can_delete(request.user, obj)


class CappedImportForm(ImportForm):
    """The import form, refusing a file over the upload caps before anything parses it."""

    def clean_import_file(self) -> Any:
        upload = self.cleaned_data["import_file"]
        uploads.check_upload(upload.name, upload.size, upload.file)
        return upload


class TabularImportExport(ImportExportMixin):
    """CSV, XLSX and JSON import (with a dry-run preview first) and export of the filtered
    changelist, through the resources of registry/importers/tabular.py."""

    formats = (CSV, XLSX, JSON)
    import_form_class = CappedImportForm
    export_prefetch: tuple[str, ...] = ()

    def has_import_permission(self, request: HttpRequest) -> bool:
        return access.actor_for(request.user).is_curator

    def has_export_permission(self, request: HttpRequest) -> bool:
        return access.actor_for(request.user).is_curator

    def get_import_resource_kwargs(self, request: HttpRequest, **kwargs) -> dict:
        return {**super().get_import_resource_kwargs(request, **kwargs), "user": request.user}

    def get_export_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_export_queryset(request).prefetch_related(*self.export_prefetch)


class OrganisationRelationInline(ParentScopedInline):
    model = OrganisationRelation
    fk_name = "source"
    fields = ("kind", "target", "target_ror_id", "target_label")
    autocomplete_fields = ("target",)


class ParticipationInline(ParentScopedInline):
    model = Participation
    fields = ("organisation", "facility", "role", "side", "start_date", "end_date")
    readonly_fields = ("side",)
    autocomplete_fields = ("organisation", "facility")


class FundingLineInline(ParentScopedInline):
    model = FundingLine
    fields = ("funder", "scheme", "side", "currency", "amount")
    autocomplete_fields = ("funder", "scheme")


class OutputInline(CuratedChildInline):
    model = Output
    fields = (
        ("public_id", "publication"),
        field_names("title"),
        ("kind", "date", "key_achievement"),
        "identifier",
    )
    readonly_fields = ("public_id", "publication")


class FactorFlowInline(CuratedChildInline):
    model = FactorFlow
    # A flow's own fields but its parent (project or facility), period and descriptions.
    fields = (
        ("public_id", "publication"),
        ("factor", "direction", "status"),
        "mechanism",
        ("quantity", "unit", "value", "currency"),
    )
    readonly_fields = ("public_id", "publication")
    autocomplete_fields = ("mechanism",)


class FacilityFlowInline(FactorFlowInline):
    fk_name = "facility"


class ProjectFlowInline(FactorFlowInline):
    fk_name = "project"


class FundingCeilingInline(ParentScopedInline):
    model = FundingCeiling
    fields = ("side", "currency", "amount", "note")


@admin.register(Organisation)
class OrganisationAdmin(TabularImportExport, CuratedRecordAdmin):
    resource_classes = (OrganisationResource,)
    change_list_template = "admin/registry/organisation_change_list.html"

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> Any:
        # The ROR upload is the zone editors' (import_ror_view refuses anyone else): offered
        # only to those who may use it.
        extra_context = {
            **(extra_context or {}),
            "can_import_ror": access.can_import_ror(request.user),
        }
        return super().changelist_view(request, extra_context)

    def get_urls(self) -> list:
        return [
            path(
                "import-ror/",
                self.admin_site.admin_view(partial(import_ror_view, self)),
                name="registry_organisation_import_ror",
            ),
            *super().get_urls(),
        ]

    list_display = (
        "public_id",
        *field_names("name"),
        "acronym",
        "kind",
        "jurisdiction",
        "curating_section",
        "publication",
        "illustrative",
    )
    list_filter = (
        "curating_section",
        "kind",
        "jurisdiction",
        "status",
        "publication",
        "verification",
    )
    autocomplete_fields = ("owner",)
    inlines = (OrganisationRelationInline,)
    fieldsets = (
        (None, {"fields": (scripts_row("name"), ("acronym", "kind"), "aliases")}),
        (
            _("Where and what"),
            {"fields": (("jurisdiction", "country", "city"), ("website", "established", "status"))},
        ),
        (_("Identifiers"), {"fields": ("ror_id", "external_ids")}),
        (_("Description"), {"classes": ("collapse",), "fields": scripts_row("description")}),
        STEWARDSHIP_FIELDSET,
        PROVENANCE_FIELDSET,
        AUDIT_FIELDSET,
    )


@admin.register(Facility)
class FacilityAdmin(TabularImportExport, CuratedRecordAdmin):
    resource_classes = (FacilityResource,)
    export_prefetch = ("hosts", "fields", "priority_areas", "parent", "sub_area", "owner")
    list_display = (
        "public_id",
        *field_names("name"),
        "kind",
        "section",
        "sub_area",
        "status",
        "curating_section",
        "publication",
    )
    list_filter = (
        "section",
        "curating_section",
        "kind",
        "status",
        "publication",
        ("fields", admin.RelatedOnlyFieldListFilter),
        "priority_areas",
        "sub_area",
        "verification",
    )
    list_select_related = ("sub_area",)
    autocomplete_fields = ("owner", "parent", "hosts", "fields", "priority_areas")
    inlines = (FacilityFlowInline,)
    fieldsets = (
        (None, {"fields": (scripts_row("name"), ("kind", "status"))}),
        (
            _("Location"),
            {"fields": (("section", "sub_area", "parent"), "address", ("latitude", "longitude"))},
        ),
        (
            _("Profile"),
            {
                "fields": (
                    "hosts",
                    "fields",
                    "priority_areas",
                    ("opened_on", "floor_area_m2"),
                    "website",
                )
            },
        ),
        (_("Description"), {"classes": ("collapse",), "fields": scripts_row("description")}),
        STEWARDSHIP_FIELDSET,
        PROVENANCE_FIELDSET,
        AUDIT_FIELDSET,
    )


@admin.register(Project)
class ProjectAdmin(TabularImportExport, CuratedRecordAdmin):
    resource_classes = (ProjectResource,)
    export_prefetch = (
        "fields",
        "priority_areas",
        "owner",
        "participations__organisation",
        "participations__facility",
    )
    list_display = (
        "public_id",
        *field_names("title"),
        "status",
        "cross_border",
        "start_date",
        "curating_section",
        "publication",
    )
    list_filter = (
        "curating_section",
        "status",
        "cross_border",
        "publication",
        ("fields", admin.RelatedOnlyFieldListFilter),
        "priority_areas",
        "verification",
    )
    autocomplete_fields = ("owner", "fields", "priority_areas")
    readonly_fields = (*CuratedRecordAdmin.readonly_fields, "cross_border")
    inlines = (ParticipationInline, FundingLineInline, OutputInline, ProjectFlowInline)
    date_hierarchy = "start_date"
    fieldsets = (
        (None, {"fields": (scripts_row("title"), ("acronym", "status", "cross_border"))}),
        (_("Summary"), {"fields": scripts_row("summary")}),
        (_("Scope"), {"fields": ("fields", "priority_areas", ("start_date", "end_date"))}),
        STEWARDSHIP_FIELDSET,
        PROVENANCE_FIELDSET,
        AUDIT_FIELDSET,
    )


@admin.register(Output)
class OutputAdmin(CuratedRecordAdmin):
    list_display = (
        "public_id",
        "title_en",
        "kind",
        "project",
        "date",
        "key_achievement",
        "curating_section",
        "publication",
    )
    list_filter = ("curating_section", "kind", "key_achievement", "publication", "verification")
    list_select_related = ("project",)
    autocomplete_fields = ("owner", "project")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    scripts_row("title"),
                    ("project", "kind"),
                    ("identifier", "date", "key_achievement"),
                )
            },
        ),
        (_("Description"), {"classes": ("collapse",), "fields": scripts_row("description")}),
        STEWARDSHIP_FIELDSET,
        PROVENANCE_FIELDSET,
        AUDIT_FIELDSET,
    )


@admin.register(FactorFlow)
class FactorFlowAdmin(CuratedRecordAdmin):
    list_display = (
        "public_id",
        "factor",
        "direction",
        "status",
        "project",
        "facility",
        "mechanism",
        "curating_section",
        "publication",
    )
    list_filter = (
        "curating_section",
        "factor",
        "direction",
        "status",
        "publication",
        "verification",
    )
    list_select_related = ("project", "facility", "mechanism")
    autocomplete_fields = ("owner", "project", "facility", "mechanism")
    fieldsets = (
        (
            None,
            {"fields": (("factor", "direction", "status"), ("project", "facility"), "mechanism")},
        ),
        (
            _("Amounts"),
            {
                "fields": (
                    ("quantity", "unit"),
                    ("value", "currency"),
                    ("period_start", "period_end"),
                )
            },
        ),
        (_("Description"), {"fields": scripts_row("description")}),
        STEWARDSHIP_FIELDSET,
        PROVENANCE_FIELDSET,
        AUDIT_FIELDSET,
    )


@admin.register(PolicyInstrument)
class PolicyInstrumentAdmin(CuratedRecordAdmin):
    list_display = (
        "public_id",
        "name_en",
        "name_zh_hans",
        "document_number",
        "issuer",
        "status",
        "issued_on",
        "curating_section",
        "publication",
    )
    list_filter = ("curating_section", "status", "publication", "verification")
    list_select_related = ("issuer",)
    autocomplete_fields = ("owner", "issuer")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    scripts_row("name"),
                    ("document_number", "issuer"),
                    ("issued_on", "effective_on", "status"),
                    "factors",
                )
            },
        ),
        (_("Description"), {"classes": ("collapse",), "fields": scripts_row("description")}),
        STEWARDSHIP_FIELDSET,
        PROVENANCE_FIELDSET,
        AUDIT_FIELDSET,
    )


@admin.register(FundingScheme)
class FundingSchemeAdmin(CuratedRecordAdmin):
    list_display = (
        "public_id",
        "name_en",
        "name_zh_hans",
        "acronym",
        "funder",
        "max_duration_months",
        "curating_section",
        "publication",
    )
    list_select_related = ("funder",)
    autocomplete_fields = ("owner", "funder")
    inlines = (FundingCeilingInline,)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    scripts_row("name"),
                    ("acronym", "funder"),
                    ("max_duration_months", "website"),
                )
            },
        ),
        (_("Description"), {"classes": ("collapse",), "fields": scripts_row("description")}),
        STEWARDSHIP_FIELDSET,
        PROVENANCE_FIELDSET,
        AUDIT_FIELDSET,
    )


class ReferenceDataAdmin(SimpleHistoryAdmin):
    """Taxonomies belong to the zone editors; curators read them and pick from them."""

    search_fields = ("code", *field_names("name"))
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return access.can_edit_reference_data(request.user)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return access.can_edit_reference_data(request.user)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return access.can_delete(request.user, obj)


@admin.register(ZoneSection)
class ZoneSectionAdmin(ReferenceDataAdmin):
    list_display = ("code", *field_names("name"), "area_km2")


@admin.register(SubArea)
class SubAreaAdmin(ReferenceDataAdmin):
    list_display = ("code", *field_names("name"), "section", "area_km2")
    list_filter = ("section",)


@admin.register(ResearchField)
class ResearchFieldAdmin(ReferenceDataAdmin):
    list_display = ("code", *field_names("name"), "parent")
    list_select_related = ("parent",)
    list_filter = (("parent", admin.RelatedOnlyFieldListFilter),)


@admin.register(PriorityArea)
class PriorityAreaAdmin(ReferenceDataAdmin):
    list_display = ("code", *field_names("name"))
