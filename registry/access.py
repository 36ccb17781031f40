"""Who sees and who may change what: the ONLY place that decides it (docs/architecture.md §1).

Every face (admin, API, public pages, exports) asks these functions; none filters "published"
by hand. The roles:

- the public (anonymous, or signed in with no role): published records only; changes nothing;
- a partner (a user with a PartnerAccount): published records plus every record its
  organisation owns; changes the records its organisation owns (new ones enter review, changes
  to published ones become change requests: see ``can_edit_directly``);
- a section curator (group "Shenzhen curators" / "Hong Kong curators"): sees everything;
  changes, submits, publishes and retracts records whose ``curating_section`` is theirs;
- a zone editor (group "Zone editors", or a superuser): sees and changes everything.
Only a superuser hard-deletes.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Model, Q, QuerySet

from registry.models import CuratedRecord, Publication, Section
from registry.models.accounts import PartnerAccount

ZONE_EDITORS = "Zone editors"
SHENZHEN_CURATORS = "Shenzhen curators"
HONG_KONG_CURATORS = "Hong Kong curators"
SECTION_GROUPS = {SHENZHEN_CURATORS: Section.SHENZHEN, HONG_KONG_CURATORS: Section.HONG_KONG}
CURATOR_GROUPS = (ZONE_EDITORS, SHENZHEN_CURATORS, HONG_KONG_CURATORS)


class Role(enum.Enum):
    PUBLIC = "public"
    PARTNER = "partner"
    SECTION_CURATOR = "section_curator"
    ZONE_EDITOR = "zone_editor"


@dataclass(frozen=True)
class Actor:
    """What the registry needs to know about whoever is asking."""

    role: Role
    sections: frozenset[str] = frozenset()
    organisation_id: int | None = None

    @property
    def is_curator(self) -> bool:
        return self.role in (Role.SECTION_CURATOR, Role.ZONE_EDITOR)


PUBLIC = Actor(Role.PUBLIC)


def actor_for(user: Any) -> Actor:
    """The user's role, worked out once per user object (at most two queries, then cached)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return PUBLIC
    cached = getattr(user, "_registry_actor", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        actor = Actor(Role.ZONE_EDITOR, frozenset(Section.values))
    else:
        groups = set(user.groups.values_list("name", flat=True))
        if ZONE_EDITORS in groups:
            actor = Actor(Role.ZONE_EDITOR, frozenset(Section.values))
        elif sections := frozenset(SECTION_GROUPS[g] for g in groups if g in SECTION_GROUPS):
            actor = Actor(Role.SECTION_CURATOR, sections)
        else:
            account = PartnerAccount.objects.filter(user=user).only("organisation_id").first()
            actor = (
                Actor(Role.PARTNER, organisation_id=account.organisation_id) if account else PUBLIC
            )
    user._registry_actor = actor
    return actor


# -- curated records --------------------------------------------------------------------------
def condition(user: Any, through: str = "") -> Q | None:
    """The condition under which ``user`` sees a curated record, or (with ``through``, a lookup
    path such as ``"organisation"``) the record at the end of that path; None: sees them all."""
    actor = actor_for(user)
    if actor.is_curator:
        return None
    prefix = f"{through}__" if through else ""
    published = Q(**{f"{prefix}publication": Publication.PUBLISHED})
    if actor.role is Role.PARTNER:
        return published | Q(**{f"{prefix}owner_id": actor.organisation_id})
    return published


def visible(queryset: QuerySet, user: Any, through: str = "") -> QuerySet:
    """The records of ``queryset`` that ``user`` may see (adds a WHERE clause, no query); with
    ``through``, the rows whose related record at that path ``user`` may see."""
    rule = condition(user, through)
    return queryset if rule is None else queryset.filter(rule)


def readable(queryset: QuerySet, user: Any, relations: Iterable[str] | None = None) -> QuerySet:
    """The read path every face shares: the records of ``queryset`` that ``user`` may see,
    with the ``relations`` named (the model's ``RELATED_READS``; all when None) loaded, and
    every related list holding only what ``user`` may see: the restriction is in the prefetch
    queries themselves (as NetBox's RestrictedPrefetch), so nothing is filtered afterwards and
    a page costs the same queries whatever its size. A single related record (an owner, a
    parent) is loaded with a JOIN; show it through ``shown``."""

    def restrict(related: QuerySet, through: str = "") -> QuerySet:
        return visible(related, user, through)

    return visible(queryset.with_relations(relations, restrict=restrict), user)


def shown(user: Any, record: CuratedRecord | None) -> CuratedRecord | None:
    """A related record as ``user`` may see it: itself, or None when hidden (no query)."""
    return record if record is not None and can_view(user, record) else None


@dataclass(frozen=True)
class Lookup:
    """What a reader gets for a public id: the record, a tombstone, or nothing (``found``
    says which). A tombstone is a retracted record the reader may not see: 410 with its
    reason and, when the public may see it, its successor."""

    record: CuratedRecord | None = None
    tombstone: CuratedRecord | None = None
    successor: CuratedRecord | None = None


def lookup(
    queryset: QuerySet, public_id: str, user: Any, relations: Iterable[str] | None = None
) -> Lookup:
    """The record of ``queryset`` with ``public_id`` as ``user`` may see it, read as
    ``readable`` reads it. Queries: 1 (plus the prefetches) for a record; 2 for a tombstone
    or nothing."""
    record = readable(queryset, user, relations).by_public_id(public_id).first()
    if record is not None:
        return Lookup(record=record)
    return missing(queryset.model, public_id)


def missing(model: type[CuratedRecord], public_id: str) -> Lookup:
    """What a reader who cannot see the record ``public_id`` gets: a tombstone when it was
    retracted, else nothing. Queries: 1."""
    retracted = gone(model.objects.select_related("successor")).by_public_id(public_id).first()
    if retracted is None:
        return Lookup()
    return Lookup(tombstone=retracted, successor=shown(None, retracted.successor))


def editable(queryset: QuerySet, user: Any) -> QuerySet:
    """The records of ``queryset`` that ``user`` may change in some way (directly, or by a
    change request for a partner's published record)."""
    actor = actor_for(user)
    if actor.role is Role.ZONE_EDITOR:
        return queryset
    if actor.role is Role.SECTION_CURATOR:
        return queryset.filter(curating_section__in=actor.sections)
    if actor.role is Role.PARTNER:
        return queryset.filter(owner_id=actor.organisation_id).exclude(
            publication=Publication.RETRACTED
        )
    return queryset.none()


def gone(queryset: QuerySet) -> QuerySet:
    """Retracted records: the public gets a tombstone (410) for these, not a 404."""
    return queryset.filter(publication=Publication.RETRACTED)


def can_view(user: Any, record: CuratedRecord) -> bool:
    return viewer(user)(record.publication, record.owner_id)


def viewer(user: Any) -> Callable[[str, int | None], bool]:
    """Whether ``user`` may see a record in this state, asked of its ``(publication,
    owner_id)``: for rows read without a model instance (no query)."""
    actor = actor_for(user)
    if actor.is_curator:
        return lambda publication, owner_id: True
    organisation = actor.organisation_id if actor.role is Role.PARTNER else None

    def sees(publication: str, owner_id: int | None) -> bool:
        if publication == Publication.PUBLISHED:
            return True
        return organisation is not None and owner_id == organisation

    return sees


def curates(user: Any, record: CuratedRecord) -> bool:
    """A curator of the record's section, or a zone editor: may change it and run its workflow."""
    actor = actor_for(user)
    return actor.is_curator and record.curating_section in actor.sections


def can_edit(user: Any, record: CuratedRecord) -> bool:
    """May ``user`` change ``record`` at all (directly or through a change request)?"""
    if curates(user, record):
        return True
    actor = actor_for(user)
    return (
        actor.role is Role.PARTNER
        and record.owner_id is not None
        and record.owner_id == actor.organisation_id
        and record.publication != Publication.RETRACTED
    )


def can_edit_directly(user: Any, record: CuratedRecord) -> bool:
    """Changes saved straight away; a partner's change to a published record is a request."""
    if curates(user, record):
        return True
    return can_edit(user, record) and record.publication != Publication.PUBLISHED


def can_create(user: Any, *, curating_section: str, owner_id: int | None = None) -> bool:
    """May ``user`` add a record curated by ``curating_section`` (and owned by ``owner_id``)?
    A partner may only add records its own organisation owns; they enter review."""
    actor = actor_for(user)
    if actor.is_curator:
        return curating_section in actor.sections
    return actor.role is Role.PARTNER and owner_id is not None and owner_id == actor.organisation_id


def can_delete(user: Any, record: Model) -> bool:
    """Nothing is hard-deleted except by a superuser (retract instead)."""
    return bool(getattr(user, "is_superuser", False) and user.is_active)


# -- parts of a record and reference data -------------------------------------------------------
def parent_record(obj: Model) -> CuratedRecord | None:
    """The curated record whose rights govern a part of it (participation → project…)."""
    if isinstance(obj, CuratedRecord):
        return obj
    for attribute in ("project", "source", "scheme"):
        parent = getattr(obj, attribute, None)
        if isinstance(parent, CuratedRecord):
            return parent
    return None


def can_edit_reference_data(user: Any) -> bool:
    """Taxonomies (fields, priority areas, sections, sub-areas) belong to the zone editors."""
    return actor_for(user).role is Role.ZONE_EDITOR


def can_import_ror(user: Any) -> bool:
    """ROR records span both sections (a batch mixes Shenzhen and Hong Kong organisations), so
    importing them is for zone editors."""
    return actor_for(user).role is Role.ZONE_EDITOR


def visible_change_requests(queryset: QuerySet, user: Any) -> QuerySet:
    """Curators see every change request; a partner those its organisation's users made."""
    actor = actor_for(user)
    if actor.is_curator:
        return queryset
    if actor.role is Role.PARTNER:
        return queryset.filter(created_by__partner_account__organisation_id=actor.organisation_id)
    return queryset.none()


def visible_events(queryset: QuerySet, user: Any) -> QuerySet:
    """The change feed: events of records in a public state for everyone, plus
    every event of the records a partner's organisation owns; curators see all."""
    actor = actor_for(user)
    if actor.is_curator:
        return queryset
    # A deletion carries the state the record was in: a deleted draft stays unheard of.
    public = Q(publication__in=[Publication.PUBLISHED, Publication.RETRACTED])
    if actor.role is Role.PARTNER:
        return queryset.filter(public | Q(owner_id=actor.organisation_id))
    return queryset.filter(public)


def public(queryset: QuerySet) -> QuerySet:
    """What the public pages and open-data dumps show: published records, whoever asks (a
    curator browsing the public site sees what the public sees)."""
    return visible(queryset, None)
