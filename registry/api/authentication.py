"""``Authorization: Bearer <token>`` against ApiToken (hashed at rest, scoped, expiring); an
address that keeps sending refused tokens is throttled before its tokens are looked up."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from registry.api.throttling import BadTokenThrottle
from registry.models import ApiToken

# Writing last_used_at on every request would turn reads into writes; a minute is precise enough.
LAST_USED_PRECISION = timedelta(minutes=1)


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header:
            return None
        if header[0].lower() != self.keyword.lower():
            # Another scheme would otherwise be read anonymously, hiding a client's mistake.
            raise exceptions.AuthenticationFailed(_("Send Authorization: Bearer <token>."))
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Send Authorization: Bearer <token>."))
        guesses = BadTokenThrottle()
        if guesses.exhausted(request):
            # DRF joins the detail with "Expected available in N seconds.": a str, not lazy.
            refusal = str(_("Too many refused tokens came from your address."))
            raise exceptions.Throttled(guesses.wait(), refusal)
        token = ApiToken.authenticate(header[1])
        if token is None or not token.user.is_active:
            guesses.record_failure(request)
            raise exceptions.AuthenticationFailed(_("The token is unknown, expired or revoked."))
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
            token.last_used_at = now
            token.save(update_fields=["last_used_at"])
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'
