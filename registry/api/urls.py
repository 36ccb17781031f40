"""/api/v1/: the resources, the change feed, statistics and the OpenAPI schema with its docs."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from registry.api import views
from registry.api.errors import not_found

router = SimpleRouter(trailing_slash=True)
# The curated resources, each at its model's RESOURCE name.
CURATED = {
    "organisation": views.OrganisationViewSet,
    "facility": views.FacilityViewSet,
    "project": views.ProjectViewSet,
    "output": views.OutputViewSet,
    "flow": views.FactorFlowViewSet,
    "policy": views.PolicyInstrumentViewSet,
    "funding-scheme": views.FundingSchemeViewSet,
}
for basename, viewset in CURATED.items():
    router.register(viewset.model.RESOURCE, viewset, basename=basename)
router.register("fields", views.ResearchFieldViewSet, basename="field")
router.register("priority-areas", views.PriorityAreaViewSet, basename="priority-area")
router.register("change-requests", views.ChangeRequestViewSet, basename="change-request")
router.register("changes", views.ChangeFeedView, basename="changes")
router.register("stats", views.StatsView, basename="stats")

app_name = "api"
urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    *router.urls,
    re_path(r"^.*$", not_found),
]
