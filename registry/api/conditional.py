"""Strong ETags from the record's version, and the If-Match / If-None-Match rules."""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _
from rest_framework.request import Request

from registry.api.errors import InvalidParameters, PreconditionFailed, PreconditionRequired

ETAG_RE = re.compile(r'^"v(?P<version>\d+)(?:\.[A-Za-z-]+)?"$')
# Any entity-tag (RFC 9110 §8.8.3): an optional W/, then quoted visible characters.
ENTITY_TAG_RE = re.compile(r'^(W/)?"[\x21\x23-\x7e\x80-\xff]*"$')


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
    """The version the writer last read, from If-Match. Missing: 428. Not an entity-tag:
    400. An entity-tag that does not match the current version, this server's or not: 412
    (the save compares again inside its transaction)."""
    header = request.headers.get("If-Match")
    if not header:
        raise PreconditionRequired()
    tags = _tags(header)
    if tags == ["*"]:
        return current_version
    if not all(ENTITY_TAG_RE.match(tag) for tag in tags):
        # Not an entity-tag at all: a malformed request. One this server never gave is
        # well-formed and simply does not match: 412 below (RFC 9110 §13.1.1).
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
