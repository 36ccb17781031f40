"""The OpenAPI description: every status code an operation can answer is documented, with
RFC 9457 problems as ``application/problem+json``."""

from __future__ import annotations

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

IF_MATCH_PATTERN = r'^(\*|"v[0-9]{1,9}(\.[A-Za-z-]{2,7})?")$'

READ_ERRORS = ("400", "401", "403", "404", "405", "406", "429")
WRITE_ERRORS = (*READ_ERRORS, "412", "413", "415", "428")


def problem(code: str) -> dict[str, Any]:
    return {
        "description": DESCRIPTIONS[code],
        "content": {"application/problem+json": {"schema": PROBLEM_SCHEMA}},
    }


class RegistryAutoSchema(AutoSchema):
    def _is_list_view(self, serializer: Any = None) -> bool:
        # The change feed and the statistics answer one object, not a list of records.
        if getattr(self.view, "serializer_class", "") is None:
            return False
        return super()._is_list_view(serializer)

    def get_auth(self) -> list[dict]:
        """Reads are open to everyone (published data); writes need a bearer token."""
        auth = super().get_auth()
        if self.method in ("GET", "HEAD") and {} not in auth:
            auth = [*auth, {}]
        return auth

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
            responses.setdefault(code, problem(code))
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
                "uniqueItems": True,
            }
            parameters += [
                OpenApiParameter(
                    "fields",
                    field_list,
                    style="form",
                    explode=False,
                    description="Comma-separated fields to keep.",
                ),
                OpenApiParameter(
                    "omit",
                    field_list,
                    style="form",
                    explode=False,
                    description="Comma-separated fields to drop.",
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


def _at_least_one_script(text: dict) -> list[dict]:
    """anyOf: one of the three scripts holds more than spaces (what the API requires of a
    name or a title)."""
    return [
        {"required": [script], "properties": {script: {**text, "pattern": NOT_BLANK_PATTERN}}}
        for script in KEYS
    ]


def open_response_components(result: dict, generator: Any, request: Any, public: Any) -> dict:
    """Make the schema say what the API enforces, no more and no less:

    - ``?fields=``, ``?omit=`` and ``?brief=`` may leave any field out of a response, so
      response components promise no field;
    - a request body with a key the resource does not have is a 400, so request components
      allow no additional properties, and a name or title needs one script with text;
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
            for key in TRILINGUAL_REQUIRED:
                field = schema["properties"].get(key)
                if field and field.get("type") == "object":
                    field["anyOf"] = _at_least_one_script(field["properties"]["en"])
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
# Trilingual fields a record cannot be without (the others may be left empty).
TRILINGUAL_REQUIRED = ("names", "titles")
