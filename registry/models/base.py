"""The common core of every curated record (DESIGN.md, Core data model)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import URLValidator
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from registry import identifiers, search
from registry.models.choices import Publication, Section, Verification
from registry.models.currencies import ISO_4217

# Display fallback for trilingual text: requested script, then English, then 繁體, then 简体.
FALLBACK_ORDER = ("en", "zh_hant", "zh_hans")
LANGUAGE_SUFFIX = {"en": "en", "zh-hans": "zh_hans", "zh-hant": "zh_hant"}


def language_suffix(lang: str | None) -> str:
    """Map a Django language code (``zh-hant``, ``zh-hk``…) to a field suffix."""
    lang = (lang or get_language() or "en").lower()
    if lang in LANGUAGE_SUFFIX:
        return LANGUAGE_SUFFIX[lang]
    if lang.startswith("zh"):
        traditional = ("hant", "tw", "hk", "mo")
        return "zh_hant" if any(tag in lang for tag in traditional) else "zh_hans"
    return "en"


def localised(instance: models.Model, stem: str, lang: str | None = None) -> str:
    """The ``stem`` text (``name``, ``title``…) in ``lang``, falling back per DESIGN.md."""
    wanted = language_suffix(lang)
    for suffix in (wanted, *FALLBACK_ORDER):
        value = getattr(instance, f"{stem}_{suffix}", "")
        if value:
            return value
    return ""


def validate_source_urls(value: Any) -> None:
    if not isinstance(value, list):
        raise ValidationError(_("Sources must be a list of URLs."), code="invalid")
    check = URLValidator(schemes=["http", "https"])
    for url in value:
        if not isinstance(url, str):
            raise ValidationError(_("Every source must be a URL."), code="invalid")
        check(url)


def validate_string_list(value: Any) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError(_("Enter a list of texts."), code="invalid")


def currency_constraint(field: str, *, allow_blank: bool = False) -> models.CheckConstraint:
    """CHECK that ``field`` holds an ISO 4217 code (or is blank, where a currency is optional)."""
    condition = models.Q(**{f"{field}__in": ISO_4217})
    if allow_blank:
        condition |= models.Q(**{field: ""})
    return models.CheckConstraint(
        condition=condition,
        name=f"%(app_label)s_%(class)s_{field}_iso4217",
        violation_error_message=_("Currency must be an ISO 4217 code such as CNY or HKD."),
    )


def not_negative(field: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=models.Q(**{f"{field}__gte": 0}) | models.Q(**{f"{field}__isnull": True}),
        name=f"%(app_label)s_%(class)s_{field}_not_negative",
        violation_error_message=_("%(field)s cannot be negative.") % {"field": field},
    )


def ends_after_start(start: str, end: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=models.Q(**{f"{end}__gte": models.F(start)})
        | models.Q(**{f"{end}__isnull": True})
        | models.Q(**{f"{start}__isnull": True}),
        name=f"%(app_label)s_%(class)s_{end}_not_before_{start}",
        violation_error_message=_("The end date cannot be before the start date."),
    )


def currency_field(**kwargs: Any) -> models.CharField:
    return models.CharField(
        _("currency"),
        max_length=3,
        choices=[(code, code) for code in ISO_4217],
        help_text=_("ISO 4217 code, e.g. CNY or HKD."),
        **kwargs,
    )


class CuratedQuerySet(models.QuerySet):
    """Read paths shared by every face. Visibility is NOT decided here: see registry/access.py."""

    def search(self, q: str) -> CuratedQuerySet:
        """Records whose normalised ``search_text`` holds every word of ``q`` (no query)."""
        return search.filter_queryset(self, q)

    def with_relations(self, names: Iterable[str] | None = None) -> CuratedQuerySet:
        """The read path every face shares: load the related records named (all of the
        model's ``RELATED_READS`` when None) with a JOIN or one prefetch query each, so a page
        costs the same number of queries whatever its size."""
        reads = self.model.RELATED_READS
        wanted = list(reads) if names is None else [name for name in names if name in reads]
        queryset = self
        for name in wanted:
            how, lookup = reads[name]
            lookup = lookup() if callable(lookup) else lookup
            if how == "select":
                queryset = queryset.select_related(lookup)
            else:
                queryset = queryset.prefetch_related(lookup)
        return queryset

    def by_public_id(self, public_id: str) -> CuratedQuerySet:
        """The record with this public id; a malformed or mistyped id matches nothing."""
        prefix = self.model.PUBLIC_ID_PREFIX
        if not identifiers.is_valid(public_id, prefix):
            return self.none()
        return self.filter(public_id=identifiers.normalise(public_id))


class CuratedManager(models.Manager.from_queryset(CuratedQuerySet)):
    def get_by_natural_key(self, public_id: str) -> CuratedRecord:
        # Fixtures refer to records by public id, so reloading them updates rather than duplicates.
        return self.get(public_id=public_id)


class CuratedRecord(models.Model):
    """Fields and rules every curated record shares: identity, workflow state, provenance,
    ownership, version and audit. History rows are kept by each concrete model's ``history``."""

    PUBLIC_ID_PREFIX: ClassVar[str] = ""
    # The name of the resource in the API and the change feed ("facilities"…).
    RESOURCE: ClassVar[str] = ""
    # Relations a face may show, and how to load them: ("select" | "prefetch", lookup).
    RELATED_READS: ClassVar[dict[str, tuple[str, Any]]] = {"owner": ("select", "owner")}
    # The trilingual text stem used for the display name ("name" or "title").
    LABEL_STEM: ClassVar[str] = "name"

    public_id = models.CharField(
        _("public id"), max_length=12, unique=True, editable=False, db_index=True
    )
    publication = models.CharField(
        _("publication"),
        max_length=16,
        choices=Publication.choices,
        default=Publication.DRAFT,
        db_index=True,
    )
    curating_section = models.CharField(
        _("curating section"), max_length=16, choices=Section.choices
    )
    owner = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The partner organisation allowed to edit this record through the API."),
    )
    sources = models.JSONField(
        _("sources"), default=list, blank=True, validators=[validate_source_urls]
    )
    verification = models.CharField(
        _("verification"),
        max_length=24,
        choices=Verification.choices,
        default=Verification.UNVERIFIED,
    )
    as_of = models.DateField(_("as of"), null=True, blank=True)

    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now, editable=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    # Workflow bookkeeping, written only by registry/workflow.py.
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True, editable=False)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, editable=False)
    retracted_at = models.DateTimeField(_("retracted at"), null=True, blank=True, editable=False)
    retraction_reason = models.TextField(_("retraction reason"), blank=True, editable=False)
    successor = models.ForeignKey(
        "self",
        verbose_name=_("successor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        help_text=_("The record that replaces this one after a retraction."),
    )

    search_text = models.TextField(_("search text"), blank=True, editable=False)

    objects = CuratedManager()

    class Meta:
        abstract = True
        constraints: ClassVar[list] = [
            models.CheckConstraint(
                condition=models.Q(public_id__regex=r"^[a-z]{3}-[0-9a-hjkmnp-tv-z]{6}[0-9]{2}$"),
                name="%(app_label)s_%(class)s_public_id_format",
                violation_error_message=_("Malformed public id."),
            ),
            models.CheckConstraint(
                condition=models.Q(version__gte=1),
                name="%(app_label)s_%(class)s_version_positive",
                violation_error_message=_("Version starts at 1."),
            ),
        ]

    def __str__(self) -> str:
        return self.display_name() or self.public_id

    # -- save path --------------------------------------------------------------------------
    def save(
        self, *args: Any, user: Any = None, expected_version: int | None = None, **kwargs: Any
    ) -> None:
        """Mint the public id on create; on every later save set ``version`` to the stored
        version + 1, read under a row lock inside the write transaction, so no two saves ever
        produce the same version. With ``expected_version`` (the version the editor saw), a
        record changed meanwhile raises StaleRecordError and nothing is written. Stamps the
        audit fields and attributes the history row to ``user``. One extra query on update."""
        now = timezone.now()
        signed_in = user is not None and getattr(user, "is_authenticated", False)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {
                *update_fields,
                "version",
                "updated_at",
                "updated_by",
                "search_text",
            }
        self.updated_at = now
        if signed_in:
            self.updated_by = user
            self._history_user = user
        if self._state.adding:
            if not self.public_id:
                self.public_id = mint_unique_public_id(type(self))
            self.version = 1
            self.created_at = now
            if signed_in:
                self.created_by = user
            super().save(*args, **kwargs)
            return
        with transaction.atomic(using=kwargs.get("using")):
            stored = (
                type(self)
                ._base_manager.select_for_update()
                .filter(pk=self.pk)
                .values_list("version", flat=True)
                .first()
            )
            if stored is None:  # restored from history after a delete: a fresh row
                stored = self.version - 1
            if expected_version is not None and stored != expected_version:
                raise StaleRecordError(self, expected_version, stored)
            self.version = stored + 1
            super().save(*args, **kwargs)

    # -- identity -------------------------------------------------------------------------
    def natural_key(self) -> tuple[str]:
        return (self.public_id,)

    def display_name(self, lang: str | None = None) -> str:
        return localised(self, self.LABEL_STEM, lang)

    @property
    def is_illustrative(self) -> bool:
        return self.verification == Verification.ILLUSTRATIVE

    def search_terms(self) -> Iterable[str]:
        """Every text a search should match: ids, names in all scripts, acronyms, aliases."""
        yield self.public_id
        for suffix in ("en", "zh_hans", "zh_hant"):
            yield getattr(self, f"{self.LABEL_STEM}_{suffix}", "")


class StaleRecordError(Exception):
    """The record changed since the editor loaded it: saving would overwrite that change."""

    def __init__(self, record: CuratedRecord, expected: int, stored: int) -> None:
        self.record, self.expected, self.stored = record, expected, stored
        super().__init__(
            f"{record._meta.verbose_name} {record.public_id} is at version {stored}, "
            f"not {expected}: it was changed after you opened it"
        )


def mint_unique_public_id(model: type[CuratedRecord]) -> str:
    """A random public id never used by ``model``, including by deleted records in its history."""
    history = getattr(model, "history", None)
    while True:
        candidate = identifiers.mint(model.PUBLIC_ID_PREFIX)
        taken = model._base_manager.filter(public_id=candidate).exists()
        if not taken and history is not None:
            taken = history.filter(public_id=candidate).exists()
        if not taken:
            return candidate


class AttributedSaveMixin:
    """For the parts of a record (participations, funding lines…): ``save(user=…)`` names the
    user in the history row, as curated records do."""

    def save(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        if user is not None and getattr(user, "is_authenticated", False):
            self._history_user = user
        super().save(*args, **kwargs)


class TaxonomyManager(models.Manager):
    def get_by_natural_key(self, code: str) -> models.Model:
        return self.get(code=code)


class Taxonomy(models.Model):
    """Reference vocabulary with a stable code and names in three scripts."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_zh_hans = models.CharField(_("name (Simplified Chinese)"), max_length=200, blank=True)
    name_zh_hant = models.CharField(_("name (Traditional Chinese)"), max_length=200, blank=True)

    objects = TaxonomyManager()

    class Meta:
        abstract = True
        ordering: ClassVar[list[str]] = ["code"]

    def __str__(self) -> str:
        return self.display_name()

    def natural_key(self) -> tuple[str]:
        return (self.code,)

    def display_name(self, lang: str | None = None) -> str:
        return localised(self, "name", lang)


CONSTRAINT_FIELDS = {
    "name_in_some_script": "name_en",
    "title_in_some_script": "title_en",
    "coordinates_on_earth": "latitude",
    "value_has_currency": "currency",
    "has_project_or_facility": "project",
    "not_own_parent": "parent",
}


def violated_fields(record: models.Model) -> dict[str, list[str]]:
    """Check the model's CHECK constraints one by one and name the field each one is about
    (Django reports them all as errors of the whole record)."""
    problems: dict[str, list[str]] = {}
    prefix = f"{record._meta.app_label}_{record._meta.model_name}_"
    for constraint in record._meta.constraints:
        if not isinstance(constraint, models.CheckConstraint):
            continue
        try:
            constraint.validate(type(record), record)
        except ValidationError as error:
            rule = constraint.name.removeprefix(prefix)
            field = CONSTRAINT_FIELDS.get(rule)
            for suffix in ("_not_negative", "_iso4217", "_format"):
                if rule.endswith(suffix):
                    field = rule.removesuffix(suffix)
            if "_not_before_" in rule:
                field = rule.split("_not_before_")[0]
            problems.setdefault(field or NON_FIELD_ERRORS, []).extend(error.messages)
    return problems


def at_least_one_script(stem: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=~models.Q(**{f"{stem}_en": "", f"{stem}_zh_hans": "", f"{stem}_zh_hant": ""}),
        name=f"%(app_label)s_%(class)s_{stem}_in_some_script",
        violation_error_message=(
            _("Give the name in at least one script.")
            if stem == "name"
            else _("Give the title in at least one script.")
        ),
    )


class NamedRecord(CuratedRecord):
    """A curated record with a name and a description in English, 简体 and 繁體."""

    name_en = models.CharField(_("name (English)"), max_length=300, blank=True)
    name_zh_hans = models.CharField(_("name (Simplified Chinese)"), max_length=300, blank=True)
    name_zh_hant = models.CharField(_("name (Traditional Chinese)"), max_length=300, blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    description_zh_hans = models.TextField(_("description (Simplified Chinese)"), blank=True)
    description_zh_hant = models.TextField(_("description (Traditional Chinese)"), blank=True)

    class Meta(CuratedRecord.Meta):
        abstract = True
        constraints: ClassVar[list] = [*CuratedRecord.Meta.constraints, at_least_one_script("name")]
