"""Cross-border flows of innovation factors that projects and facilities rely on."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from registry.models.base import (
    CuratedRecord,
    currency_constraint,
    currency_field,
    ends_after_start,
    joins,
    not_negative,
    reference,
)
from registry.models.choices import Factor
from registry.models.indexes import list_indexes
from registry.scripts import field_names

# What lists of FactorFlow records may be sorted by (``ordering``).
FACTOR_FLOW_SORTABLE = ("period_start", "factor", "direction", "updated_at", "created_at")


class FactorFlow(CuratedRecord):
    """A flow of one factor (people, funds, data, samples, equipment…) across the border, in
    aggregate: counts and amounts only, never personal data about anybody."""

    SORTABLE: ClassVar[tuple[str, ...]] = FACTOR_FLOW_SORTABLE
    PUBLIC_ID_PREFIX = "flw"
    RESOURCE = "flows"
    RELATED_READS: ClassVar[dict] = joins("owner", "project", "facility", "mechanism")
    LABEL_STEM = "description"

    class Direction(models.TextChoices):
        NORTHBOUND = "northbound", _("Northbound (Hong Kong → Shenzhen)")
        SOUTHBOUND = "southbound", _("Southbound (Shenzhen → Hong Kong)")
        INBOUND_INTERNATIONAL = "inbound_international", _("Inbound international")
        OUTBOUND_INTERNATIONAL = "outbound_international", _("Outbound international")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        CLEARED = "cleared", _("Cleared")
        COMPLETED = "completed", _("Completed")
        BLOCKED = "blocked", _("Blocked")

    project = reference("registry.Project", _("project"), related_name="flows", optional=True)
    facility = reference("registry.Facility", _("facility"), related_name="flows", optional=True)
    factor = models.CharField(_("factor"), max_length=24, choices=Factor.choices)
    direction = models.CharField(_("direction"), max_length=24, choices=Direction.choices)
    mechanism = reference(
        "registry.PolicyInstrument", _("mechanism"), related_name="flows", optional=True
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    quantity = models.DecimalField(
        _("quantity"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    unit = models.CharField(_("unit"), max_length=40, blank=True)
    value = models.DecimalField(_("value"), max_digits=16, decimal_places=2, null=True, blank=True)
    currency = currency_field(blank=True)
    period_start = models.DateField(_("period start"), null=True, blank=True)
    period_end = models.DateField(_("period end"), null=True, blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    description_zh_hans = models.TextField(_("description (Simplified Chinese)"), blank=True)
    description_zh_hant = models.TextField(_("description (Traditional Chinese)"), blank=True)

    history = HistoricalRecords(excluded_fields=["search_text"])

    class Meta(CuratedRecord.Meta):
        verbose_name = _("factor flow")
        verbose_name_plural = _("factor flows")
        ordering: ClassVar[list[str]] = ["factor", "direction", "public_id"]
        indexes: ClassVar[list] = list_indexes("flw", ordering, FACTOR_FLOW_SORTABLE)
        constraints: ClassVar[list] = [
            *CuratedRecord.Meta.constraints,
            models.CheckConstraint(
                condition=models.Q(project__isnull=False) | models.Q(facility__isnull=False),
                name="%(app_label)s_%(class)s_has_project_or_facility",
                violation_error_message=_("A flow belongs to a project or a facility."),
            ),
            not_negative("quantity"),
            not_negative("value"),
            currency_constraint("currency", allow_blank=True),
            models.CheckConstraint(
                condition=models.Q(value__isnull=True) | ~models.Q(currency=""),
                name="%(app_label)s_%(class)s_value_has_currency",
                violation_error_message=_("A value needs its currency."),
            ),
            ends_after_start("period_start", "period_end"),
        ]

    def __str__(self) -> str:
        return f"{self.get_factor_display()} · {self.get_direction_display()} ({self.public_id})"

    def display_name(self, lang: str | None = None) -> str:
        """Factor and direction in ``lang`` (a flow has no name of its own)."""
        if lang is None:
            return str(self)
        with translation.override(lang):
            return str(self)

    def search_terms(self) -> Iterable[str]:
        yield self.public_id
        yield self.factor
        yield self.direction
        for name in field_names("description"):
            yield getattr(self, name)
