"""Create the demo accounts for `make run` and print their credentials once.

Passwords and the API token are random and printed only when the accounts are created (they are
stored hashed, so they cannot be shown again); later runs say so. ``--reset`` issues new ones.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from registry import access
from registry.models import ApiToken, Organisation, PartnerAccount

# City University of Hong Kong: owns records in the demo fixtures, so a partner has drafts.
DEFAULT_PARTNER_ROR = "https://ror.org/03q8dnn23"

ACCOUNTS = (
    ("demo-zone-editor", access.ZONE_EDITORS, "zone editor"),
    ("demo-shenzhen-curator", access.SHENZHEN_CURATORS, "Shenzhen curator"),
    ("demo-hong-kong-curator", access.HONG_KONG_CURATORS, "Hong Kong curator"),
    ("demo-partner", None, "partner"),
)


class Command(BaseCommand):
    help = "Create demo accounts (zone editor, a curator per section, a partner with a token)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset", action="store_true", help="Give existing demo accounts new credentials."
        )
        parser.add_argument(
            "--partner-ror",
            default=DEFAULT_PARTNER_ROR,
            help="ROR id of the organisation the demo partner acts for.",
        )

    @transaction.atomic
    def handle(self, *args: Any, reset: bool, partner_ror: str, **options: Any) -> None:
        User = get_user_model()
        existing = User.objects.filter(username__in=[a[0] for a in ACCOUNTS]).count()
        if existing == len(ACCOUNTS) and not reset:
            self.stdout.write(
                "Demo accounts exist; their credentials were printed when they were created. "
                "New ones: python manage.py setup_demo_accounts --reset"
            )
            return
        organisation = (
            Organisation.objects.filter(ror_id=partner_ror).first()
            or Organisation.objects.filter(owner__isnull=True).order_by("pk").first()
        )
        if organisation is None:
            raise CommandError("No organisation for the demo partner: load the fixtures first.")

        lines = []
        for username, group_name, label in ACCOUNTS:
            password = secrets.token_urlsafe(12)
            user, _ = User.objects.get_or_create(username=username)
            user.set_password(password)
            user.is_staff = group_name is not None
            user.save()
            if group_name:
                user.groups.set([Group.objects.get(name=group_name)])
            else:
                PartnerAccount.objects.update_or_create(
                    user=user, defaults={"organisation": organisation}
                )
            lines.append(f"  {label:<18} user {username:<24} password {password}")

        partner = User.objects.get(username="demo-partner")
        for token in ApiToken.objects.usable().filter(user=partner):
            token.revoke()
        _, raw = ApiToken.issue(partner, scopes=["read", "write"], expires_days=90, name="demo")
        self.stdout.write("Demo accounts (shown once; passwords are stored hashed):")
        self.stdout.write("\n".join(lines))
        self.stdout.write(f"  partner acts for {organisation} ({organisation.public_id})")
        self.stdout.write(f"  partner API token (read, write; 90 days): {raw}")
