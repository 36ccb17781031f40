"""The operations tests use the API tests' clients (a bearer token per persona). Throttles stay
as configured here: some of these tests are about them."""

from tests.api.conftest import api, api_as  # noqa: F401
