"""Cross-script search: one normaliser for stored text and for queries.

``normalise`` applies NFKC (full-width letters and compatibility forms become plain ones),
case folding, Traditional→Simplified Chinese conversion with OpenCC and space collapsing. The
same function builds every record's ``search_text`` and every query, so 深圳灣 finds 深圳湾,
HKUST finds hkust, and ＨＫＵＳＴ finds both.

Matching is a plain substring test on the pre-normalised column (``contains``, never
``icontains``): on PostgreSQL that is served by the ``gin_trgm_ops`` index on ``search_text``
(measured: ``icontains`` wraps the column in UPPER() and no trigram index serves it).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

import opencc

if TYPE_CHECKING:
    from django.db.models import QuerySet

_SPACES = re.compile(r"\s+")
MAX_QUERY_LENGTH = 200


@lru_cache(maxsize=1)
def _to_simplified() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def normalise(text: str) -> str:
    """NFKC, casefold, Traditional→Simplified, whitespace collapsed to single spaces."""
    if not text:
        return ""
    folded = unicodedata.normalize("NFKC", text).casefold()
    simplified = _to_simplified().convert(folded)
    return _SPACES.sub(" ", simplified).strip()


def build_search_text(
    terms: Iterable[str | None], normaliser: Callable[[str], str] | None = None
) -> str:
    """Join the normalised, de-duplicated terms with a separator no query can span
    (``normaliser``: ``normalise`` itself, or a cached copy of it for bulk loads)."""
    normaliser = normaliser or normalise
    seen: dict[str, None] = {}
    for term in terms:
        normalised = normaliser(term or "")
        if normalised:
            seen.setdefault(normalised, None)
    return " | ".join(seen)


def query_words(q: str) -> list[str]:
    """The normalised words of a query; an empty or blank query has none."""
    return [word for word in normalise(q[:MAX_QUERY_LENGTH]).split(" ") if word and word != "|"]


def filter_queryset(queryset: QuerySet, q: str) -> QuerySet:
    """Records whose ``search_text`` contains every word of ``q``; a blank ``q`` filters nothing."""
    for word in query_words(q or ""):
        queryset = queryset.filter(search_text__contains=word)
    return queryset
