#!/usr/bin/env python
"""Django's command-line utility for the Hetao Registry."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hetao.settings")
    serving = len(sys.argv) > 1 and sys.argv[1] in {"runserver", "testserver"}
    if not os.environ.get("DJANGO_SECRET_KEY") and not serving:
        # Offline commands (migrate, makemigrations, import_ror…) sign nothing that outlives
        # the process: a throwaway key lets them run from a bare checkout. Serving still
        # needs a real key (or DJANGO_DEBUG), as hetao/settings.py insists.
        import secrets

        os.environ["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(50)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
