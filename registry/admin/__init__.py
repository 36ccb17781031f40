"""Face 2, the curator admin — for now a plain registration of every model with its history,
so curators can browse and enter data; the curator issue adds scoping, workflow and imports."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from registry import models as m

CURATED_READONLY = (
    "public_id",
    "version",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
    "submitted_by",
    "submitted_at",
    "published_at",
    "retracted_at",
    "retraction_reason",
)


class CuratedAdmin(SimpleHistoryAdmin):
    list_display = ("public_id", "__str__", "curating_section", "publication", "verification")
    list_filter = ("curating_section", "publication", "verification")
    search_fields = ("public_id", "search_text")
    readonly_fields = CURATED_READONLY
    list_select_related = True


for model in m.CURATED_MODELS:
    admin.site.register(model, CuratedAdmin)

for model in (
    m.ZoneSection,
    m.SubArea,
    m.ResearchField,
    m.PriorityArea,
    m.OrganisationRelation,
    m.Participation,
    m.FundingLine,
    m.FundingCeiling,
    m.ChangeRequest,
):
    admin.site.register(model, SimpleHistoryAdmin)

admin.site.register(m.PartnerAccount)
