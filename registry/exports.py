"""Open-data dumps (docs/architecture.md §10–11: ``export_dump``, ``data/``).

``write_dump(directory)`` writes, for every curated resource and the reference data, a JSON file
in the API representation (the API's own serializers, as the anonymous public sees them) and a
flat CSV file, then ``manifest.json`` with record counts, SHA-256 checksums, the schema version
and the licence. Published records only: every queryset goes through ``access.public``.

Layout of ``directory``::

    latest                       a text file naming the newest dump folder
    20261125T101500Z/            one folder per dump, renamed into place when complete
        organisations.json       [ {…}, {…} ]  one record per line, UTF-8
        organisations.csv        id, names per script, scalar fields, related ids joined by ";"
        …
        manifest.json

A dump is written into a hidden temporary folder beside the others and renamed when complete,
so a reader never sees half a dump; ``latest`` is replaced atomically afterwards.

``load_dump(directory)`` reads a dump back into an empty registry through the normal save path
(ids kept, versions, history and change events as for any new record).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from registry import access, representations, resources
from registry.models import (
    CURATED_MODELS,
    ChangeEvent,
    Facility,
    FactorFlow,
    FundingCeiling,
    FundingLine,
    FundingScheme,
    Organisation,
    OrganisationRelation,
    Output,
    Participation,
    PolicyInstrument,
    PriorityArea,
    Project,
    Publication,
    ResearchField,
    SubArea,
)
from registry.scripts import SCRIPTS, derived_script, from_keys

SCHEMA_VERSION = "1"
# The registry's choice of licence for its open data. CC BY 4.0 allows any reuse, commercial
# included; unlike earlier versions it licenses database (sui generis) rights as well as
# copyright, which matters for a compiled register; and the credit it asks for keeps the
# provenance chain visible. The ROR records it includes are CC0, which allows relicensing.
LICENCE = {
    "name": "CC BY 4.0",
    "title": "Creative Commons Attribution 4.0 International",
    "url": "https://creativecommons.org/licenses/by/4.0/",
    "attribution": (
        "Hetao Registry (Hetao Shenzhen-Hong Kong Science and Technology Innovation "
        "Cooperation Zone)"
    ),
}
NOTES = (
    "Published records only. Each record carries its provenance (sources, verification, as_of); "
    'records whose verification is "illustrative" were invented for demonstration.'
)
CHUNK_SIZE = 500
LATEST = "latest"
MANIFEST = "manifest.json"
# Dump folders are UTC timestamps, with "-N" when two dumps start in the same second.
DUMP_NAME = re.compile(r"^\d{8}T\d{6}Z(?:-\d{1,4})?$")
# The only file names a manifest may list (no separators, no dots but the extension's).
FILE_NAME = re.compile(r"^[a-z][a-z0-9-]*\.(?:json|csv)$")
CONTENT_TYPES = {"json": "application/json", "csv": "text/csv; charset=utf-8"}


class DumpError(Exception):
    """A dump that cannot be written or read (missing, damaged, another schema)."""


# -- what a dump holds ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Resource:
    name: str
    model: type[models.Model]
    curated: bool = True

    def fields(self) -> tuple[str, ...]:
        """The resource's fields, as the API shows them (sub-areas have no API resource, but
        facilities refer to them by code: the dump carries them so that it loads into an
        empty registry)."""
        if self.curated:
            return resources.api_fields(self.model)
        return representations.REFERENCE_FIELDS[self.name]

    def records(self) -> Iterator[dict[str, Any]]:
        """The published records as the anonymous public gets them from the API in English
        (``name`` in English, every script in ``names``…; related records the public may not
        see left out; ``url`` the API path), read in chunks of CHUNK_SIZE: a query for each
        chunk and one per related list."""
        if not self.curated:
            queryset = self.model.objects.order_by("code")
            yield from representations.represent_reference(queryset, self.name, "en")
            return
        reader = representations.Reader(lang="en", dump=True)
        published = access.public(self.model.objects.all()).order_by("pk")
        last = 0
        while True:
            chunk = published.filter(pk__gt=last)[:CHUNK_SIZE]
            records, rows = representations.build(chunk, reader)
            yield from records
            if len(rows) < CHUNK_SIZE:
                return
            last = rows[-1]["pk"]


RESOURCES: tuple[Resource, ...] = (
    *(Resource(model.RESOURCE, model) for model in CURATED_MODELS),
    Resource("fields", ResearchField, curated=False),
    Resource("priority-areas", PriorityArea, curated=False),
    Resource("sub-areas", SubArea, curated=False),
)
RESOURCE_MODELS = {resource.name: resource.model for resource in RESOURCES}


# -- CSV -------------------------------------------------------------------------------------------
# Nested objects stay JSON text in one cell (their full shape is in the JSON file).
JSON_CELLS = {"aliases", "external_ids", "relationships", "participations", "funding_lines"}
# Extra columns of related ids, derived from nested objects.
ID_COLUMNS: dict[str, list[tuple[str, str]]] = {
    "participations": [("participant_organisations", "organisation")],
    "funding_lines": [("funders", "funder"), ("funding_schemes", "scheme")],
}


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _is_brief(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"id", "name"}


def _cell(value: Any) -> str:
    """One CSV cell: related records by id, lists joined by ";", nothing as an empty cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if _is_brief(value):
        return str(value["id"])
    if isinstance(value, list):
        if all(_is_brief(item) for item in value):
            return ";".join(str(item["id"]) for item in value)
        if all(isinstance(item, str) for item in value):
            return ";".join(value)
        return _json_text(value)
    if isinstance(value, dict):
        return _json_text(value)
    return str(value)


def _ids_of(items: list[dict], key: str) -> str:
    seen: dict[str, None] = {}
    for item in items or []:
        if item.get(key):
            seen.setdefault(str(item[key]["id"]), None)
    return ";".join(seen)


Column = tuple[str, Callable[[dict], str]]


def csv_columns(fields: Iterable[str]) -> list[Column]:
    """The flat columns of a resource, in the order of its API fields (``url`` left out)."""
    columns: list[Column] = []
    for key in fields:
        if key == "url":
            continue
        if key in resources.TEXTS:
            for script, suffix in SCRIPTS:
                columns.append(
                    (
                        f"{resources.TEXTS[key]}_{suffix}",
                        lambda row, k=key, s=script: (row.get(k) or {}).get(s) or "",
                    )
                )
        elif key == "provenance":
            for part in ("sources", "verification", "as_of", "derived"):
                columns.append((part, lambda row, k=key, p=part: _cell(row[k][p])))
        elif key in JSON_CELLS:
            columns.append((key, lambda row, k=key: _json_text(row[k]) if row[k] else ""))
            for column, inner in ID_COLUMNS.get(key, []):
                columns.append((column, lambda row, k=key, i=inner: _ids_of(row[k], i)))
        else:
            columns.append((key, lambda row, k=key: _cell(row[k])))
    return columns


# -- writing ---------------------------------------------------------------------------------------
class _HashingWriter(io.RawIOBase):
    """A binary file that counts and hashes what is written to it."""

    def __init__(self, path: Path) -> None:
        self.file = path.open("wb")
        self.sha256 = hashlib.sha256()
        self.bytes = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.file.write(data)
        self.sha256.update(data)
        self.bytes += len(data)
        return len(data)

    def close(self) -> None:
        if not self.file.closed:
            self.file.flush()
            os.fsync(self.file.fileno())
            self.file.close()
        super().close()


@contextmanager
def _text_file(path: Path) -> Iterator[tuple[io.TextIOWrapper, _HashingWriter]]:
    raw = _HashingWriter(path)
    buffered = io.BufferedWriter(raw, buffer_size=1 << 16)
    text = io.TextIOWrapper(buffered, encoding="utf-8", newline="")
    try:
        yield text, raw
    finally:
        text.close()


def _file_entry(path: Path, raw: _HashingWriter) -> dict[str, Any]:
    return {"path": path.name, "sha256": raw.sha256.hexdigest(), "bytes": raw.bytes}


def _write_resource(resource: Resource, folder: Path) -> dict[str, Any]:
    """Stream the resource's records, chunk by chunk, into its JSON and CSV files at once."""
    columns = csv_columns(resource.fields())
    json_path = folder / f"{resource.name}.json"
    csv_path = folder / f"{resource.name}.csv"
    count = 0
    with (
        _text_file(json_path) as (json_file, json_raw),
        _text_file(csv_path) as (csv_file, csv_raw),
    ):
        table = csv.writer(csv_file, lineterminator="\r\n")
        table.writerow([name for name, _ in columns])
        json_file.write("[")
        for row in resource.records():
            json_file.write("\n" if count == 0 else ",\n")
            json_file.write(json.dumps(row, ensure_ascii=False))
            table.writerow([extract(row) for _, extract in columns])
            count += 1
        json_file.write("\n]\n" if count else "]\n")
    return {
        "count": count,
        "kind": "curated" if resource.curated else "reference",
        "files": {"json": _file_entry(json_path, json_raw), "csv": _file_entry(csv_path, csv_raw)},
    }


@contextmanager
def _consistent_reads() -> Iterator[None]:
    """On PostgreSQL, every file of a dump reads one snapshot (REPEATABLE READ, read only).
    SQLite's transactions here take the write lock (IMMEDIATE), so there each query reads its
    own snapshot; the counts still match the files, which are written from the same rows."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def _dump_sort_key(name: str) -> tuple[str, int]:
    stamp, _, number = name.partition("-")
    return stamp, int(number or 0)


def dump_folders(directory: Path) -> list[str]:
    """The names of the complete dumps in ``directory``, oldest first."""
    try:
        names = [
            entry.name
            for entry in directory.iterdir()
            if DUMP_NAME.match(entry.name) and (entry / MANIFEST).is_file()
        ]
    except OSError:  # missing or unreadable: no dump to offer
        return []
    return sorted(names, key=_dump_sort_key)


def _replace_text(path: Path, text: str) -> None:
    """Write a small text file atomically (a temporary file, then ``os.replace``)."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o644)  # mkstemp makes it private; a dump is for everyone to read
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@dataclass
class Manifest:
    """A complete dump: its folder and what its ``manifest.json`` says."""

    folder: Path
    data: dict[str, Any]
    sha256: str = ""
    bytes: int = 0

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def schema_version(self) -> str:
        return str(self.data.get("schema_version", ""))

    @property
    def generated_at(self) -> datetime | None:
        try:
            return datetime.fromisoformat(self.data["generated_at"])
        except (KeyError, TypeError, ValueError):
            return None

    @property
    def licence(self) -> dict[str, str]:
        return self.data.get("licence") or {}

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return self.data.get("resources") or {}

    def files(self) -> dict[str, dict[str, Any]]:
        """Every downloadable file by name, with its format, checksum and size; the manifest
        itself included. Names that are not plain file names are never listed."""
        found: dict[str, dict[str, Any]] = {}
        for resource, entry in self.resources.items():
            for file_format, file in (entry.get("files") or {}).items():
                path = str(file.get("path", ""))
                if file_format in CONTENT_TYPES and FILE_NAME.match(path):
                    found[path] = {**file, "format": file_format, "resource": resource}
        found[MANIFEST] = {
            "path": MANIFEST,
            "sha256": self.sha256,
            "bytes": self.bytes,
            "format": "json",
            "resource": None,
        }
        return found

    def path_of(self, filename: str) -> Path | None:
        """The file called ``filename`` if the manifest lists it (no other name is served)."""
        if filename not in self.files():
            return None
        return self.folder / filename

    def summary(self) -> str:
        lines = [
            f"Dump {self.name} (schema {self.schema_version}, {self.licence.get('name', '')}) "
            f"in {self.folder}"
        ]
        for name, entry in self.resources.items():
            files = entry.get("files", {})
            sizes = ", ".join(
                f"{fmt} {files[fmt]['bytes']} bytes sha256 {files[fmt]['sha256'][:12]}…"
                for fmt in ("json", "csv")
                if fmt in files
            )
            lines.append(f"  {name}: {entry.get('count', 0)} records ({sizes})")
        return "\n".join(lines)


def read_manifest(folder: Path) -> Manifest:
    path = folder / MANIFEST
    try:
        content = path.read_bytes()
        data = json.loads(content.decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise DumpError(f"No readable {MANIFEST} in {folder}: {error}") from None
    if not isinstance(data, dict):
        raise DumpError(f"{path} is not a JSON object.")
    return Manifest(folder, data, hashlib.sha256(content).hexdigest(), len(content))


def latest_dump(directory: Path | str | None = None) -> Manifest | None:
    """The newest complete dump in ``directory`` (default ``REGISTRY_DUMP_DIR``), named by the
    ``latest`` file, else the newest dump folder; None when there is none or it is damaged."""
    directory = Path(directory if directory is not None else settings.REGISTRY_DUMP_DIR)
    try:
        name = (directory / LATEST).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        name = ""
    if not DUMP_NAME.match(name) or not (directory / name / MANIFEST).is_file():
        folders = dump_folders(directory)
        if not folders:
            return None
        name = folders[-1]
    try:
        return read_manifest(directory / name)
    except DumpError:
        return None


def _new_dump_name(directory: Path, now: datetime) -> str:
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    name, number = stamp, 0
    while (directory / name).exists():
        number += 1
        name = f"{stamp}-{number}"
    return name


def prune(directory: Path, keep: int) -> list[str]:
    """Delete all but the ``keep`` newest dump folders (and nothing else); their names."""
    if keep < 1:
        raise ValueError("keep at least one dump")
    folders = dump_folders(directory)
    removed = folders[:-keep]
    for name in removed:
        shutil.rmtree(directory / name)
    return removed


def write_dump(directory: Path | str, *, keep: int | None = None) -> Manifest:
    """Write a complete dump into ``directory/<UTC timestamp>/``, point ``latest`` at it and,
    with ``keep``, delete all but the ``keep`` newest dumps. Returns its manifest."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    now = timezone.now().astimezone(UTC).replace(microsecond=0)
    work = Path(tempfile.mkdtemp(prefix=".tmp-", dir=directory))
    try:
        with _consistent_reads():
            written = {resource.name: _write_resource(resource, work) for resource in RESOURCES}
            # Where /api/v1/changes/ goes on from this dump: every event up to it is in it.
            changes_cursor = ChangeEvent.objects.order_by("-pk").values_list("pk", flat=True)
            changes_cursor = changes_cursor.first() or 0
        manifest = {
            "schema_version": SCHEMA_VERSION,
            "generated_at": now.isoformat().replace("+00:00", "Z"),
            "changes_cursor": changes_cursor,
            "generator": "Hetao Registry: manage.py export_dump",
            "licence": LICENCE,
            "notes": NOTES,
            "formats": {
                "json": "A JSON array, one record per line, in the API representation "
                "(/api/v1/<resource>/<id>/) seen by the public.",
                "csv": "RFC 4180, UTF-8: one row per record; related records by id, several "
                'joined by ";"; nested objects as JSON text.',
            },
            "resources": written,
        }
        _replace_text(work / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
        os.chmod(work, 0o755)  # mkdtemp makes it private; a dump is for everyone to read
        name = _new_dump_name(directory, now)
        os.replace(work, directory / name)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    _replace_text(directory / LATEST, name + "\n")
    if keep is not None:
        prune(directory, keep)
    return read_manifest(directory / name)


# -- reading a dump back ---------------------------------------------------------------------------
def verify(manifest: Manifest) -> None:
    """Raise DumpError unless every listed file has the size and SHA-256 the manifest gives."""
    for filename, entry in manifest.files().items():
        if filename == MANIFEST:
            continue
        path = manifest.folder / filename
        digest = hashlib.sha256()
        size = 0
        try:
            with path.open("rb") as file:
                for block in iter(lambda f=file: f.read(1 << 20), b""):
                    digest.update(block)
                    size += len(block)
        except OSError as error:
            raise DumpError(f"{filename}: {error}") from None
        if digest.hexdigest() != entry.get("sha256") or size != entry.get("bytes"):
            raise DumpError(f"{filename} does not match its checksum in {MANIFEST}.")


def open_dump(directory: Path | str) -> Manifest:
    """A dump folder itself, or the newest dump of a dumps directory."""
    directory = Path(directory)
    if (directory / MANIFEST).is_file():
        return read_manifest(directory)
    manifest = latest_dump(directory)
    if manifest is None:
        raise DumpError(f"No dump in {directory}.")
    return manifest


@dataclass
class LoadReport:
    created: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)

    def summary(self) -> str:
        counts = ", ".join(f"{name} {n}" for name, n in self.created.items())
        return f"Loaded {counts}; skipped {len(self.skipped)}."


def _set_fields(obj: models.Model, row: dict[str, Any], names: Iterable[str]) -> None:
    for name in names:
        if name in row:
            value = row[name]
            model_field = obj._meta.get_field(name)
            if value is None and not model_field.null:
                value = model_field.get_default()
            setattr(obj, name, model_field.to_python(value))


def _set_texts(obj: models.Model, row: dict[str, Any]) -> None:
    for key, stem in resources.TEXTS.items():
        if key in row and hasattr(obj, f"{stem}_en"):
            for name, text in from_keys(row[key], stem).items():
                setattr(obj, name, text)


class _Loader:
    """Creates the records of one dump, resolving references by public id and code."""

    def __init__(self, manifest: Manifest) -> None:
        self.manifest = manifest
        self.report = LoadReport()
        self.now = timezone.now()
        self.by_id: dict[type[models.Model], dict[str, models.Model]] = {}
        self.by_code: dict[type[models.Model], dict[str, models.Model]] = {}

    def rows(self, name: str) -> list[dict[str, Any]]:
        entry = self.manifest.resources.get(name)
        if entry is None:
            return []
        path = self.manifest.folder / entry["files"]["json"]["path"]
        try:
            rows = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise DumpError(f"{path.name}: {error}") from None
        if not isinstance(rows, list):
            raise DumpError(f"{path.name} is not a JSON array.")
        return rows

    def ref(self, model: type[models.Model], brief: dict | None, where: str) -> Any:
        """The loaded record a brief ``{"id", "name"}`` names; None (and a note) if missing."""
        if not brief:
            return None
        found = self.by_id.get(model, {}).get(brief["id"]) or self.by_code.get(model, {}).get(
            brief["id"]
        )
        if found is None:
            self.report.skipped.append(f"{where}: {brief['id']} is not in the dump")
        return found

    def refs(self, model: type[models.Model], briefs: list[dict], where: str) -> list[Any]:
        return [found for brief in briefs or [] if (found := self.ref(model, brief, where))]

    def curated(self, model: type[models.Model], row: dict[str, Any]) -> Any:
        obj = model(public_id=row["id"])
        _set_texts(obj, row)
        _set_fields(obj, row, resources.scalars(model))
        obj.publication = row.get("publication") or Publication.PUBLISHED
        obj.curating_section = row["curating_section"]
        provenance = row.get("provenance") or {}
        obj.sources = provenance.get("sources") or []
        obj.verification = provenance.get("verification") or obj.verification
        obj.as_of = _set_date(provenance.get("as_of"))
        if hasattr(obj, "derived_script"):
            obj.derived_script = derived_script(provenance.get("derived"))
        if obj.publication == Publication.PUBLISHED:
            obj.published_at = self.now
        if model is not Organisation and row.get("owner"):
            obj.owner = self.ref(Organisation, row["owner"], f"{row['id']} owner")
        return obj

    def saved(self, model: type[models.Model], obj: Any, name: str) -> Any:
        obj.save()
        self.by_id.setdefault(model, {})[obj.public_id] = obj
        self.report.created[name] = self.report.created.get(name, 0) + 1
        return obj

    # -- one method per resource, in dependency order ---------------------------------------
    def run(self) -> LoadReport:
        # Every resource of the dump is named in the report, with 0 if none of it was loaded.
        self.report.created = dict.fromkeys(self.manifest.resources, 0)
        self.reference()
        self.organisations()
        self.facilities()
        self.policies()
        self.schemes()
        self.projects()
        self.outputs()
        self.flows()
        return self.report

    def reference(self) -> None:
        for area in self.rows("sub-areas"):
            obj, _ = SubArea.objects.update_or_create(
                code=area["id"],
                defaults={
                    **_names(area),
                    "section": area["section"],
                    "area_km2": Decimal(area["area_km2"]) if area.get("area_km2") else None,
                    "sources": area.get("sources") or [],
                },
            )
            self.by_code.setdefault(SubArea, {})[obj.code] = obj
        # Major fields before the fields under them.
        for item in sorted(
            self.rows("fields"), key=lambda r: (r.get("parent") is not None, r["id"])
        ):
            obj, _ = ResearchField.objects.update_or_create(
                code=item["id"],
                defaults={
                    **_names(item),
                    "parent": self.by_code.get(ResearchField, {}).get(
                        (item.get("parent") or {}).get("id")
                    ),
                },
            )
            self.by_code.setdefault(ResearchField, {})[obj.code] = obj
        for item in self.rows("priority-areas"):
            defaults = {
                **_names(item),
                **from_keys(item.get("descriptions"), "description"),
                "sources": item.get("sources") or [],
            }
            obj, _ = PriorityArea.objects.update_or_create(code=item["id"], defaults=defaults)
            self.by_code.setdefault(PriorityArea, {})[obj.code] = obj
        for model, name in ((SubArea, "sub-areas"), (ResearchField, "fields")):
            self.report.created[name] = len(self.by_code.get(model, {}))
        self.report.created["priority-areas"] = len(self.by_code.get(PriorityArea, {}))

    def organisations(self) -> None:
        rows = self.rows("organisations")
        owners: list[tuple[Organisation, dict]] = []
        for row in rows:
            obj = self.curated(Organisation, row)
            owner = row.get("owner")
            if owner and owner["id"] in self.by_id.get(Organisation, {}):
                obj.owner = self.by_id[Organisation][owner["id"]]
            elif owner:
                owners.append((obj, owner))
            self.saved(Organisation, obj, "organisations")
        # Owners that came later in the file (or the organisation itself): a second save.
        for obj, owner in owners:
            obj.owner = self.ref(Organisation, owner, f"{obj.public_id} owner")
            if obj.owner is not None:
                obj.save()
        for row in rows:
            source = self.by_id[Organisation][row["id"]]
            for link in row.get("relationships") or []:
                target = self.by_id[Organisation].get(link["id"]) if link.get("id") else None
                if target is None and not link.get("ror_id"):
                    self.report.skipped.append(f"{row['id']}: relationship without target")
                    continue
                OrganisationRelation(
                    source=source,
                    kind=link["type"],
                    target=target,
                    target_ror_id=link.get("ror_id") or "",
                    target_label="" if target else (link.get("name") or ""),
                ).save()

    def facilities(self) -> None:
        pending = list(self.rows("facilities"))
        ids = {row["id"] for row in pending}
        # Parents before their children; a parent outside the dump is left out.
        while pending:
            ready = [
                row
                for row in pending
                if not row.get("parent")
                or row["parent"]["id"] not in ids
                or row["parent"]["id"] in self.by_id.get(Facility, {})
            ] or pending  # a cycle (never valid data): load the rest without waiting
            for row in ready:
                obj = self.curated(Facility, row)
                obj.sub_area = self.ref(SubArea, row.get("sub_area"), f"{row['id']} sub_area")
                obj.parent = self.ref(Facility, row.get("parent"), f"{row['id']} parent")
                self.saved(Facility, obj, "facilities")
                obj.hosts.set(self.refs(Organisation, row.get("hosts"), f"{row['id']} hosts"))
                obj.fields.set(self.refs(ResearchField, row.get("fields"), f"{row['id']} fields"))
                obj.priority_areas.set(
                    self.refs(PriorityArea, row.get("priority_areas"), f"{row['id']} areas")
                )
            done = {row["id"] for row in ready}
            pending = [row for row in pending if row["id"] not in done]

    def policies(self) -> None:
        for row in self.rows("policies"):
            obj = self.curated(PolicyInstrument, row)
            obj.issuer = self.ref(Organisation, row.get("issuer"), f"{row['id']} issuer")
            self.saved(PolicyInstrument, obj, "policies")

    def schemes(self) -> None:
        for row in self.rows("funding-schemes"):
            obj = self.curated(FundingScheme, row)
            obj.funder = self.ref(Organisation, row.get("funder"), f"{row['id']} funder")
            self.saved(FundingScheme, obj, "funding-schemes")
            for ceiling in row.get("ceilings") or []:
                FundingCeiling(
                    scheme=obj,
                    side=ceiling["side"],
                    currency=ceiling["currency"],
                    amount=Decimal(ceiling["amount"]),
                    note=ceiling.get("note") or "",
                ).save()

    def projects(self) -> None:
        for row in self.rows("projects"):
            obj = self.curated(Project, row)
            self.saved(Project, obj, "projects")
            where = row["id"]
            obj.fields.set(self.refs(ResearchField, row.get("fields"), f"{where} fields"))
            obj.priority_areas.set(
                self.refs(PriorityArea, row.get("priority_areas"), f"{where} areas")
            )
            # Each participation derives its side and keeps cross_border in step (signals).
            for item in row.get("participations") or []:
                dates = {name: _set_date(item.get(name)) for name in ("start_date", "end_date")}
                participation = Participation(project=obj, role=item["role"], **dates)
                self.part(participation, item, where, organisation=Organisation, facility=Facility)
            for item in row.get("funding_lines") or []:
                line = FundingLine(
                    project=obj,
                    currency=item["currency"],
                    amount=Decimal(item["amount"]),
                    side=item["side"],
                )
                self.part(line, item, where, funder=Organisation, scheme=FundingScheme)

    def part(self, obj: models.Model, item: dict, where: str, **references: type) -> None:
        """Save a row of a project (a participation, a funding line) with its references
        resolved by public id; without the first (the organisation), the row is left out."""
        for position, (name, model) in enumerate(references.items()):
            found = self.ref(model, item.get(name), where)
            if found is None and position == 0:
                return
            setattr(obj, name, found)
        obj.save()

    def outputs(self) -> None:
        """Each output with its project. ``Output.project`` is required, and a published
        output of a project the public may not see (retracted, back in draft) is dumped with
        ``"project": null``: such an output cannot be stored, so it is left out and named in
        the report, and the rest of the dump loads."""
        for row in self.rows("outputs"):
            where = row["id"]
            if not row.get("project"):
                self.report.skipped.append(
                    f"{where}: an output needs its project, and the dump names none "
                    "(the project is not published)"
                )
                continue
            project = self.ref(Project, row["project"], f"{where} project")
            if project is None:
                self.report.skipped.append(f"{where}: an output needs its project")
                continue
            obj = self.curated(Output, row)
            obj.project = project
            self.saved(Output, obj, "outputs")

    def flows(self) -> None:
        for row in self.rows("flows"):
            obj = self.curated(FactorFlow, row)
            where = row["id"]
            obj.project = self.ref(Project, row.get("project"), f"{where} project")
            obj.facility = self.ref(Facility, row.get("facility"), f"{where} facility")
            obj.mechanism = self.ref(PolicyInstrument, row.get("mechanism"), f"{where} mechanism")
            if obj.project is None and obj.facility is None:
                self.report.skipped.append(f"{where}: a flow needs a project or a facility")
                continue
            self.saved(FactorFlow, obj, "flows")


def _names(row: dict[str, Any]) -> dict[str, str]:
    return from_keys(row.get("names"), "name")


def _set_date(value: Any) -> Any:
    return models.DateField().to_python(value) if value else None


def load_dump(directory: Path | str, *, check: bool = True) -> LoadReport:
    """Load a dump (a dump folder, or the newest dump of a dumps directory) into an empty
    registry, in one transaction: organisations first, then facilities, policies, funding
    schemes, projects with their participants and funding, outputs and flows. References are
    resolved by public id (reference data by code); a record whose required reference is not
    in the dump is skipped and named in the report. With ``check``, the files' checksums are
    verified first."""
    manifest = open_dump(directory)
    if manifest.schema_version != SCHEMA_VERSION:
        raise DumpError(
            f"The dump has schema version {manifest.schema_version!r}; "
            f"this registry reads {SCHEMA_VERSION!r}."
        )
    if check:
        verify(manifest)
    occupied = [model.RESOURCE for model in CURATED_MODELS if model._base_manager.exists()]
    if occupied:
        raise DumpError(f"load_dump needs an empty registry; it holds {', '.join(occupied)}.")
    with transaction.atomic():
        return _Loader(manifest).run()
