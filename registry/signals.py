"""Derived data kept in step with the records it is derived from.

These receivers exist because fixtures load "raw" (``loaddata`` bypasses ``Model.save``):
``search_text`` must still be derived then. Everything else is skipped on raw saves, where the
fixture itself carries the derived values (tests/test_fixtures.py checks they agree).
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from registry.models import CuratedRecord, Facility, Organisation, OrganisationRelation
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
def facility_moved(sender: type, instance: Facility, raw: bool = False, **kwargs: Any) -> None:
    if not raw and not kwargs.get("created"):
        _refresh_projects_of(Participation.objects.filter(facility=instance))


@receiver(post_save, sender=Organisation)
def organisation_moved(
    sender: type, instance: Organisation, raw: bool = False, **kwargs: Any
) -> None:
    if not raw and not kwargs.get("created"):
        _refresh_projects_of(Participation.objects.filter(organisation=instance))


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
