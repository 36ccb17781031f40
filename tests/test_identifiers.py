"""Public ids: minted at random, self-checking, never reused."""

from __future__ import annotations

import random

import pytest

from registry import identifiers
from registry.models import Organisation
from tests.factories import OrganisationFactory, ProjectFactory

SAMPLE = [identifiers.mint(prefix) for prefix in identifiers.PREFIXES for _ in range(30)]
# Each run mints a fresh sample; a test is named by the prefix and place of its id in the
# sample, not by the id, so that every xdist worker collects the same tests.
SAMPLE_NAMES = [f"{prefix}-{n}" for prefix in identifiers.PREFIXES for n in range(30)]
# Everything a person could type in place of one character of the body or check digits.
TYPEABLE = identifiers.ALPHABET + "ilou"


def single_character_typos(public_id: str) -> list[str]:
    prefix, rest = public_id.split("-")
    typos = []
    for position, original in enumerate(rest):
        for replacement in TYPEABLE:
            if replacement != original:
                typos.append(f"{prefix}-{rest[:position]}{replacement}{rest[position + 1 :]}")
    return typos


def adjacent_swaps(public_id: str) -> list[str]:
    prefix, rest = public_id.split("-")
    swaps = []
    for position in range(len(rest) - 1):
        a, b = rest[position], rest[position + 1]
        if a != b:
            swaps.append(f"{prefix}-{rest[:position]}{b}{a}{rest[position + 2 :]}")
    return swaps


def test_a_minted_id_has_its_prefix_six_base32_characters_and_two_check_digits():
    public_id = identifiers.mint("fac")
    assert identifiers.PUBLIC_ID_RE.match(public_id)
    assert public_id.startswith("fac-")
    assert identifiers.is_valid(public_id, "fac")


def test_check_digits_are_computed_as_ror_computes_them():
    # Real ROR ids: "0" + six base32 characters + ISO 7064 MOD 97-10 check digits.
    for ror_id in ("02zhqgq86", "00t33hh48", "049tv2d57", "03q8dnn23", "05q8mqd91"):
        assert identifiers.check_digits(ror_id[1:7]) == ror_id[7:]


@pytest.mark.parametrize("public_id", SAMPLE[::7], ids=SAMPLE_NAMES[::7])
def test_every_single_character_typo_is_rejected(public_id):
    typos = single_character_typos(public_id)
    assert len(typos) == 8 * (len(TYPEABLE) - 1)
    accepted = [typo for typo in typos if identifiers.is_valid(typo)]
    assert accepted == []


@pytest.mark.parametrize("public_id", SAMPLE, ids=SAMPLE_NAMES)
def test_every_swap_of_adjacent_characters_is_rejected(public_id):
    accepted = [swap for swap in adjacent_swaps(public_id) if identifiers.is_valid(swap)]
    assert accepted == []


@pytest.mark.parametrize(
    "bad",
    ["", "fac", "fac-", "fac-12345678", "xyz-abcdef12", "fac-abcdef1", "fac-abcdefg12", None, 42],
)
def test_malformed_ids_are_rejected_with_a_reason(bad):
    assert not identifiers.is_valid(bad)
    with pytest.raises(identifiers.InvalidPublicId, match="not a valid public id"):
        identifiers.validate(bad)


def test_an_id_is_valid_only_for_its_own_prefix():
    public_id = identifiers.mint("org")
    assert identifiers.is_valid(public_id, "org")
    assert not identifiers.is_valid(public_id, "fac")


def test_ids_typed_in_capitals_or_with_spaces_are_understood():
    public_id = identifiers.mint("prj")
    assert identifiers.validate(f"  {public_id.upper()} ") == public_id


def test_minting_refuses_an_unknown_prefix():
    with pytest.raises(ValueError, match="unknown public id prefix"):
        identifiers.mint("abc")


@pytest.mark.django_db
def test_a_saved_record_gets_a_valid_public_id_that_never_changes():
    organisation = OrganisationFactory()
    minted = organisation.public_id
    assert identifiers.is_valid(minted, "org")
    organisation.name_en = "Renamed University"
    organisation.save()
    organisation.refresh_from_db()
    assert organisation.public_id == minted


@pytest.mark.django_db
def test_a_mistyped_id_finds_nothing_rather_than_another_record():
    records = OrganisationFactory.create_batch(20)
    target = random.Random(1).choice(records)
    assert Organisation.objects.by_public_id(target.public_id).get() == target
    for typo in single_character_typos(target.public_id) + adjacent_swaps(target.public_id):
        assert not Organisation.objects.by_public_id(typo).exists(), typo


@pytest.mark.django_db
def test_an_id_of_another_kind_finds_nothing():
    project = ProjectFactory()
    assert not Organisation.objects.by_public_id(project.public_id).exists()


@pytest.mark.django_db
def test_the_id_of_a_deleted_record_is_never_minted_again(monkeypatch):
    deleted = OrganisationFactory()
    deleted_id = deleted.public_id
    deleted.delete()
    minted = iter([deleted_id, identifiers.mint("org")])
    monkeypatch.setattr(identifiers, "mint", lambda prefix: next(minted))
    successor = OrganisationFactory()
    assert successor.public_id != deleted_id
