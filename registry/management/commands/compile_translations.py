"""Compile the .po translation files under locale/ into .mo files, with polib.

Django's own ``compilemessages`` needs GNU gettext installed on the machine; this needs only
the Python package, so `make run` and `make test` work on a fresh machine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polib
from django.conf import settings
from django.core.management.base import BaseCommand


def compile_translations(locale_dirs: list[Path] | None = None) -> list[Path]:
    """Write each .mo whose .po is newer (or whose .mo is missing); return those written."""
    written = []
    for locale_dir in locale_dirs or [Path(p) for p in settings.LOCALE_PATHS]:
        for po_path in sorted(Path(locale_dir).rglob("*.po")):
            mo_path = po_path.with_suffix(".mo")
            if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                continue
            polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
            written.append(mo_path)
    return written


class Command(BaseCommand):
    help = "Compile locale/**/*.po into .mo files (no GNU gettext needed)."

    def handle(self, *args: Any, **options: Any) -> None:
        written = compile_translations()
        for path in written:
            self.stdout.write(f"compiled {path}")
        self.stdout.write(f"{len(written)} translation files compiled")
