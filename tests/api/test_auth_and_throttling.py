"""Who the API thinks you are (docs/architecture.md §8): ``Authorization: Bearer <token>``
against ApiToken (hashed at rest, read/write scopes, expiry, revocation, last use), anonymous
reads of published data, ``manage.py issue_token``, and throttling per token and per IP."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from registry.models import ApiToken, Facility, PriorityArea, Publication
from tests.api.conftest import bearer, problem_of
from tests.factories import FacilityFactory, UserFactory

pytestmark = pytest.mark.django_db


def client_with(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(**bearer(raw))
    return client


def assert_asks_for_a_bearer_token(response) -> None:
    problem_of(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


# -- tokens ---------------------------------------------------------------------------------
def test_a_token_is_stored_only_as_its_hash(hong_kong_partner):
    token, raw = ApiToken.issue(hong_kong_partner, scopes=["read"])

    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in {str(getattr(stored, field.attname)) for field in ApiToken._meta.fields}
    assert raw.startswith(stored.key_prefix)


def test_a_partner_with_a_token_reads_its_drafts_the_public_cannot(
    api, hong_kong_partner, hong_kong_partner_org
):
    draft = FacilityFactory(publication=Publication.DRAFT, owner=hong_kong_partner_org)
    _token, raw = ApiToken.issue(hong_kong_partner, scopes=["read"])

    assert client_with(raw).get(f"/api/v1/facilities/{draft.public_id}/").status_code == 200
    problem_of(api.get(f"/api/v1/facilities/{draft.public_id}/"), 404)


def test_the_public_reads_published_records_without_any_credentials(api):
    published = FacilityFactory()
    FacilityFactory(publication=Publication.IN_REVIEW)

    body = api.get("/api/v1/facilities/").json()

    assert [row["id"] for row in body["results"]] == [published.public_id]


def test_a_read_only_token_cannot_write(hong_kong_partner, hong_kong_partner_org):
    facility = FacilityFactory(publication=Publication.DRAFT, owner=hong_kong_partner_org)
    _token, raw = ApiToken.issue(hong_kong_partner, scopes=["read"])
    reader = client_with(raw)

    patched = reader.patch(
        f"/api/v1/facilities/{facility.public_id}/",
        {"names": {"en": "Renamed"}},
        format="json",
        HTTP_IF_MATCH='"v1.en"',
    )
    posted = reader.post(
        "/api/v1/facilities/",
        {"names": {"en": "New"}, "kind": "laboratory", "section": "hong_kong", "status": "planned"},
        format="json",
    )

    problem_of(patched, 403)
    problem_of(posted, 403)
    assert Facility.objects.get(pk=facility.pk).name_en == facility.name_en
    assert Facility.objects.count() == 1


def test_a_write_only_token_cannot_read(hong_kong_partner):
    _token, raw = ApiToken.issue(hong_kong_partner, scopes=["write"])

    problem_of(client_with(raw).get("/api/v1/facilities/"), 403)


def test_an_expired_token_is_refused_with_www_authenticate(hong_kong_partner):
    token, raw = ApiToken.issue(hong_kong_partner, scopes=["read"], expires_days=1)
    token.expires_at = timezone.now() - timedelta(seconds=1)
    token.save()

    assert_asks_for_a_bearer_token(client_with(raw).get("/api/v1/facilities/"))


def test_a_token_works_until_it_expires(hong_kong_partner):
    token, raw = ApiToken.issue(hong_kong_partner, scopes=["read"], expires_days=30)

    assert client_with(raw).get("/api/v1/facilities/").status_code == 200
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)


def test_a_revoked_token_is_refused_with_www_authenticate(hong_kong_partner):
    token, raw = ApiToken.issue(hong_kong_partner, scopes=["read", "write"])
    client = client_with(raw)
    assert client.get("/api/v1/facilities/").status_code == 200

    token.revoke()

    assert_asks_for_a_bearer_token(client.get("/api/v1/facilities/"))


def test_the_token_of_a_deactivated_user_is_refused(hong_kong_partner):
    _token, raw = ApiToken.issue(hong_kong_partner, scopes=["read"])
    hong_kong_partner.is_active = False
    hong_kong_partner.save()

    assert_asks_for_a_bearer_token(client_with(raw).get("/api/v1/facilities/"))


@pytest.mark.parametrize(
    "header",
    [
        "Bearer hetao_not-a-real-token",
        "Bearer not-even-our-prefix",
        "Bearer",
        "Bearer two parts",
        "bearer hetao_lowercase-scheme-unknown-token",
    ],
)
def test_an_unknown_or_malformed_bearer_token_is_a_401(api, header):
    response = api.get("/api/v1/facilities/", HTTP_AUTHORIZATION=header)

    assert_asks_for_a_bearer_token(response)


def test_an_anonymous_write_is_a_401_asking_for_a_token(api):
    response = api.post("/api/v1/facilities/", {"names": {"en": "X"}}, format="json")

    assert_asks_for_a_bearer_token(response)
    assert not Facility.objects.exists()


def test_another_authorization_scheme_is_refused_rather_than_read_as_anonymous(api):
    """A client sending Basic or Token credentials made a mistake: say so (401), do not
    quietly answer as if it were the public."""
    FacilityFactory()

    read = api.get("/api/v1/facilities/", HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz")
    write = api.post("/api/v1/facilities/", {}, format="json", HTTP_AUTHORIZATION="Token abc")

    assert_asks_for_a_bearer_token(read)
    assert_asks_for_a_bearer_token(write)


def test_a_signed_in_admin_session_is_not_an_api_credential(zone_editor):
    """The API takes bearer tokens only: a browser session must not write through it."""
    client = APIClient()
    client.force_login(zone_editor)

    response = client.post(
        "/api/v1/facilities/",
        {"names": {"en": "X"}, "kind": "laboratory", "section": "hong_kong", "status": "planned"},
        format="json",
    )

    assert_asks_for_a_bearer_token(response)
    assert not Facility.objects.exists()


def test_the_time_a_token_was_last_used_is_recorded(hong_kong_partner, django_assert_num_queries):
    PriorityArea.objects.create(code="quantum", name_en="Quantum")
    token, raw = ApiToken.issue(hong_kong_partner, scopes=["read"])
    assert token.last_used_at is None
    before = timezone.now()
    client = client_with(raw)

    client.get("/api/v1/priority-areas/")
    first_use = ApiToken.objects.get(pk=token.pk).last_used_at
    # Within the minute: read again, not written again (token + COUNT + page).
    with django_assert_num_queries(3):
        client.get("/api/v1/priority-areas/")

    assert first_use is not None and first_use >= before
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first_use


def test_a_token_used_again_after_a_while_records_the_new_time(hong_kong_partner):
    token, raw = ApiToken.issue(hong_kong_partner, scopes=["read"])
    token.last_used_at = timezone.now() - timedelta(hours=3)
    token.save()

    client_with(raw).get("/api/v1/priority-areas/")

    assert timezone.now() - ApiToken.objects.get(pk=token.pk).last_used_at < timedelta(minutes=1)


# -- manage.py issue_token ---------------------------------------------------------------------
def test_issue_token_prints_the_token_alone_and_it_works(hong_kong_partner):
    out = StringIO()

    call_command("issue_token", user="hk-partner", scopes="read,write", stdout=out)

    printed = out.getvalue()
    raw = printed.strip()
    assert printed.count("\n") <= 1 and " " not in raw
    token = ApiToken.authenticate(raw)
    assert token is not None and token.user == hong_kong_partner
    assert sorted(token.scopes) == ["read", "write"]
    assert token.expires_at is None
    assert client_with(raw).get("/api/v1/facilities/").status_code == 200


def test_issue_token_with_expires_days_sets_the_expiry(hong_kong_partner):
    out = StringIO()

    call_command(
        "issue_token", "--user", "hk-partner", "--scopes", "read", "--expires-days", "7", stdout=out
    )

    token = ApiToken.authenticate(out.getvalue().strip())
    assert token.scopes == ["read"]
    assert timedelta(days=6, hours=23) < token.expires_at - timezone.now() <= timedelta(days=7)


@pytest.mark.parametrize(
    "arguments",
    [
        ["--user", "nobody", "--scopes", "read"],
        ["--user", "hk-partner", "--scopes", "admin"],
        ["--user", "hk-partner", "--scopes", ""],
        ["--user", "hk-partner", "--scopes", "read", "--expires-days", "0"],
        ["--user", "just-a-user", "--scopes", "read"],
    ],
)
def test_issue_token_refuses_what_it_cannot_honour(hong_kong_partner, arguments):
    UserFactory(username="just-a-user")  # no partner account, no curator group

    with pytest.raises(CommandError):
        call_command("issue_token", *arguments, stdout=StringIO())

    assert not ApiToken.objects.exists()


def test_issue_token_serves_curators_too(zone_editor):
    out = StringIO()

    call_command("issue_token", user="zone-editor", scopes="read", stdout=out)

    assert ApiToken.authenticate(out.getvalue().strip()).user == zone_editor


# -- throttling -----------------------------------------------------------------------------
@pytest.fixture
def tight_rates(monkeypatch: pytest.MonkeyPatch) -> None:
    """3 anonymous requests a minute per IP, 2 per token (DRF reads rates at class level)."""
    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {"anonymous": "3/minute", "token": "2/minute"}
    )


def assert_throttled(response) -> None:
    body = problem_of(response, 429)
    retry_after = int(response["Retry-After"])
    assert 0 < retry_after <= 60
    assert body["type"].endswith("throttled")


def test_the_public_is_throttled_per_ip_with_retry_after(tight_rates):
    client = APIClient(REMOTE_ADDR="203.0.113.7")
    for _ in range(3):
        assert client.get("/api/v1/facilities/").status_code == 200

    assert_throttled(client.get("/api/v1/facilities/"))
    # Another address keeps its own budget.
    assert APIClient(REMOTE_ADDR="203.0.113.8").get("/api/v1/facilities/").status_code == 200


def test_a_forged_forwarded_for_header_does_not_reset_the_per_ip_budget(tight_rates):
    """Without a configured proxy count DRF keys anonymous clients by X-Forwarded-For as sent,
    so a client that changes the header on every request is never throttled."""
    client = APIClient(REMOTE_ADDR="203.0.113.7")
    statuses = [
        client.get("/api/v1/facilities/", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code
        for n in range(5)
    ]

    assert statuses[-1] == 429, statuses


def test_a_token_is_throttled_on_its_own_budget(tight_rates, hong_kong_partner):
    _first, first_raw = ApiToken.issue(hong_kong_partner, scopes=["read"])
    _second, second_raw = ApiToken.issue(hong_kong_partner, scopes=["read"])
    first = client_with(first_raw)
    for _ in range(2):
        assert first.get("/api/v1/facilities/").status_code == 200

    assert_throttled(first.get("/api/v1/facilities/"))
    # The same partner's other token, and the public on the same address, are not affected.
    assert client_with(second_raw).get("/api/v1/facilities/").status_code == 200
    assert APIClient().get("/api/v1/facilities/").status_code == 200


def test_a_throttled_write_changes_nothing(tight_rates, hong_kong_partner, hong_kong_partner_org):
    _token, raw = ApiToken.issue(hong_kong_partner, scopes=["read", "write"])
    writer = client_with(raw)
    facility = FacilityFactory(publication=Publication.DRAFT, owner=hong_kong_partner_org)
    url = f"/api/v1/facilities/{facility.public_id}/"
    writer.get(url)
    writer.get(url)

    response = writer.patch(url, {"names": {"en": "Renamed"}}, format="json", HTTP_IF_MATCH="*")

    assert_throttled(response)
    assert Facility.objects.get(pk=facility.pk).name_en == facility.name_en
