"""Publication states and the transitions between them (DESIGN.md, Workflow).

    draft ──submit──▶ in_review ──publish──▶ published ──retract──▶ retracted
      ▲                  │                                           │
      └──────reopen──────┴───────────────────reopen──────────────────┘

Four-eyes: whoever submitted a record for review cannot publish it (``REGISTRY_FOUR_EYES``).
Retracting keeps the record and its history, with a reason and an optional successor.
Every transition checks ``registry.access`` first, locks the row, re-reads its state inside the
transaction (two curators cannot both publish), saves through the normal save path (version +1,
history row with the transition as its change reason) and returns the saved record.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from registry import access
from registry.models import ChangeRequest, CuratedRecord, Publication

R = TypeVar("R", bound=CuratedRecord)


class WorkflowError(Exception):
    """A transition that cannot happen; the message says why, for the person who tried."""


class NotPermitted(WorkflowError):
    """The user may not run this transition on this record."""


class InvalidTransition(WorkflowError):
    """The record is not in a state this transition starts from."""


ACTION_LABELS = {
    "submit": gettext_lazy("submit for review"),
    "publish": gettext_lazy("publish"),
    "retract": gettext_lazy("retract"),
    "reopen": gettext_lazy("reopen as draft"),
}

SOURCES: dict[str, tuple[str, ...]] = {
    "submit": (Publication.DRAFT,),
    "publish": (Publication.IN_REVIEW,),
    "retract": (Publication.PUBLISHED,),
    "reopen": (Publication.IN_REVIEW, Publication.RETRACTED),
}


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


def _transition(
    name: str,
    record: R,
    user: Any,
    change: dict[str, Any],
    check: Callable[[], None] | None = None,
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
        for field, value in change.items():
            setattr(locked, field, value)
        locked._change_reason = name
        locked.save(user=user)
    return locked


def submit(record: R, *, user: Any) -> R:
    """Draft → in review. Remembers who submitted, for the four-eyes rule."""
    return _transition(
        "submit",
        record,
        user,
        {
            "publication": Publication.IN_REVIEW,
            "submitted_by": user,
            "submitted_at": timezone.now(),
        },
    )


def publish(record: R, *, user: Any) -> R:
    """In review → published, by a curator who did not submit it."""
    return _transition(
        "publish",
        record,
        user,
        {
            "publication": Publication.PUBLISHED,
            "published_at": timezone.now(),
            "retracted_at": None,
            "retraction_reason": "",
            "successor": None,
        },
    )


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
        {
            "publication": Publication.RETRACTED,
            "retracted_at": timezone.now(),
            "retraction_reason": reason,
            "successor": successor,
        },
        check,
    )


def reopen(record: R, *, user: Any) -> R:
    """Retracted (or in review, sent back) → draft, to be corrected and submitted again."""
    return _transition(
        "reopen",
        record,
        user,
        {
            "publication": Publication.DRAFT,
            "submitted_by": None,
            "submitted_at": None,
            # The tombstone belongs to the retraction; history keeps it.
            "retracted_at": None,
            "retraction_reason": "",
            "successor": None,
        },
    )


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


# What partners may never set (DESIGN.md, REST API), whatever a request contains.
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
