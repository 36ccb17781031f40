"""Vocabularies shared by several models (docs/architecture.md §7)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Section(models.TextChoices):
    """Which curators own a record: the two sections of the zone."""

    SHENZHEN = "shenzhen", _("Shenzhen")
    HONG_KONG = "hong_kong", _("Hong Kong")


class Publication(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    PUBLISHED = "published", _("Published")
    RETRACTED = "retracted", _("Retracted")


class Verification(models.TextChoices):
    VERIFIED_PRIMARY = "verified_primary", _("Verified against a primary source")
    VERIFIED_SECONDARY = "verified_secondary", _("Verified against a secondary source")
    UNVERIFIED = "unverified", _("Unverified")
    ILLUSTRATIVE = "illustrative", _("Illustrative (invented for demonstration)")


class DerivedScript(models.TextChoices):
    """Which Chinese script of a record's name (or title) OpenCC derived from the other, not yet
    confirmed by a curator."""

    NONE = "", _("None: written by people")
    SIMPLIFIED = "zh_hans", _("Simplified Chinese, derived from Traditional")
    TRADITIONAL = "zh_hant", _("Traditional Chinese, derived from Simplified")


class Side(models.TextChoices):
    """Which bank of the Shenzhen River a participant or a funding line belongs to."""

    SHENZHEN = "shenzhen", _("Shenzhen side")
    HONG_KONG = "hong_kong", _("Hong Kong side")
    OTHER = "other", _("Other")


class Factor(models.TextChoices):
    """Innovation factors whose cross-border flow the zone is meant to ease."""

    PERSONNEL = "personnel", _("Personnel")
    FUNDS = "funds", _("Funds")
    PERSONAL_DATA = "personal_data", _("Personal data")
    RESEARCH_DATA = "research_data", _("Research data")
    BIOLOGICAL_SAMPLES = "biological_samples", _("Biological samples")
    MATERIALS = "materials", _("Materials")
    EQUIPMENT = "equipment", _("Equipment")
    INTELLECTUAL_PROPERTY = "intellectual_property", _("Intellectual property")
