"""JSON out with orjson: the same bytes as DRF's JSONRenderer, written several times faster.

DRF's renderer is ``json.dumps`` with compact separators and no ASCII escaping, followed by
escaping U+2028 and U+2029 (JavaScript line terminators). orjson writes the same compact,
UTF-8 JSON; the two escapes are applied the same way, and any value orjson does not know
natively goes through DRF's own encoder. A pretty-printed response (``Accept:
application/json; indent=4``), and anything orjson refuses, is left to DRF's renderer.
tests/api/test_renderers.py checks the bytes are equal for every resource.
"""

from __future__ import annotations

from typing import Any

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_ENCODER = JSONEncoder()
# Dates and times go through DRF's encoder, which writes UTC as "Z" where orjson writes "+00:00".
_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME


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
            rendered = orjson.dumps(data, default=_ENCODER.default, option=_OPTIONS)
        except TypeError:
            return super().render(data, accepted_media_type, renderer_context)
        return rendered.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
