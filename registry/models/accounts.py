"""Partner accounts and their API tokens (hashed at rest, shown once)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registry.models.base import part_of, reference

TOKEN_PREFIX = "hetao_"


def hash_token(raw: str) -> str:
    """SHA-256 of the token: tokens carry 256 random bits, so a fast hash is enough."""
    return hashlib.sha256(raw.encode()).hexdigest()


class PartnerAccount(models.Model):
    """Links a user to the partner organisation they act for through the API."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="partner_account",
    )
    organisation = reference(
        "registry.Organisation", _("organisation"), related_name="partner_accounts"
    )

    class Meta:
        verbose_name = _("partner account")
        verbose_name_plural = _("partner accounts")
        ordering: ClassVar[list[str]] = ["user__username"]

    def __str__(self) -> str:
        return f"{self.user} ({self.organisation})"


class ApiTokenQuerySet(models.QuerySet):
    def usable(self) -> ApiTokenQuerySet:
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiToken(models.Model):
    """A bearer token for the REST API. Only its SHA-256 is stored; the token itself is shown
    once, when issued."""

    class Scope(models.TextChoices):
        READ = "read", _("Read")
        WRITE = "write", _("Write")

    user = part_of(settings.AUTH_USER_MODEL, _("user"), "api_tokens")
    name = models.CharField(_("name"), max_length=100, blank=True)
    key_prefix = models.CharField(
        _("key prefix"), max_length=16, editable=False, help_text=_("Shown to tell tokens apart.")
    )
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering: ClassVar[list[str]] = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.key_prefix}… ({self.user})"

    @classmethod
    def issue(
        cls,
        user: Any,
        *,
        scopes: list[str],
        expires_days: int | None = None,
        name: str = "",
    ) -> tuple[ApiToken, str]:
        """Create a token and return it with the raw key, which is never stored."""
        unknown = set(scopes) - set(cls.Scope.values)
        if unknown or not scopes:
            raise ValueError(
                f"scopes must be a non-empty subset of {cls.Scope.values}; got {sorted(scopes)}"
            )
        if expires_days is not None and expires_days <= 0:
            raise ValueError("expires_days must be a positive number of days")
        raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
        expires_at = timezone.now() + timedelta(days=expires_days) if expires_days else None
        token = cls.objects.create(
            user=user,
            name=name,
            key_prefix=raw[: len(TOKEN_PREFIX) + 6],
            key_hash=hash_token(raw),
            scopes=sorted(set(scopes)),
            expires_at=expires_at,
        )
        return token, raw

    @classmethod
    def authenticate(cls, raw: str) -> ApiToken | None:
        """The usable token with this key, or None (unknown, expired or revoked)."""
        if not raw or not raw.startswith(TOKEN_PREFIX):
            return None
        return cls.objects.usable().select_related("user").filter(key_hash=hash_token(raw)).first()

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    def revoke(self) -> None:
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])
