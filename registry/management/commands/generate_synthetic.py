"""``manage.py generate_synthetic --projects N``: a deterministic, clearly illustrative data set
for benchmarks and load tests (names say "Synthetic"; verification is ``illustrative``).

Records go through the normal save path (ids, versions, history, events), so N in the
thousands takes minutes; it is for measuring, not for demos.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from registry.models import (
    Facility,
    FundingLine,
    Organisation,
    Participation,
    Project,
    Publication,
    Section,
    Side,
    Verification,
)

SOURCE = "https://example.org/synthetic"


class Command(BaseCommand):
    help = "Create illustrative synthetic organisations, facilities and projects."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--projects", type=int, default=500)
        parser.add_argument("--seed", type=int, default=1)

    @transaction.atomic
    def handle(self, *args: Any, projects: int, seed: int, **options: Any) -> None:
        rng = random.Random(seed)
        common = {
            "publication": Publication.PUBLISHED,
            "sources": [SOURCE],
            "verification": Verification.ILLUSTRATIVE,
            "as_of": date(2026, 11, 25),
        }
        organisations = []
        for index in range(max(10, projects // 5)):
            mainland = index % 2 == 0
            organisation = Organisation(
                name_en=f"Synthetic {'Shenzhen' if mainland else 'Hong Kong'} Institute {index}",
                name_zh_hans=f"合成研究所{index}",
                kind=rng.choice(Organisation.Kind.values),
                jurisdiction="mainland" if mainland else "hong_kong",
                country="CN" if mainland else "HK",
                curating_section=Section.SHENZHEN if mainland else Section.HONG_KONG,
                **common,
            )
            organisation.save()
            organisations.append(organisation)
        facilities = []
        for index in range(max(10, projects // 5)):
            section = rng.choice([Section.SHENZHEN, Section.HONG_KONG])
            facility = Facility(
                name_en=f"Synthetic Laboratory {index}",
                kind=rng.choice(Facility.Kind.values),
                section=section,
                status=Facility.Status.OPERATIONAL,
                curating_section=section,
                **common,
            )
            facility.save()
            facility.hosts.set(rng.sample(organisations, 2))
            facilities.append(facility)
        for index in range(projects):
            start = date(2018, 1, 1) + timedelta(days=rng.randrange(0, 3000))
            project = Project(
                title_en=f"Synthetic joint project {index}",
                status=rng.choice(Project.Status.values),
                start_date=start,
                end_date=start + timedelta(days=rng.randrange(200, 1500)),
                curating_section=rng.choice(Section.values),
                **common,
            )
            project.save()
            for role, organisation in zip(
                ("lead", "partner"), rng.sample(organisations, 2), strict=True
            ):
                Participation(
                    project=project,
                    organisation=organisation,
                    role=role,
                    facility=rng.choice(facilities) if rng.random() < 0.3 else None,
                ).save()
            FundingLine(
                project=project,
                funder=rng.choice(organisations),
                currency=rng.choice(["CNY", "HKD"]),
                amount=Decimal(rng.randrange(100_000, 3_000_000)),
                side=rng.choice([Side.SHENZHEN, Side.HONG_KONG]),
            ).save()
        self.stdout.write(
            f"created {len(organisations)} organisations, {len(facilities)} facilities, "
            f"{projects} projects"
        )
