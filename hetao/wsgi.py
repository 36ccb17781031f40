"""WSGI entry point (gunicorn hetao.wsgi)."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hetao.settings")
application = get_wsgi_application()

# What starting made (settings, apps, models, translations) lives as long as the worker:
# frozen, it is left out of the cyclic collector's full passes, which then look only at what
# requests leave behind. At a million projects such a pass inside a request cost 80 ms (the
# p95 of a list page), 10 ms once frozen (docs/performance.md).
gc.freeze()
