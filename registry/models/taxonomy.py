"""Reference vocabularies: the zone's sections and sub-areas, OECD fields, priority areas."""

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from registry.models.base import Taxonomy, validate_source_urls
from registry.models.choices import Section


class ZoneSection(Taxonomy):
    """One of the zone's two parks ("one zone, two parks"), with its area and sources."""

    code = models.SlugField(_("code"), max_length=64, unique=True, choices=Section.choices)
    area_km2 = models.DecimalField(
        _("area (km²)"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    description_en = models.TextField(_("description (English)"), blank=True)
    description_zh_hans = models.TextField(_("description (Simplified Chinese)"), blank=True)
    description_zh_hant = models.TextField(_("description (Traditional Chinese)"), blank=True)
    sources = models.JSONField(
        _("sources"), default=list, blank=True, validators=[validate_source_urls]
    )

    history = HistoricalRecords()

    class Meta(Taxonomy.Meta):
        verbose_name = _("zone section")
        verbose_name_plural = _("zone sections")
        constraints: ClassVar[list] = [
            models.CheckConstraint(
                condition=models.Q(area_km2__gte=0) | models.Q(area_km2__isnull=True),
                name="%(app_label)s_%(class)s_area_not_negative",
                violation_error_message=_("An area cannot be negative."),
            ),
        ]


class SubArea(Taxonomy):
    """A planning sub-area of a section (Futian Bonded Zone, Huanggang Port Area, the Loop…)."""

    section = models.CharField(_("section"), max_length=16, choices=Section.choices)
    area_km2 = models.DecimalField(
        _("area (km²)"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    sources = models.JSONField(
        _("sources"), default=list, blank=True, validators=[validate_source_urls]
    )

    history = HistoricalRecords()

    class Meta(Taxonomy.Meta):
        verbose_name = _("sub-area")
        verbose_name_plural = _("sub-areas")
        ordering: ClassVar[list[str]] = ["section", "code"]
        constraints: ClassVar[list] = [
            models.CheckConstraint(
                condition=models.Q(area_km2__gte=0) | models.Q(area_km2__isnull=True),
                name="%(app_label)s_%(class)s_area_not_negative",
                violation_error_message=_("An area cannot be negative."),
            ),
        ]


class ResearchField(Taxonomy):
    """OECD Fields of Research and Development (FORD, Frascati Manual 2015): 6 major fields
    (codes ``1``…``6``) and 42 fields (codes ``1.1``…``6.5``) whose parent is the major field."""

    code = models.CharField(_("code"), max_length=8, unique=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("major field"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )

    history = HistoricalRecords()

    class Meta(Taxonomy.Meta):
        verbose_name = _("research field")
        verbose_name_plural = _("research fields")


class PriorityArea(Taxonomy):
    """A priority area the zone's plans name (life and health, AI and data science…)."""

    description_en = models.TextField(_("description (English)"), blank=True)
    description_zh_hans = models.TextField(_("description (Simplified Chinese)"), blank=True)
    description_zh_hant = models.TextField(_("description (Traditional Chinese)"), blank=True)
    sources = models.JSONField(
        _("sources"), default=list, blank=True, validators=[validate_source_urls]
    )

    history = HistoricalRecords()

    class Meta(Taxonomy.Meta):
        verbose_name = _("priority area")
        verbose_name_plural = _("priority areas")
