"""/<lang>/data/: the latest open-data dump (``manage.py export_dump``) and its files.

The page and the downloads read the dump folder named by ``REGISTRY_DUMP_DIR/latest``; no
database query. Only the files the dump's manifest lists are ever served (by their plain names,
never a path taken from the URL), each with its SHA-256 as a strong ETag.
"""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import parse_etags
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers

from registry import exports
from registry.public.parameters import takes_no_parameters
from registry.public.views import PUBLIC_CACHE


def _resource_rows(manifest: exports.Manifest) -> list[dict[str, Any]]:
    files = manifest.files()
    rows = []
    for name, entry in manifest.resources.items():
        model = exports.RESOURCE_MODELS.get(name)
        downloads = []
        for file_format in ("json", "csv"):
            path = (entry.get("files") or {}).get(file_format, {}).get("path")
            if path in files:
                downloads.append(
                    {
                        **files[path],
                        "label": file_format.upper(),
                        "url": reverse("public:data-file", args=[path]),
                    }
                )
        rows.append(
            {
                "name": name,
                "label": model._meta.verbose_name_plural if model else name,
                "reference": entry.get("kind") == "reference",
                "count": entry.get("count", 0),
                "files": downloads,
            }
        )
    return rows


@require_safe
@PUBLIC_CACHE
@vary_on_headers("Accept-Language")
@takes_no_parameters
def data_page(request: HttpRequest) -> HttpResponse:
    """The latest dump: schema version, generation time, licence, and per resource the record
    count and each file's size and checksum. Says so when there is no dump yet."""
    manifest = exports.latest_dump()
    context: dict[str, Any] = {"manifest": manifest}
    if manifest is not None:
        context.update(
            {
                "resources": _resource_rows(manifest),
                "generated_at": manifest.generated_at,
                "licence": manifest.licence,
                "manifest_file": {
                    **manifest.files()[exports.MANIFEST],
                    "url": reverse("public:data-file", args=[exports.MANIFEST]),
                },
            }
        )
    return render(request, "registry/public/data.html", context)


@require_safe
@PUBLIC_CACHE
@takes_no_parameters
def download(request: HttpRequest, filename: str) -> HttpResponse:
    """One file of the latest dump, as an attachment; 404 for any name its manifest does not
    list. ``If-None-Match`` with the file's checksum gives 304."""
    manifest = exports.latest_dump()
    entry = manifest.files().get(filename) if manifest is not None else None
    if entry is None or not entry.get("sha256"):
        raise Http404
    etag = f'"{entry["sha256"]}"'
    wanted = parse_etags(request.headers.get("If-None-Match", ""))
    if etag in wanted or "*" in wanted:
        response = HttpResponseNotModified()
        response["ETag"] = etag
        return response
    path = manifest.path_of(filename)
    try:
        handle = path.open("rb")
    except OSError:  # pruned between reading the manifest and opening the file
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=filename,
        content_type=exports.CONTENT_TYPES[entry["format"]],
    )
    response["ETag"] = etag
    return response
