"""When the database is away: what counts as an outage, and how long clients should wait.

A database that is unreachable, restarting or locked by another writer is an outage, not a
bug: every face answers 503 with Retry-After (the API's problem handler, ``hetao/faults.py``
for what fails outside a view), never a 500.
"""

from __future__ import annotations

from django.db import InterfaceError, OperationalError

# How long a client should wait before trying again: about as long as a database restart.
RETRY_AFTER_SECONDS = 5


def database_unavailable(exc: BaseException | None) -> bool:
    """Whether ``exc`` says the database cannot be reached or is locked (not a bad query).

    OperationalError covers refused and dropped connections, a server shutting down and
    SQLite's "database is locked"; InterfaceError a connection already closed under us.
    """
    return isinstance(exc, OperationalError | InterfaceError)
