"""/api/v1/: the resources, the change feed, statistics and the OpenAPI schema with its docs."""

from csp.decorators import csp_update
from django.urls import path, re_path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
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

# Redoc's bundle inserts two stylesheets before its start-up can hand it the page's nonce
# (perfect-scrollbar's, and an empty one): the policy admits exactly these by their hashes
# (drf-spectacular-sidecar 2026.10.1; tests/e2e/test_api_docs.py fails when an upgrade changes
# them). Its search runs in a worker made from a blob.
REDOC_CSP = {
    "style-src": [
        "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='",
        "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
    ],
    "worker-src": ["'self'", "blob:"],
}

app_name = "api"
urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path(
        "redoc/",
        csp_update(REDOC_CSP)(SpectacularRedocView.as_view(url_name="api:schema")),
        name="redoc",
    ),
    *router.urls,
    re_path(r"^.*$", not_found),
]
