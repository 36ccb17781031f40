"""The change feed: one row per created, updated, published, retracted or deleted record, in
order, so a partner can replay it from a cursor (the row id) and stay in sync."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registry.models.choices import Publication, Section


class ChangeEvent(models.Model):
    """Something happened to a curated record. Kept without foreign keys, so that the feed
    still tells of records deleted since."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        UPDATED = "updated", _("Updated")
        PUBLISHED = "published", _("Published")
        RETRACTED = "retracted", _("Retracted")
        DELETED = "deleted", _("Deleted")

    kind = models.CharField(_("event"), max_length=16, choices=Kind.choices)
    resource = models.CharField(_("resource"), max_length=32)
    public_id = models.CharField(_("public id"), max_length=12)
    version = models.PositiveIntegerField(_("version"))
    publication = models.CharField(_("publication"), max_length=16, choices=Publication.choices)
    curating_section = models.CharField(
        _("curating section"), max_length=16, choices=Section.choices
    )
    owner_id = models.BigIntegerField(_("owner"), null=True, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"), default=timezone.now)

    class Meta:
        verbose_name = _("change event")
        verbose_name_plural = _("change events")
        ordering: ClassVar[list[str]] = ["id"]
        indexes: ClassVar[list] = [
            # "Has this record any event yet?" when fixtures load.
            models.Index(fields=["public_id"], name="registry_event_public_id"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.public_id} v{self.version}"
