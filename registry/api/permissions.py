"""Token scopes for the API. Who may see or change which record is registry/access.py's call,
made in the views; here only: reads need the read scope, writes the write scope."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions
from rest_framework.request import Request

from registry.models import ApiToken


class TokenScopes(permissions.BasePermission):
    message = _("Your token does not have the scope this request needs.")

    def has_permission(self, request: Request, view: Any) -> bool:
        token = request.auth
        if request.method in permissions.SAFE_METHODS:
            return not isinstance(token, ApiToken) or token.has_scope(ApiToken.Scope.READ)
        if not request.user or not request.user.is_authenticated:
            return False  # DRF answers 401 with WWW-Authenticate
        return isinstance(token, ApiToken) and token.has_scope(ApiToken.Scope.WRITE)
