"""Facilities: labs, lab clusters, institutes, corporate R&D centres, platforms, sites."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from registry.models.base import (
    NamedRecord,
    Read,
    joins,
    not_negative,
    priority_areas_relation,
    reference,
    research_fields_relation,
)
from registry.models.indexes import list_indexes

# What lists of Facility records may be sorted by (``ordering``).
FACILITY_SORTABLE = ("name_en", "opened_on", "floor_area_m2", "updated_at", "created_at")


class Facility(NamedRecord):
    """A place where research happens or is served, in either park or cooperating from outside."""

    SORTABLE: ClassVar[tuple[str, ...]] = FACILITY_SORTABLE
    PUBLIC_ID_PREFIX = "fac"
    RESOURCE = "facilities"
    RELATED_READS: ClassVar[dict] = {
        **joins("owner", "sub_area", "parent"),
        "hosts": Read("hosts", restricted=True),
        "fields": Read("fields"),
        "priority_areas": Read("priority_areas"),
    }

    class Kind(models.TextChoices):
        LABORATORY = "laboratory", _("Laboratory")
        LAB_CLUSTER = "lab_cluster", _("Laboratory cluster")
        UNIVERSITY_INSTITUTE = "university_institute", _("University institute")
        RESEARCH_INSTITUTE = "research_institute", _("Research institute")
        CORPORATE_RND_CENTRE = "corporate_rnd_centre", _("Corporate R&D centre")
        PILOT_PLATFORM = "pilot_platform", _("Pilot and translation platform")
        SERVICE_PLATFORM = "service_platform", _("Public service platform")
        INCUBATOR = "incubator", _("Incubator")
        SITE = "site", _("Site or building")
        ALLIANCE = "alliance", _("Alliance")
        OTHER = "other", _("Other")

    class Location(models.TextChoices):
        SHENZHEN = "shenzhen", _("Shenzhen Park")
        HONG_KONG = "hong_kong", _("Hong Kong Park")
        OUTSIDE = "outside", _("Outside the zone (cooperating)")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        UNDER_CONSTRUCTION = "under_construction", _("Under construction")
        OPERATIONAL = "operational", _("Operational")
        CLOSED = "closed", _("Closed")

    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    section = models.CharField(_("location"), max_length=16, choices=Location.choices)
    sub_area = reference(
        "registry.SubArea", _("sub-area"), related_name="facilities", optional=True
    )
    parent = reference(
        "self",
        _("part of"),
        related_name="children",
        optional=True,
        help_text=_("The cluster or site this facility belongs to."),
    )
    hosts = models.ManyToManyField(
        "registry.Organisation",
        verbose_name=_("host organisations"),
        blank=True,
        related_name="hosted_facilities",
    )
    fields = research_fields_relation()
    priority_areas = priority_areas_relation("facilities")
    status = models.CharField(_("status"), max_length=24, choices=Status.choices)
    opened_on = models.DateField(_("opened on"), null=True, blank=True)
    floor_area_m2 = models.DecimalField(
        _("floor area (m²)"), max_digits=12, decimal_places=1, null=True, blank=True
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    website = models.URLField(_("website"), blank=True)

    history = HistoricalRecords(excluded_fields=["search_text"])

    class Meta(NamedRecord.Meta):
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")
        ordering: ClassVar[list[str]] = ["name_en", "public_id"]
        indexes: ClassVar[list] = list_indexes(
            "fac", ordering, FACILITY_SORTABLE, ("section", "kind", "status", "verification")
        )
        constraints: ClassVar[list] = [
            *NamedRecord.Meta.constraints,
            not_negative("floor_area_m2"),
            models.CheckConstraint(
                condition=(
                    models.Q(latitude__gte=-90, latitude__lte=90) | models.Q(latitude__isnull=True)
                )
                & (
                    models.Q(longitude__gte=-180, longitude__lte=180)
                    | models.Q(longitude__isnull=True)
                ),
                name="%(app_label)s_%(class)s_coordinates_on_earth",
                violation_error_message=_("Latitude is −90…90 and longitude −180…180."),
            ),
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("id")) | models.Q(parent__isnull=True),
                name="%(app_label)s_%(class)s_not_own_parent",
                violation_error_message=_("A facility cannot be part of itself."),
            ),
        ]

    def clean(self) -> None:
        super().clean()
        if self.pk and self.parent_id not in (None, self.pk) and self.pk in self.ancestor_ids():
            raise ValidationError(
                {"parent": _("A facility cannot be part of one of its own parts.")},
                code="cycle",
            )

    def ancestor_ids(self, limit: int = 100) -> list[int]:
        """The chain of facilities above this one, from its parent upwards, as stored, with the
        unsaved parent in place of the stored one. The chain stops where it meets this facility
        again (a cycle, which ``clean`` refuses) or after ``limit`` steps."""
        chain: list[int] = []
        current = self.parent_id
        while current and current not in chain and len(chain) < limit:
            chain.append(current)
            if current == self.pk:
                break
            current = (
                Facility._base_manager.filter(pk=current)
                .values_list("parent_id", flat=True)
                .first()
            )
        return chain

    def search_terms(self) -> Iterable[str]:
        yield from super().search_terms()
        yield self.address
