"""The review queue (records in review and open change requests) and change requests."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import localize
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from registry import access, workflow
from registry.models import CURATED_MODELS, ChangeEvent, ChangeRequest


def shown(field: Any, value: Any) -> str:
    """A value as a curator reads it: a choice's label, a related record's name and public id,
    a date or number in the reader's format, a list joined; "—" for nothing."""
    if field is None:
        return "—" if value in (None, "", [], {}) else str(value)
    if field.many_to_many or field.is_relation:
        ids = value if isinstance(value, list) else [value]
        related = field.related_model._base_manager.filter(pk__in=[i for i in ids if i])
        return (
            "; ".join(
                f"{item} ({item.public_id})" if hasattr(item, "public_id") else str(item)
                for item in related
            )
            or "—"
        )
    if value in (None, "", [], {}):
        return "—"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, list):
        return "; ".join(str(item) for item in value)
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    try:
        value = field.to_python(value)
    except ValidationError:
        return str(value)
    return str(localize(value))


def comparison_rows(change_request: ChangeRequest) -> list[tuple[str, str, str]]:
    """(field label, current value, proposed value) for each field the request would change,
    as a curator reads them (workflow.proposed_changes gives the stored values)."""
    record = change_request.target
    by_name = {
        field.name: field for field in record._meta.get_fields() if hasattr(field, "attname")
    }
    by_name.update({field.attname: field for field in by_name.values()})
    rows = []
    for name, current, proposed in workflow.proposed_changes(change_request):
        field = by_name.get(name)
        if field is not None and field.many_to_many:
            current = list(getattr(record, field.name).values_list("pk", flat=True))
        label = capfirst(field.verbose_name) if field is not None else name
        rows.append((str(label), shown(field, current), shown(field, proposed)))
    return rows


class DecisionForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment for the partner"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


@admin.register(ChangeRequest)
class ChangeRequestAdmin(SimpleHistoryAdmin):
    list_display = (
        "pk",
        "target_type",
        "target_id",
        "state",
        "created_by",
        "created_at",
        "decided_by",
    )
    # Only the kinds of record that have change requests (not every content type there is).
    list_filter = ("state", ("target_type", admin.RelatedOnlyFieldListFilter))
    search_fields = ("=id", "created_by__username", "comment")
    list_select_related = ("target_type", "created_by", "decided_by")
    # The proposed values are shown field by field above the form (comparison_rows), not as
    # their stored JSON.
    fields = readonly_fields = (
        "target_type",
        "target_id",
        "base_version",
        "state",
        "comment",
        "created_at",
        "created_by",
        "decided_at",
        "decided_by",
    )
    change_form_template = "admin/registry/changerequest_change_form.html"
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # partners propose changes through the API

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.can_delete(request.user, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Nothing on a change request is edited by hand: it is decided with the buttons of
        # its page (decide_view), so the page is read-only and has no Save buttons.
        return False

    def get_urls(self) -> list:
        return [
            path(
                "queue/",
                self.admin_site.admin_view(self.queue_view),
                name="registry_review_queue",
            ),
            path(
                "<int:object_id>/decide/<str:decision>/",
                self.admin_site.admin_view(self.decide_view),
                name="registry_changerequest_decide",
            ),
            *super().get_urls(),
        ]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None
    ) -> HttpResponse:
        change_request = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if change_request is not None and change_request.target is not None:
            target = change_request.target
            extra.update(
                {
                    "comparison": comparison_rows(change_request),
                    "target": target,
                    "target_url": reverse(
                        f"admin:{target._meta.app_label}_{target._meta.model_name}_change",
                        args=[target.pk],
                    ),
                    "target_moved_on": target.version != change_request.base_version,
                    "can_decide": change_request.state == ChangeRequest.State.OPEN
                    and access.curates(request.user, target),
                    "deciders": _(
                        "Curators of the %(section)s section and zone editors decide this request."
                    )
                    % {"section": target.get_curating_section_display()},
                    "decision_form": DecisionForm(),
                }
            )
        return super().change_view(request, object_id, form_url, extra)

    def decide_view(self, request: HttpRequest, object_id: int, decision: str) -> HttpResponse:
        change_request = get_object_or_404(ChangeRequest, pk=object_id)
        if request.method != "POST" or decision not in ("approve", "reject"):
            raise PermissionDenied
        target = change_request.target
        if target is None or not access.curates(request.user, target):
            raise PermissionDenied(_("Only a curator of the record's section may decide this."))
        form = DecisionForm(request.POST)
        form.is_valid()
        comment = form.cleaned_data.get("comment", "")
        try:
            if decision == "approve":
                workflow.approve_change_request(change_request, user=request.user, comment=comment)
            else:
                workflow.reject_change_request(change_request, user=request.user, comment=comment)
        except (workflow.WorkflowError, ValidationError) as error:
            text = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            self.message_user(request, text, messages.ERROR)
        else:
            self.message_user(request, _("Decision recorded."), messages.SUCCESS)
        return HttpResponseRedirect(
            reverse("admin:registry_changerequest_change", args=(change_request.pk,))
        )

    def queue_view(self, request: HttpRequest) -> HttpResponse:
        """Records in review (one query per kind of record) and open change requests (one,
        and one per kind of record they are for)."""
        if not access.actor_for(request.user).is_curator:
            raise PermissionDenied
        sections = []
        for model in CURATED_MODELS:
            in_review = list(
                workflow.in_review(model.objects.all())
                .select_related("submitted_by")
                .order_by("submitted_at")[:200]
            )
            if in_review:
                sections.append((model._meta, in_review))
        # Each request's record, to name it by its name and public id: one query per kind.
        open_requests = list(
            ChangeRequest.objects.filter(state=ChangeRequest.State.OPEN)
            .select_related("target_type", "created_by")
            .prefetch_related("target")
            .order_by("created_at")[:200]
        )
        for change_request in open_requests:
            target = change_request.target
            change_request.record_url = target and reverse(
                f"admin:{target._meta.app_label}_{target._meta.model_name}_change",
                args=[target.pk],
            )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Review queue"),
            "sections": sections,
            "open_requests": open_requests,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/registry/review_queue.html", context)


@admin.register(ChangeEvent)
class ChangeEventAdmin(admin.ModelAdmin):
    """The change feed as curators see it: read-only, newest first."""

    list_display = (
        "id",
        "occurred_at",
        "kind",
        "resource",
        "public_id",
        "version",
        "publication",
        "curating_section",
    )
    list_filter = ("kind", "resource", "curating_section")
    search_fields = ("public_id",)
    ordering = ("-id",)
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.actor_for(request.user).is_curator
