"""Change requests: a partner's proposed edit to a record that is already published."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from registry.models.base import reference


class ChangeRequest(models.Model):
    """Proposed field values for a published record, waiting for a curator's decision.
    Approving applies them through the record's normal save path (history, version)."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    target_type = reference(ContentType, _("record type"), related_name=None)
    target_id = models.PositiveBigIntegerField(_("record"))
    target = GenericForeignKey("target_type", "target_id")
    base_version = models.PositiveIntegerField(
        _("version proposed against"), help_text=_("The record's version the partner saw.")
    )
    proposed = models.JSONField(_("proposed values"), default=dict)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.OPEN, db_index=True
    )
    comment = models.TextField(_("decision comment"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    created_by = reference(settings.AUTH_USER_MODEL, _("proposed by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True, editable=False)
    decided_by = reference(settings.AUTH_USER_MODEL, _("decided by"), optional=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("change request")
        verbose_name_plural = _("change requests")
        ordering: ClassVar[list[str]] = ["-created_at"]
        indexes: ClassVar[list] = [
            # The review queue: open requests for one record.
            models.Index(fields=["target_type", "target_id", "state"], name="registry_cr_target"),
        ]
        constraints: ClassVar[list] = [
            models.CheckConstraint(
                condition=models.Q(state="open", decided_at__isnull=True)
                | (~models.Q(state="open") & models.Q(decided_at__isnull=False)),
                name="%(app_label)s_%(class)s_decided_when_closed",
                violation_error_message=_("A decided request records when it was decided."),
            ),
        ]

    def __str__(self) -> str:
        # Not the target's name: that would cost a query per row in every list.
        return f"#{self.pk} {self.target_type.model} {self.target_id} ({self.get_state_display()})"
