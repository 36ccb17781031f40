"""What every face answers when the database is away (``registry/outages.py``): 503 with
Retry-After, never a 500.

The API's views answer a problem+json 503 through ``registry/api/errors.py``; what fails
outside them (a middleware reading the session, say) reaches ``server_error`` below: a
problem+json 503 under /api/, a plain 503 page on the HTML faces. ``/healthz`` is a JSON 503
naming the failing check. Nothing here holds state: once the database answers again
(``CONN_HEALTH_CHECKS`` drops a dead kept connection), so does the site.
"""

from __future__ import annotations

import sys

from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.defaults import server_error as django_server_error

from registry.outages import RETRY_AFTER_SECONDS, database_unavailable


def _unavailable(response: HttpResponse) -> HttpResponse:
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def unavailable_response(request: HttpRequest) -> HttpResponse:
    """The 503 each face gives while the database is away."""
    if request.path.startswith("/api/"):
        from registry.api.errors import PROBLEM_CONTENT_TYPE, problem

        body = problem(
            503,
            _("The registry's database is not answering; try again in a few seconds."),
            code="service_unavailable",
        )
        return _unavailable(JsonResponse(body, status=503, content_type=PROBLEM_CONTENT_TYPE))
    html = loader.get_template("503.html").render({"retry_after": RETRY_AFTER_SECONDS})
    return _unavailable(HttpResponse(html, status=503))


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a 503 when the uncaught exception is the database being away, else a 500
    (problem+json under /api/, the site's page elsewhere). Django calls it inside the
    ``except`` block, so the exception is still at hand."""
    if database_unavailable(sys.exc_info()[1]):
        return unavailable_response(request)
    if request.path.startswith("/api/"):
        from registry.api.errors import PROBLEM_CONTENT_TYPE, problem

        body = problem(500, _("Something went wrong on our side; it has been logged."))
        return JsonResponse(body, status=500, content_type=PROBLEM_CONTENT_TYPE)
    try:
        return django_server_error(request)
    except Exception:  # a broken template must not hide the original error
        return HttpResponseServerError("Server error", content_type="text/plain")


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database check for the load balancer (one query): 200, or 503 naming the
    failing check."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        body = {"status": "unavailable", "checks": {"database": type(exc).__name__}}
        response = JsonResponse(body, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return JsonResponse({"status": "ok", "checks": {"database": "ok"}})
