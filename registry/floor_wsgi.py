"""The API floor of ``make bench`` as a WSGI application, for gunicorn (registry/benchmarks.py)."""

import gc
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hetao.settings")
django.setup()

from registry.benchmarks import floor_application as application  # noqa: E402

gc.freeze()  # as hetao/wsgi.py does: the floor runs in a worker set up alike

__all__ = ["application"]
