"""ISO 4217 currency codes, from pycountry (pinned), for validation and the CHECK constraints.

The CHECK constraints freeze this list into a migration: upgrading pycountry with a changed
list shows up in `makemigrations --check` and gets a migration of its own.
"""

import pycountry

ISO_4217: tuple[str, ...] = tuple(sorted(currency.alpha_3 for currency in pycountry.currencies))
