"""``manage.py loadtest --url URL --token TOKEN [--seconds 60] [--concurrency 16] [--json]``

Loads a running registry with a mix of anonymous and authenticated list pages, detail reads,
``q`` searches and read-then-PATCHes with If-Match, then checks every record it wrote in the
database the server uses (run it with the server's ``DATABASE_URL``): no lost update, and a
history row for each 2xx write. ``registry/loadtest.py`` says what the mix is and what is
checked. It writes to the token's partner's drafts and records in review (adding facilities
when there are fewer than ``--records``): run it against a database you can throw away.

Prints a summary (with ``--json``, one JSON object as the last line) and exits 1 when an
answer was a 5xx, an update was lost, the history rows differ from the writes, a request got
no answer or a worker broke.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from registry import loadtest


class Command(BaseCommand):
    help = "Load a running registry (lists, details, searches, If-Match PATCHes); check writes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="The server.")
        parser.add_argument(
            "--token", required=True, help="A partner's API token with the write scope."
        )
        parser.add_argument("--seconds", type=float, default=60, help="How long to load.")
        parser.add_argument("--concurrency", type=int, default=16, help="Worker threads.")
        parser.add_argument(
            "--records",
            type=int,
            default=4,
            help="How many records to write (facilities are added when the partner has "
            "fewer drafts and records in review).",
        )
        parser.add_argument("--seed", default=None, help="Makes the mix of requests repeatable.")
        parser.add_argument("--json", action="store_true", help="End with one JSON line.")
        parser.add_argument(
            "--outage",
            action="store_true",
            help="The database will be stopped during the run: a 503 with Retry-After is "
            "waited out, not counted among the 5xx (a 500 still fails the run).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["seconds"] <= 0 or options["concurrency"] < 1 or options["records"] < 1:
            raise CommandError("--seconds, --concurrency and --records must be positive")
        url = options["url"].rstrip("/")
        try:
            plan = loadtest.prepare(url, options["token"], options["records"], self.stdout.write)
        except loadtest.LoadTestError as error:
            raise CommandError(str(error)) from None
        plan.outage = options["outage"]
        self.stdout.write(
            f"loading {url} for {options['seconds']:g} s with {options['concurrency']} workers; "
            f"writing {', '.join(target.public_id for target in plan.targets)}"
        )
        report = loadtest.run(
            plan,
            seconds=options["seconds"],
            concurrency=options["concurrency"],
            seed=options["seed"],
        )
        for line in report.summary():
            self.stdout.write(line)
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
        if failures := report.failures():
            raise CommandError("; ".join(failures))
