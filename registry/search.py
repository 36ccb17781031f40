"""Cross-script search: one normaliser for stored text and for queries.

``normalise`` applies NFKC (full-width letters and compatibility forms become plain ones),
case folding, Traditional→Simplified Chinese conversion with OpenCC and space collapsing. The
same function builds every record's ``search_text`` and every query, so 深圳灣 finds 深圳湾,
HKUST finds hkust, and ＨＫＵＳＴ finds both.

Matching is a plain substring test on the pre-normalised column (``contains``, never
``icontains``): on PostgreSQL that is served by the ``gin_trgm_ops`` index on ``search_text``
(measured: ``icontains`` wraps the column in UPPER() and no trigram index serves it). A word of
one or two Chinese characters has no trigram, so it is looked up in a second index, of the
characters and character pairs of the text (migration 0008).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from django.db import connections
from django.db.models import BooleanField, F, Func, Value

from registry.scripts import converter

if TYPE_CHECKING:
    from django.db.models import QuerySet

_SPACES = re.compile(r"\s+")
MAX_QUERY_LENGTH = 200


def normalise(text: str) -> str:
    """NFKC, casefold, Traditional→Simplified, whitespace collapsed to single spaces."""
    if not text:
        return ""
    folded = unicodedata.normalize("NFKC", text).casefold()
    simplified = converter("t2s").convert(folded)
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


# Chinese characters as registry_cjk_grams() (migration 0008) recognises them.
_CHINESE = re.compile(r"^[\u3400-\u9fff\uf900-\ufaff]+$")


def is_short_chinese(word: str) -> bool:
    """One or two Chinese characters: too short for a trigram index."""
    return len(word) <= 2 and bool(_CHINESE.match(word))


class HasChineseGram(Func):
    """``registry_cjk_grams(search_text) @> ARRAY[word]`` (PostgreSQL): true when the text
    holds the one or two Chinese characters of ``word``, answered by the grams index."""

    output_field = BooleanField()

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        column, word = (compiler.compile(expression) for expression in self.source_expressions)
        return (
            f"registry_cjk_grams({column[0]}) @> ARRAY[{word[0]}]::text[]",
            [*column[1], *word[1]],
        )


def filter_queryset(queryset: QuerySet, q: str) -> QuerySet:
    """Records whose ``search_text`` contains every word of ``q``; a blank ``q`` filters nothing.
    On PostgreSQL a word of one or two Chinese characters is also looked up in the grams index
    (the same records: the condition is implied by the substring test it goes with)."""
    grams = connections[queryset.db].vendor == "postgresql"
    for word in query_words(q or ""):
        queryset = queryset.filter(search_text__contains=word)
        if grams and is_short_chinese(word):
            queryset = queryset.filter(HasChineseGram(F("search_text"), Value(word)))
    return queryset
