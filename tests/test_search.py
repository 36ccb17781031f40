"""Cross-script search: the same normaliser for stored text and queries."""

from __future__ import annotations

import pytest
from django.db import connection

from registry.models import Facility, Organisation
from registry.search import build_search_text, normalise, query_words
from tests.conftest import require_postgres
from tests.factories import FacilityFactory, OrganisationFactory


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("深圳灣", "深圳湾"),  # Traditional → Simplified
        ("香港科技大學", "香港科技大学"),
        ("HKUST", "hkust"),  # case folding
        ("ＨＫＵＳＴ", "hkust"),  # full-width letters (NFKC)
        ("  Lok   Ma\tChau\nLoop ", "lok ma chau loop"),  # spaces collapsed
        ("Straße", "strasse"),  # casefold, not just lower()
        ("", ""),
    ],
)
def test_the_normaliser_folds_scripts_case_width_and_spaces(typed, stored):
    assert normalise(typed) == stored


def test_search_text_keeps_each_distinct_term_once():
    assert build_search_text(["HKUST", "hkust", "", None, "深圳灣"]) == "hkust | 深圳湾"


def test_a_blank_query_has_no_words_and_an_overlong_one_is_cut():
    assert query_words("   ") == []
    assert len("".join(query_words("x" * 5000))) == 200


@pytest.mark.django_db
def test_a_traditional_query_finds_a_record_stored_in_simplified():
    facility = FacilityFactory(name_en="", name_zh_hans="深圳湾实验室")
    assert list(Facility.objects.search("深圳灣")) == [facility]


@pytest.mark.django_db
def test_a_simplified_query_finds_a_record_stored_in_traditional():
    facility = FacilityFactory(name_en="", name_zh_hant="深圳灣實驗室")
    assert list(Facility.objects.search("深圳湾")) == [facility]


@pytest.mark.django_db
def test_a_lower_case_acronym_finds_the_organisation():
    hkust = OrganisationFactory(
        name_en="Hong Kong University of Science and Technology", acronym="HKUST"
    )
    OrganisationFactory(name_en="University of Hong Kong", acronym="HKU")
    assert list(Organisation.objects.search("hkust")) == [hkust]


@pytest.mark.django_db
def test_every_word_of_a_query_must_match():
    both = OrganisationFactory(name_en="Quantum Science Centre", aliases=["Bay Area quantum"])
    OrganisationFactory(name_en="Quantum Valley Office")
    assert list(Organisation.objects.search("quantum bay")) == [both]


@pytest.mark.django_db
def test_aliases_ror_ids_and_public_ids_are_searchable():
    organisation = OrganisationFactory(
        name_en="City University of Hong Kong",
        aliases=["香港城市大學", "CityU"],
        ror_id="https://ror.org/03q8dnn23",
    )
    for query in ("香港城市大学", "cityu", "03q8dnn23", organisation.public_id.upper()):
        assert list(Organisation.objects.search(query)) == [organisation], query


@pytest.mark.django_db
def test_search_text_follows_a_renamed_record():
    organisation = OrganisationFactory(name_en="Old Name Institute")
    organisation.name_en = "New Name Institute"
    organisation.save()
    assert not Organisation.objects.search("old name").exists()
    assert Organisation.objects.search("new name").get() == organisation


@pytest.mark.django_db
def test_a_blank_query_returns_everything_and_percent_signs_are_literal():
    OrganisationFactory.create_batch(3)
    assert Organisation.objects.search("").count() == 3
    assert Organisation.objects.search("%").count() == 0
    assert Organisation.objects.search("_").count() == 0


@pytest.mark.django_db
def test_search_is_one_query_with_the_normalised_words(django_assert_num_queries):
    OrganisationFactory(name_en="Shenzhen Bay Laboratory")
    with django_assert_num_queries(1) as captured:
        list(Organisation.objects.search("SHENZHEN Bay"))
    sql = captured.captured_queries[0]["sql"]
    # A plain LIKE on the pre-normalised column: UPPER() would defeat the trigram index.
    assert "upper(" not in sql.lower()
    assert "%shenzhen%" in sql and "%bay%" in sql


@pytest.mark.django_db
def test_postgres_has_pg_trgm_and_a_trigram_index_on_every_search_text():
    require_postgres()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        assert cursor.fetchone() == (1,)
        cursor.execute(
            "SELECT tablename FROM pg_indexes WHERE indexdef LIKE %s ORDER BY tablename",
            ["%USING gin (search_text gin_trgm_ops)%"],
        )
        tables = [row[0] for row in cursor.fetchall()]
    assert tables == sorted(
        f"registry_{name}"
        for name in (
            "organisation",
            "facility",
            "project",
            "output",
            "factorflow",
            "policyinstrument",
            "fundingscheme",
        )
    )


@pytest.mark.django_db
def test_postgres_serves_a_search_from_the_trigram_index():
    require_postgres()
    OrganisationFactory.create_batch(5)
    queryset = Organisation.objects.search("hkust").order_by()  # the match, not a sort
    with connection.cursor() as cursor:
        # The table is tiny, so tell the planner a scan is expensive, as it is at 1M rows.
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = queryset.explain()
    assert "registry_organisation_search_trgm" in plan


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["量子", "量", "醫療", "医"])
def test_a_one_or_two_character_chinese_query_finds_the_records_in_either_script(query):
    quantum = FacilityFactory(name_zh_hans="量子医疗实验室")
    traditional = FacilityFactory(name_zh_hant="量子醫療實驗室", name_zh_hans="")
    FacilityFactory(name_zh_hans="光子实验室", name_en="Photonics lab")

    assert set(Facility.objects.search(query)) == {quantum, traditional}


@pytest.mark.django_db
def test_a_chinese_pair_that_only_spans_two_terms_is_not_found():
    """The search text separates its terms: 子光 is in no name, only across two of them."""
    FacilityFactory(name_zh_hans="量子", name_zh_hant="光子")

    assert not Facility.objects.search("子光").exists()
    assert Facility.objects.search("量子").exists()


@pytest.mark.django_db
def test_postgres_serves_a_short_chinese_query_from_the_grams_index():
    require_postgres()
    FacilityFactory.create_batch(5)
    FacilityFactory(name_zh_hans="量子医疗实验室")
    queryset = Facility.objects.search("量子").order_by()  # the match, not a sort
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = queryset.explain()
    assert "registry_facility_search_grams" in plan
    assert list(queryset.values_list("name_zh_hans", flat=True)) == ["量子医疗实验室"]
