"""WSGI entry point (gunicorn hetao.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hetao.settings")
application = get_wsgi_application()
