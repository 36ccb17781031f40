"""Top-level URLs: the curator admin, the API, the public pages under /<lang>/, /healthz."""

from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.http import HttpRequest, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path, re_path

from hetao.faults import healthz
from registry.api.errors import not_found


def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """Browsers and crawlers ask for /favicon.ico whatever the pages link to."""
    return HttpResponsePermanentRedirect(static("registry/favicon.svg"))


urlpatterns = [
    path("favicon.ico", favicon),
    path(settings.DJANGO_ADMIN_PATH, admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("registry.api.urls")),
    re_path(r"^api/", not_found),
]

# The public pages under /en/, /zh-hans/ and /zh-hant/; "/" redirects by Accept-Language.
urlpatterns += i18n_patterns(path("", include("registry.public.urls")))

# A database outage is a 503 on every face, never a 500 (hetao/faults.py).
handler500 = "hetao.faults.server_error"
