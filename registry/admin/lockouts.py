"""Locked sign-ins (django-axes, configured in hetao/settings.py, "Brute force"): the failed
sign-ins, the username and address pairs they locked, and the action that unlocks them, for the
zone editors; the page a locked sign-in gets; and the client address the locks are keyed by."""

from __future__ import annotations

import ipaddress
from typing import Any

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.helpers import get_cool_off
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.formats import localize
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from rest_framework.throttling import BaseThrottle

from registry.admin.accounts import zone_editors_only

# The admin's index heads axes' models with its app's name, "Axes", which says nothing to a
# curator and is no translatable string.
apps.get_app_config("axes").verbose_name = _("Sign-ins")


def client_address(request: HttpRequest) -> str | None:
    """The client address the API's throttles key a client by (AXES_CLIENT_IP_CALLABLE):
    REMOTE_ADDR, or the X-Forwarded-For entry REGISTRY_TRUSTED_PROXIES says to trust. Without
    it, behind a proxy every sign-in would come from the proxy's address, and a lock would
    hold a curator out from everywhere. REMOTE_ADDR when that entry is no address."""
    ident = BaseThrottle().get_ident(request)
    try:
        return str(ipaddress.ip_address(ident))
    except ValueError:
        return request.META.get("REMOTE_ADDR")


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """What a locked sign-in gets (AXES_LOCKOUT_CALLABLE): the admin's sign-in page saying so,
    in the reader's language, as a 429 whose Retry-After is the cool-off. Every try while
    locked starts the cool-off again, so that is when a try can succeed at the earliest."""
    cool_off = get_cool_off(request)
    minutes = int(cool_off.total_seconds() // 60)
    context = {
        **admin.site.each_context(request),
        "title": _("Signing in is locked"),
        "explanation": ngettext(
            "Too many failed sign-ins as this user from your address: signing in is locked "
            "for %(minutes)d minute after the last try, even with the right password.",
            "Too many failed sign-ins as this user from your address: signing in is locked "
            "for %(minutes)d minutes after the last try, even with the right password.",
            minutes,
        )
        % {"minutes": minutes},
    }
    response = render(request, "admin/registry/locked_out.html", context, status=429)
    response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response


class ZoneEditorsOnly:
    """Who failed to sign in, from where, is the zone editors' to see (superusers are zone
    editors, registry/access.py): section curators neither see it nor unlock anyone. The rows
    are records of what happened, never edited."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return zone_editors_only(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return zone_editors_only(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(AccessAttempt)
class SignInAttemptAdmin(ZoneEditorsOnly, AccessAttemptAdmin):
    """One row per username, address and browser that failed to sign in lately; a pair past
    AXES_FAILURE_LIMIT failures is locked until the cool-off has passed, or until a zone
    editor unlocks it here."""

    actions = ("unlock_selected",)
    show_full_result_count = False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return zone_editors_only(request)  # deleting an attempt unlocks it, too

    @admin.display(description=_("status"))
    def status(self, attempt: AccessAttempt) -> str:
        left = settings.AXES_FAILURE_LIMIT - attempt.failures_since_start
        if left > 0:
            return ngettext("%(n)d try left", "%(n)d tries left", left) % {"n": left}
        until = localtime(attempt.attempt_time + get_cool_off())
        return _("Locked until %(time)s") % {"time": localize(until)}

    @admin.action(description=_("Unlock the selected sign-ins"))
    def unlock_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        if not zone_editors_only(request):
            raise PermissionDenied
        attempts = list(queryset)
        self.log_deletions(request, attempts)  # who unlocked whom, in the admin's history
        AccessAttempt.objects.filter(pk__in=[attempt.pk for attempt in attempts]).delete()
        count = len(attempts)
        self.message_user(
            request,
            ngettext("%(n)d sign-in unlocked.", "%(n)d sign-ins unlocked.", count) % {"n": count},
            messages.SUCCESS,
        )


@admin.register(AccessFailureLog)
class SignInFailureAdmin(ZoneEditorsOnly, AccessFailureLogAdmin):
    """Every failed sign-in, kept after its lock is cleared (AXES_ENABLE_ACCESS_FAILURE_LOG)."""

    show_full_result_count = False


@admin.register(AccessLog)
class SignInAdmin(ZoneEditorsOnly, AccessLogAdmin):
    """Every successful sign-in and its sign-out."""

    show_full_result_count = False
