"""What a file sent to the registry may be: the caps every upload is held to, checked before
anything parses it, so that no upload can make a worker grow past what one request may use.

- at most ``REGISTRY_UPLOAD_MAX_BYTES`` as sent (default 10 MiB);
- a zip container (XLSX, a ROR dump zip) at most ``REGISTRY_UPLOAD_MAX_UNZIPPED_BYTES``
  unpacked (default 50 MiB), read from its directory before a member is opened: a zip bomb
  is refused unopened (``zipfile`` never returns more than a member's stated size);
- a table at most ``REGISTRY_IMPORT_MAX_ROWS`` rows (default 10,000).

A JSON body sent to the API is capped by Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (a 413) and
its nesting by ``registry/api/parsers.py``.
"""

from __future__ import annotations

import zipfile
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _


def max_bytes() -> int:
    return settings.REGISTRY_UPLOAD_MAX_BYTES


def max_unzipped_bytes() -> int:
    return settings.REGISTRY_UPLOAD_MAX_UNZIPPED_BYTES


def max_rows() -> int:
    return settings.REGISTRY_IMPORT_MAX_ROWS


def check_upload(name: str, size: int, file: IO[bytes]) -> None:
    """Refuse an upload over the caps, with a message that names the file and the cap."""
    if size > max_bytes():
        raise ValidationError(
            _("%(name)s is %(size)s; an upload may be at most %(cap)s.")
            % {"name": name, "size": filesizeformat(size), "cap": filesizeformat(max_bytes())},
            code="too_large",
        )
    position = file.tell()
    try:
        if zipfile.is_zipfile(file):
            file.seek(0)
            check_unzipped(name, file)
    finally:
        file.seek(position)


def check_unzipped(name: str, file: IO[bytes]) -> None:
    """Refuse a zip whose members unpack to more than the cap (from its directory alone)."""
    try:
        with zipfile.ZipFile(file) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise ValidationError(
            _("%(name)s is not a readable zip file: %(error)s") % {"name": name, "error": exc},
            code="bad_zip",
        ) from None
    if unpacked > max_unzipped_bytes():
        raise ValidationError(
            _("%(name)s unpacks to %(size)s; an upload may unpack to at most %(cap)s.")
            % {
                "name": name,
                "size": filesizeformat(unpacked),
                "cap": filesizeformat(max_unzipped_bytes()),
            },
            code="unzips_too_large",
        )


def check_rows(count: int) -> None:
    """Refuse a table of more rows than one import may hold."""
    if count > max_rows():
        raise ValidationError(
            _("The file has %(count)d rows; one import may hold at most %(cap)d. Split it.")
            % {"count": count, "cap": max_rows()},
            code="too_many_rows",
        )
