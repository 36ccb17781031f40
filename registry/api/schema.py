"""The OpenAPI description: every status code an operation can answer is documented, with
RFC 9457 problems as ``application/problem+json``."""

from __future__ import annotations

import copy
import json
from typing import Any

from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from registry.api.fields import BRIEF_SCHEMA, NOT_BLANK_PATTERN, texts
from registry.scripts import KEYS

PROBLEM_SCHEMA = {
    "type": "object",
    "properties": {
        **texts("type", "title"),
        "status": {"type": "integer"},
        **texts("detail"),
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": texts("field", "parameter", "message"),
                "required": ["message"],
            },
        },
        "tombstone": {"type": "object"},
    },
    "required": ["type", "title", "status", "detail"],
}

DESCRIPTIONS = {
    "400": "Bad input: the problem names each parameter or field at fault.",
    "401": "The bearer token is unknown, expired or revoked (or a write came without one).",
    "403": "The token lacks the scope, or the registry's rules do not allow this.",
    "404": "No such record visible to you (or no such page).",
    "405": "Method not allowed.",
    "406": "Only JSON is offered.",
    "409": "Other records refer to this one, so it cannot be deleted.",
    "410": "The record was retracted; the problem carries its tombstone.",
    "412": "If-Match does not match the record's current ETag: read it again.",
    "413": "The request body is too large.",
    "415": "Send application/json.",
    "428": "Writes need If-Match with the ETag you last read.",
    "429": "Too many requests; wait the seconds in Retry-After.",
}

# ``*`` or entity-tags (RFC 9110 §8.8.3), comma-separated; one that does not match is a 412.
ENTITY_TAG = r'(W/)?"[\x21\x23-\x2b\x2d-\x7e]{0,40}"'  # no comma: it separates tags
IF_MATCH_PATTERN = rf"^(\*|{ENTITY_TAG}(, ?{ENTITY_TAG}){{0,3}})$"

ACTION_DESCRIPTIONS = {
    "list": (
        "The {many} you may see: published ones, and with a token your organisation's "
        "drafts. Filters combine with AND, a repeated filter means OR; `count` stops at "
        "1,000 (`count_exact`), and past that `next` continues by cursor."
    ),
    "retrieve": (
        "One {one} by its public id, with a strong ETag. A retracted one is a 410 whose "
        "problem carries its tombstone; one you may not see is a 404."
    ),
    "create": (
        "Add a {one}. A partner's new record belongs to its organisation and waits for "
        "review (`in_review`)."
    ),
    "update": (
        "Replace a {one} (If-Match: the ETag you read). What you leave out goes back to its "
        "default; a required field left out is a 400. Changing nothing is a 200 with the "
        "same ETag. A partner's change to its published record becomes a change request "
        "(202)."
    ),
    "partial_update": (
        "Change the fields of a {one} you send (If-Match: the ETag you read); the others "
        "stay. Changing nothing is a 200 with the same ETag. A partner's change to its "
        "published record becomes a change request (202)."
    ),
    "destroy": "Delete a {one} (superusers only: records are retracted, not deleted).",
}

READ_ERRORS = ("400", "401", "403", "404", "405", "406", "429")
WRITE_ERRORS = (*READ_ERRORS, "412", "413", "415", "428")


class RegistryAutoSchema(AutoSchema):
    def _is_list_view(self, serializer: Any = None) -> bool:
        # The change feed and the statistics answer one object, not a list of records.
        if getattr(self.view, "serializer_class", "") is None:
            return False
        return super()._is_list_view(serializer)

    def get_description(self) -> str:
        """What the operation does, said for a client (drf-spectacular would repeat the
        view's docstring, which speaks of the implementation, on every operation)."""
        action = getattr(self.view, "action", None)
        model = getattr(self.view, "model", None)
        if model is None or action not in ACTION_DESCRIPTIONS:
            return super().get_description()
        return ACTION_DESCRIPTIONS[action].format(
            one=model._meta.verbose_name, many=model._meta.verbose_name_plural
        )

    def get_auth(self) -> list[dict]:
        """Writes need a bearer token. Reads are open to everyone (published data; a token
        adds its organisation's drafts), so they state no requirement: OpenAPI's way to say
        "optional" (``[{"bearerAuth": []}, {}]``) makes openapi-python-client 0.29 demand an
        authenticated client for every read (its issue #1372)."""
        if self.method in ("GET", "HEAD"):
            return []
        return super().get_auth()

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        action = getattr(self.view, "action", None)
        codes: tuple[str, ...] = READ_ERRORS
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            codes = WRITE_ERRORS
        if action == "retrieve":
            codes = (*codes, "410")
            responses["304"] = {"description": "Not modified (If-None-Match matched the ETag)."}
        if action in ("update", "partial_update", "destroy"):
            codes = (*codes, "410")
        if action == "destroy":
            codes = (*codes, "409")
        if action in ("update", "partial_update"):
            from registry.api.serializers import ChangeRequestSerializer

            component = self.resolve_serializer(ChangeRequestSerializer, "response")
            responses["202"] = {
                "description": "Your record is published: the change waits for a curator as a "
                "change request (Location names it).",
                "content": {"application/json": {"schema": component.ref}},
            }
        for code in codes:
            responses.setdefault(code, problem_response(code))
        return responses

    def get_override_parameters(self) -> list[OpenApiParameter]:
        parameters = list(super().get_override_parameters())
        action = getattr(self.view, "action", None)
        parameters.append(
            OpenApiParameter(
                "lang",
                str,
                enum=["en", "zh-hans", "zh-hant"],
                description="Language of `name` (else Accept-Language).",
            )
        )
        serializer_class = getattr(self.view, "serializer_class", None)
        if action in ("list", "retrieve") and serializer_class:
            names = sorted(serializer_class().fields)
            field_list = {
                "type": "array",
                "items": {"type": "string", "enum": names},
                "minItems": 1,
            }
            parameters += [
                OpenApiParameter(
                    "fields",
                    field_list,
                    style="form",
                    explode=True,
                    description=(
                        "Fields to keep: repeated (`fields=id&fields=name`) or comma-separated "
                        "(`fields=id,name`), the same list; a name given twice counts once."
                    ),
                ),
                OpenApiParameter(
                    "omit",
                    field_list,
                    style="form",
                    explode=True,
                    description=("Fields to drop: repeated or comma-separated, as for `fields`."),
                ),
                OpenApiParameter(
                    "brief",
                    str,
                    enum=["0", "1", "true", "false"],
                    description="1: only id and name.",
                ),
            ]
        if action == "retrieve":
            parameters.append(OpenApiParameter("If-None-Match", str, OpenApiParameter.HEADER))
        if action in ("update", "partial_update", "destroy"):
            parameters.append(
                OpenApiParameter(
                    "If-Match",
                    {"type": "string", "pattern": IF_MATCH_PATTERN},
                    OpenApiParameter.HEADER,
                    required=True,
                    description="The ETag you last read (writes are never blind).",
                )
            )
        return parameters


class ReferenceFieldExtension(OpenApiSerializerFieldExtension):
    """Related records read as {id, name} and are written as their id."""

    target_class = "registry.api.fields.ReferenceField"

    def map_serializer_field(self, auto_schema: AutoSchema, direction: str) -> dict:
        if direction == "request":
            prefix = self.target.model.PUBLIC_ID_PREFIX
            return {"type": "string", "pattern": f"^{prefix}-[0-9a-hjkmnp-tv-z]{{6}}[0-9]{{2}}$"}
        return {**BRIEF_SCHEMA, "nullable": bool(getattr(self.target, "allow_null", False))}


class StrictDecimalFieldExtension(OpenApiSerializerFieldExtension):
    target_class = "registry.api.fields.StrictDecimalField"

    def map_serializer_field(self, auto_schema: AutoSchema, direction: str) -> dict:
        schema = {"type": "string", "format": "decimal"}
        if direction == "request":
            schema["pattern"] = self.target.pattern
        if getattr(self.target, "allow_null", False):
            schema["nullable"] = True
        return schema


class CodeFieldExtension(OpenApiSerializerFieldExtension):
    target_class = "registry.api.fields.CodeField"

    def map_serializer_field(self, auto_schema: AutoSchema, direction: str) -> dict:
        if direction == "request":
            return build_basic_type(OpenApiTypes.STR)
        return {**BRIEF_SCHEMA, "nullable": bool(getattr(self.target, "allow_null", False))}


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "registry.api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token from `manage.py issue_token` (read and/or write scope).",
        }


class TrilingualFieldExtension(OpenApiSerializerFieldExtension):
    """{"en", "zh-Hans", "zh-Hant"} with the model's own length limit."""

    target_class = "registry.api.fields.TrilingualField"

    def map_serializer_field(self, auto_schema: AutoSchema, direction: str) -> dict:
        text = {"type": "string", "maxLength": self.target.max_length}
        return {
            "type": "object",
            "description": (
                "The same text in English, Simplified and Traditional Chinese; a script may be "
                "left out. A record's names (a project's or output's titles) need one script "
                "with text."
            ),
            "properties": dict.fromkeys(KEYS, text),
            "additionalProperties": False,
        }


def _request_components(result: dict) -> set[str]:
    """Names of the components that request bodies use (with COMPONENT_SPLIT_REQUEST they
    are ``…Request``, but a response component may end so too: ``ChangeRequest``)."""
    names = set()
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            content = (operation.get("requestBody") or {}).get("content", {})
            for media in content.values():
                ref = media.get("schema", {}).get("$ref", "")
                names.add(ref.rsplit("/", 1)[-1])
    return names


def open_response_components(result: dict, generator: Any, request: Any, public: Any) -> dict:
    """Make the schema say what the API enforces, no more and no less:

    - ``?fields=``, ``?omit=`` and ``?brief=`` may leave any field out of a response, so
      response components promise no field;
    - a request body with a key the resource does not have is a 400, so request components
      allow no additional properties (that a name or title needs one script with text is
      said in words: as ``anyOf`` it made generated clients type each script apart);
    - an empty query value (``?ordering=``) is a 400 ("give a value, or leave the parameter
      out"), so query strings need a character and comma-separated lists an item.
    """
    schemas = result.get("components", {}).get("schemas", {})
    requests = _request_components(result)
    for name, schema in schemas.items():
        if name == "Problem":
            continue
        if name not in requests and not name.startswith("Patched"):
            schema.pop("required", None)
            continue
        if schema.get("type") == "object" and "properties" in schema:
            schema["additionalProperties"] = False
            for field in schema["properties"].values():
                items = field.get("items", {}) if field.get("type") == "array" else {}
                if items.get("type") == "string" and items.get("minLength", 0) >= 1:
                    items.setdefault("pattern", NOT_BLANK_PATTERN)  # DRF strips, then checks
            if not name.startswith("Patched") and name in CROSS_FIELD_RULES:
                schema["allOf"] = [{"anyOf": rule} for rule in CROSS_FIELD_RULES[name]]
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") != "query" or parameter["name"] == "q":  # q= is "all"
                    continue
                schema = parameter.get("schema", {})
                if schema.get("type") == "array":
                    schema.setdefault("minItems", 1)
                    items = schema.get("items", {})
                    if items.get("type") == "string" and "enum" not in items:
                        items.setdefault("minLength", 1)
                elif schema.get("type") == "string" and "enum" not in schema:
                    schema.setdefault("minLength", 1)
    return result


# Rules across fields of a new or replaced record, as JSON Schema can state them.
# A flow's value is money: it needs its currency (no value: no need).
VALUE_NEEDS_CURRENCY = [
    {"properties": {"value": {"type": "string", "nullable": True, "enum": [None]}}},
    {"required": ["currency"], "properties": {"currency": {"type": "string", "minLength": 3}}},
]
# A flow belongs to a project or a facility (or both).
FLOW_HAS_A_HOME = [
    {"required": ["project"], "properties": {"project": {"type": "string"}}},
    {"required": ["facility"], "properties": {"facility": {"type": "string"}}},
]
CROSS_FIELD_RULES = {"FactorFlowRequest": [VALUE_NEEDS_CURRENCY, FLOW_HAS_A_HOME]}


# -- components a generated client can share -----------------------------------------------------
# Each kind of thing the API sends is one named component, referenced wherever it appears:
# a client generator (openapi-python-client, tests/api/test_schema.py) then writes one class
# for it instead of one per operation and field.
PROBLEM_RESPONSES = {
    "400": "BadRequest",
    "401": "Unauthorized",
    "403": "Forbidden",
    "404": "NotFound",
    "405": "MethodNotAllowed",
    "406": "NotAcceptable",
    "409": "Conflict",
    "410": "Gone",
    "412": "PreconditionFailed",
    "413": "ContentTooLarge",
    "415": "UnsupportedMediaType",
    "428": "PreconditionRequired",
    "429": "TooManyRequests",
}
# The resource a path segment serves, by its response component.
RESOURCE_COMPONENTS = {
    "organisations": "Organisation",
    "facilities": "Facility",
    "projects": "Project",
    "outputs": "Output",
    "flows": "FactorFlow",
    "policies": "PolicyInstrument",
    "funding-schemes": "FundingScheme",
    "fields": "ResearchField",
    "priority-areas": "PriorityArea",
    "change-requests": "ChangeRequest",
}
# The answers that are no resource's: the change feed and the statistics.
RESPONSE_COMPONENTS = {"changes": "ChangeFeed", "stats": "Statistics"}
TRILINGUAL_COMPONENTS = {
    "names": "Names",
    "titles": "Titles",
    "summaries": "Summaries",
    "descriptions": "Descriptions",
}
# Names for the other shapes that recur, by the property or parameter that holds them.
SHAPE_NAMES = {
    "provenance": "Provenance",
    "relationships": "Relationship",
    "successor": "Successor",
    "results": "ChangeEvent",
    "lang": "Language",
    "brief": "Brief",
}
# What a field keeps beside a reference: OpenAPI 3.0 reads nothing else next to a $ref.
REFERENCE_FLAGS = ("nullable", "readOnly", "writeOnly")
TOMBSTONE_SCHEMA = {
    "type": "object",
    "properties": {
        **texts("id", "name", "reason"),
        "retracted_at": {"type": "string", "format": "date-time", "nullable": True},
        "successor": {
            "type": "object",
            "nullable": True,
            "properties": texts("id", "name", "url"),
        },
    },
}


# What each resource component is, for its description (drf-spectacular would take the
# serializer's docstring, which speaks of the implementation).
RESOURCE_WORDS = {
    "Organisation": "An organisation (university, institute, firm, funder …)",
    "Facility": "A facility: laboratory, lab cluster, institute, R&D centre, platform or site",
    "Project": "A joint R&D project, with its participants and funding",
    "Output": "What a project achieved: a publication, patent, dataset, prototype …",
    "FactorFlow": "A cross-border flow of people, funds, data, samples or equipment",
    "PolicyInstrument": "A policy instrument that governs flows or funding",
    "FundingScheme": "A funding scheme and its ceilings",
    "ResearchField": "An OECD Field of Research and Development (2015)",
    "PriorityArea": "One of the zone's priority areas",
    "ChangeRequest": "A partner's proposed change to a published record, and its decision",
    "Ceiling": "A funding scheme's ceiling",
}


def describe(name: str, schema: dict) -> None:
    """A component's description, said for a client."""
    base = name.removeprefix("Patched").removesuffix("Request")
    if base not in RESOURCE_WORDS or name == "ChangeRequestRequest":
        if "?fields=" in schema.get("description", ""):
            schema.pop("description")
        return
    if name.startswith("Patched"):
        schema["description"] = f"{RESOURCE_WORDS[base]}: the fields a PATCH changes."
    elif name.endswith("Request") and name != "ChangeRequest":
        schema["description"] = f"{RESOURCE_WORDS[base]}, as a POST or a PUT sends it."
    else:
        schema["description"] = (
            f"{RESOURCE_WORDS[base]}. `fields`, `omit` and `brief` may leave fields out."
        )


def problem_response(code: str) -> dict[str, Any]:
    """The operation's answer for an error status: a shared response component."""
    return {"$ref": f"#/components/responses/{PROBLEM_RESPONSES[code]}"}


def _camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.replace("-", "_").split("_"))


class Components:
    """Hoists inline schemas into named components: the same shape is one component, found
    again by its JSON; an enum is matched by its set of values (its order and descriptions
    aside), so a filter's ``status`` is the resource's own status enum."""

    def __init__(self, schemas: dict[str, dict]) -> None:
        self.schemas = schemas
        self.shapes: dict[str, str] = {}
        self.enums: dict[tuple, str] = {}
        for name, schema in schemas.items():
            if "enum" in schema:
                self.enums.setdefault(self._enum_key(schema), name)
            else:
                self.shapes.setdefault(self._shape_key(schema), name)

    @staticmethod
    def _enum_key(schema: dict) -> tuple:
        values = frozenset(value for value in schema["enum"] if value is not None)
        return schema.get("type"), values

    @staticmethod
    def _shape_key(schema: dict) -> str:
        return json.dumps(schema, sort_keys=True, ensure_ascii=False)

    def _free_name(self, wanted: str) -> str:
        name, n = wanted, 2
        while name in self.schemas:
            name, n = f"{wanted}{n}", n + 1
        return name

    def refer(self, schema: dict, wanted: str) -> dict:
        """A reference to the component holding ``schema`` (made under ``wanted``, or a free
        variant of it, if no component has that shape yet), with the field's own flags."""
        flags = {key: schema.pop(key) for key in REFERENCE_FLAGS if key in schema}
        if "enum" in schema:
            key = self._enum_key(schema)
            name = self.enums.get(key)
            if name is None:
                name = self.enums[key] = self._free_name(wanted)
                self.schemas[name] = schema
        else:
            key = self._shape_key(schema)
            name = self.shapes.get(key)
            if name is None:
                name = self.shapes[key] = self._free_name(wanted)
                self.schemas[name] = schema
        reference = {"$ref": f"#/components/schemas/{name}"}
        return {"allOf": [reference], **flags} if flags else reference

    def trilingual(self, schema: dict, name: str) -> dict:
        """One component for each kind of text in three scripts, whatever its length limit:
        a writable field's limit (what a write is checked against) holds it; a read-only
        one (reference data, shorter) refers to it."""
        flags = {key: schema.pop(key) for key in REFERENCE_FLAGS if key in schema}
        if name not in self.schemas or not flags.get("readOnly"):
            self.schemas[name] = schema
        reference = {"$ref": f"#/components/schemas/{name}"}
        return {"allOf": [reference], **flags} if flags else reference

    def hoist_response(self, schema: dict, wanted: str) -> dict:
        """An operation's own response object, as a component of its own."""
        if schema.get("type") != "object" or "properties" not in schema:
            return schema
        for key, value in list(schema["properties"].items()):
            schema["properties"][key] = self.hoist_property(value, key, wanted)
        return self.refer(schema, wanted)

    def hoist_property(self, schema: dict, name: str, owner: str) -> dict:
        """The schema of property ``name`` of component ``owner``, its shapes hoisted."""
        if "$ref" in schema or "allOf" in schema or "oneOf" in schema:
            return schema
        request = owner.endswith("Request")
        if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
            schema["items"] = self.hoist_property(schema["items"], name, owner)
            return schema
        if "enum" in schema:
            return self.refer(schema, f"{_camel(name)}Enum")
        if schema.get("type") != "object" or "properties" not in schema:
            return schema
        for key, value in list(schema["properties"].items()):
            schema["properties"][key] = self.hoist_property(value, key, owner)
        if set(schema["properties"]) == {"id", "name"}:
            return self.refer(schema, "Reference")
        if name in TRILINGUAL_COMPONENTS:
            return self.trilingual(schema, TRILINGUAL_COMPONENTS[name])
        wanted = SHAPE_NAMES.get(name) or f"{owner.removesuffix('Request')}{_camel(name)}"
        return self.refer(schema, f"{wanted}Request" if request else wanted)


def shared_components(result: dict, generator: Any, request: Any, public: Any) -> dict:
    """Every error answer is a shared response whose body is the one ``Problem``; every
    shape that recurs (a related record's ``{id, name}``, names in three scripts, provenance,
    a choice) is one component; list parameters are sent repeated (``?fields=a&fields=b``,
    what generated clients send; comma-separated values work too)."""
    # The schema holds module-level dicts (extend_schema's, TOMBSTONE_SCHEMA): hoisting
    # rewrites what it reads, so it works on a copy, and the next schema starts afresh.
    result = copy.deepcopy(result)
    components = result.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    hoister = Components(schemas)
    schemas["Problem"] = {
        **PROBLEM_SCHEMA,
        "properties": {
            **PROBLEM_SCHEMA["properties"],
            "errors": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/ProblemError"},
            },
            "tombstone": {"$ref": "#/components/schemas/Tombstone"},
        },
        "description": "An RFC 9457 problem: what went wrong, and where.",
    }
    schemas["ProblemError"] = copy.deepcopy(PROBLEM_SCHEMA["properties"]["errors"]["items"])
    schemas["Tombstone"] = copy.deepcopy(TOMBSTONE_SCHEMA)
    components["responses"] = {
        name: {
            "description": DESCRIPTIONS[code],
            "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            },
        }
        for code, name in PROBLEM_RESPONSES.items()
    }
    for name in list(schemas):
        schema = schemas[name]
        describe(name, schema)
        for key, value in list(schema.get("properties", {}).items()):
            schema["properties"][key] = hoister.hoist_property(value, key, name)
    for path, operations in result.get("paths", {}).items():
        segment = path.removeprefix("/api/v1/").split("/")[0]
        resource = RESOURCE_COMPONENTS.get(segment, _camel(segment))
        for operation in operations.values():
            for response in operation.get("responses", {}).values():
                for media in response.get("content", {}).values():
                    if "schema" in media and segment in RESPONSE_COMPONENTS:
                        media["schema"] = hoister.hoist_response(
                            media["schema"], RESPONSE_COMPONENTS[segment]
                        )
            for parameter in operation.get("parameters", []):
                if parameter.get("in") != "query":
                    continue
                name = parameter["name"]
                schema = parameter.get("schema", {})
                if schema.get("type") == "array":
                    parameter["explode"] = True
                    items = schema.get("items", {})
                    if "enum" in items:
                        wanted = {
                            "fields": f"{resource}Field",
                            "omit": f"{resource}Field",
                            "ordering": f"{resource}Ordering",
                        }.get(name, f"{_camel(name.removesuffix('__n'))}Enum")
                        schema["items"] = hoister.refer(items, wanted)
                elif "enum" in schema:
                    parameter["schema"] = hoister.refer(
                        schema, SHAPE_NAMES.get(name, f"{_camel(name)}Enum")
                    )
    return result
