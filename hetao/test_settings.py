"""Test-only switches on top of the real settings."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-not-a-secret")

from hetao.settings import *  # noqa: F403

# The manifest storage needs collectstatic; tests use the plain storage.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Fast hashing for the many users the tests create; production keeps the default.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
WHITENOISE_AUTOREFRESH = True

# Each test process keeps its cache to itself: the API tests clear it around every test, and
# xdist workers sharing var/cache would clear each other's throttle counters.
# tests/ops/test_brute_force.py checks the shared caches production uses.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Off, as django-axes advises for tests: its backend refuses an authenticate() without a request,
# which Django's test Client.login and tests/test_commands.py make. force_login needs none;
# tests/ops/test_brute_force.py turns axes on and signs in through the admin's form.
AXES_ENABLED = False

# Connections end with each request: the live server's request threads wait on keep-alive
# browser connections, and one holding a database connection at the end of the run would stop
# pytest-django from dropping the test database ("being accessed by other users").
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405

# One test database per test process on PostgreSQL, so that parallel runs on one server
# (a developer's and CI's, or several checkouts) never drop each other's database.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    DATABASES["default"].setdefault("TEST", {})["NAME"] = (  # noqa: F405
        f"test_{DATABASES['default']['NAME']}_{os.getpid()}"  # noqa: F405
    )

# SQLite: a test database in a file, not in memory, so that the live server's request threads
# each have their own connection and concurrent writes are really concurrent.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"].setdefault("TEST", {})["NAME"] = str(  # noqa: F405
        BASE_DIR / "var" / f"test_registry_{os.getpid()}.sqlite3"  # noqa: F405
    )
    (BASE_DIR / "var").mkdir(exist_ok=True)  # noqa: F405
