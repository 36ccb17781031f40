"""Top-level URLs: the curator admin for now; the API and public pages join here."""

from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.http import HttpRequest, JsonResponse
from django.urls import include, path, re_path

from registry.api.errors import not_found


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database check for the load balancer (one query)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path(settings.DJANGO_ADMIN_PATH, admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("registry.api.urls")),
    re_path(r"^api/", not_found),
]

# The public pages under /en/, /zh-hans/ and /zh-hant/; "/" redirects by Accept-Language.
urlpatterns += i18n_patterns(path("", include("registry.public.urls")))
