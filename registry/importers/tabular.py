"""Tabular import and export (CSV, XLSX, JSON) of organisations, facilities and projects with
their participants, on django-import-export.

Rows are upserted: by public id (column ``id``) when given, else by a natural key (an
organisation's ROR id, else its English name and curating section; a facility's English name
and park; a project's English title and curating section). Unchanged rows are skipped, so
importing the same file twice makes no change and no history row. Every row goes through the
model's validation and through ``registry.access`` (a curator imports only into the sections
they curate); a bad row is reported with its row number and column, and with
``dry_run`` nothing is written at all. Saves go through ``save(user=…)``: versions and
history rows name the importing user.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from import_export import fields, resources, widgets

from registry import access, uploads, workflow
from registry import resources as registry_resources
from registry.models import (
    CuratedRecord,
    Facility,
    Organisation,
    Participation,
    PriorityArea,
    Project,
    ResearchField,
    SubArea,
)
from registry.scripts import field_names

LIST_SEPARATOR = ";"
# A table carries a resource's own fields (registry/resources.py, in the API's order), then
# these; long texts and what the registry derives or takes from ROR are left out.
TABLE_TAIL = (
    "curating_section",
    "owner",
    "sources",
    "verification",
    "as_of",
    "publication",
    "version",
)
NOT_IN_TABLES = {
    "descriptions",
    "external_ids",
    "relationships",
    "funding_lines",
    "outputs",
    "flows",
}
# Columns named otherwise than their field (``fields`` is taken by import-export's Resource).
COLUMNS = {"fields": "fields_", "participations": "participants"}


def table_fields(model: type[CuratedRecord]) -> tuple[str, ...]:
    """The columns of a resource's table: its id, its own fields, then TABLE_TAIL."""
    columns = ["id"]
    for name in registry_resources.own_fields(model):
        if name in NOT_IN_TABLES:
            continue
        if name in registry_resources.TEXTS:
            columns.extend(field_names(registry_resources.TEXTS[name]))
        else:
            columns.append(COLUMNS.get(name, name))
    return (*columns, *TABLE_TAIL)


class ListWidget(widgets.Widget):
    """A JSON list of texts in the model, ``a; b; c`` in a cell (or a real list in JSON)."""

    def clean(self, value: Any, row: dict | None = None, **kwargs: Any) -> list[str]:
        if value is None or value == "":
            return []
        if isinstance(value, list):
            return [str(item).strip() for item in value if str(item).strip()]
        return [part.strip() for part in str(value).split(LIST_SEPARATOR) if part.strip()]

    def render(self, value: Any, obj: Model | None = None, **kwargs: Any) -> str:
        return f"{LIST_SEPARATOR} ".join(value or [])


class PublicIdWidget(widgets.ForeignKeyWidget):
    """A reference to a curated record by its public id; a wrong id is a clear error."""

    def __init__(self, model: type[CuratedRecord]) -> None:
        super().__init__(model, field="public_id")

    def clean(self, value: Any, row: dict | None = None, **kwargs: Any) -> Model | None:
        if value in (None, ""):
            return None
        found = self.model.objects.by_public_id(str(value)).first()
        if found is None:
            raise ValueError(f"no {self.model._meta.verbose_name} has the id {value!r}")
        return found


class ListedWidget(widgets.ManyToManyWidget):
    """Records by public id (``org-abc12345; org-def67890``), or reference data by code
    (``2.2; 3.1`` for research fields); an id or code that names nothing is a clear error."""

    def __init__(self, model: type[Model], field: str = "public_id") -> None:
        super().__init__(model, separator=LIST_SEPARATOR, field=field)

    def clean(self, value: Any, row: dict | None = None, **kwargs: Any) -> QuerySet:
        wanted = ListWidget().clean(value)
        if self.field == "public_id":
            wanted = [public_id.lower() for public_id in wanted]
        found = self.model.objects.filter(**{f"{self.field}__in": wanted})
        missing = sorted(set(wanted) - set(found.values_list(self.field, flat=True)))
        if not missing:
            return found
        kind = self.model._meta.verbose_name
        if self.field == "public_id":
            raise ValueError(f"no {kind} has the id {', '.join(missing)}")
        raise ValueError(f"unknown {kind}: {', '.join(missing)}")


def column(name: str, widget: widgets.Widget | None = None, **kwargs: Any) -> fields.Field:
    """The table's column ``name`` for the model field of that name (``attribute=`` says
    otherwise)."""
    kwargs.setdefault("attribute", name)
    return fields.Field(column_name=name, widget=widget, **kwargs)


class CuratedResource(resources.ModelResource):
    """Shared rules: lookup by public id or natural key, access checks, attributed saves."""

    id = column("id", attribute="public_id", readonly=True)
    sources = column("sources", ListWidget())
    owner = column("owner", PublicIdWidget(Organisation))
    publication = column("publication", readonly=True)
    version = column("version", readonly=True)

    # The natural key used when a row has no id: model field names.
    natural_key: tuple[str, ...] = ()

    class Meta:
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        use_transactions = True

    def __init__(self, user: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.user = user

    def import_data(self, dataset: Any, *args: Any, **kwargs: Any) -> Any:
        # A file with any bad row writes nothing: fix the file, import it again.
        kwargs.setdefault("rollback_on_validation_errors", True)
        return super().import_data(dataset, *args, **kwargs)

    def before_import(self, dataset: Any, **kwargs: Any) -> None:
        self.user = kwargs.get("user", self.user)
        try:
            uploads.check_rows(len(dataset))
        except ValidationError as exc:
            # import-export reports an exception here as the import's error, then goes on to
            # the rows: there are none left to go on to.
            del dataset[0 : len(dataset)]
            raise ValueError(exc.messages[0]) from None

    def get_instance(self, instance_loader: Any, row: dict) -> CuratedRecord | None:
        model = self._meta.model
        public_id = str(row.get("id") or "").strip()
        if public_id:
            instance = model.objects.by_public_id(public_id).first()
            if instance is None:
                raise ValidationError(
                    {"id": f"no {model._meta.verbose_name} has the id {public_id!r}"}
                )
            return instance
        return self.find_by_natural_key(row)

    def import_instance(self, instance: CuratedRecord, row: dict, **kwargs: Any) -> None:
        super().import_instance(instance, row, **kwargs)
        # A blank cell for a name's converted Chinese script is the converted name, as on any
        # save (scripts.derive_label): the preview shows it, and a file exported and imported
        # again changes nothing.
        instance.derive_label()

    def find_by_natural_key(self, row: dict) -> CuratedRecord | None:
        lookup = {}
        for name in self.natural_key:
            value = row.get(name)
            if value in (None, ""):
                return None
            lookup[name] = str(value).strip()
        return self._meta.model.objects.filter(**lookup).first() if lookup else None

    def validate_instance(
        self,
        instance: CuratedRecord,
        import_validation_errors: dict | None = None,
        validate_unique: bool = True,
    ) -> None:
        errors = dict(import_validation_errors or {})
        if instance.pk:
            stored = type(instance)._base_manager.get(pk=instance.pk)
            if not access.curates(self.user, stored):
                errors.setdefault("curating_section", []).append(
                    f"you do not curate the {stored.get_curating_section_display()} section, "
                    f"so you cannot change {stored.public_id}"
                )
        if not access.can_create(
            self.user, curating_section=instance.curating_section, owner_id=instance.owner_id
        ) and not (instance.pk and errors.get("curating_section")):
            errors.setdefault("curating_section", []).append(
                f"you cannot add or move records to the {instance.curating_section or '(blank)'}"
                " section"
            )
        # A new record's public id is minted when it is saved, so a dry run shows no id
        # rather than one the real import would not use.
        exclude = [*errors, "public_id"] if not instance.public_id else list(errors)
        try:
            instance.full_clean(exclude=exclude, validate_unique=validate_unique)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def do_instance_save(self, instance: CuratedRecord, is_create: bool) -> None:
        """A new row is added as any new record is (registry/workflow.py): a draft of the
        section its row names; a known one is saved as one more version."""
        instance._change_reason = "import"
        if is_create:
            workflow.add(instance, user=self.user, curating_section=instance.curating_section)
        else:
            instance.save(user=self.user)


class OrganisationResource(CuratedResource):
    aliases = column("aliases", ListWidget())
    natural_key = ("ror_id",)

    class Meta(CuratedResource.Meta):
        model = Organisation
        fields = table_fields(Organisation)
        export_order = fields

    def find_by_natural_key(self, row: dict) -> Organisation | None:
        ror_id = str(row.get("ror_id") or "").strip()
        if ror_id:
            from registry.models.organisations import normalise_ror_id

            return Organisation.objects.filter(ror_id=normalise_ror_id(ror_id)).first()
        name, section = row.get("name_en"), row.get("curating_section")
        if not name or not section:
            return None
        return Organisation.objects.filter(
            name_en=str(name).strip(), curating_section=str(section).strip()
        ).first()


class FacilityResource(CuratedResource):
    sub_area = column("sub_area", widgets.ForeignKeyWidget(SubArea, field="code"))
    parent = column("parent", PublicIdWidget(Facility))
    hosts = column("hosts", ListedWidget(Organisation))
    fields_ = column("fields", ListedWidget(ResearchField, "code"))
    priority_areas = column("priority_areas", ListedWidget(PriorityArea, "code"))
    natural_key = ("name_en", "section")

    class Meta(CuratedResource.Meta):
        model = Facility
        fields = table_fields(Facility)
        export_order = fields


class ParticipantsField(fields.Field):
    """Participants in one cell: ``<organisation id>:<role>[@<facility id>]``, ``;``-separated,
    e.g. ``org-abc12345:lead@fac-def67890; org-xyz98765:partner``."""

    def __init__(self) -> None:
        super().__init__(attribute=None, column_name="participants", readonly=True)

    @staticmethod
    def render_for(project: Project) -> str:
        parts = []
        for p in project.participations.all():
            text = f"{p.organisation.public_id}:{p.role}"
            if p.facility_id:
                text += f"@{p.facility.public_id}"
            parts.append(text)
        return f"{LIST_SEPARATOR} ".join(parts)

    @staticmethod
    def parse(value: Any) -> set[tuple[int, str, int | None]]:
        """The wanted (organisation pk, role, facility pk) triples; ValueError says what is off."""
        wanted = set()
        for part in ListWidget().clean(value):
            organisation_id, _, rest = part.partition(":")
            role, _, facility_id = rest.partition("@")
            role = role.strip()
            if role not in Participation.Role.values:
                raise ValueError(
                    f"{part!r}: role must be one of {', '.join(Participation.Role.values)}"
                )
            organisation = Organisation.objects.by_public_id(organisation_id.strip()).first()
            if organisation is None:
                raise ValueError(f"{part!r}: no organisation has the id {organisation_id!r}")
            facility = None
            if facility_id.strip():
                facility = Facility.objects.by_public_id(facility_id.strip()).first()
                if facility is None:
                    raise ValueError(f"{part!r}: no facility has the id {facility_id!r}")
            wanted.add((organisation.pk, role, facility.pk if facility else None))
        return wanted


class ProjectResource(CuratedResource):
    fields_ = column("fields", ListedWidget(ResearchField, "code"))
    priority_areas = column("priority_areas", ListedWidget(PriorityArea, "code"))
    participants = ParticipantsField()
    cross_border = column("cross_border", readonly=True)
    natural_key = ("title_en", "curating_section")

    class Meta(CuratedResource.Meta):
        model = Project
        fields = table_fields(Project)
        export_order = fields

    def dehydrate_participants(self, project: Project) -> str:
        return ParticipantsField.render_for(project)

    def import_instance(self, instance: Project, row: dict, **kwargs: Any) -> None:
        errors: dict[str, list[str]] = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if "participants" in row:
            try:
                instance._wanted_participants = ParticipantsField.parse(row["participants"])
            except ValueError as error:
                errors["participants"] = [str(error)]
        if errors:
            raise ValidationError(errors)

    def _current_participants(self, project: Project) -> set[tuple[int, str, int | None]]:
        if not project.pk:
            return set()
        return set(project.participations.values_list("organisation_id", "role", "facility_id"))

    def skip_row(
        self, instance: Project, original: Any, row: dict, import_validation_errors=None
    ) -> bool:
        wanted = getattr(instance, "_wanted_participants", None)
        if wanted is not None and wanted != self._current_participants(instance):
            return False
        return super().skip_row(instance, original, row, import_validation_errors)

    def after_save_instance(self, instance: Project, row: dict, **kwargs: Any) -> None:
        """Participations follow the cell: missing ones added, unlisted ones removed (each
        saved or deleted on its own, so history records it)."""
        wanted = getattr(instance, "_wanted_participants", None)
        if wanted is None:
            return
        current = {
            (p.organisation_id, p.role, p.facility_id): p for p in instance.participations.all()
        }
        for key, participation in current.items():
            if key not in wanted:
                participation._history_user = self.user
                participation.delete()
        for organisation_id, role, facility_id in wanted - set(current):
            Participation(
                project=instance,
                organisation_id=organisation_id,
                role=role,
                facility_id=facility_id,
            ).save(user=self.user)


RESOURCES = {
    Organisation: OrganisationResource,
    Facility: FacilityResource,
    Project: ProjectResource,
}
