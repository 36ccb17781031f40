"""Throttling per token and per IP address; 429 with Retry-After."""

from __future__ import annotations

from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class PerIpThrottle(AnonRateThrottle):
    scope = "anonymous"


class PerTokenThrottle(UserRateThrottle):
    """Keyed by token, so two tokens of one partner have a budget each."""

    scope = "token"

    def get_cache_key(self, request, view):
        if request.auth is None or not hasattr(request.auth, "pk"):
            return None
        return self.cache_format % {"scope": self.scope, "ident": f"token-{request.auth.pk}"}
