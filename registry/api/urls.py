"""/api/v1/: the resources, the change feed, statistics and the OpenAPI schema with its docs."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from registry.api import views
from registry.api.errors import not_found

router = SimpleRouter(trailing_slash=True)
router.register("organisations", views.OrganisationViewSet, basename="organisation")
router.register("facilities", views.FacilityViewSet, basename="facility")
router.register("projects", views.ProjectViewSet, basename="project")
router.register("outputs", views.OutputViewSet, basename="output")
router.register("flows", views.FactorFlowViewSet, basename="flow")
router.register("policies", views.PolicyInstrumentViewSet, basename="policy")
router.register("funding-schemes", views.FundingSchemeViewSet, basename="funding-scheme")
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
