"""Policy instruments (the legal mechanisms behind flows) and funding schemes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from registry.models.base import (
    AttributedSaveMixin,
    NamedRecord,
    Read,
    currency_constraint,
    currency_field,
    joins,
    not_negative,
    part_of,
    reference,
)
from registry.models.choices import Factor, Side
from registry.models.indexes import list_indexes


def validate_factors(value: object) -> None:
    allowed = set(Factor.values)
    if not isinstance(value, list) or not all(item in allowed for item in value):
        raise ValidationError(
            _("Factors must be a list drawn from: %(allowed)s."),
            params={"allowed": ", ".join(sorted(allowed))},
            code="invalid",
        )


# What lists of PolicyInstrument records may be sorted by (``ordering``).
POLICY_INSTRUMENT_SORTABLE = ("issued_on", "effective_on", "name_en", "updated_at", "created_at")


class PolicyInstrument(NamedRecord):
    """A law, regulation, notice or arrangement that governs a flow (e.g. 国发〔2023〕12号)."""

    SORTABLE: ClassVar[tuple[str, ...]] = POLICY_INSTRUMENT_SORTABLE
    PUBLIC_ID_PREFIX = "pol"
    RESOURCE = "policies"
    RELATED_READS: ClassVar[dict] = joins("owner", "issuer")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        ISSUED = "issued", _("Issued")
        IN_FORCE = "in_force", _("In force")
        SUPERSEDED = "superseded", _("Superseded")

    document_number = models.CharField(_("document number"), max_length=120, blank=True)
    issuer = reference(
        "registry.Organisation", _("issuer"), related_name="policy_instruments", optional=True
    )
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    effective_on = models.DateField(_("effective on"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    factors = models.JSONField(
        _("factors covered"), default=list, blank=True, validators=[validate_factors]
    )

    history = HistoricalRecords(excluded_fields=["search_text"])

    class Meta(NamedRecord.Meta):
        verbose_name = _("policy instrument")
        verbose_name_plural = _("policy instruments")
        ordering: ClassVar[list[str]] = ["-issued_on", "public_id"]
        indexes: ClassVar[list] = list_indexes("pol", ordering, POLICY_INSTRUMENT_SORTABLE)

    def search_terms(self) -> Iterable[str]:
        yield from super().search_terms()
        yield self.document_number


# What lists of FundingScheme records may be sorted by (``ordering``).
FUNDING_SCHEME_SORTABLE = ("name_en", "updated_at", "created_at")


class FundingScheme(NamedRecord):
    """A funding programme (NSFC/RGC Joint Research Scheme, ITF MHKJFS…) with its ceilings."""

    SORTABLE: ClassVar[tuple[str, ...]] = FUNDING_SCHEME_SORTABLE
    PUBLIC_ID_PREFIX = "sch"
    RESOURCE = "funding-schemes"
    RELATED_READS: ClassVar[dict] = {
        **joins("owner", "funder"),
        "ceilings": Read("ceilings"),
    }

    acronym = models.CharField(_("acronym"), max_length=40, blank=True)
    funder = reference(
        "registry.Organisation", _("funder"), related_name="funding_schemes", optional=True
    )
    max_duration_months = models.PositiveSmallIntegerField(
        _("maximum duration (months)"), null=True, blank=True
    )
    website = models.URLField(_("website"), blank=True)

    history = HistoricalRecords(excluded_fields=["search_text"])

    class Meta(NamedRecord.Meta):
        verbose_name = _("funding scheme")
        verbose_name_plural = _("funding schemes")
        ordering: ClassVar[list[str]] = ["name_en", "public_id"]
        indexes: ClassVar[list] = list_indexes("sch", ordering, FUNDING_SCHEME_SORTABLE)

    def search_terms(self) -> Iterable[str]:
        yield from super().search_terms()
        yield self.acronym


class FundingCeiling(AttributedSaveMixin, models.Model):
    """The most a scheme grants to one side of a project, in that side's currency."""

    scheme = part_of(FundingScheme, _("scheme"), "ceilings")
    side = models.CharField(_("side"), max_length=16, choices=Side.choices)
    currency = currency_field()
    amount = models.DecimalField(_("ceiling"), max_digits=16, decimal_places=2)
    note = models.CharField(_("note"), max_length=300, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("funding ceiling")
        verbose_name_plural = _("funding ceilings")
        ordering: ClassVar[list[str]] = ["scheme", "side", "id"]
        constraints: ClassVar[list] = [currency_constraint("currency"), not_negative("amount")]

    def __str__(self) -> str:
        return f"{self.scheme}: ≤ {self.currency} {self.amount:,.0f} ({self.get_side_display()})"
