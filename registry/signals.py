"""Derived data kept in step with the records it is derived from.

These receivers exist because fixtures load "raw" (``loaddata`` bypasses ``Model.save``):
``search_text`` must still be derived then. Everything else is skipped on raw saves, where the
fixture itself carries the derived values (tests/test_fixtures.py checks they agree).
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from registry.models import (
    ChangeEvent,
    CuratedRecord,
    Facility,
    Organisation,
    OrganisationRelation,
)
from registry.models.projects import Participation, Project
from registry.search import build_search_text


@receiver(pre_save)
def derive_search_text(sender: type, instance: Any, **kwargs: Any) -> None:
    if isinstance(instance, CuratedRecord):
        instance.search_text = build_search_text(instance.search_terms())


@receiver(post_save, sender=Organisation)
def resolve_pending_relations(
    sender: type, instance: Organisation, raw: bool = False, **kwargs: Any
) -> None:
    """Links that named this organisation's ROR id before it was in the registry now point at
    it (each saved on its own, so history shows when the link resolved)."""
    if raw or not instance.ror_id:
        return
    pending = OrganisationRelation.objects.filter(
        target__isnull=True, target_ror_id=instance.ror_id
    )
    for relation in pending:
        relation.target = instance
        relation.save()


def _refresh_projects_of(participations: Any) -> None:
    """Re-derive the side of each participation and the cross-border flag of its project."""
    projects: dict[int, Project] = {}
    for participation in participations.select_related("project", "organisation", "facility"):
        side = participation.derive_side()
        if side != participation.side:
            participation.save()
        projects[participation.project_id] = participation.project
    for project in projects.values():
        project.refresh_cross_border()


@receiver(post_save, sender=Facility)
@receiver(post_save, sender=Organisation)
def participant_moved(
    sender: type, instance: Facility | Organisation, raw: bool = False, **kwargs: Any
) -> None:
    """A facility or an organisation that changed park or jurisdiction moves the side of the
    projects it takes part in."""
    if not raw and not kwargs.get("created"):
        taking_part = "facility" if sender is Facility else "organisation"
        _refresh_projects_of(Participation.objects.filter(**{taking_part: instance}))


@receiver(post_save, sender=Participation)
def participation_saved(
    sender: type, instance: Participation, raw: bool = False, **kwargs: Any
) -> None:
    if not raw:
        instance.project.refresh_cross_border(user=getattr(instance, "_history_user", None))


@receiver(post_delete, sender=Participation)
def participation_deleted(sender: type, instance: Participation, **kwargs: Any) -> None:
    project = Project.objects.filter(pk=instance.project_id).first()
    if project is not None:  # None when the whole project is being deleted
        project.refresh_cross_border()


EVENT_FOR_REASON = {"publish": ChangeEvent.Kind.PUBLISHED, "retract": ChangeEvent.Kind.RETRACTED}


def _event(instance: CuratedRecord, kind: str) -> None:
    ChangeEvent.objects.create(
        kind=kind,
        resource=instance.RESOURCE,
        public_id=instance.public_id,
        version=instance.version,
        publication=instance.publication,
        curating_section=instance.curating_section,
        owner_id=instance.owner_id,
    )


@receiver(post_save)
def record_change_event(
    sender: type, instance: Any, created: bool = False, raw: bool = False, **kwargs: Any
) -> None:
    """Feed the change feed. Fixtures (raw loads) add a "created" event only the first time,
    so loading them again adds nothing."""
    if not isinstance(instance, CuratedRecord):
        return
    if raw:
        if not ChangeEvent.objects.filter(public_id=instance.public_id).exists():
            _event(instance, ChangeEvent.Kind.CREATED)
        return
    if created:
        kind = ChangeEvent.Kind.CREATED
    else:
        kind = EVENT_FOR_REASON.get(
            getattr(instance, "_change_reason", ""), ChangeEvent.Kind.UPDATED
        )
    _event(instance, kind)
    # The reason belongs to this save only; a later save of the same object is an update.
    instance.__dict__.pop("_change_reason", None)


@receiver(post_delete)
def record_delete_event(sender: type, instance: Any, **kwargs: Any) -> None:
    if isinstance(instance, CuratedRecord):
        _event(instance, ChangeEvent.Kind.DELETED)
