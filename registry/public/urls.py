"""/<lang>/…: the zone at a glance, listings, detail pages, statistics, collaboration, data."""

from django.urls import path

from registry.public import data, stats, views

app_name = "public"
urlpatterns = [
    path("", views.home, name="home"),
    path("facilities/", views.FacilityList.as_view(), name="facility-list"),
    path("facilities/<str:public_id>/", views.FacilityDetail.as_view(), name="facility-detail"),
    path("projects/", views.ProjectList.as_view(), name="project-list"),
    path("projects/<str:public_id>/", views.ProjectDetail.as_view(), name="project-detail"),
    path("organisations/", views.OrganisationList.as_view(), name="organisation-list"),
    path(
        "organisations/<str:public_id>/",
        views.OrganisationDetail.as_view(),
        name="organisation-detail",
    ),
    path("statistics/", stats.statistics, name="statistics"),
    path("collaboration/", stats.collaboration, name="collaboration"),
    path("data/", data.data_page, name="data"),
    path("data/<str:filename>", data.download, name="data-file"),
]
