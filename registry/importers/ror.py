"""Import Research Organization Registry (ROR) records, schema v2, as organisations.

Reading: :func:`read_ror_paths` takes record files, folders (every ``*.json`` directly inside)
and ROR data dump zips (every ``.json`` member; a member holds one record or an array of them).
A file that cannot be read becomes a :class:`RorRecord` with a ``problem``, so it is reported
as an error row by the import like any bad record, and the rest still import.

Importing: :func:`import_ror_records` upserts by ROR id, in one transaction; each record that
changes anything is written in its own savepoint, so a bad one is an error row and never stops
the batch. What comes from ROR:

- **names** — the script of each name is read from its characters, never from ``lang`` (ROR
  tags Simplified and Traditional alike as ``zh``, or not at all): see :func:`classify_script`.
  ``ror_display`` comes first, then the ``label`` names: a Latin-script one fills ``name_en``
  (labels only when tagged ``en`` or untagged: a French label is not an English name), a
  Simplified one ``name_zh_hans``, a Traditional one ``name_zh_hant``; a name whose characters
  are written alike in both scripts (香港) fills whichever of the two is still empty; one that
  mixes both (Japanese 東京大学) or is in another script is only an alias. A script
  ROR gives no name in stays empty: display falls back, nothing is machine-converted. The first
  ``acronym`` fills ``acronym``; every other name (aliases, other acronyms, other labels, any
  script) goes to ``aliases`` once, without the names already used.
- **kind** — ROR's ``types`` is a list and the registry keeps one kind, so the first type in
  this order wins: education > healthcare > government > company > facility > nonprofit >
  funder > archive/other (see ``KIND_BY_ROR_TYPE``). What an organisation *is* comes before what
  it *also does*: most universities and science bureaus are funders too (``[education,
  funder]`` is a university, ``[funder, government]`` a government body), and a record typed
  both education and healthcare is most often a medical university, so education comes first.
- **status**, **established**, **location** (``locations[0].geonames_details``: country code,
  city; the jurisdiction follows the country: CN mainland, HK Hong Kong, MO Macao, any other
  overseas), **website** (the ``website`` link), **external ids** (``{"fundref": [...], "grid":
  [...], "isni": [...], "wikidata": [...]}``, each the ``all`` list) and the ROR id itself.
- **relationships** — one :class:`~registry.models.OrganisationRelation` per (type, ROR id),
  with ROR's label. A target not in the registry yet stays unresolved and resolves when it
  arrives (``registry.signals``), whichever order the records come in. Rows pointing at a ROR id
  that ROR no longer lists for the source are deleted; rows without a ROR target (added by a
  curator, to an organisation that has no ROR id) are left alone.

A new organisation is curated by the Shenzhen section when it is on the mainland, by the Hong
Kong section otherwise, and is published at once: ROR is curated public data, and a draft would
hide real universities from the public. Its provenance is the ROR record (``verified_primary``,
``sources=[ROR URL]``, ``as_of`` = ROR's last modification date).

An existing organisation keeps everything ROR does not describe (owner, section, publication,
verification, descriptions, projects…). Where ROR leaves a value empty (no Traditional name, no
``established`` year, no acronym…) the registry's value is kept: a curator's addition is not
wiped by ROR's silence. ``kind`` keeps a curator's ``public_body`` or ``alliance``, which no
ROR type can express. The ROR URL is added to ``sources`` if missing and ``as_of`` moves forward
to ROR's last modification date (never back). A record is saved only when one of its values
differs, so importing the same data twice writes nothing: no version bump, no history row.
"""

from __future__ import annotations

import datetime
import json
import logging
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, models, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_countries import countries
from simple_history.models import HistoricalRecords

from registry import identifiers, workflow
from registry.models import (
    Organisation,
    OrganisationRelation,
    Verification,
)
from registry.models.base import StaleRecordError
from registry.models.organisations import ROR_ID_REGEX, normalise_ror_id
from registry.scripts import converter, field_names

logger = logging.getLogger(__name__)

CHANGE_REASON = "ROR import"
# Enough ids per ``IN (...)`` to keep the lookups few, few enough for any database's limit.
LOOKUP_CHUNK = 500

# Dict order is the priority order: the first of a record's types found here gives its kind.
KIND_BY_ROR_TYPE: dict[str, str] = {
    "education": Organisation.Kind.UNIVERSITY,
    "healthcare": Organisation.Kind.HOSPITAL,
    "government": Organisation.Kind.GOVERNMENT,
    "company": Organisation.Kind.ENTERPRISE,
    "facility": Organisation.Kind.RESEARCH_INSTITUTE,
    "nonprofit": Organisation.Kind.NONPROFIT,
    "funder": Organisation.Kind.FUNDER,
    "archive": Organisation.Kind.OTHER,
    "other": Organisation.Kind.OTHER,
}
# Kinds no ROR type maps to: a curator chose them, and a re-import must not undo that.
CURATOR_ONLY_KINDS = frozenset({Organisation.Kind.PUBLIC_BODY, Organisation.Kind.ALLIANCE})

JURISDICTION_BY_COUNTRY: dict[str, str] = {
    "CN": Organisation.Jurisdiction.MAINLAND,
    "HK": Organisation.Jurisdiction.HONG_KONG,
    "MO": Organisation.Jurisdiction.MACAO,
}
# The external id types ROR schema v2 knows; other keys in ``external_ids`` are a curator's.
ROR_EXTERNAL_ID_TYPES = ("fundref", "grid", "isni", "wikidata")

# Languages that also write with Han characters: their labels are not Chinese names.
OTHER_HAN_LANGUAGES = frozenset({"ja", "ko", "vi"})

ACRONYM_MAX_LENGTH = Organisation._meta.get_field("acronym").max_length
RELATION_LABEL_MAX_LENGTH = OrganisationRelation._meta.get_field("target_label").max_length

# The fields an import writes; everything else on an organisation is the registry's own.
ROR_FIELDS = (
    "ror_id",
    "name_en",
    "name_zh_hans",
    "name_zh_hant",
    "acronym",
    "aliases",
    "kind",
    "status",
    "established",
    "country",
    "city",
    "jurisdiction",
    "website",
    "external_ids",
)
PROVENANCE_FIELDS = ("sources", "as_of")
# How a report row shows a blank value (no value, an empty list).
BLANK = "—"
# A report row's name for a change to an organisation's ROR relation rows.
RELATIONSHIPS = _("relationships")


# -- scripts ------------------------------------------------------------------------------------


class Script(StrEnum):
    """The writing system of a name, read from its characters."""

    LATIN = "latin"
    SIMPLIFIED = "zh_hans"
    TRADITIONAL = "zh_hant"
    CHINESE_COMMON = "zh"  # every character is written alike in both scripts (香港, 中文)
    OTHER = "other"  # kana, hangul, Cyrillic…; or Chinese mixing both scripts (東京大学)


_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_KANA_OR_HANGUL = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
# Traditional has regional standards: OpenCC's own (臺, 綫→線), Hong Kong's (台, 綫), Taiwan's.
_TRADITIONAL_STANDARDS = ("s2t", "s2hk", "s2tw")


def classify_script(text: str) -> Script:
    """The script ``text`` is written in, from its characters alone (no query).

    Chinese text is Simplified when converting it Traditional→Simplified leaves it unchanged and
    converting it to Traditional changes it; Traditional in the reverse case; common to both when
    neither conversion changes it. Traditional means "unchanged by conversion to *some*
    Traditional standard", because Hong Kong and Taiwan write 台 and 綫 where OpenCC's standard
    writes 臺 and 線: 台灣大學 is Traditional, not mixed. Text that both conversions change mixes
    the scripts (Japanese 東京大学) and is neither.
    """
    if _KANA_OR_HANGUL.search(text):
        return Script.OTHER
    if _HAN.search(text):
        simplified_already = converter("t2s").convert(text) == text
        traditional_already = any(
            converter(config).convert(text) == text for config in _TRADITIONAL_STANDARDS
        )
        if simplified_already:
            return Script.CHINESE_COMMON if traditional_already else Script.SIMPLIFIED
        return Script.TRADITIONAL if traditional_already else Script.OTHER
    letters = [char for char in text if char.isalpha()]
    if letters and all("LATIN" in unicodedata.name(char, "") for char in letters):
        return Script.LATIN
    return Script.OTHER


# -- reading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RorRecord:
    """One record as read, with where it came from; ``problem`` says why it could not be read
    (then ``data`` is None and the import reports it as an error row)."""

    origin: str
    data: Any = None
    problem: str = ""


def records_from_json(payload: Any, origin: str) -> list[RorRecord]:
    """The records in a parsed JSON document: an array of records, a single one, or a saved ROR
    API answer (``{"items": [...]}``); no query."""
    if (
        isinstance(payload, Mapping)
        and "id" not in payload
        and isinstance(payload.get("items"), list)
    ):
        payload = payload["items"]
    if isinstance(payload, list):
        return [RorRecord(f"{origin}[{index}]", item) for index, item in enumerate(payload)]
    return [RorRecord(origin, payload)]


def _parse_json(raw: bytes, origin: str) -> list[RorRecord]:
    """The records in a JSON document's bytes, or one unreadable record saying why."""
    try:
        payload = json.loads(raw)
    except UnicodeDecodeError:
        return [RorRecord(origin, problem="not UTF-8 text, so not a JSON file")]
    except json.JSONDecodeError as exc:
        return [RorRecord(origin, problem=f"invalid JSON: {exc}")]
    return records_from_json(payload, origin)


def read_ror_file(path: Path | str) -> list[RorRecord]:
    """The records in one JSON file (one record or an array of them); no query."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return [RorRecord(str(path), problem=f"cannot be read: {exc.strerror or exc}")]
    return _parse_json(raw, str(path))


def read_ror_folder(path: Path | str) -> list[RorRecord]:
    """The records in every ``*.json`` file directly inside ``path``, in name order; no query.

    Sub-folders are not read: the ror-records repository keeps one folder per release, and
    reading them all would import old versions of a record over newer ones.
    """
    path = Path(path)
    files = sorted(
        child for child in path.iterdir() if child.is_file() and child.suffix.lower() == ".json"
    )
    return [record for file in files for record in read_ror_file(file)]


def read_ror_zip(path: Path | str) -> list[RorRecord]:
    """The records in every ``.json`` member of a ROR data dump zip; no query.

    Dumps from the schema-v2 transition hold each release twice, ``…-ror-data.json`` in schema
    v1 and ``…-ror-data_schema_v2.json``: the v1 twin of a v2 member is skipped (it would give
    one error row per organisation in the world).
    """
    path = Path(path)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        return [RorRecord(str(path), problem=f"not a readable zip file: {exc}")]
    records: list[RorRecord] = []
    with archive:
        members = [
            info
            for info in archive.infolist()
            if not info.is_dir()
            and info.filename.lower().endswith(".json")
            and not info.filename.startswith("__MACOSX/")
        ]
        names = {info.filename for info in members}
        for info in members:
            origin = f"{path}:{info.filename}"
            v2_twin = re.sub(r"\.json$", "_schema_v2.json", info.filename, flags=re.IGNORECASE)
            if v2_twin != info.filename and v2_twin in names:
                logger.info("%s: skipped, %s holds the same records in schema v2", origin, v2_twin)
                continue
            try:
                raw = archive.read(info)
            except (zipfile.BadZipFile, OSError, RuntimeError) as exc:
                records.append(RorRecord(origin, problem=f"cannot be read from the zip: {exc}"))
                continue
            records.extend(_parse_json(raw, origin))
    return records


def read_ror_paths(paths: Iterable[Path | str]) -> list[RorRecord]:
    """The records in files, folders and dump zips, in the order given; no query.

    Raises FileNotFoundError naming the first path that does not exist, before reading any.
    """
    paths = [Path(path) for path in paths]
    for path in paths:
        if not path.exists():
            raise FileNotFoundError(f"{path} does not exist")
    records: list[RorRecord] = []
    for path in paths:
        if path.is_dir():
            records.extend(read_ror_folder(path))
        elif path.suffix.lower() == ".zip" or (
            path.suffix.lower() != ".json" and zipfile.is_zipfile(path)
        ):
            records.extend(read_ror_zip(path))
        else:
            records.extend(read_ror_file(path))
    return records


# -- mapping ------------------------------------------------------------------------------------


class InvalidRorRecord(ValueError):
    """A record that is not a usable ROR schema v2 record; the message says why."""


@dataclass(frozen=True)
class RorOrganisation:
    """What a ROR record says about an organisation, in the registry's terms."""

    ror_id: str
    name_en: str
    name_zh_hans: str
    name_zh_hant: str
    acronym: str
    other_names: tuple[str, ...]
    kind: str
    status: str
    established: int | None
    country: str
    city: str
    jurisdiction: str
    website: str
    external_ids: dict[str, list[str]]
    relations: tuple[tuple[str, str, str], ...]  # (kind, target ROR id, label)
    last_modified: datetime.date | None


def parse_ror_id(value: Any) -> str:
    """The canonical ``https://ror.org/…`` form of a ROR id, check digits verified (no query).

    Raises InvalidRorRecord when ``value`` is not a ROR id.
    """
    if not isinstance(value, str) or not value.strip():
        raise InvalidRorRecord("no `id`")
    ror_id = normalise_ror_id(value)
    body, check = ror_id[-8:-2], ror_id[-2:]
    if not re.match(ROR_ID_REGEX, ror_id) or identifiers.check_digits(body) != check:
        raise InvalidRorRecord(
            f"{value!r} is not a ROR id (https://ror.org/ followed by 0, six base32 characters "
            "and two check digits)"
        )
    return ror_id


def _text(value: Any) -> str:
    """A text with its whitespace collapsed; anything else (null, a number…) is blank."""
    return " ".join(value.split()) if isinstance(value, str) else ""


def _list_of_objects(record: Mapping[str, Any], key: str, *, required: bool = False) -> list:
    """``record[key]`` when it is a list of objects (a missing optional key is an empty list);
    raises InvalidRorRecord otherwise."""
    value = record.get(key)
    if value is None and not required:
        return []
    if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
        raise InvalidRorRecord(f"`{key}` is not a list of objects")
    return value


def names_from_ror(names: list[Mapping[str, Any]]) -> dict[str, Any]:
    """``name_en``, ``name_zh_hans``, ``name_zh_hant``, ``acronym`` and ``other_names`` from
    ROR's ``names`` list, each name's script read from its characters (no query)."""
    entries = []
    for entry in names:
        value, types = _text(entry.get("value")), entry.get("types")
        if not value:
            continue
        if not isinstance(types, list):
            raise InvalidRorRecord(f"name {value!r} has no list of `types`")
        lang = entry.get("lang")
        entries.append((value, set(types), lang.lower() if isinstance(lang, str) else ""))
    if not entries:
        raise InvalidRorRecord("no names")

    chosen = {"name_en": "", "name_zh_hans": "", "name_zh_hant": ""}
    common: list[str] = []
    # ROR's display name first, then the labels, each in ROR's order.
    candidates = [e for e in entries if "ror_display" in e[1]]
    candidates += [e for e in entries if "label" in e[1] and "ror_display" not in e[1]]
    for value, types, lang in candidates:
        script = classify_script(value)
        if script is Script.LATIN:
            if "ror_display" in types or lang in ("", "en"):
                chosen["name_en"] = chosen["name_en"] or value
        elif lang[:2] in OTHER_HAN_LANGUAGES or script is Script.OTHER:
            continue
        elif script is Script.CHINESE_COMMON:
            common.append(value)
        else:
            field_name = f"name_{script.value}"
            chosen[field_name] = chosen[field_name] or value
    # A name written alike in both scripts is valid in both: it fills whatever is still empty.
    for value in common:
        for field_name in ("name_zh_hans", "name_zh_hant"):
            chosen[field_name] = chosen[field_name] or value
    if not any(chosen.values()):
        # Not English nor Chinese (a record with only, say, a Thai display name): ROR's display
        # name is still the best name there is, and refusing the record would lose it.
        chosen["name_en"] = candidates[0][0] if candidates else entries[0][0]

    acronyms = [value for value, types, _ in entries if "acronym" in types]
    acronym = next((a for a in acronyms if len(a) <= ACRONYM_MAX_LENGTH), "")
    used = {*chosen.values(), acronym}
    other_names = tuple(dict.fromkeys(value for value, _, _ in entries if value not in used))
    return {**chosen, "acronym": acronym, "other_names": other_names}


def kind_from_ror_types(types: Iterable[str]) -> str:
    """The registry kind for ROR's list of types, by the priority of ``KIND_BY_ROR_TYPE``."""
    present = set(types)
    for ror_type, kind in KIND_BY_ROR_TYPE.items():
        if ror_type in present:
            return kind
    return Organisation.Kind.OTHER


def _external_ids(record: Mapping[str, Any]) -> dict[str, list[str]]:
    """``{type: all ids}``, the preferred id included even if ROR left it out of ``all``."""
    result: dict[str, list[str]] = {}
    for entry in _list_of_objects(record, "external_ids"):
        id_type, all_ids, preferred = entry.get("type"), entry.get("all"), entry.get("preferred")
        if not isinstance(id_type, str) or not isinstance(all_ids, list):
            raise InvalidRorRecord("an external id has no `type` or no `all` list")
        values = [_text(value) for value in all_ids if _text(value)]
        if _text(preferred) and _text(preferred) not in values:
            values.insert(0, _text(preferred))
        if values:
            merged = result.setdefault(id_type.lower(), [])
            merged.extend(value for value in values if value not in merged)
    return result


def _relations(record: Mapping[str, Any]) -> tuple[tuple[str, str, str], ...]:
    """(kind, target ROR id, label) per relationship, once each, ROR's order kept."""
    relations: dict[tuple[str, str], str] = {}
    for entry in _list_of_objects(record, "relationships"):
        kind = entry.get("type")
        if kind not in OrganisationRelation.Kind.values:
            raise InvalidRorRecord(f"relationship type {kind!r} is not one of ROR's")
        try:
            target = parse_ror_id(entry.get("id"))
        except InvalidRorRecord as exc:
            raise InvalidRorRecord(f"a {kind} relationship: {exc}") from None
        label = _text(entry.get("label"))
        if len(label) > RELATION_LABEL_MAX_LENGTH:
            label = label[: RELATION_LABEL_MAX_LENGTH - 1] + "…"
        relations.setdefault((kind, target), label)
    return tuple((kind, target, label) for (kind, target), label in relations.items())


def _last_modified(record: Mapping[str, Any]) -> datetime.date | None:
    """``admin.last_modified.date``, or None when ROR gives no usable date."""
    admin = record.get("admin")
    modified = admin.get("last_modified") if isinstance(admin, Mapping) else None
    value = modified.get("date") if isinstance(modified, Mapping) else None
    try:
        return datetime.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None  # only provenance: a malformed date is not worth refusing the record


def parse_ror_record(record: Any) -> RorOrganisation:
    """What a ROR schema v2 record says, mapped to the registry's terms (no query).

    Raises InvalidRorRecord saying what is wrong with the record.
    """
    if not isinstance(record, Mapping):
        raise InvalidRorRecord(f"not a JSON object but {_json_type(record)}")
    ror_id = parse_ror_id(record.get("id"))
    if "names" not in record and "name" in record:
        raise InvalidRorRecord(
            "a ROR schema v1 record: this importer reads schema v2 (in a data dump, the "
            "…_schema_v2.json file)"
        )
    names = names_from_ror(_list_of_objects(record, "names", required=True))

    types = record.get("types")
    if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
        raise InvalidRorRecord("`types` is not a list of texts")
    status = record.get("status")
    if status not in Organisation.Status.values:
        raise InvalidRorRecord(f"status {status!r} is not active, inactive or withdrawn")
    established = record.get("established")
    if established is not None and (
        isinstance(established, bool) or not isinstance(established, int)
    ):
        raise InvalidRorRecord(f"`established` {established!r} is not a year")

    locations = _list_of_objects(record, "locations")
    details = locations[0].get("geonames_details") if locations else None
    country = details.get("country_code") if isinstance(details, Mapping) else None
    if not isinstance(country, str) or not country.strip():
        raise InvalidRorRecord("no country: the first location has no `country_code`")
    country = country.strip().upper()

    website = next(
        (
            _text(link.get("value"))
            for link in _list_of_objects(record, "links")
            if link.get("type") == "website" and _text(link.get("value"))
        ),
        "",
    )
    return RorOrganisation(
        ror_id=ror_id,
        **names,
        kind=kind_from_ror_types(types),
        status=status,
        established=established,
        country=country,
        city=_text(details.get("name")),
        jurisdiction=JURISDICTION_BY_COUNTRY.get(country, Organisation.Jurisdiction.OVERSEAS),
        website=website,
        external_ids=_external_ids(record),
        relations=_relations(record),
        last_modified=_last_modified(record),
    )


def _json_type(value: Any) -> str:
    """What a JSON value is, in words, for an error message."""
    names = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    for python_type, name in names.items():
        if isinstance(value, python_type):
            return name
    return "a number" if isinstance(value, int | float) else type(value).__name__


def _raw_id(record: Any) -> str:
    """The record's ``id`` as given (for error rows), or blank."""
    value = record.get("id") if isinstance(record, Mapping) else None
    return value.strip() if isinstance(value, str) else ""


# -- importing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportProblem:
    """A record (or a whole file) that could not be imported, and why."""

    origin: str
    ror_id: str
    message: str

    def __str__(self) -> str:
        where = f"{self.origin} ({self.ror_id})" if self.ror_id else self.origin
        return f"{where}: {self.message}"


class RowAction(models.TextChoices):
    """What an import did to a record it lists."""

    # A context: the public pages' "updated" is "updated on" (a date), not an action.
    CREATED = "created", pgettext_lazy("ROR import", "created")
    UPDATED = "updated", pgettext_lazy("ROR import", "updated")


@dataclass(frozen=True)
class FieldChange:
    """One field an import changed (or would change), its values shown for a reader: lists
    joined, countries and choices by name, dates in ISO form, a blank as ``BLANK``. The label
    is the field's ``verbose_name``, translated when it is shown."""

    label: str | Promise
    old: str
    new: str

    def __str__(self) -> str:
        return f"{self.label}: {self.old} → {self.new}"


@dataclass(frozen=True)
class ImportRow:
    """A record an import created or updated (in a dry run: would have), as it was at the time:
    a dry run's rollback takes the organisation away, not this row. ``public_id`` is blank for
    an organisation a dry run would create (a real import mints another one); ``changes`` is
    empty for a created one."""

    ror_id: str
    public_id: str
    name: str
    action: RowAction
    changes: tuple[FieldChange, ...] = ()

    def __str__(self) -> str:
        where = f"{self.public_id} ({self.ror_id})" if self.public_id else self.ror_id
        line = f"{self.action} {where} {self.name}"
        if self.changes:  # values may hold semicolons (lists, ids), never a bar
            line += ": " + " | ".join(str(change) for change in self.changes)
        return line


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do): counts, a row per record created or
    updated (unchanged records are only counted), and an error row per refused one."""

    dry_run: bool = False
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rows: list[ImportRow] = field(default_factory=list)
    errors: list[ImportProblem] = field(default_factory=list)

    @property
    def imported(self) -> int:
        """Records read and stored (or found already up to date)."""
        return self.created + self.updated + self.unchanged

    def summary(self) -> str:
        """``created N, updated N, unchanged N, errors N``."""
        return (
            f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}, "
            f"errors {len(self.errors)}"
        )


@contextmanager
def _history_attributed_to(user: Any) -> Iterator[None]:
    """Attribute to ``user`` the history rows of saves the importer does not make itself (the
    signal receivers resolving pending relations, re-deriving project sides…), the way
    simple_history's HistoryRequestMiddleware does for a request. Inside a request, whose user
    already counts, nothing changes."""
    context = HistoricalRecords.context
    if not getattr(user, "is_authenticated", False) or getattr(context, "request", None):
        yield
        return
    context.request = SimpleNamespace(user=user)
    try:
        yield
    finally:
        del context.request


def _stored(organisation: Organisation, name: str) -> Any:
    """A field's stored value in the form the import computes it (a country as its code)."""
    value = getattr(organisation, name)
    if name == "country":  # a django-countries Country object
        return value.code or ""
    return value


class _Batch:
    """One import run: what is stored for the batch's ROR ids, kept current as records save."""

    def __init__(self, user: Any, report: ImportReport) -> None:
        self.user = user
        self.report = report
        self.now = timezone.now()
        self.organisations: dict[str, Organisation] = {}
        # Per organisation pk: its relation rows that have a ROR target, by (kind, ROR id).
        self.relations: dict[int, dict[tuple[str, str], OrganisationRelation]] = {}

    def load(self, ror_ids: Iterable[str]) -> None:
        """Read the organisations with these ROR ids and their ROR relations: 2 queries per
        ``LOOKUP_CHUNK`` ids."""
        ror_ids = list(dict.fromkeys(ror_ids))
        for start in range(0, len(ror_ids), LOOKUP_CHUNK):
            chunk = ror_ids[start : start + LOOKUP_CHUNK]
            # The base manager: a default manager that ever hid some rows must not make the
            # import create a duplicate of an organisation it could not see.
            found = {o.pk: o for o in Organisation._base_manager.filter(ror_id__in=chunk)}
            for ror_id in chunk:
                self.organisations.pop(ror_id, None)
            for organisation in found.values():
                self.organisations[organisation.ror_id] = organisation
                self.relations[organisation.pk] = {}
            if not found:
                continue
            rows = OrganisationRelation._base_manager.filter(source_id__in=found).exclude(
                target_ror_id=""
            )
            for row in rows:
                self.relations[row.source_id][(row.kind, row.target_ror_id)] = row

    def import_record(self, record: RorRecord) -> None:
        """Upsert one record; a failure is an error row in the report. An unchanged record costs
        no query; a created or changed one is written in its own savepoint, so a failure undoes
        only that record."""
        if record.problem:
            self.report.errors.append(ImportProblem(record.origin, "", record.problem))
            return
        try:
            parsed = parse_ror_record(record.data)
        except InvalidRorRecord as exc:
            self.report.errors.append(ImportProblem(record.origin, _raw_id(record.data), str(exc)))
            return
        organisation = self.organisations.get(parsed.ror_id)
        changes: dict[str, Any] = {}
        shown: list[FieldChange] = []
        if organisation is not None:
            changes = _changes(organisation, parsed)
            dropped, saved = self._relation_changes(organisation, parsed)
            if not (changes or dropped or saved):
                self.report.unchanged += 1
                return
            # Read before the write: the old values are the ones stored now.
            shown = [
                _field_change(name, _stored(organisation, name), changes[name]) for name in changes
            ]
            if dropped or saved:
                shown.append(self._relations_change(organisation, dropped, saved))
        try:
            with transaction.atomic():
                if organisation is None:
                    self._create(parsed)
                else:
                    self._update(organisation, parsed, changes)
        except (ValidationError, DatabaseError, StaleRecordError) as exc:
            if isinstance(exc, ValidationError):
                message = _validation_message(exc)
            elif isinstance(exc, StaleRecordError):
                message = f"changed by someone else during the import, so left as it is: {exc}"
            else:
                message = f"the database refused it: {exc}"
            self.report.errors.append(ImportProblem(record.origin, parsed.ror_id, message))
            self.load([parsed.ror_id])  # the savepoint rolled back: forget what it changed
            return
        if organisation is None:
            self.report.created += 1
            created = self.organisations[parsed.ror_id]
            # A dry run's public id goes with its rollback: a real import mints another one.
            public_id = "" if self.report.dry_run else created.public_id
            row = ImportRow(parsed.ror_id, public_id, created.display_name(), RowAction.CREATED)
        else:
            self.report.updated += 1
            row = ImportRow(
                parsed.ror_id,
                organisation.public_id,
                organisation.display_name(),
                RowAction.UPDATED,
                tuple(shown),
            )
        self.report.rows.append(row)

    def _create(self, parsed: RorOrganisation) -> None:
        """Create the organisation (see ``_save`` for its queries), then its relations."""
        organisation = Organisation(
            **_ror_values(parsed, None),
            verification=Verification.VERIFIED_PRIMARY,
            sources=[parsed.ror_id],
            as_of=parsed.last_modified,
        )
        workflow.admit_from_ror(organisation, at=self.now)
        self._save(organisation, [*ROR_FIELDS, *PROVENANCE_FIELDS, "curating_section"])
        self.organisations[parsed.ror_id] = organisation
        self.relations[organisation.pk] = {}
        self._sync_relations(organisation, parsed)

    def _update(
        self, organisation: Organisation, parsed: RorOrganisation, changes: dict[str, Any]
    ) -> None:
        """Save the changed fields, if any (see ``_save``), then bring the relations in line."""
        if changes:
            for name, value in changes.items():
                setattr(organisation, name, value)
            self._save(organisation, list(changes))
        self._sync_relations(organisation, parsed)

    def _save(self, organisation: Organisation, fields: list[str]) -> None:
        """Validate the fields the import set, then save: the INSERT, or the version read under
        lock and the UPDATE; its history row; the post-save receivers' queries (pending
        relations, projects' sides). An organisation edited by someone else since the batch
        read it raises StaleRecordError: the import compared against what it read."""
        checked = set(fields)
        organisation.clean_fields(
            exclude=[f.name for f in Organisation._meta.fields if f.name not in checked]
        )
        organisation._change_reason = CHANGE_REASON
        expected = None if organisation._state.adding else organisation.version
        organisation.save(user=self.user, expected_version=expected)

    def _relation_changes(
        self, organisation: Organisation, parsed: RorOrganisation
    ) -> tuple[list[tuple[str, str]], dict[tuple[str, str], str]]:
        """The organisation's ROR relation rows to delete, and those to create or relabel (with
        their label), for them to match the record (no query)."""
        stored = self.relations.get(organisation.pk, {})
        wanted = {(kind, target): label for kind, target, label in parsed.relations}
        dropped = [key for key in stored if key not in wanted]
        saved = {
            key: label
            for key, label in wanted.items()
            if key not in stored or stored[key].target_label != label
        }
        return dropped, saved

    def _relations_change(
        self,
        organisation: Organisation,
        dropped: list[tuple[str, str]],
        saved: dict[tuple[str, str], str],
    ) -> FieldChange:
        """The relation rows that go or are relabelled (as stored) and those that come or are
        relabelled (as they will be), as one change labelled ``RELATIONSHIPS``; no query."""
        stored = self.relations.get(organisation.pk, {})
        relabelled = [key for key in saved if key in stored]
        old = [(key, stored[key].target_label) for key in [*dropped, *relabelled]]
        return FieldChange(RELATIONSHIPS, _relations_shown(old), _relations_shown(saved.items()))

    def _sync_relations(self, organisation: Organisation, parsed: RorOrganisation) -> None:
        """Make the organisation's ROR relation rows match the record: a DELETE per dropped row
        and a save (with its target lookup) per new or relabelled one, each with its history
        row; no query when they already match."""
        dropped, saved = self._relation_changes(organisation, parsed)
        stored = self.relations.setdefault(organisation.pk, {})
        for key in dropped:
            relation = stored.pop(key)
            self._attribute(relation)
            relation.delete()
        for (kind, target), label in saved.items():
            relation = stored.get((kind, target)) or OrganisationRelation(
                source=organisation, kind=kind, target_ror_id=target
            )
            relation.target_label = label
            self._attribute(relation)
            relation.save()
            stored[(kind, target)] = relation

    def _attribute(self, relation: OrganisationRelation) -> None:
        """Name the import and its user in the history row of the relation's next write."""
        relation._change_reason = CHANGE_REASON
        if getattr(self.user, "is_authenticated", False):
            relation._history_user = self.user


def _field_change(name: str, old: Any, new: Any) -> FieldChange:
    """A changed organisation field as a report shows it, labelled by its ``verbose_name``."""
    label = Organisation._meta.get_field(name).verbose_name
    return FieldChange(label, _readable(name, old), _readable(name, new))


def _readable(name: str, value: Any) -> str:
    """A value of the organisation field ``name`` for a reader, in the active language: a
    country or a choice by its name, a date in ISO form, a list's items joined, external ids
    by type, a blank as ``BLANK`` (no query)."""
    if value in ("", None) or (isinstance(value, list | dict) and not value):
        return BLANK
    if name == "country":
        return str(countries.name(value)) or str(value)
    choices = Organisation._meta.get_field(name).flatchoices
    if choices:
        return str(dict(choices).get(value, value))
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return "; ".join(f"{key}: {_joined(ids, ', ')}" for key, ids in sorted(value.items()))
    # Names and sources may hold commas themselves.
    return _joined(value, "; ")


def _joined(value: Any, separator: str) -> str:
    """A list's items joined by ``separator``; anything else as text."""
    if isinstance(value, list | tuple):
        return separator.join(str(item) for item in value)
    return str(value)


def _relations_shown(relations: Iterable[tuple[tuple[str, str], str]]) -> str:
    """``label (kind)`` per ((kind, target ROR id), label), the ROR id for a blank label; the
    labels may hold commas, so they are joined by semicolons."""
    shown = [
        f"{label or target} ({OrganisationRelation.Kind(kind).label})"
        for (kind, target), label in relations
    ]
    return "; ".join(shown) or BLANK


def _changes(organisation: Organisation, parsed: RorOrganisation) -> dict[str, Any]:
    """The fields of a stored organisation that importing ``parsed`` would change, with their
    new values; empty when it is up to date (no query)."""
    changes = {
        name: value
        for name, value in _ror_values(parsed, organisation).items()
        if _stored(organisation, name) != value
    }
    sources = organisation.sources if isinstance(organisation.sources, list) else []
    if parsed.ror_id not in sources:
        changes["sources"] = [*sources, parsed.ror_id]
    if parsed.last_modified and (
        organisation.as_of is None or parsed.last_modified > organisation.as_of
    ):
        changes["as_of"] = parsed.last_modified
    return changes


def _ror_values(parsed: RorOrganisation, organisation: Organisation | None) -> dict[str, Any]:
    """The values of ``ROR_FIELDS`` after importing ``parsed`` over ``organisation`` (None for
    a new one): ROR's value, or the stored one where ROR gives none (no query)."""

    def kept(name: str, value: Any) -> Any:
        if value not in ("", None) or organisation is None:
            return value
        return _stored(organisation, name)

    values = {
        "ror_id": parsed.ror_id,
        "name_en": kept("name_en", parsed.name_en),
        "name_zh_hans": kept("name_zh_hans", parsed.name_zh_hans),
        "name_zh_hant": kept("name_zh_hant", parsed.name_zh_hant),
        "acronym": kept("acronym", parsed.acronym),
        "kind": parsed.kind,
        "status": parsed.status,
        "established": kept("established", parsed.established),
        "country": parsed.country,
        "city": kept("city", parsed.city),
        "jurisdiction": parsed.jurisdiction,
        "website": kept("website", parsed.website),
    }
    used = {values[name] for name in (*field_names("name"), "acronym")}
    values["aliases"] = [name for name in parsed.other_names if name not in used]
    external_ids: dict[str, Any] = {}
    if organisation is not None:
        if organisation.kind in CURATOR_ONLY_KINDS:
            values["kind"] = organisation.kind
        if isinstance(organisation.external_ids, dict):
            external_ids = {
                key: value
                for key, value in organisation.external_ids.items()
                if key not in ROR_EXTERNAL_ID_TYPES
            }
    values["external_ids"] = {**external_ids, **parsed.external_ids}
    return values


def _validation_message(error: ValidationError) -> str:
    """``field: message`` per invalid field, on one line."""
    if hasattr(error, "error_dict"):
        return "; ".join(
            f"{name}: {' '.join(messages)}" for name, messages in error.message_dict.items()
        )
    return " ".join(error.messages)


def import_ror_records(
    records: Iterable[RorRecord | Mapping[str, Any] | Any],
    *,
    user: Any = None,
    dry_run: bool = False,
) -> ImportReport:
    """Upsert ROR schema v2 records as organisations (with their relations) and report what
    happened: created, updated, unchanged, a row per organisation created or updated (with each
    changed field's old and new value, read before the write), and an error row per record
    that could not be imported (the others still are).

    ``records`` are :class:`RorRecord` (from the ``read_ror_*`` functions) or plain parsed
    records. History rows name ``user``. The batch is one transaction; ``dry_run`` rolls it back,
    so the report is what the import would do and nothing is written.

    Queries: 2 per 500 distinct ROR ids to read what is stored, plus the batch's transaction;
    then none for an unchanged record. A created or changed record costs a savepoint, its save
    (row, history row, the post-save receivers' lookups of pending relations and
    participations) and one save or delete per relation that changed.
    """
    items = [
        item if isinstance(item, RorRecord) else RorRecord(f"record {index + 1}", item)
        for index, item in enumerate(records)
    ]
    report = ImportReport(dry_run=dry_run)
    batch = _Batch(user, report)
    with transaction.atomic(), _history_attributed_to(user):
        batch.load(filter(None, (_ror_id_or_blank(item.data) for item in items)))
        for item in items:
            batch.import_record(item)
        if dry_run:
            transaction.set_rollback(True)
    return report


def _ror_id_or_blank(record: Any) -> str:
    """The record's canonical ROR id, or blank when it has none (its error comes later)."""
    try:
        return parse_ror_id(_raw_id(record))
    except InvalidRorRecord:
        return ""
