"""Every API error is an RFC 9457 problem: ``application/problem+json`` with ``type``,
``title``, ``status``, ``detail`` and, where a field or parameter is at fault, ``errors``
(``[{"field" | "parameter": name, "message": text}]``). Bad input never yields a 500."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db import IntegrityError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from registry import outages

PROBLEM_CONTENT_TYPE = "application/problem+json"
# Problem types are names, not pages: a URN per kind of problem (RFC 9457 §3.1.1).
TYPE_BASE = "urn:hetao-registry:problem:"


class Problem(exceptions.APIException):
    """A kind of API error of the registry's own, with its status and code as class
    arguments: ``class Conflict(Problem, status_code=409, code="conflict")``."""

    def __init_subclass__(cls, *, status_code: int, code: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.status_code, cls.default_code = status_code, code


class PreconditionRequired(
    Problem, status_code=status.HTTP_428_PRECONDITION_REQUIRED, code="precondition_required"
):
    default_detail = _("Send If-Match with the ETag you last read: writes must not be blind.")


class PreconditionFailed(
    Problem, status_code=status.HTTP_412_PRECONDITION_FAILED, code="precondition_failed"
):
    default_detail = _(
        "The record changed since you read it (your If-Match no longer matches its ETag). "
        "Read it again and reapply your change."
    )


class PayloadTooLarge(
    Problem, status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, code="payload_too_large"
):
    default_detail = _("The request body is too large.")


class ServiceUnavailable(
    Problem, status_code=status.HTTP_503_SERVICE_UNAVAILABLE, code="service_unavailable"
):
    default_detail = _("The registry's database is not answering; try again in a few seconds.")


class Conflict(Problem, status_code=status.HTTP_409_CONFLICT, code="conflict"):
    default_detail = _("Other records refer to this one; it cannot be deleted (retract it).")


class Gone(Problem, status_code=status.HTTP_410_GONE, code="gone"):
    """A retracted record: 410 with its tombstone."""

    default_detail = _("This record was retracted.")

    def __init__(self, tombstone: dict[str, Any]) -> None:
        super().__init__(tombstone.get("reason") or self.default_detail)
        self.tombstone = tombstone


class InvalidParameters(exceptions.ValidationError):
    """A 400 about query parameters (unknown ones, or bad values)."""

    default_code = "invalid_parameters"

    def __init__(self, problems: dict[str, list[str]]) -> None:
        super().__init__(problems)
        self.problems = problems


TITLES = {
    400: _("Bad request"),
    401: _("Not authenticated"),
    403: _("Forbidden"),
    404: _("Not found"),
    405: _("Method not allowed"),
    406: _("Not acceptable"),
    409: _("Conflict"),
    410: _("Gone"),
    412: _("Precondition failed"),
    413: _("Payload too large"),
    415: _("Unsupported media type"),
    428: _("Precondition required"),
    429: _("Too many requests"),
    500: _("Server error"),
    503: _("Service unavailable"),
}


def _flatten(detail: Any, key: str, prefix: str = "") -> list[dict[str, str]]:
    """DRF's nested error detail as a flat list of {key: name, message: text}."""
    if isinstance(detail, dict):
        rows = []
        for name, value in detail.items():
            path = name if not prefix else f"{prefix}.{name}"
            if name == "non_field_errors":
                path = prefix
            rows.extend(_flatten(value, key, path))
        return rows
    if isinstance(detail, list):
        rows = []
        for index, value in enumerate(detail):
            nested = isinstance(value, dict | list)
            rows.extend(_flatten(value, key, f"{prefix}[{index}]" if nested else prefix))
        return rows
    row = {"message": str(detail)}
    if prefix:
        row[key] = prefix
    return [row]


def problem(
    status_code: int, detail: str, *, code: str = "", errors: list | None = None, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": TYPE_BASE + (code or str(status_code)).replace("_", "-"),
        "title": str(TITLES.get(status_code, _("Error"))),
        "status": status_code,
        "detail": str(detail),
    }
    if errors:
        body["errors"] = errors
    body.update(extra)
    return body


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler first (it sets WWW-Authenticate, Retry-After, Allow), then the body."""
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    if outages.database_unavailable(exc):
        exc = ServiceUnavailable()
    if isinstance(exc, ProtectedError | RestrictedError):
        exc = Conflict()
    elif isinstance(exc, IntegrityError):
        # Validation runs before every write; this is a race with another writer.
        exc = Conflict(_("This conflicts with data stored meanwhile; read again and retry."))
    response = exception_handler(exc, context)
    if response is None:
        return None
    code = getattr(exc, "default_code", "") or ""
    errors = None
    if isinstance(exc, exceptions.ValidationError):
        key = "parameter" if isinstance(exc, InvalidParameters) else "field"
        errors = _flatten(exc.detail, key)
        detail = "; ".join(
            f"{row.get(key, '')}: {row['message']}".lstrip(": ") for row in errors[:5]
        ) or str(_("Invalid input."))
        code = "invalid-parameters" if key == "parameter" else "validation-error"
    elif isinstance(exc, Http404):
        detail, code = str(_("No such record here.")), "not-found"
    elif isinstance(exc, PermissionDenied):
        detail, code = str(exc) or str(_("You may not do this.")), "forbidden"
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
    extra = {"tombstone": exc.tombstone} if isinstance(exc, Gone) else {}
    response.data = problem(response.status_code, detail, code=code, errors=errors, **extra)
    response.content_type = PROBLEM_CONTENT_TYPE
    if isinstance(exc, ServiceUnavailable):
        response["Retry-After"] = str(outages.RETRY_AFTER_SECONDS)
    return response


def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Unknown URLs under /api/ are problems too, not HTML pages."""
    return JsonResponse(
        problem(404, str(_("There is no such API endpoint.")), code="not-found"),
        status=404,
        content_type=PROBLEM_CONTENT_TYPE,
    )
