"""Partner accounts and API tokens: tokens are issued once and revocable, never shown again."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registry import access
from registry.models import ApiToken, PartnerAccount


def zone_editors_only(request: HttpRequest) -> bool:
    return access.actor_for(request.user).role is access.Role.ZONE_EDITOR


@admin.register(PartnerAccount)
class PartnerAccountAdmin(admin.ModelAdmin):
    list_display = ("user", "organisation")
    list_select_related = ("user", "organisation")
    autocomplete_fields = ("user", "organisation")
    search_fields = ("user__username", "organisation__name_en")
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return zone_editors_only(request)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return zone_editors_only(request)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return zone_editors_only(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return access.actor_for(request.user).is_curator


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = (
        "key_prefix",
        "user",
        "name",
        "scopes",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = ("revoked_at",)
    search_fields = ("key_prefix", "user__username", "name")
    show_full_result_count = False
    list_select_related = ("user",)
    readonly_fields = ("key_prefix", "user", "scopes", "created_at", "last_used_at", "revoked_at")
    fields = list_display  # the form shows what the list shows
    actions = ("revoke_selected",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # issued with `manage.py issue_token`, which shows the token once

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return zone_editors_only(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return access.actor_for(request.user).is_curator

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # revoke instead: the row records who had access when

    @admin.action(description=_("Revoke selected tokens"))
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        if not zone_editors_only(request):
            raise PermissionDenied
        count = 0
        for token in queryset.filter(revoked_at__isnull=True):
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            count += 1
        self.message_user(request, _("%(n)d tokens revoked.") % {"n": count}, messages.SUCCESS)
