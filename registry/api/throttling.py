"""Throttling per token and per IP address, and of refused tokens per IP address; 429 with
Retry-After. The counters live in the default cache, which every worker shares (Redis, or a
directory on one machine: hetao/settings.py, CACHES)."""

from __future__ import annotations

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle


class PerIpThrottle(AnonRateThrottle):
    scope = "anonymous"


class PerTokenThrottle(UserRateThrottle):
    """Keyed by token, so two tokens of one partner have a budget each."""

    scope = "token"

    def get_cache_key(self, request, view):
        if request.auth is None or not hasattr(request.auth, "pk"):
            return None
        return self.cache_format % {"scope": self.scope, "ident": f"token-{request.auth.pk}"}


class BadTokenThrottle(SimpleRateThrottle):
    """Refused bearer tokens (unknown, expired, revoked) per client address, at most
    REGISTRY_THROTTLE_BAD_TOKENS: an address past its budget is answered 429 before any token it
    sends is looked up, so guessing tokens costs the guesser time, not the database a query.

    Not one of the views' throttles (those count every request): the bearer authentication asks
    ``exhausted`` before it looks a token up and calls ``record_failure`` when it refuses one.
    The same sliding window as DRF's throttles, in the same cache."""

    scope = "bad_tokens"

    def get_rate(self) -> str:
        # A setting of its own, read per request, rather than DEFAULT_THROTTLE_RATES: tests and
        # load runs that replace those rates wholesale keep this budget.
        return settings.REGISTRY_THROTTLE_BAD_TOKENS

    def get_cache_key(self, request: Request, view=None) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def exhausted(self, request: Request) -> bool:
        """Has this address used up its refusals? Reads the window; counts nothing."""
        self.key = self.get_cache_key(request)
        self.now = self.timer()
        self.history = [
            moment for moment in self.cache.get(self.key, []) if moment > self.now - self.duration
        ]
        return len(self.history) >= self.num_requests

    def record_failure(self, request: Request) -> None:
        """One more refused token from this address, kept for the window's length."""
        self.exhausted(request)
        self.throttle_success()  # DRF's: adds now to the window and stores it

    def wait(self) -> float:
        """Seconds until enough refusals leave the window for the address to try again."""
        if len(self.history) < self.num_requests:
            return 0.0
        freeing = self.history[self.num_requests - 1]  # newest first, as DRF keeps them
        return max(1.0, self.duration - (self.now - freeing))
