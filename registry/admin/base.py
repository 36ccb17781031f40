"""What every curated record's admin shares: section scoping through registry/access.py, the
publication workflow (buttons and bulk actions through registry/workflow.py), stale-edit
protection, attributed saves, cross-script search, field-by-field history and restore."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import localize
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from registry import access, workflow
from registry.admin.sources import SourcesField
from registry.models import CuratedRecord
from registry.models.base import StaleRecordError
from registry.scripts import field_names

AUDIT_FIELDS = (
    "public_id",
    "version",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
    "submitted_by",
    "submitted_at",
    "published_at",
    "retracted_at",
    "retraction_reason",
    "successor",
)
PROVENANCE_FIELDSET = (
    _("Provenance"),
    {"fields": ("sources", "verification", "as_of")},
)
STEWARDSHIP_FIELDSET = (
    _("Stewardship"),
    # expected_version is hidden, but a field not named in a fieldset is not rendered at all.
    {"fields": (("curating_section", "owner"), "publication", "expected_version")},
)
AUDIT_FIELDSET = (
    _("Audit"),
    {
        "classes": ("collapse",),
        "fields": (
            ("public_id", "version"),
            ("created_at", "created_by"),
            ("updated_at", "updated_by"),
            ("submitted_at", "submitted_by"),
            "published_at",
            ("retracted_at", "retraction_reason", "successor"),
        ),
    },
)

WORKFLOW_FIELDS = (
    "publication",
    "submitted_by_id",
    "submitted_at",
    "published_at",
    "retracted_at",
    "retraction_reason",
    "successor_id",
)

TRANSITION_LABELS = {
    "submit": _("Submit for review"),
    "publish": _("Publish"),
    "retract": _("Retract"),
    "reopen": _("Reopen as draft"),
}


def named(record: Any) -> str:
    """A record in a message: its kind first, so that the admin's ``capfirst`` on messages
    never turns the public id into "Fac-…" (public ids are lower case)."""
    return f"{capfirst(record._meta.verbose_name)} {record.public_id}"


DERIVED_HELP = {
    "zh_hant": _(
        "Converted by OpenCC from the Simplified Chinese (Hong Kong standard) and not yet "
        "checked: correct it, or confirm it below."
    ),
    "zh_hans": _(
        "Converted by OpenCC from the Traditional Chinese and not yet checked: correct it, or "
        "confirm it below."
    ),
}


class CuratedRecordForm(forms.ModelForm):
    """Carries the version the curator loaded; a save based on an older version is refused."""

    expected_version = forms.IntegerField(
        label=_("expected version"), widget=forms.HiddenInput, required=False
    )
    confirm_derived = forms.BooleanField(label=_("Confirm the converted text"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._mark_derived()
        if "sources" in self.fields:
            model_field = self._meta.model._meta.get_field("sources")
            self.fields["sources"] = SourcesField(
                label=capfirst(model_field.verbose_name),
                required=False,
                help_text=model_field.help_text,
            )
        if self.instance.pk:
            # The stored version, not the instance's: a revert form holds an old copy.
            stored = (
                type(self.instance)
                ._base_manager.filter(pk=self.instance.pk)
                .values_list("version", flat=True)
                .first()
            )
            self.fields["expected_version"].initial = stored

    def _mark_derived(self) -> None:
        """A name (or title) OpenCC converted from the other Chinese script is marked as such
        beside its box, with a box to tick to confirm it; correcting the text also settles it."""
        derived = getattr(self.instance, "derived_script", "")
        field = self.fields.get(f"{self.instance.LABEL_STEM}_{derived}") if derived else None
        if field is None:
            self.fields.pop("confirm_derived", None)
            return
        field.widget.attrs["class"] = f"{field.widget.attrs.get('class', '')} registry-derived"
        field.help_text = DERIVED_HELP[derived]
        self.fields["confirm_derived"].help_text = _(
            "Tick to keep the converted text as it is, checked by you."
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("confirm_derived"):
            self.instance.derived_script = ""  # checked by a person: no longer derived
        expected = cleaned.get("expected_version")
        if self.instance.pk and expected is not None:
            # Locked until the admin's transaction ends, so nobody saves in between. Only the
            # record's own row: PostgreSQL cannot lock the nullable side of an outer join.
            model = type(self.instance)
            locked = (
                model._base_manager.select_for_update()
                .filter(pk=self.instance.pk)
                .values_list("version", flat=True)
                .first()
            )
            current = None
            if locked is not None and locked != expected:
                current = (
                    model._base_manager.filter(pk=self.instance.pk)
                    .values_list("version", "updated_by__username", "updated_at")
                    .first()
                )
            if current is not None and current[0] != expected:
                raise ValidationError(
                    _(
                        "Someone else saved this record (version %(current)s, by %(who)s at "
                        "%(when)s) after you opened it. Your changes were not saved. Open the "
                        "record again to see their changes, then make yours."
                    ),
                    code="stale",
                    params={
                        "current": current[0],
                        "who": current[1] or _("an import"),
                        "when": localize(current[2]),
                    },
                )
        return cleaned


class RetractForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (shown to the public)"), widget=forms.Textarea(attrs={"rows": 3})
    )
    successor = forms.CharField(
        label=_("Successor's public id (optional)"), required=False, max_length=12
    )


def scripts_row(stem: str) -> tuple[str, ...]:
    """The three scripts of one text side by side on a single admin row."""
    return field_names(stem)


class CuratedRecordAdmin(SimpleHistoryAdmin):
    """Base ModelAdmin for curated records. Curators see everything; they change, submit,
    publish and retract only what ``access.curates`` allows, and nothing else is offered."""

    form = CuratedRecordForm
    # A URL typed without a scheme is https (Django 6's default, asked for now).
    formfield_overrides: ClassVar[dict] = {models.URLField: {"assume_scheme": "https"}}
    readonly_fields = AUDIT_FIELDS
    list_filter: tuple = ("curating_section", "publication", "verification")
    list_per_page = 50
    show_full_result_count = False  # no second COUNT(*) over the whole table
    actions = ("submit_selected", "publish_selected", "retract_selected", "reopen_selected")
    history_list_display = ("version",)
    change_form_template = "admin/registry/curated_change_form.html"
    change_list_template = "admin/registry/curated_change_list.html"

    # -- permissions: registry/access.py decides ------------------------------------------------
    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or access.curates(request.user, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and access.actor_for(request.user).is_curator

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return access.can_delete(request.user, obj)

    def get_form(self, request: HttpRequest, obj: Model | None = None, **kwargs: Any) -> type:
        form = super().get_form(request, obj, **kwargs)
        sections = access.actor_for(request.user).sections
        field = form.base_fields.get("curating_section")
        if field is not None:
            # A curator adds records only to the section they curate.
            field.choices = [c for c in field.choices if c[0] in sections or c[0] == ""]
        return form

    def get_list_filter(self, request: HttpRequest) -> tuple:
        """Records named or titled in three scripts can be narrowed to those with a converted
        Chinese text that no curator has checked yet."""
        derived = ("derived_script",) if self.model.DERIVABLE else ()
        return (*super().get_list_filter(request), *derived)

    def get_fieldsets(self, request: HttpRequest, obj: Model | None = None) -> list:
        """A record whose name (or title) has a converted script gets the box that confirms it,
        on the row below its names."""
        fieldsets = super().get_fieldsets(request, obj)
        if not getattr(obj, "derived_script", ""):
            return fieldsets
        label = field_names(obj.LABEL_STEM)
        shown = []
        for title, options in fieldsets:
            fields = list(options.get("fields", ()))
            if label in fields:
                fields.insert(fields.index(label) + 1, "confirm_derived")
                options = {**options, "fields": tuple(fields)}
            shown.append((title, options))
        return shown

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> tuple:
        # Publication moves only through the workflow buttons and actions.
        return (*super().get_readonly_fields(request, obj), "publication")

    # -- saving -------------------------------------------------------------------------------
    def save_model(
        self, request: HttpRequest, obj: CuratedRecord, form: forms.Form, change: bool
    ) -> None:
        if not change:
            # Added as any new record is: a draft of the section the form names.
            try:
                workflow.add(obj, user=request.user, curating_section=obj.curating_section)
            except workflow.NotPermitted as error:
                raise PermissionDenied(str(error)) from error
            return
        # Publication moves only through the workflow; a revert restores content only.
        stored = type(obj)._base_manager.filter(pk=obj.pk).values(*WORKFLOW_FIELDS).first()
        for field, value in (stored or {}).items():
            setattr(obj, field, value)
        expected = form.cleaned_data.get("expected_version")
        try:
            obj.save(user=request.user, expected_version=expected)
        except StaleRecordError as error:  # a race the form's locked check makes near-impossible
            raise PermissionDenied(str(error)) from error

    def save_formset(
        self, request: HttpRequest, form: forms.Form, formset: Any, change: bool
    ) -> None:
        """Inline rows are saved one by one with the user, so history names who changed them."""
        parent = form.instance
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            obj.delete()
        for obj in instances:
            if isinstance(obj, CuratedRecord) and not obj.curating_section:
                obj.curating_section = parent.curating_section
            obj.save(user=request.user)
        formset.save_m2m()

    # -- search: the registry's own cross-script normaliser ------------------------------------
    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        return queryset.search(search_term), False

    search_fields = ("search_text",)  # enables the search box; get_search_results does the work

    # -- workflow: bulk actions ---------------------------------------------------------------
    def _run_bulk(self, request: HttpRequest, queryset: QuerySet, name: str, **kwargs: Any) -> None:
        records = list(queryset)
        refused = [r for r in records if not access.curates(request.user, r)]
        if name == "submit":
            refused = [r for r in records if not access.can_edit(request.user, r)]
        if refused:
            # Nothing changes when any selected record is outside the curator's section.
            raise PermissionDenied(
                _("You may not change %(records)s: not in a section you curate.")
                % {"records": ", ".join(r.public_id for r in refused)}
            )
        done, failed = 0, []
        for record in records:
            try:
                getattr(workflow, name)(record, user=request.user, **kwargs)
                done += 1
            except workflow.WorkflowError as error:
                failed.append(f"{named(record)}: {error}")
        if done:
            self.message_user(
                request,
                ngettext("%(n)d record: %(action)s done.", "%(n)d records: %(action)s done.", done)
                % {"n": done, "action": TRANSITION_LABELS[name]},
                messages.SUCCESS,
            )
        for failure in failed:
            self.message_user(request, failure, messages.ERROR)

    @admin.action(description=_("Submit selected records for review"))
    def submit_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._run_bulk(request, queryset, "submit")

    @admin.action(description=_("Publish selected records"))
    def publish_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._run_bulk(request, queryset, "publish")

    @admin.action(description=_("Reopen selected records as drafts"))
    def reopen_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        self._run_bulk(request, queryset, "reopen")
        return None

    @admin.action(description=_("Retract selected records…"))
    def retract_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        if "reason" in request.POST:
            form = RetractForm(request.POST)
            if form.is_valid():
                self._run_bulk(request, queryset, "retract", reason=form.cleaned_data["reason"])
                return None
        else:
            form = RetractForm()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "records": queryset,
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            "title": _("Retract records"),
            "bulk": True,
        }
        return TemplateResponse(request, "admin/registry/retract.html", context)

    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict | None = None,
    ) -> HttpResponse:
        """Reverting is changing: outside their section a curator may look, not revert."""
        if request.method == "POST":
            obj = self.model._base_manager.filter(pk=object_id).first()
            if obj is not None and not self.has_change_permission(request, obj):
                raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    # -- workflow: buttons on the change form -----------------------------------------------------
    def get_urls(self) -> list:
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path(
                "<path:object_id>/workflow/<str:transition>/",
                self.admin_site.admin_view(self.transition_view),
                name=f"{prefix}_transition",
            ),
            path(
                "deleted/",
                self.admin_site.admin_view(self.deleted_view),
                name=f"{prefix}_deleted",
            ),
            *super().get_urls(),
        ]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        obj = self.get_object(request, object_id)
        transitions = workflow.allowed_transitions(obj, request.user) if obj else []
        extra_context = {
            **(extra_context or {}),
            "workflow_buttons": [
                (
                    name,
                    TRANSITION_LABELS[name],
                    reverse(
                        f"admin:{self.opts.app_label}_{self.opts.model_name}_transition",
                        args=(obj.pk, name),
                    ),
                )
                for name in transitions
            ],
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def transition_view(
        self, request: HttpRequest, object_id: str, transition: str
    ) -> HttpResponse:
        record = get_object_or_404(self.get_queryset(request), pk=object_id)
        if transition not in workflow.SOURCES:
            raise PermissionDenied
        if transition not in workflow.allowed_transitions(record, request.user):
            raise PermissionDenied(
                _("You may not do this to this record: %(action)s.")
                % {"action": TRANSITION_LABELS[transition]}
            )
        change_url = reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=(record.pk,)
        )
        if request.method != "POST":
            if transition != "retract":
                return HttpResponseRedirect(change_url)
            form = RetractForm()
        else:
            form = RetractForm(request.POST) if transition == "retract" else None
            if form is None or form.is_valid():
                try:
                    kwargs = {}
                    if form is not None:
                        kwargs["reason"] = form.cleaned_data["reason"]
                        kwargs["successor"] = self._successor(form.cleaned_data["successor"])
                    with transaction.atomic():
                        getattr(workflow, transition)(record, user=request.user, **kwargs)
                except workflow.WorkflowError as error:
                    self.message_user(request, str(error), messages.ERROR)
                except ValidationError as error:
                    form.add_error("successor", error)
                else:
                    self.message_user(
                        request,
                        f"{named(record)}: {TRANSITION_LABELS[transition]} ✓",
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(change_url)
                if form is None:
                    return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "records": [record],
            "original": record,
            "title": _("Retract %(record)s") % {"record": record},
            "bulk": False,
        }
        return TemplateResponse(request, "admin/registry/retract.html", context)

    def _successor(self, public_id: str) -> CuratedRecord | None:
        if not public_id:
            return None
        successor = self.model.objects.by_public_id(public_id).first()
        if successor is None:
            raise ValidationError(
                _("No %(kind)s has the public id %(id)s.")
                % {"kind": self.model._meta.verbose_name, "id": public_id}
            )
        return successor

    # -- deleted records: listed from history, restorable by reverting ----------------------------
    def deleted_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        history = self.model.history
        live = self.model._base_manager.values("pk")
        deleted = (
            history.filter(history_type="-")
            .exclude(id__in=live)
            .select_related("history_user")
            .order_by("-history_date")[:200]
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Deleted %(kind)s") % {"kind": self.model._meta.verbose_name_plural},
            "deleted": deleted,
        }
        return TemplateResponse(request, "admin/registry/deleted.html", context)

    @admin.display(description=_("public id"), ordering="public_id")
    def public_id_link(self, obj: CuratedRecord) -> str:
        return format_html("<code>{}</code>", obj.public_id)

    @admin.display(description=_("state"), ordering="publication")
    def publication_badge(self, obj: CuratedRecord) -> str:
        return obj.get_publication_display()

    @admin.display(boolean=True, description=_("illustrative"))
    def illustrative(self, obj: CuratedRecord) -> bool:
        return obj.is_illustrative
