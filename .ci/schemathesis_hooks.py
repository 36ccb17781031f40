"""Schemathesis hooks (loaded by .ci/schemathesis.sh through SCHEMATHESIS_HOOKS).

The OpenAPI schema can say what a well-formed public id, code or ETag looks like, but not
which records exist now, nor what a record's current ETag is. A schema-valid request that
names ``org-00000000`` or a random ``If-Match: "v7"`` is rightly refused (400: no such
organisation; 412: stale), and Schemathesis would count that as "valid data rejected".

So, for schema-valid (positive) test cases only, this hook does what a real client does
before it writes: it uses references that exist and sends the ETag it has just read.
Negative cases are left exactly as generated, so every "invalid data accepted" check still
bites. Refusals of unknown references and stale ETags are tested in tests/api
(test_writes.py, test_conditional.py, test_concurrency.py).

Environment: ST_BASE_URL (the server), ST_AUTHORIZATION (the run's Authorization header,
empty for the public run).
"""

from __future__ import annotations

import os
import re
import zlib
from functools import cache
from typing import Any

import requests
import schemathesis

ID_RE = re.compile(r"^(org|fac|prj|out|flw|pol|sch)-[0-9a-hjkmnp-tv-z]{6}[0-9]{2}$")
RESOURCES = {
    "org": "organisations",
    "fac": "facilities",
    "prj": "projects",
    "out": "outputs",
    "flw": "flows",
    "pol": "policies",
    "sch": "funding-schemes",
}
# Body keys that hold reference codes, and the endpoint that lists those codes.
CODE_KEYS = {"fields": "fields", "priority_areas": "priority-areas"}


def _get(path: str) -> requests.Response:
    headers = {"Accept": "application/json"}
    if os.environ.get("ST_AUTHORIZATION"):
        headers["Authorization"] = os.environ["ST_AUTHORIZATION"]
    return requests.get(os.environ["ST_BASE_URL"] + path, headers=headers, timeout=30)


@cache
def existing(resource: str) -> tuple[str, ...]:
    """The ids (or codes) of the records this run's caller can see, in a stable order."""
    response = _get(f"/api/v1/{resource}/?page_size=500&fields=id")
    response.raise_for_status()
    return tuple(sorted(row["id"] for row in response.json()["results"]))


@cache
def sub_areas() -> tuple[str, ...]:
    """Sub-area codes have no endpoint of their own: the ones facilities are in."""
    response = _get("/api/v1/facilities/?page_size=500&fields=sub_area")
    response.raise_for_status()
    rows = response.json()["results"]
    return tuple(sorted({row["sub_area"]["id"] for row in rows if row.get("sub_area")}))


def parent_chain(public_id: str) -> list[str]:
    """The facility and the facilities above it, as the caller sees them now (fresh reads:
    other test cases move facilities around)."""
    chain: list[str] = []
    current = public_id
    while isinstance(current, str) and current not in chain and len(chain) < 50:
        chain.append(current)
        response = _get(f"/api/v1/facilities/{current}/?fields=parent")
        if response.status_code != 200:
            break
        current = (response.json().get("parent") or {}).get("id")
    return chain


def pick(choices: tuple[str, ...], generated: str) -> str:
    """A stable choice among existing values, spread by the generated value."""
    return choices[zlib.crc32(generated.encode()) % len(choices)] if choices else generated


def real_reference(value: Any) -> Any:
    if isinstance(value, str) and (match := ID_RE.match(value)):
        return pick(existing(RESOURCES[match.group(1)]), value)
    return value


def real_body(body: Any) -> Any:
    if not isinstance(body, dict):
        return body
    mapped = {}
    for key, value in body.items():
        if key in CODE_KEYS and isinstance(value, list):
            codes = existing(CODE_KEYS[key])
            value = list(dict.fromkeys(pick(codes, v) if isinstance(v, str) else v for v in value))
        elif key == "sub_area" and isinstance(value, str):
            value = pick(sub_areas(), value)
        elif isinstance(value, list):
            value = list(dict.fromkeys(real_reference(v) for v in value))
        else:
            value = real_reference(value)
        mapped[key] = value
    return mapped


# Rules across fields that JSON Schema cannot state, or that the schema says in words only
# (docs/architecture.md §8; the API answers 400 when they are broken): a name or title has a
# script with text, an end date is not before its start date, a value has a currency, and a
# flow has a project or a facility. A POST or PUT meets the last two through the schema and
# stands alone (a PUT replaces the record: what it leaves out is reset, not kept). A PATCH
# is merged with the stored record first.
DATE_PAIRS = (("start_date", "end_date"), ("period_start", "period_end"))


def keep_cross_field_rules(body: dict, stored: dict, method: str) -> None:
    kept = stored if method == "PATCH" else {}
    merged = {**kept, **body}
    # A name or a title needs one script with text: the schema says so in words only (as
    # anyOf it made generated clients type each script apart).
    for key in ("names", "titles"):
        if isinstance(body.get(key), dict):
            scripts = {**(kept.get(key) or {}), **body[key]}
            if not any(isinstance(text, str) and text.strip() for text in scripts.values()):
                body[key] = {**body[key], "en": "Fuzzed record"}
    for start, end in DATE_PAIRS:
        if merged.get(start) and merged.get(end) and merged[end] < merged[start]:
            if end in body:
                body[end] = merged[start]
            else:
                body[start] = merged[end]
    if merged.get("value") is not None and "currency" in merged and not merged["currency"]:
        body["currency"] = "HKD"
    # A flow belongs to a project or a facility: a PATCH may not take both away.
    if {"project", "facility"} <= set(merged) and not merged["project"] and not merged["facility"]:
        for key in ("project", "facility"):
            if kept.get(key):
                body[key] = kept[key]["id"]
                break


@schemathesis.hook
def before_call(ctx: Any, case: Any, **kwargs: Any) -> None:
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return
    # Half of the detail requests go to records that exist (the other half keep their
    # drawn id and meet the 404 the schema documents).
    public_id = (case.path_parameters or {}).get("public_id")
    if isinstance(public_id, str) and ID_RE.match(public_id) and zlib.crc32(public_id.encode()) % 2:
        case.path_parameters["public_id"] = real_reference(public_id)
    # A client sends only a cursor a list handed it (in a ``next`` link, which carries no
    # ``page``), and the demo lists are too short to hand one out: a drawn token is refused
    # (400, as tests/api/test_pagination_and_queries.py checks), like a stale ETag.
    if isinstance(case.query, dict) and "cursor" in case.query:
        del case.query["cursor"]
    if case.body is not None:
        case.body = real_body(case.body)
        own_id = (case.path_parameters or {}).get("public_id")
        parent = case.body.get("parent") if isinstance(case.body, dict) else None
        # A facility cannot be part of itself, nor of one of its own parts (400): a real
        # client names a facility outside its own subtree.
        if own_id and parent and own_id in parent_chain(parent):
            others = tuple(i for i in existing("facilities") if own_id not in parent_chain(i))
            case.body["parent"] = pick(others, own_id) if others else None
    if case.method.upper() not in ("POST", "PUT", "PATCH", "DELETE"):
        return
    stored: dict = {}
    if case.path_parameters:
        response = _get(case.path.format(**case.path_parameters))
        if response.status_code == 200:
            stored = response.json()
            # A writer sends the ETag it has just read.
            # (Any drawn entity-tag is well-formed, and one this server did not give is
            # rightly a 412.)
            if_match = case.headers.get("If-Match") if case.headers else None
            if if_match and if_match != "*" and response.headers.get("ETag"):
                case.headers["If-Match"] = response.headers["ETag"]
    if isinstance(case.body, dict):
        keep_cross_field_rules(case.body, stored, case.method.upper())
