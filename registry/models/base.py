"""The common core of every curated record (docs/architecture.md §7)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import URLValidator
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registry import identifiers, search
from registry.models.choices import DerivedScript, Publication, Section, Verification
from registry.models.currencies import ISO_4217
from registry.scripts import DERIVATIONS, derive_label, field_names, localised


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


def sources_field() -> models.JSONField:
    """Where a record's facts come from: a list of web addresses."""
    return models.JSONField(
        _("sources"), default=list, blank=True, validators=[validate_source_urls]
    )


def reference(
    to: Any, label: Any, *, related_name: str | None = "+", optional: bool = False, **kwargs: Any
) -> models.ForeignKey:
    """A reference to a record others rely on: PROTECT unless ``on_delete`` says otherwise
    (docs/architecture.md §3); ``optional`` makes it nullable and blank."""
    if optional:
        kwargs.update(null=True, blank=True)
    kwargs.setdefault("on_delete", models.PROTECT)
    return models.ForeignKey(to, verbose_name=label, related_name=related_name, **kwargs)


def part_of(to: Any, label: Any, related_name: str) -> models.ForeignKey:
    """The record a row belongs to (a project's participation, a scheme's ceiling): the row
    goes with it."""
    return reference(to, label, related_name=related_name, on_delete=models.CASCADE)


def stamped_by(label: Any, **kwargs: Any) -> models.ForeignKey:
    """The user who did something to a record, kept as a stamp (the record outlives the
    account: SET_NULL); the registry sets it, never a form."""
    return reference(
        settings.AUTH_USER_MODEL,
        label,
        optional=True,
        on_delete=models.SET_NULL,
        editable=False,
        **kwargs,
    )


def research_fields_relation() -> models.ManyToManyField:
    return models.ManyToManyField(
        "registry.ResearchField", verbose_name=_("research fields"), blank=True, related_name="+"
    )


def priority_areas_relation(related_name: str) -> models.ManyToManyField:
    return models.ManyToManyField(
        "registry.PriorityArea",
        verbose_name=_("priority areas"),
        blank=True,
        related_name=related_name,
    )


def currency_field(**kwargs: Any) -> models.CharField:
    return models.CharField(
        _("currency"),
        max_length=3,
        choices=[(code, code) for code in ISO_4217],
        help_text=_("ISO 4217 code, e.g. CNY or HKD."),
        **kwargs,
    )


# Narrows a related queryset to what a reader may see; ``through`` names the lookup path to the
# curated record that decides (``"organisation"`` for participations), "" for the rows' own.
Restrict = Callable[[models.QuerySet, str], models.QuerySet]


@dataclass(frozen=True)
class Read:
    """How the faces load one relation of a record (the model's ``RELATED_READS``): a single
    related record with a JOIN, or a list with one prefetch query. A ``restricted`` list holds
    only the curated records the reader may see, or (``through``) the rows whose curated
    record at that path the reader may see; ``joined`` are loaded with each row."""

    lookup: str
    join: bool = False
    restricted: bool = False
    through: str = ""
    joined: tuple[str, ...] = ()


def joins(*lookups: str) -> dict[str, Read]:
    """``RELATED_READS`` entries for single related records, each loaded with a JOIN."""
    return {lookup: Read(lookup, join=True) for lookup in lookups}


def _everything(queryset: models.QuerySet, through: str = "") -> models.QuerySet:
    return queryset


class CuratedQuerySet(models.QuerySet):
    """Read paths shared by every face. Visibility is NOT decided here: see registry/access.py."""

    def search(self, q: str) -> CuratedQuerySet:
        """Records whose normalised ``search_text`` holds every word of ``q`` (no query)."""
        return search.filter_queryset(self, q)

    def with_relations(
        self, names: Iterable[str] | None = None, *, restrict: Restrict | None = None
    ) -> CuratedQuerySet:
        """Load the related records named (all of the model's ``RELATED_READS`` when None)
        with a JOIN or one prefetch query each, so a page costs the same number of queries
        whatever its size. ``restrict(queryset, through)`` narrows each prefetched list to the
        rows a reader may see: the faces call ``access.readable``, which passes it."""
        reads = self.model.RELATED_READS
        wanted = list(reads) if names is None else [name for name in names if name in reads]
        restrict = restrict or _everything
        queryset = self
        for name in wanted:
            read = reads[name]
            if read.join:
                queryset = queryset.select_related(read.lookup)
                continue
            rows = self.model._meta.get_field(read.lookup).related_model._default_manager.all()
            if read.joined:
                rows = rows.select_related(*read.joined)
            if read.restricted:
                rows = restrict(rows, read.through)
            queryset = queryset.prefetch_related(models.Prefetch(read.lookup, queryset=rows))
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
    # Relations a face may show (by the name the faces use), and how to load them.
    RELATED_READS: ClassVar[dict[str, Read]] = joins("owner")
    # The trilingual text stem used for the display name ("name" or "title").
    LABEL_STEM: ClassVar[str] = "name"
    # Whether the label's missing Chinese script is derived (models with a ``derived_script``).
    DERIVABLE: ClassVar[bool] = False

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
    owner = reference(
        "registry.Organisation",
        _("owner"),
        optional=True,
        help_text=_("The partner organisation allowed to edit this record through the API."),
    )
    sources = sources_field()
    verification = models.CharField(
        _("verification"),
        max_length=24,
        choices=Verification.choices,
        default=Verification.UNVERIFIED,
    )
    as_of = models.DateField(_("as of"), null=True, blank=True)

    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    created_by = stamped_by(_("created by"))
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now, editable=False)
    updated_by = stamped_by(_("updated by"))

    # Workflow bookkeeping. Like ``publication``, written by registry/workflow.py alone, except
    # by the loaders that copy whole data sets as they were (exports.load_dump, the synthetic
    # benchmark data of generate_synthetic).
    submitted_by = stamped_by(_("submitted by"))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True, editable=False)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, editable=False)
    retracted_at = models.DateTimeField(_("retracted at"), null=True, blank=True, editable=False)
    retraction_reason = models.TextField(_("retraction reason"), blank=True, editable=False)
    successor = reference(
        "self",
        _("successor"),
        optional=True,
        on_delete=models.SET_NULL,
        editable=False,
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
        derived = self.derive_label(update_fields)
        if update_fields is not None:
            kwargs["update_fields"] = {
                *update_fields,
                *derived,
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
            self._remember_label()
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
        self._remember_label()

    # -- the label in the other Chinese script ----------------------------------------------
    @classmethod
    def from_db(cls, db: str | None, field_names: list[str], values: list[Any]) -> CuratedRecord:
        """Remember the Chinese texts of the label as stored, so that a save can tell a derived
        text someone wrote over from one whose source changed (``scripts.derive_label``)."""
        instance = super().from_db(db, field_names, values)
        wanted = cls.DERIVABLE and {f"{cls.LABEL_STEM}_{s}": s for s in DERIVATIONS}
        if wanted:
            instance._stored_label = {
                wanted[name]: value
                for name, value in zip(field_names, values, strict=True)
                if name in wanted
            }
        return instance

    def _remember_label(self) -> None:
        """After a save, what is stored is what was just written: a second save of the same
        instance compares against it, not against what was first read."""
        if self.DERIVABLE:
            self._stored_label = {s: getattr(self, f"{self.LABEL_STEM}_{s}") for s in DERIVATIONS}

    def derive_label(self, update_fields: Iterable[str] | None = None) -> set[str]:
        """Fill in (or follow, or let go of) the derived Chinese script of the label; returns
        the fields it changed. A no-op for records without names (factor flows) and for a save
        of other fields only."""
        if not self.DERIVABLE:
            return set()
        names = {suffix: f"{self.LABEL_STEM}_{suffix}" for suffix in DERIVATIONS}
        if update_fields is not None and not {*names.values(), "derived_script"} & {*update_fields}:
            return set()
        texts = {suffix: getattr(self, name) for suffix, name in names.items()}
        loaded = getattr(self, "_stored_label", None)
        after, derived = derive_label(texts, self.derived_script, loaded)
        changed = {names[s] for s in names if after[s] != texts[s]}
        for suffix in names:
            setattr(self, names[suffix], after[suffix])
        if derived != self.derived_script:
            self.derived_script = derived
            changed.add("derived_script")
        return changed

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
        for name in field_names(self.LABEL_STEM):
            yield getattr(self, name, "")


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


def check_record(record: models.Model) -> None:
    """The model's own validation (field values, choices, uniqueness, constraints) before a
    write, so that a bad value is an error naming its field, never a database error. Raises
    ValidationError keyed by model field (NON_FIELD_ERRORS for the record as a whole)."""
    found: dict[str, list[str]] = {}
    try:
        record.full_clean(validate_unique=True, validate_constraints=False)
    except ValidationError as error:
        found.update(error.message_dict)
    try:
        record.validate_constraints()
    except ValidationError as error:
        # Name the field each broken rule is about, not just "the record".
        named = violated_fields(record)
        covered = {message for messages in named.values() for message in messages}
        for field, messages in error.message_dict.items():
            rest = [m for m in messages if m not in covered]
            if rest:
                named.setdefault(field, []).extend(rest)
        for field, messages in named.items():
            found.setdefault(field, []).extend(messages)
    if found:
        raise ValidationError(found)


def at_least_one_script(stem: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=~models.Q(**dict.fromkeys(field_names(stem), "")),
        name=f"%(app_label)s_%(class)s_{stem}_in_some_script",
        violation_error_message=(
            _("Give the name in at least one script.")
            if stem == "name"
            else _("Give the title in at least one script.")
        ),
    )


def derived_script_field() -> models.CharField:
    return models.CharField(
        _("derived script"),
        max_length=8,
        choices=DerivedScript.choices,
        blank=True,
        default="",
        editable=False,
        help_text=_(
            "The Chinese script of the name that OpenCC converted from the other, until a "
            "curator confirms or overrides it."
        ),
    )


class TitledRecord(CuratedRecord):
    """A curated record known by a title in English, 简体 and 繁體 (a project, an output)."""

    LABEL_STEM = "title"
    DERIVABLE = True

    title_en = models.CharField(_("title (English)"), max_length=400, blank=True)
    title_zh_hans = models.CharField(_("title (Simplified Chinese)"), max_length=400, blank=True)
    title_zh_hant = models.CharField(_("title (Traditional Chinese)"), max_length=400, blank=True)
    derived_script = derived_script_field()

    class Meta(CuratedRecord.Meta):
        abstract = True
        constraints: ClassVar[list] = [
            *CuratedRecord.Meta.constraints,
            at_least_one_script("title"),
        ]


class NamedRecord(CuratedRecord):
    """A curated record with a name and a description in English, 简体 and 繁體."""

    DERIVABLE = True

    name_en = models.CharField(_("name (English)"), max_length=300, blank=True)
    name_zh_hans = models.CharField(_("name (Simplified Chinese)"), max_length=300, blank=True)
    name_zh_hant = models.CharField(_("name (Traditional Chinese)"), max_length=300, blank=True)
    derived_script = derived_script_field()
    description_en = models.TextField(_("description (English)"), blank=True)
    description_zh_hans = models.TextField(_("description (Simplified Chinese)"), blank=True)
    description_zh_hant = models.TextField(_("description (Traditional Chinese)"), blank=True)

    class Meta(CuratedRecord.Meta):
        abstract = True
        constraints: ClassVar[list] = [*CuratedRecord.Meta.constraints, at_least_one_script("name")]
