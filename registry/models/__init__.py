"""The core data model, one module per entity family (docs/architecture.md §7)."""

from registry.models.accounts import ApiToken, PartnerAccount
from registry.models.base import CuratedRecord, NamedRecord
from registry.models.changes import ChangeRequest
from registry.models.choices import Factor, Publication, Section, Side, Verification
from registry.models.events import ChangeEvent
from registry.models.facilities import Facility
from registry.models.flows import FactorFlow
from registry.models.organisations import Organisation, OrganisationRelation
from registry.models.policies import FundingCeiling, FundingScheme, PolicyInstrument
from registry.models.projects import FundingLine, Output, Participation, Project
from registry.models.taxonomy import PriorityArea, ResearchField, SubArea, ZoneSection

CURATED_MODELS: tuple[type[CuratedRecord], ...] = (
    Organisation,
    Facility,
    Project,
    Output,
    FactorFlow,
    PolicyInstrument,
    FundingScheme,
)

__all__ = [
    "CURATED_MODELS",
    "ApiToken",
    "ChangeEvent",
    "ChangeRequest",
    "CuratedRecord",
    "Facility",
    "Factor",
    "FactorFlow",
    "FundingCeiling",
    "FundingLine",
    "FundingScheme",
    "NamedRecord",
    "Organisation",
    "OrganisationRelation",
    "Output",
    "Participation",
    "PartnerAccount",
    "PolicyInstrument",
    "PriorityArea",
    "Project",
    "Publication",
    "ResearchField",
    "Section",
    "Side",
    "SubArea",
    "Verification",
    "ZoneSection",
]
