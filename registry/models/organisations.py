"""Organisations (universities, institutes, firms, government, funders) and their relations."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from django.db import models
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from registry.models.base import (
    AttributedSaveMixin,
    NamedRecord,
    Read,
    joins,
    part_of,
    reference,
    validate_string_list,
)
from registry.models.choices import Section
from registry.models.indexes import list_indexes

ROR_URL_PREFIX = "https://ror.org/"
# ROR ids: "0", six Crockford base32 characters, two check digits.
ROR_ID_REGEX = r"^https://ror\.org/0[0-9a-hjkmnp-tv-z]{6}[0-9]{2}$"


def normalise_ror_id(value: str) -> str:
    """Accept ``https://ror.org/02zhqgq86``, ``ror.org/02zhqgq86`` or ``02zhqgq86``."""
    value = (value or "").strip().lower()
    for prefix in ("https://ror.org/", "http://ror.org/", "ror.org/"):
        if value.startswith(prefix):
            value = value[len(prefix) :]
    return f"{ROR_URL_PREFIX}{value}" if value else ""


def section_for(jurisdiction: str) -> str:
    """The section that curates an organisation of ``jurisdiction`` and what it adds: the
    Shenzhen section for the mainland, the Hong Kong section for everywhere else."""
    mainland = jurisdiction == Organisation.Jurisdiction.MAINLAND
    return Section.SHENZHEN if mainland else Section.HONG_KONG


# What lists of Organisation records may be sorted by (``ordering``).
ORGANISATION_SORTABLE = ("name_en", "established", "updated_at", "created_at")


class Organisation(NamedRecord):
    """A university, institute, firm, government body, funder… that takes part in the zone."""

    SORTABLE: ClassVar[tuple[str, ...]] = ORGANISATION_SORTABLE
    PUBLIC_ID_PREFIX = "org"
    RESOURCE = "organisations"
    RELATED_READS: ClassVar[dict] = {
        **joins("owner"),
        # A target the reader may not see shows only its ROR id and label (the faces decide).
        "relationships": Read("relations", joined=("target",)),
    }

    class Kind(models.TextChoices):
        UNIVERSITY = "university", _("University")
        RESEARCH_INSTITUTE = "research_institute", _("Research institute")
        ENTERPRISE = "enterprise", _("Enterprise")
        GOVERNMENT = "government", _("Government")
        PUBLIC_BODY = "public_body", _("Public or statutory body")
        FUNDER = "funder", _("Funder")
        HOSPITAL = "hospital", _("Hospital")
        NONPROFIT = "nonprofit", _("Non-profit")
        ALLIANCE = "alliance", _("Alliance")
        OTHER = "other", _("Other")

    class Jurisdiction(models.TextChoices):
        MAINLAND = "mainland", _("Mainland China")
        HONG_KONG = "hong_kong", _("Hong Kong")
        MACAO = "macao", _("Macao")
        OVERSEAS = "overseas", _("Overseas")

    class Status(models.TextChoices):
        """ROR's meaning: withdrawn records were never valid organisations."""

        ACTIVE = "active", _("Active")
        INACTIVE = "inactive", _("Inactive")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    jurisdiction = models.CharField(_("jurisdiction"), max_length=16, choices=Jurisdiction.choices)
    country = CountryField(_("country"), blank=True)
    city = models.CharField(_("city"), max_length=120, blank=True)
    acronym = models.CharField(_("acronym"), max_length=40, blank=True)
    aliases = models.JSONField(
        _("aliases"),
        default=list,
        blank=True,
        validators=[validate_string_list],
        help_text=_("All other names and acronyms, in any script."),
    )
    website = models.URLField(_("website"), blank=True)
    established = models.PositiveSmallIntegerField(_("established (year)"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    ror_id = models.CharField(
        _("ROR id"), max_length=32, blank=True, help_text=_("https://ror.org/ followed by 9 chars")
    )
    external_ids = models.JSONField(
        _("external ids"),
        default=dict,
        blank=True,
        help_text=_('Other registries\' ids, e.g. {"wikidata": ["Q15568"], "isni": [...]}.'),
    )

    history = HistoricalRecords(excluded_fields=["search_text"])

    class Meta(NamedRecord.Meta):
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering: ClassVar[list[str]] = ["name_en", "public_id"]
        indexes: ClassVar[list] = [
            *list_indexes(
                "org",
                ordering,
                ORGANISATION_SORTABLE,
                ("kind", "jurisdiction", "curating_section", "verification", "status"),
            ),
            # ``city`` is matched case-insensitively (UPPER(city) = UPPER(value)).
            models.Index(Upper("city"), "name_en", "public_id", name="org_city_list"),
        ]
        constraints: ClassVar[list] = [
            *NamedRecord.Meta.constraints,
            models.CheckConstraint(
                condition=models.Q(ror_id="") | models.Q(ror_id__regex=ROR_ID_REGEX),
                name="%(app_label)s_%(class)s_ror_id_format",
                violation_error_message=_("A ROR id is https://ror.org/ followed by 9 characters."),
            ),
            models.UniqueConstraint(
                fields=["ror_id"],
                condition=~models.Q(ror_id=""),
                name="%(app_label)s_%(class)s_unique_ror_id",
                violation_error_message=_("Another organisation already has this ROR id."),
            ),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.ror_id = normalise_ror_id(self.ror_id)
        super().save(*args, **kwargs)

    def search_terms(self) -> Iterable[str]:
        yield from super().search_terms()
        yield self.acronym
        yield from self.aliases or []
        if self.ror_id:
            yield self.ror_id.removeprefix(ROR_URL_PREFIX)


class OrganisationRelation(AttributedSaveMixin, models.Model):
    """A typed link between organisations, as ROR records them. The target may be a ROR id that
    is not in the registry yet: the row keeps it and resolves when that organisation arrives."""

    class Kind(models.TextChoices):
        PARENT = "parent", _("Parent")
        CHILD = "child", _("Child")
        RELATED = "related", _("Related")
        SUCCESSOR = "successor", _("Successor")
        PREDECESSOR = "predecessor", _("Predecessor")

    source = part_of(Organisation, _("organisation"), "relations")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    target = reference(
        Organisation,
        _("related organisation"),
        related_name="inbound_relations",
        optional=True,
        on_delete=models.SET_NULL,
    )
    target_ror_id = models.CharField(_("related ROR id"), max_length=32, blank=True)
    target_label = models.CharField(
        _("related name as given"),
        max_length=300,
        blank=True,
        help_text=_("The name the source gave, shown while the target is not in the registry."),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("organisation relation")
        verbose_name_plural = _("organisation relations")
        ordering: ClassVar[list[str]] = ["source", "kind", "target_ror_id"]
        constraints: ClassVar[list] = [
            models.CheckConstraint(
                condition=models.Q(target__isnull=False) | ~models.Q(target_ror_id=""),
                name="%(app_label)s_%(class)s_has_target",
                violation_error_message=_("A relation needs a target organisation or ROR id."),
            ),
            models.CheckConstraint(
                condition=models.Q(target_ror_id="")
                | models.Q(
                    target_ror_id__regex=r"^https://ror\.org/0[0-9a-hjkmnp-tv-z]{6}[0-9]{2}$"
                ),
                name="%(app_label)s_%(class)s_target_ror_id_format",
                violation_error_message=_("A ROR id is https://ror.org/ followed by 9 characters."),
            ),
            models.UniqueConstraint(
                fields=["source", "kind", "target_ror_id"],
                condition=~models.Q(target_ror_id=""),
                name="%(app_label)s_%(class)s_unique_ror_link",
                violation_error_message=_("This relation is already recorded."),
            ),
        ]
        indexes: ClassVar[list] = [
            # Resolving pending links when an organisation with that ROR id arrives.
            models.Index(fields=["target_ror_id"], name="registry_relation_pending_ror"),
        ]

    def __str__(self) -> str:
        target = self.target or self.target_label or self.target_ror_id
        return f"{self.source} → {self.get_kind_display()} → {target}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.target_ror_id = normalise_ror_id(self.target_ror_id)
        if self.target_id is None and self.target_ror_id:
            self.target = Organisation.objects.filter(ror_id=self.target_ror_id).first()
        elif self.target_id is not None and not self.target_ror_id and self.target.ror_id:
            self.target_ror_id = self.target.ror_id
        super().save(*args, **kwargs)

    @property
    def is_resolved(self) -> bool:
        return self.target_id is not None
