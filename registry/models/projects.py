"""Joint projects with their participants, funding lines and outputs."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from registry.models.base import (
    AttributedSaveMixin,
    Read,
    TitledRecord,
    currency_constraint,
    currency_field,
    ends_after_start,
    joins,
    not_negative,
    part_of,
    priority_areas_relation,
    reference,
    research_fields_relation,
)
from registry.models.choices import Side
from registry.models.indexes import list_indexes

# What lists of Project records may be sorted by (``ordering``).
PROJECT_SORTABLE = ("start_date", "end_date", "title_en", "updated_at", "created_at")


class Project(TitledRecord):
    """A joint R&D project. ``cross_border`` is true when it has participants on both banks and
    is kept in step by ``refresh_cross_border`` whenever a participation changes."""

    SORTABLE: ClassVar[tuple[str, ...]] = PROJECT_SORTABLE
    PUBLIC_ID_PREFIX = "prj"
    RESOURCE = "projects"
    RELATED_READS: ClassVar[dict] = {
        **joins("owner"),
        "fields": Read("fields"),
        "priority_areas": Read("priority_areas"),
        # A participant is shown when its organisation is, a funding line when its funder is.
        "participations": Read(
            "participations",
            restricted=True,
            through="organisation",
            joined=("organisation", "facility"),
        ),
        "funding_lines": Read(
            "funding_lines", restricted=True, through="funder", joined=("funder", "scheme")
        ),
        "outputs": Read("outputs", restricted=True),
        "flows": Read("flows", restricted=True),
    }

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        ACTIVE = "active", _("Active")
        COMPLETED = "completed", _("Completed")
        SUSPENDED = "suspended", _("Suspended")
        TERMINATED = "terminated", _("Terminated")

    acronym = models.CharField(_("acronym"), max_length=40, blank=True)
    summary_en = models.TextField(_("summary (English)"), blank=True)
    summary_zh_hans = models.TextField(_("summary (Simplified Chinese)"), blank=True)
    summary_zh_hant = models.TextField(_("summary (Traditional Chinese)"), blank=True)
    fields = research_fields_relation()
    priority_areas = priority_areas_relation("projects")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    cross_border = models.BooleanField(
        _("cross-border"),
        default=False,
        editable=False,
        db_index=True,
        help_text=_("Participants on both the Shenzhen and the Hong Kong side."),
    )

    history = HistoricalRecords(excluded_fields=["search_text"])

    class Meta(TitledRecord.Meta):
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering: ClassVar[list[str]] = ["-start_date", "public_id"]
        indexes: ClassVar[list] = [
            *list_indexes(
                "prj",
                ordering,
                PROJECT_SORTABLE,
                ("status", "curating_section", "cross_border", "verification"),
                # ended_before reads the default order from the newest start back to the
                # first project that had ended (50,000 entries at 1 M): in the index alone.
                covering=("end_date", "publication", "id"),
            ),
            # ProjectFilterSet.filter_ended_before: are there projects with an end date but
            # no start date before the given day? (None, as a rule: the index stays tiny.)
            models.Index(
                fields=["end_date"], condition=models.Q(start_date=None), name="prj_undated_end"
            ),
        ]
        constraints: ClassVar[list] = [
            *TitledRecord.Meta.constraints,
            ends_after_start("start_date", "end_date"),
        ]

    def search_terms(self) -> Iterable[str]:
        yield from super().search_terms()
        yield self.acronym

    def compute_cross_border(self) -> bool:
        """One query: are there participants on both the Shenzhen and the Hong Kong side?"""
        sides = set(self.participations.values_list("side", flat=True).distinct())
        return {Side.SHENZHEN, Side.HONG_KONG} <= sides

    def refresh_cross_border(self, *, user: Any = None) -> None:
        """Store ``cross_border`` again if participations changed it (a save, so a new version
        and a history row, only when the value really changes)."""
        value = self.compute_cross_border()
        if value != self.cross_border:
            self.cross_border = value
            self.save(user=user)


class Participation(models.Model):
    """An organisation (optionally through one of its facilities) taking part in a project."""

    class Role(models.TextChoices):
        LEAD = "lead", _("Lead")
        CO_LEAD = "co_lead", _("Co-lead")
        PARTNER = "partner", _("Partner")
        INDUSTRY_PARTNER = "industry_partner", _("Industry partner")
        HOST = "host", _("Host")
        SERVICE_PROVIDER = "service_provider", _("Service provider")

    project = part_of(Project, _("project"), "participations")
    organisation = reference(
        "registry.Organisation", _("organisation"), related_name="participations"
    )
    facility = reference(
        "registry.Facility", _("facility"), related_name="participations", optional=True
    )
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    side = models.CharField(
        _("side"),
        max_length=16,
        choices=Side.choices,
        editable=False,
        help_text=_("Derived from the facility's park, else the organisation's jurisdiction."),
    )
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        ordering: ClassVar[list[str]] = ["project", "role", "id"]
        constraints: ClassVar[list] = [
            ends_after_start("start_date", "end_date"),
            models.UniqueConstraint(
                fields=["project", "organisation", "role"],
                name="%(app_label)s_%(class)s_unique_role",
                violation_error_message=_("This organisation already has this role here."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} — {self.get_role_display()} — {self.project}"

    def save(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        self.side = self.derive_side()
        if user is not None:
            self._history_user = user
        super().save(*args, **kwargs)

    def derive_side(self) -> str:
        from registry.models.facilities import Facility
        from registry.models.organisations import Organisation

        if self.facility_id is not None:
            if self.facility.section == Facility.Location.SHENZHEN:
                return Side.SHENZHEN
            if self.facility.section == Facility.Location.HONG_KONG:
                return Side.HONG_KONG
        jurisdiction = self.organisation.jurisdiction
        if jurisdiction == Organisation.Jurisdiction.MAINLAND:
            return Side.SHENZHEN
        if jurisdiction == Organisation.Jurisdiction.HONG_KONG:
            return Side.HONG_KONG
        return Side.OTHER


class FundingLine(AttributedSaveMixin, models.Model):
    """One grant line of a project: who funds which side, in which currency, how much.
    Joint schemes fund each side separately, in its own currency, by its own agency."""

    project = part_of(Project, _("project"), "funding_lines")
    funder = reference("registry.Organisation", _("funder"), related_name="funding_lines")
    scheme = reference(
        "registry.FundingScheme", _("scheme"), related_name="funding_lines", optional=True
    )
    currency = currency_field()
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)
    side = models.CharField(_("side"), max_length=16, choices=Side.choices)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("funding line")
        verbose_name_plural = _("funding lines")
        ordering: ClassVar[list[str]] = ["project", "side", "id"]
        constraints: ClassVar[list] = [
            currency_constraint("currency"),
            not_negative("amount"),
        ]

    def __str__(self) -> str:
        return f"{self.funder}: {self.currency} {self.amount:,.0f} ({self.get_side_display()})"


# What lists of Output records may be sorted by (``ordering``).
OUTPUT_SORTABLE = ("date", "title_en", "updated_at", "created_at")


class Output(TitledRecord):
    """Something a project achieved: a paper, patent, dataset, prototype, pilot, spin-off…"""

    SORTABLE: ClassVar[tuple[str, ...]] = OUTPUT_SORTABLE
    PUBLIC_ID_PREFIX = "out"
    RESOURCE = "outputs"
    RELATED_READS: ClassVar[dict] = joins("owner", "project")

    class Kind(models.TextChoices):
        PUBLICATION = "publication", _("Publication")
        PATENT = "patent", _("Patent")
        DATASET = "dataset", _("Dataset")
        SOFTWARE = "software", _("Software")
        STANDARD = "standard", _("Standard")
        PROTOTYPE = "prototype", _("Prototype")
        PILOT_APPLICATION = "pilot_application", _("Pilot application")
        SPIN_OFF = "spin_off", _("Spin-off")
        AWARD = "award", _("Award")
        OTHER = "other", _("Other")

    project = reference(Project, _("project"), related_name="outputs")
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    description_en = models.TextField(_("description (English)"), blank=True)
    description_zh_hans = models.TextField(_("description (Simplified Chinese)"), blank=True)
    description_zh_hant = models.TextField(_("description (Traditional Chinese)"), blank=True)
    identifier = models.CharField(
        _("identifier"), max_length=300, blank=True, help_text=_("DOI, patent number or URL.")
    )
    date = models.DateField(_("date"), null=True, blank=True)
    key_achievement = models.BooleanField(_("key achievement"), default=False)

    history = HistoricalRecords(excluded_fields=["search_text"])

    class Meta(TitledRecord.Meta):
        verbose_name = _("output")
        verbose_name_plural = _("outputs")
        ordering: ClassVar[list[str]] = ["-date", "public_id"]
        indexes: ClassVar[list] = list_indexes("out", ordering, OUTPUT_SORTABLE, ("kind",))

    def search_terms(self) -> Iterable[str]:
        yield from super().search_terms()
        yield self.identifier
