"""What the public pages do with their query string: a page that takes no parameter answers
400 for any, as the listings do for one they do not know (a mistyped filter never looks like
the unfiltered page)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from registry import filters


def bad_request(request: HttpRequest, errors: dict[str, list[str]]) -> HttpResponse:
    """The 400 page naming each parameter at fault."""
    return render(request, "registry/public/bad_request.html", {"errors": errors}, status=400)


def takes_no_parameters(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A page with nothing to filter: every query parameter is unknown."""

    @wraps(view)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.GET:
            return bad_request(request, filters.parameter_errors(request.GET, ()))
        return view(request, *args, **kwargs)

    return checked
