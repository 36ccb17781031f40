"""``manage.py issue_token --user NAME --scopes read,write [--expires-days N] [--name TEXT]``

Prints the new API token alone on stdout (it is stored only as a hash and never shown again),
so a script can capture it: ``TOKEN=$(python manage.py issue_token --user partner --scopes read)``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from registry import access
from registry.models import ApiToken


class Command(BaseCommand):
    help = "Issue an API token for a user and print it once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True, help="The username the token acts for.")
        parser.add_argument(
            "--scopes", required=True, help="Comma-separated: read, write or read,write."
        )
        parser.add_argument("--expires-days", type=int, default=None, help="Lifetime in days.")
        parser.add_argument("--name", default="", help="A label to tell tokens apart.")

    def handle(
        self,
        *args: Any,
        user: str,
        scopes: str,
        expires_days: int | None,
        name: str,
        **options: Any,
    ) -> None:
        account = get_user_model().objects.filter(username=user, is_active=True).first()
        if account is None:
            raise CommandError(f"No active user named {user!r}.")
        if access.actor_for(account).role is access.Role.PUBLIC:
            raise CommandError(
                f"{user!r} is neither a partner (no partner account) nor a curator: "
                "a token would only read what the public reads."
            )
        wanted = [scope.strip() for scope in scopes.split(",") if scope.strip()]
        try:
            _, raw = ApiToken.issue(account, scopes=wanted, expires_days=expires_days, name=name)
        except ValueError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(raw)
