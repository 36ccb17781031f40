"""Face 2, the curator admin: every model, scoped by registry/access.py, workflow through
registry/workflow.py. Importing the modules registers their ModelAdmins."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from registry.admin import accounts, base, lockouts, records, review  # noqa: F401

admin.site.site_header = _("Hetao Registry — curators")
admin.site.site_title = _("Hetao Registry")
admin.site.index_title = _("Curate the registry")
admin.site.index_template = "admin/registry/index.html"
