"""Strong ETags from the record's version, and the If-Match / If-None-Match rules."""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _
from rest_framework.request import Request

from registry.api.errors import InvalidParameters, PreconditionFailed, PreconditionRequired

ETAG_RE = re.compile(r'^"v(?P<version>\d+)(?:\.[A-Za-z-]+)?"$')


def etag_for(version: int, lang: str) -> str:
    """The representation depends on the version and the display language."""
    return f'"v{version}.{lang}"'


def _tags(header: str) -> list[str]:
    return [tag.strip() for tag in header.split(",") if tag.strip()]


def not_modified(request: Request, etag: str) -> bool:
    header = request.headers.get("If-None-Match", "")
    tags = _tags(header)
    # Weak comparison for If-None-Match (RFC 9110 §13.1.2).
    return "*" in tags or etag in [t.removeprefix("W/") for t in tags]


def expected_version(request: Request, current_version: int) -> int:
    """The version the writer last read, from If-Match. Missing: 428. A tag that does not
    match the current version: 412 (the save compares again inside its transaction)."""
    header = request.headers.get("If-Match")
    if not header:
        raise PreconditionRequired()
    tags = _tags(header)
    if tags == ["*"]:
        return current_version
    if not all(ETAG_RE.match(tag.removeprefix("W/")) for tag in tags):
        # Not an ETag this server ever gave: a malformed request, not a stale one.
        raise InvalidParameters(
            {"If-Match": [_('Send the ETag as it was given, e.g. "v3.en", or *.')]}
        )
    versions = []
    for tag in tags:
        match = ETAG_RE.match(tag)  # strong comparison: weak tags never match
        if match:
            versions.append(int(match["version"]))
    if current_version not in versions:
        raise PreconditionFailed()
    return current_version
