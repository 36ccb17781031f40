"""Publication states and the transitions between them (docs/architecture.md §5).

    draft ──submit──▶ in_review ──publish──▶ published ──retract──▶ retracted
      ▲                  │                                           │
      └──────reopen──────┴───────────────────reopen──────────────────┘

Writes come here from every face: ``create`` (a new record for whoever adds it: owner, section,
initial state, submitter), ``update`` (a direct change), ``propose`` (a change request for a
curator to decide) and the transitions below. The faces translate the errors.

Four-eyes: whoever submitted a record for review cannot publish it (``REGISTRY_FOUR_EYES``).
Retracting keeps the record and its history, with a reason and an optional successor.
Every transition checks ``registry.access`` first, locks the row, re-reads its state inside the
transaction (two curators cannot both publish), saves through the normal save path (version +1,
history row with the transition as its change reason) and returns the saved record.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from registry import access
from registry.models import ChangeRequest, CuratedRecord, Organisation, Publication, Section
from registry.models.base import StaleRecordError, check_record, mint_unique_public_id
from registry.models.organisations import section_for

R = TypeVar("R", bound=CuratedRecord)


class WorkflowError(Exception):
    """A transition that cannot happen; the message says why, for the person who tried."""


class NotPermitted(WorkflowError):
    """The user may not run this transition on this record."""


class InvalidTransition(WorkflowError):
    """The record is not in a state this transition starts from."""


class SectionNeeded(WorkflowError):
    """A curator of more than one section adds a record without saying which curates it."""


# -- adding and changing records ---------------------------------------------------------------
def split_related(model: type[models.Model], values: dict[str, Any]) -> tuple[dict, dict]:
    """``values`` as (field values, many-to-many values by field name)."""
    many = {field.name for field in model._meta.many_to_many}
    fields = {name: value for name, value in values.items() if name not in many}
    return fields, {name: value for name, value in values.items() if name in many}


def admit(record: CuratedRecord, *, user: Any, curating_section: Any = None) -> None:
    """Make a new, unsaved record ``user``'s. A partner's belongs to its organisation, is
    curated by the section of that organisation's jurisdiction and waits in review, submitted
    by the partner; a curator's is curated by ``curating_section`` (or by the one section they
    curate) and starts as a draft. Raises SectionNeeded, or NotPermitted when ``user`` may not
    add it (``access.can_create``). Queries: 1 for a partner (its organisation), else none."""
    actor = access.actor_for(user)
    if actor.role is access.Role.PARTNER:
        owner = Organisation.objects.get(pk=actor.organisation_id)
        record.owner_id = owner.pk
        record.curating_section = section_for(owner.jurisdiction)
        record.publication = Publication.IN_REVIEW
        record.submitted_by = user
        record.submitted_at = timezone.now()
    elif actor.is_curator:
        sections = sorted(actor.sections)
        record.curating_section = curating_section or (sections[0] if len(sections) == 1 else "")
        if record.curating_section not in Section.values:
            raise SectionNeeded(_("Say which section curates it."))
    if not access.can_create(
        user, curating_section=record.curating_section, owner_id=record.owner_id
    ):
        raise NotPermitted(_("You may not add records here."))


def admit_from_ror(organisation: Organisation, *, at: datetime.datetime) -> None:
    """Make a new, unsaved organisation copied from ROR (by an import that a zone editor or
    the operator runs): curated by the section of its jurisdiction, and published on arrival,
    since ROR has already vetted it. No query."""
    organisation.curating_section = section_for(organisation.jurisdiction)
    organisation.publication = Publication.PUBLISHED
    organisation.published_at = at


def create(model: type[R], *, user: Any, values: dict[str, Any], curating_section: Any = None) -> R:
    """A new ``model`` record from ``values`` (field values, many-to-many ones included),
    ``admit``-ted for ``user``, validated (ValidationError keyed by model field) and saved with
    its history row and change event. Returns the saved record."""
    fields, related = split_related(model, values)
    return add(model(**fields), user=user, curating_section=curating_section, related=related)


def add(record: R, *, user: Any, curating_section: Any = None, related: dict | None = None) -> R:
    """Save a new record whose fields are set (a form's, an imported row's), ``admit``-ted for
    ``user``, validated, with its many-to-many ``related`` values. Returns it saved."""
    admit(record, user=user, curating_section=curating_section)
    record.public_id = record.public_id or mint_unique_public_id(type(record))
    check_record(record)
    with transaction.atomic():
        record.save(user=user)
        for name, items in (related or {}).items():
            getattr(record, name).set(items)
    return record


def changes(record: CuratedRecord, values: dict[str, Any]) -> dict[str, Any]:
    """Those of ``values`` that differ from what ``record`` holds (many-to-many values
    compared as sets: one query each). A write of nothing else changes nothing."""
    fields, related = split_related(type(record), values)
    changed = {name: value for name, value in fields.items() if getattr(record, name) != value}
    for name, items in related.items():
        if {item.pk for item in getattr(record, name).all()} != {item.pk for item in items}:
            changed[name] = items
    return changed


def update(
    record: R, *, user: Any, values: dict[str, Any], expected_version: int | None = None
) -> R:
    """Change ``record`` directly (``access.can_edit_directly``), validated (ValidationError
    keyed by model field) and saved as one version; StaleRecordError when it is no longer at
    ``expected_version``. Values equal to the stored ones are no change: when nothing else
    is sent, nothing is saved (no new version, history row or change event). Returns the
    record."""
    if not access.can_edit_directly(user, record):
        raise NotPermitted(_("You may not change this record."))
    values = changes(record, values)
    if not values:
        stored = type(record).objects.filter(pk=record.pk).values_list("version", flat=True)[0]
        if expected_version is not None and stored != expected_version:
            raise StaleRecordError(record, expected_version, stored)
        return record
    fields, related = split_related(type(record), values)
    for name, value in fields.items():
        setattr(record, name, value)
    check_record(record)
    with transaction.atomic():
        record.save(user=user, expected_version=expected_version)
        for name, items in related.items():
            getattr(record, name).set(items)
    return record


def _storable(value: Any) -> Any:
    """A proposed value as JSON: dates and decimals as text."""
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def propose(
    record: CuratedRecord, *, user: Any, values: dict[str, Any], base_version: int
) -> ChangeRequest:
    """A change ``user`` may ask for but not make (a partner's change to its published
    record): stored as an open change request against ``base_version`` for a curator of the
    record's section to approve or reject. Queries: 1 (the content type is cached), 1 insert."""
    if not access.can_edit(user, record):
        raise NotPermitted(_("You may not change this record."))
    many = {field.name for field in record._meta.many_to_many}
    proposed = {}
    for name, value in values.items():
        if name in many:
            proposed[name] = [item.pk for item in value]
        elif isinstance(value, models.Model):
            proposed[f"{name}_id"] = value.pk
        else:
            proposed[name] = _storable(value)
    return ChangeRequest.objects.create(
        target_type=ContentType.objects.get_for_model(record),
        target_id=record.pk,
        base_version=base_version,
        proposed=proposed,
        created_by=user,
    )


ACTION_LABELS = {
    "submit": gettext_lazy("submit for review"),
    "publish": gettext_lazy("publish"),
    "retract": gettext_lazy("retract"),
    "reopen": gettext_lazy("reopen as draft"),
}

# Each transition's end state, and the states it starts from.
TARGETS: dict[str, str] = {
    "submit": Publication.IN_REVIEW,
    "publish": Publication.PUBLISHED,
    "retract": Publication.RETRACTED,
    "reopen": Publication.DRAFT,
}
SOURCES: dict[str, tuple[str, ...]] = {
    "submit": (Publication.DRAFT,),
    "publish": (Publication.IN_REVIEW,),
    "retract": (Publication.PUBLISHED,),
    "reopen": (Publication.IN_REVIEW, Publication.RETRACTED),
}


def in_review(queryset: QuerySet) -> QuerySet:
    """The records of ``queryset`` waiting for a curator's decision (no query)."""
    return queryset.filter(publication=Publication.IN_REVIEW)


def allowed_transitions(record: CuratedRecord, user: Any) -> list[str]:
    """The transitions ``user`` could run on ``record`` now (for buttons and bulk actions)."""
    names = []
    for name, sources in SOURCES.items():
        if record.publication in sources:
            try:
                _check_permission(name, record, user)
            except NotPermitted:
                continue
            names.append(name)
    return names


def _check_permission(name: str, record: CuratedRecord, user: Any) -> None:
    if name == "submit":
        if not access.can_edit(user, record):
            raise NotPermitted(_("You may not submit this record for review."))
        return
    if not access.curates(user, record):
        raise NotPermitted(
            _("Only a curator of the %(section)s section or a zone editor may do this.")
            % {"section": record.get_curating_section_display()}
        )
    if (
        name == "publish"
        and settings.REGISTRY_FOUR_EYES
        and record.submitted_by_id is not None
        and record.submitted_by_id == getattr(user, "pk", None)
    ):
        raise NotPermitted(
            _(
                "Four-eyes rule: you submitted this record for review, so another curator must "
                "publish it."
            )
        )


# A record that is not retracted carries no tombstone (its history keeps earlier ones).
NO_TOMBSTONE = {"retracted_at": None, "retraction_reason": "", "successor": None}


def _transition(
    name: str, record: R, user: Any, check: Callable[[], None] | None = None, **change: Any
) -> R:
    """Run one transition; ``check`` runs inside the transaction, after the row lock."""
    _check_permission(name, record, user)
    with transaction.atomic():
        locked = type(record)._base_manager.select_for_update().get(pk=record.pk)
        if locked.publication not in SOURCES[name]:
            raise InvalidTransition(
                _("This cannot be done to a record in the state “%(state)s”: %(action)s.")
                % {"action": ACTION_LABELS[name], "state": locked.get_publication_display()}
            )
        # Permission again on the locked row: its section or submitter may have changed.
        _check_permission(name, locked, user)
        if check is not None:
            check()
        locked.publication = TARGETS[name]
        for field, value in change.items():
            setattr(locked, field, value)
        locked._change_reason = name
        locked.save(user=user)
    return locked


def submit(record: R, *, user: Any) -> R:
    """Draft → in review. Remembers who submitted, for the four-eyes rule."""
    return _transition("submit", record, user, submitted_by=user, submitted_at=timezone.now())


def publish(record: R, *, user: Any) -> R:
    """In review → published, by a curator who did not submit it."""
    return _transition("publish", record, user, published_at=timezone.now(), **NO_TOMBSTONE)


def retract(record: R, *, user: Any, reason: str, successor: R | None = None) -> R:
    """Published → retracted. The record and its history stay; the public sees a tombstone
    with ``reason`` and, if given, the ``successor`` that replaces it."""
    reason = (reason or "").strip()

    def check() -> None:
        if not reason:
            raise WorkflowError(_("Give a reason for the retraction; the public will see it."))
        if successor is None:
            return
        if type(successor) is not type(record):
            raise WorkflowError(_("A successor must be a record of the same kind."))
        if successor.pk == record.pk:
            raise WorkflowError(_("A record cannot succeed itself."))
        # Read the successor's stored state under a lock: it may have changed since loading.
        stored = type(successor)._base_manager.select_for_update().get(pk=successor.pk)
        if stored.publication != Publication.PUBLISHED:
            raise WorkflowError(_("The successor must be published, so the public can see it."))

    return _transition(
        "retract",
        record,
        user,
        check,
        retracted_at=timezone.now(),
        retraction_reason=reason,
        successor=successor,
    )


def reopen(record: R, *, user: Any) -> R:
    """Retracted (or in review, sent back) → draft, to be corrected and submitted again."""
    # The tombstone belongs to the retraction; history keeps it.
    return _transition("reopen", record, user, submitted_by=None, submitted_at=None, **NO_TOMBSTONE)


# -- change requests ---------------------------------------------------------------------------
def proposed_changes(change_request: ChangeRequest) -> list[tuple[str, Any, Any]]:
    """(field, current value, proposed value) for each field the request would change."""
    record = change_request.target
    rows = []
    for field_name, proposed in sorted(change_request.proposed.items()):
        current = getattr(record, field_name, None)
        rows.append((field_name, current, proposed))
    return rows


def _decide(change_request: ChangeRequest, user: Any, state: str, comment: str) -> None:
    record = change_request.target
    if record is None or not access.curates(user, record):
        raise NotPermitted(_("Only a curator of the record's section may decide this request."))
    locked = type(change_request)._base_manager.select_for_update().get(pk=change_request.pk)
    if locked.state != ChangeRequest.State.OPEN:
        raise InvalidTransition(_("This change request has already been decided."))
    change_request.state = state
    change_request.comment = comment
    change_request.decided_by = user
    change_request.decided_at = timezone.now()
    change_request._history_user = user
    change_request.save()


def approve_change_request(change_request: ChangeRequest, *, user: Any, comment: str = "") -> Any:
    """Apply the proposed values through the record's normal save path (validation, version,
    history), then close the request. Fields the request may not set are refused."""
    with transaction.atomic():
        record = change_request.target
        _decide(change_request, user, ChangeRequest.State.APPROVED, comment)
        fields = [f for f in record._meta.concrete_fields if f.editable and not f.primary_key]
        settable = {f.name for f in fields} | {f.attname for f in fields}
        many = {f.name for f in record._meta.many_to_many}
        unknown = set(change_request.proposed) - ((settable | many) - PROTECTED_FIELDS)
        if unknown:
            raise WorkflowError(
                _("The request sets fields that cannot be changed this way: %(fields)s")
                % {"fields": ", ".join(sorted(unknown))}
            )
        later = {}
        for field_name, value in change_request.proposed.items():
            if field_name in many:
                later[field_name] = value
            else:
                setattr(record, field_name, value)
        record.full_clean()
        record._change_reason = f"change request {change_request.pk}"
        record.save(user=user)
        for field_name, pks in later.items():
            getattr(record, field_name).set(pks)
    return record


def reject_change_request(change_request: ChangeRequest, *, user: Any, comment: str) -> None:
    """Close the request without changing the record; the comment tells the partner why."""
    if not (comment or "").strip():
        raise WorkflowError(_("Say why the request is rejected; the partner will see it."))
    with transaction.atomic():
        _decide(change_request, user, ChangeRequest.State.REJECTED, comment.strip())


# What partners may never set (docs/architecture.md §8), whatever a request contains.
PROTECTED_FIELDS = {
    "publication",
    "curating_section",
    "owner",
    "owner_id",
    "successor",
    "successor_id",
    "submitted_by",
    "submitted_by_id",
    "created_by_id",
    "updated_by_id",
    "verification",
    "version",
    "public_id",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
    "search_text",
}
