"""Reference vocabularies: the zone's sections and sub-areas, OECD fields, priority areas."""

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from registry.models.base import Taxonomy, reference, sources_field
from registry.models.choices import Section


class DescribedTaxonomy(Taxonomy):
    """Reference vocabulary with a description in three scripts and its sources."""

    description_en = models.TextField(_("description (English)"), blank=True)
    description_zh_hans = models.TextField(_("description (Simplified Chinese)"), blank=True)
    description_zh_hant = models.TextField(_("description (Traditional Chinese)"), blank=True)
    sources = sources_field()

    class Meta(Taxonomy.Meta):
        abstract = True


def area_field() -> models.DecimalField:
    return models.DecimalField(
        _("area (km²)"), max_digits=8, decimal_places=2, null=True, blank=True
    )


def area_not_negative() -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=models.Q(area_km2__gte=0) | models.Q(area_km2__isnull=True),
        name="%(app_label)s_%(class)s_area_not_negative",
        violation_error_message=_("An area cannot be negative."),
    )


class ZoneSection(DescribedTaxonomy):
    """One of the zone's two parks ("one zone, two parks"), with its area and sources."""

    code = models.SlugField(_("code"), max_length=64, unique=True, choices=Section.choices)
    area_km2 = area_field()

    history = HistoricalRecords()

    class Meta(Taxonomy.Meta):
        verbose_name = _("zone section")
        verbose_name_plural = _("zone sections")
        constraints: ClassVar[list] = [area_not_negative()]


class SubArea(Taxonomy):
    """A planning sub-area of a section (Futian Bonded Zone, Huanggang Port Area, the Loop…)."""

    section = models.CharField(_("section"), max_length=16, choices=Section.choices)
    area_km2 = area_field()
    sources = sources_field()

    history = HistoricalRecords()

    class Meta(Taxonomy.Meta):
        verbose_name = _("sub-area")
        verbose_name_plural = _("sub-areas")
        ordering: ClassVar[list[str]] = ["section", "code"]
        constraints: ClassVar[list] = [area_not_negative()]


class ResearchField(Taxonomy):
    """OECD Fields of Research and Development (FORD, Frascati Manual 2015): 6 major fields
    (codes ``1``…``6``) and 42 fields (codes ``1.1``…``6.5``) whose parent is the major field."""

    code = models.CharField(_("code"), max_length=8, unique=True)
    parent = reference("self", _("major field"), related_name="children", optional=True)

    history = HistoricalRecords()

    class Meta(Taxonomy.Meta):
        verbose_name = _("research field")
        verbose_name_plural = _("research fields")


class PriorityArea(DescribedTaxonomy):
    """A priority area the zone's plans name (life and health, AI and data science…)."""

    history = HistoricalRecords()

    class Meta(Taxonomy.Meta):
        verbose_name = _("priority area")
        verbose_name_plural = _("priority areas")
