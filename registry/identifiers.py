"""Public identifiers: the only ids the registry ever shows.

Form: ``<prefix>-<6 Crockford base32 characters><2 check digits>``, e.g. ``fac-3kq9x2m07``.
The check digits are ISO 7064 MOD 97-10 over the integer the six characters encode, exactly as
ROR computes its own check digits. Any single mistyped character and any swap of two adjacent
characters changes the check, so a typo gives "not found" and never reaches another record.
"""

from __future__ import annotations

import re
import secrets

# Crockford's base32 alphabet: no I, L, O or U, so ids survive being read aloud or retyped.
ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
BODY_LENGTH = 6
PREFIXES = ("org", "fac", "prj", "out", "flw", "pol", "sch")

PUBLIC_ID_RE = re.compile(
    r"^(?P<prefix>[a-z]{3})-(?P<body>[" + ALPHABET + r"]{6})(?P<check>[0-9]{2})$"
)


class InvalidPublicId(ValueError):
    """A string that is not a well-formed public id with correct check digits."""


def _decode(body: str) -> int:
    value = 0
    for char in body:
        value = value * 32 + ALPHABET.index(char)
    return value


def check_digits(body: str) -> str:
    """The two ISO 7064 MOD 97-10 check digits for a six-character body."""
    return f"{98 - (_decode(body) * 100) % 97:02d}"


def mint(prefix: str) -> str:
    """A fresh random public id for ``prefix`` (uniqueness is checked by the caller)."""
    if prefix not in PREFIXES:
        raise ValueError(f"unknown public id prefix {prefix!r}; expected one of {PREFIXES}")
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    return f"{prefix}-{body}{check_digits(body)}"


def normalise(public_id: str) -> str:
    """Case-fold and trim what a person typed; no other correction is ever guessed."""
    return public_id.strip().lower()


def is_valid(public_id: str, prefix: str | None = None) -> bool:
    """True when ``public_id`` is well formed, its check digits match and (if given) its prefix."""
    match = PUBLIC_ID_RE.match(normalise(public_id)) if isinstance(public_id, str) else None
    if match is None or match["prefix"] not in PREFIXES:
        return False
    if prefix is not None and match["prefix"] != prefix:
        return False
    return check_digits(match["body"]) == match["check"]


def validate(public_id: str, prefix: str | None = None) -> str:
    """Return the canonical form of ``public_id`` or raise InvalidPublicId saying why."""
    if not is_valid(public_id, prefix):
        expected = f"{prefix}-" if prefix else "<prefix>-"
        raise InvalidPublicId(
            f"{public_id!r} is not a valid public id (expected {expected}"
            "followed by 6 base32 characters and 2 check digits)"
        )
    return normalise(public_id)


ROR_BARE_RE = re.compile(r"^0(?P<body>[" + ALPHABET + r"]{6})(?P<check>[0-9]{2})$")
ROR_PREFIXES = ("https://ror.org/", "http://ror.org/", "ror.org/")


def ror_in(text: str) -> str | None:
    """The ROR id ``text`` is, in any of its forms (``https://ror.org/05sn8t512``,
    ``ror.org/05sn8t512``, ``05sn8t512``), as ``https://ror.org/<id>``, when its check
    digits hold (ROR's are ISO 7064 MOD 97-10 too); else None."""
    value = text.strip().lower()
    for prefix in ROR_PREFIXES:
        value = value.removeprefix(prefix)
    match = ROR_BARE_RE.match(value)
    if match is None or check_digits(match["body"]) != match["check"]:
        return None
    return f"https://ror.org/{value}"
