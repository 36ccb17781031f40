"""Upload ROR JSON records (files or a dump zip) in the admin, with a dry run first."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from registry import access, uploads
from registry.importers.ror import import_ror_records, read_ror_paths


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)]


class RorUploadForm(forms.Form):
    files = MultipleFileField(
        label=_("ROR records"),
        widget=MultipleFileInput(attrs={"accept": ".json,.zip"}),
        help_text=_(
            "ROR schema v2 JSON files (one record or an array each) or a zip of them, within "
            "the upload limits; a full ROR data dump goes through manage.py import_ror."
        ),
    )
    dry_run = forms.BooleanField(
        label=_("Dry run: show what would change and write nothing"), required=False, initial=True
    )

    def clean_files(self) -> list:
        files = self.cleaned_data["files"]
        for upload in files:
            if not upload.name.lower().endswith((".json", ".zip")):
                raise forms.ValidationError(
                    _("%(name)s is neither a .json file nor a .zip dump.") % {"name": upload.name}
                )
            uploads.check_upload(upload.name, upload.size, upload.file)
        return files


def import_ror_view(model_admin, request: HttpRequest) -> HttpResponse:
    """GET: the upload form. POST: the import (or dry run) and its report."""
    if not access.can_import_ror(request.user):
        raise PermissionDenied(_("Importing ROR records is for zone editors."))
    report = None
    form = RorUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        with tempfile.TemporaryDirectory(prefix="ror-upload-") as folder:
            paths = []
            for index, upload in enumerate(form.cleaned_data["files"]):
                path = Path(folder) / f"{index:03d}-{Path(upload.name).name}"
                with path.open("wb") as out:
                    for chunk in upload.chunks():
                        out.write(chunk)
                paths.append(path)
            records = read_ror_paths(paths)
            report = import_ror_records(
                records, user=request.user, dry_run=form.cleaned_data["dry_run"]
            )
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": _("Import ROR records"),
        "form": form,
        "report": report,
    }
    return TemplateResponse(request, "admin/registry/import_ror.html", context)
