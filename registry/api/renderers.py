"""JSON out with orjson: the same bytes as DRF's JSONRenderer, written several times faster.

DRF's renderer is ``json.dumps`` with compact separators and no ASCII escaping, followed by
escaping U+2028 and U+2029 (JavaScript line terminators). orjson writes the same compact,
UTF-8 JSON; the two escapes are applied the same way, and any value orjson does not know
natively goes through DRF's own encoder. A pretty-printed response (``Accept:
application/json; indent=4``), and anything orjson refuses, is left to DRF's renderer.
The bytes are written by the core (``representations.json_bytes``), which the benchmark's floors
share; tests/api/test_renderers.py checks they equal DRF's for every resource.
"""

from __future__ import annotations

from typing import Any

from rest_framework.renderers import JSONRenderer

from registry.representations import json_bytes


class FastJSONRenderer(JSONRenderer):
    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: dict | None = None,
    ) -> bytes:
        if data is None:
            return b""
        if self.get_indent(accepted_media_type, renderer_context or {}) is not None:
            return super().render(data, accepted_media_type, renderer_context)
        try:
            return json_bytes(data)
        except TypeError:
            return super().render(data, accepted_media_type, renderer_context)
