"""Synthetic registry data at scale, for benchmarks and load tests (``generate_synthetic``).

Everything written here is illustrative and says so: names carry "Synthetic"/"合成", every
record has ``verification = illustrative`` and the source https://example.org/synthetic.

The shapes follow the real registry: organisations on both banks (and a few beyond), facilities
in both parks hosted by one or two of them, and projects with 2–8 participants (most on both
sides, so ``cross_border``), one to three funding lines in CNY on the Shenzhen side and HKD on
the Hong Kong side, one to three research fields and one or two priority areas each, and
titles in English, 简体 and 繁體 built from a vocabulary of real research topics (so 量子 or
醫療 find records, as they would in the registry). Most records are published; some are
drafts, in review or retracted, so that visibility rules have something to hide.

Rows are written in bulk, bypassing ``save()``: COPY on PostgreSQL, batched INSERTs elsewhere.
Values that the save path derives are derived here the same way (``search_text`` by the
records' own ``search_terms``, a participation's ``side``, a project's ``cross_border``).
Bulk-written records have **no history row and no change event**: history records what
curators did to a record, and nobody did anything to these; the first real edit of one starts
its history, as an import of an existing data set would.
"""

from __future__ import annotations

import json
import operator
import queue
import random
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.db import connection, models, transaction

from registry import identifiers
from registry.models import (
    Facility,
    FundingLine,
    FundingScheme,
    Organisation,
    Participation,
    PriorityArea,
    Project,
    ResearchField,
)
from registry.models.choices import Publication, Section, Side, Verification
from registry.search import build_search_text, normalise

SOURCE = "https://example.org/synthetic"
AS_OF = date(2026, 11, 25)
CHUNK = 20_000  # projects per transaction


def words(kind: str) -> tuple[tuple[str, str, str], ...]:
    """(English, 简体, 繁體) words of one kind (topics, methods, places, purposes) for titles."""
    lines = (Path(__file__).with_name("synthetic_words.tsv")).read_text(encoding="utf-8")
    rows = [line.split("\t") for line in lines.splitlines() if not line.startswith("#")]
    return tuple((en, hans, hant) for k, en, hans, hant in rows if k == kind)


TOPICS, METHODS, PLACES = words("topics"), words("methods"), words("places")
# What a project's work is for: "… for elderly care", "…：养老护理". With it, 23,040 titles (a
# million projects share each with about 40 others, as real titles are mostly their own).
PURPOSES = tuple((f"for {en}", f"：{hans}", f"：{hant}") for en, hans, hant in words("purposes"))
STATUSES = (
    ("active", 50),
    ("completed", 30),
    ("proposed", 12),
    ("suspended", 5),
    ("terminated", 3),
)
PUBLICATIONS = (
    (Publication.PUBLISHED, 960),
    (Publication.DRAFT, 20),
    (Publication.IN_REVIEW, 15),
    (Publication.RETRACTED, 5),
)
ROLES = ("partner", "industry_partner", "host", "service_provider")


@dataclass
class Ids:
    """Public ids already taken by a model (in the table or minted in this run)."""

    prefix: str
    taken: set[str] = field(default_factory=set)

    def mint(self, rng: random.Random) -> str:
        while True:
            body = "".join(rng.choices(identifiers.ALPHABET, k=identifiers.BODY_LENGTH))
            candidate = f"{self.prefix}-{body}{identifiers.check_digits(body)}"
            if candidate not in self.taken:
                self.taken.add(candidate)
                return candidate


class Table:
    """Bulk rows for one table: every concrete column, defaults for those not given."""

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        self.fields = [f for f in model._meta.concrete_fields]
        self.columns = [f.column for f in self.fields]
        self.defaults = {f.attname: f.get_default() for f in self.fields}
        self.row_of = operator.itemgetter(*(f.attname for f in self.fields))
        self.rows: list[tuple] = []
        self.next_id = (model._base_manager.aggregate(top=models.Max("pk"))["top"] or 0) + 1

    def add(self, **values: Any) -> int:
        """Queue a row and return its primary key."""
        pk = self.next_id
        self.next_id += 1
        values.setdefault(self.model._meta.pk.attname, pk)
        row = self.defaults.copy()
        row.update(values)
        self.rows.append(self.row_of(row))
        return pk

    def take(self) -> list[tuple]:
        """The rows queued so far, no longer queued."""
        rows, self.rows = self.rows, []
        return rows

    def write(self) -> int:
        rows = self.take()
        if rows:
            write_rows(self, rows)
        return len(rows)


Chunk = list[tuple[Table, list[tuple]]]


def write_chunk(chunk: Chunk) -> None:
    """One transaction: a loader's chunk, not a user's edit, so it need not wait for the
    disk (PostgreSQL's ``synchronous_commit``; a crash loses at most the last chunks)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        for table, rows in chunk:
            if rows:
                write_rows(table, rows)


class BackgroundWriter:
    """Writes chunks on a connection of its own while the next chunk is being made, so that
    the database works on one core while Python works on the other. Only for data whose
    references are committed already (a thread's connection sees no uncommitted rows)."""

    def __init__(self) -> None:
        self.chunks: queue.Queue[Chunk | None] = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self.run, name="synthetic-writer", daemon=True)
        self.thread.start()

    def run(self) -> None:
        try:
            while (chunk := self.chunks.get()) is not None:
                if self.error is None:  # after a failure, drain so the maker never blocks
                    try:
                        write_chunk(chunk)
                    except BaseException as error:  # re-raised in the making thread
                        self.error = error
        finally:
            connection.close()

    def __call__(self, chunk: Chunk) -> None:
        if self.error is not None:
            raise self.error
        self.chunks.put(chunk)

    def close(self) -> None:
        self.chunks.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error


def write_rows(table: Table, rows: Sequence[tuple]) -> None:
    """COPY on PostgreSQL; elsewhere INSERTs of the values the fields prepare for the database."""
    quoted = ", ".join(connection.ops.quote_name(c) for c in table.columns)
    name = connection.ops.quote_name(table.model._meta.db_table)
    json_at = [i for i, f in enumerate(table.fields) if isinstance(f, models.JSONField)]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {name} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    if json_at:
                        row = list(row)
                        for i in json_at:
                            row[i] = json.dumps(row[i])
                    copy.write_row(row)
            return
        prepared = [
            [
                f.get_db_prep_save(value, connection)
                for f, value in zip(table.fields, row, strict=True)
            ]
            for row in rows
        ]
        marks = ", ".join(["%s"] * len(table.columns))
        cursor.executemany(f"INSERT INTO {name} ({quoted}) VALUES ({marks})", prepared)


def reset_sequences(tables: Iterable[Table]) -> None:
    """After explicit primary keys, the next ``save()`` must not reuse one (PostgreSQL)."""
    from django.core.management.color import no_style

    statements = connection.ops.sequence_reset_sql(no_style(), [t.model for t in tables])
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def weighted(rng: random.Random, choices: Sequence[tuple[Any, int]]) -> Any:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


def three_scripts(*parts: tuple[str, str, str], suffix: str = "") -> tuple[str, str, str]:
    english = " ".join(p[0] for p in parts)
    return (
        english[:1].upper() + english[1:] + suffix,
        "".join(p[1] for p in parts) + suffix,
        "".join(p[2] for p in parts) + suffix,
    )


@dataclass
class Report:
    organisations: int = 0
    facilities: int = 0
    projects: int = 0
    rows: int = 0

    def summary(self) -> str:
        return (
            f"created {self.organisations} organisations, {self.facilities} facilities, "
            f"{self.projects} projects ({self.rows} rows in all)"
        )


class Generator:
    """Deterministic for a seed and the data already present."""

    def __init__(self, projects: int, seed: int, *, progress: Any = None) -> None:
        self.projects = projects
        self.rng = random.Random(seed)
        self.progress = progress or (lambda message: None)
        self.report = Report()
        self.fields = list(ResearchField.objects.values_list("pk", flat=True))
        self.areas = list(PriorityArea.objects.values_list("pk", flat=True))
        self.schemes = list(FundingScheme.objects.values_list("pk", flat=True))
        if not self.fields or not self.areas:
            raise ValueError("Load the reference data first (manage.py loaddata reference).")
        self.now = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
        self.tables: list[Table] = []  # every table written, for the sequences and ANALYZE
        self.defaults = {
            model: {f.attname: f.get_default() for f in model._meta.concrete_fields}
            for model in (Organisation, Facility, Project)
        }
        # Titles repeat (they are built from a vocabulary): normalise each text once.
        self.normalise = lru_cache(maxsize=100_000)(normalise)

    def ids(self, model: type[models.Model]) -> Ids:
        taken = set(model._base_manager.values_list("public_id", flat=True))
        return Ids(model.PUBLIC_ID_PREFIX, taken)

    def curated(self, model: type[models.Model], **values: Any) -> dict[str, Any]:
        """A curated record's shared columns, its ``search_text`` as ``save()`` derives it."""
        rng = self.rng
        publication = weighted(rng, PUBLICATIONS)
        updated = self.now - timedelta(minutes=rng.randrange(0, 2 * 365 * 24 * 60))
        created = updated - timedelta(days=rng.randrange(0, 400))
        record = {
            "publication": publication,
            "sources": [SOURCE],
            "verification": Verification.ILLUSTRATIVE,
            "as_of": AS_OF,
            "created_at": created,
            "updated_at": updated,
            **values,
        }
        if publication in (Publication.PUBLISHED, Publication.RETRACTED):
            record["published_at"] = updated
        if publication == Publication.IN_REVIEW:
            record["submitted_at"] = updated
        if publication == Publication.RETRACTED:
            record["retracted_at"] = updated
            record["retraction_reason"] = "Synthetic retraction (illustrative)."
        # What save() derives, from the record's own search_terms() (on a bare instance: a
        # model's __init__ would cost more than the rest of the row).
        instance = model.__new__(model)
        instance.__dict__.update(self.defaults[model])
        instance.__dict__.update(record)
        record["search_text"] = build_search_text(instance.search_terms(), self.normalise)
        return record

    # -- organisations and facilities ----------------------------------------------------
    def organisations(self, count: int) -> dict[str, list[int]]:
        """``count`` organisations; their ids by jurisdiction."""
        table, ids, rng = Table(Organisation), self.ids(Organisation), self.rng
        by_jurisdiction: dict[str, list[int]] = {"mainland": [], "hong_kong": [], "overseas": []}
        kinds = Organisation.Kind.values
        for index in range(count):
            jurisdiction = "overseas" if index % 20 == 19 else ("mainland", "hong_kong")[index % 2]
            place = {
                "mainland": ("Shenzhen", "深圳", "深圳", "CN"),
                "hong_kong": ("Hong Kong", "香港", "香港", "HK"),
                "overseas": ("International", "国际", "國際", "SG"),
            }[jurisdiction]
            topic = rng.choice(TOPICS)
            names = three_scripts(
                (f"Synthetic {place[0]}", f"合成{place[1]}", f"合成{place[2]}"),
                (f"{topic[0]} institute", f"{topic[1]}研究所", f"{topic[2]}研究所"),
                suffix=f" {index}",
            )
            row = self.curated(
                Organisation,
                public_id=ids.mint(rng),
                curating_section=(
                    Section.SHENZHEN if jurisdiction == "mainland" else Section.HONG_KONG
                ),
                name_en=names[0],
                name_zh_hans=names[1],
                name_zh_hant=names[2],
                kind=rng.choice(kinds),
                jurisdiction=jurisdiction,
                country=place[3],
                city=place[0] if jurisdiction != "overseas" else "Singapore",
                acronym=f"SYN{index}",
                established=rng.randrange(1950, 2025),
                status="active",
            )
            by_jurisdiction[jurisdiction].append(table.add(**row))
            if len(table.rows) >= CHUNK:
                self.report.rows += table.write()
        self.report.rows += table.write()
        self.report.organisations += count
        self.tables.append(table)
        return by_jurisdiction

    def facilities(self, count: int, organisations: dict[str, list[int]]) -> dict[str, list[int]]:
        table, ids, rng = Table(Facility), self.ids(Facility), self.rng
        hosts = Table(Facility.hosts.through)
        fields = Table(Facility.fields.through)
        by_section: dict[str, list[int]] = {"shenzhen": [], "hong_kong": []}
        kinds = Facility.Kind.values
        for index in range(count):
            section = ("shenzhen", "hong_kong")[index % 2]
            topic, method = rng.choice(TOPICS), rng.choice(METHODS)
            names = three_scripts(
                ("Synthetic", "合成", "合成"),
                topic,
                method,
                ("laboratory", "实验室", "實驗室"),
                suffix=f" {index}",
            )
            row = self.curated(
                Facility,
                public_id=ids.mint(rng),
                curating_section=section,
                name_en=names[0],
                name_zh_hans=names[1],
                name_zh_hant=names[2],
                kind=rng.choice(kinds),
                section=section,
                status=weighted(rng, (("operational", 80), ("planned", 10), ("closed", 10))),
                opened_on=date(2015, 1, 1) + timedelta(days=rng.randrange(0, 4000)),
            )
            pk = table.add(**row)
            by_section[section].append(pk)
            local = organisations["mainland" if section == "shenzhen" else "hong_kong"]
            for host in rng.sample(local, rng.randint(1, 2)):
                hosts.add(facility_id=pk, organisation_id=host)
            for code in rng.sample(self.fields, 2):
                fields.add(facility_id=pk, researchfield_id=code)
        for t in (table, hosts, fields):
            self.report.rows += t.write()
        self.report.facilities += count
        self.tables += [table, hosts, fields]
        return by_section

    # -- projects --------------------------------------------------------------------------
    def projects_in(
        self,
        count: int,
        organisations: dict[str, list[int]],
        facilities: dict[str, list[int]],
        sink: Callable[[Chunk], None],
    ) -> Iterator[int]:
        """Make ``count`` projects with their parts and hand them to ``sink`` a chunk at a
        time; yields the number made so far after each chunk."""
        rng = self.rng
        ids = self.ids(Project)
        projects = Table(Project)
        participations = Table(Participation)
        lines = Table(FundingLine)
        fields = Table(Project.fields.through)
        areas = Table(Project.priority_areas.through)
        tables = [projects, participations, lines, fields, areas]
        statuses = STATUSES
        jurisdiction_side = {"mainland": Side.SHENZHEN, "hong_kong": Side.HONG_KONG}
        facility_side = {"shenzhen": Side.SHENZHEN, "hong_kong": Side.HONG_KONG}
        written = 0
        while written < count:
            batch = min(CHUNK, count - written)
            for offset in range(batch):
                pk = projects.next_id
                # Participants: 2–8, both banks for most projects, a few from overseas.
                size = rng.randint(2, 8)
                both = rng.random() < 0.75
                first = rng.choice(("mainland", "hong_kong"))
                other = "hong_kong" if first == "mainland" else "mainland"
                chosen: list[tuple[int, str]] = []
                seen: set[int] = set()
                for position in range(size):
                    if position == 1 and both:
                        where = other
                    elif organisations["overseas"] and rng.random() < 0.05:
                        where = "overseas"
                    else:
                        where = rng.choice((first, other)) if both else first
                    pool = organisations[where]
                    organisation = rng.choice(pool)
                    for _ in range(20):  # an organisation takes part once
                        if organisation not in seen:
                            break
                        organisation = rng.choice(pool)
                    else:
                        continue
                    seen.add(organisation)
                    chosen.append((organisation, where))
                sides = set()
                for position, (organisation, where) in enumerate(chosen):
                    facility = None
                    side = jurisdiction_side.get(where, Side.OTHER)
                    if where != "overseas" and rng.random() < 0.3:
                        park = "shenzhen" if where == "mainland" else "hong_kong"
                        facility = rng.choice(facilities[park])
                        side = facility_side[park]
                    sides.add(side)
                    if position == 0:
                        role = "lead"
                    elif position == 1 and both:
                        role = "co_lead"
                    else:
                        role = rng.choice(ROLES)
                    participations.add(
                        project_id=pk,
                        organisation_id=organisation,
                        facility_id=facility,
                        role=role,
                        side=side,
                    )
                # Funding: each side in its own currency, by its own funder.
                for side, currency, where in (
                    (Side.SHENZHEN, "CNY", "mainland"),
                    (Side.HONG_KONG, "HKD", "hong_kong"),
                ):
                    if side in sides or rng.random() < 0.2:
                        lines.add(
                            project_id=pk,
                            funder_id=rng.choice(organisations[where]),
                            scheme_id=rng.choice(self.schemes)
                            if self.schemes and rng.random() < 0.3
                            else None,
                            currency=currency,
                            amount=Decimal(rng.randrange(200, 30_000) * 1000),
                            side=side,
                        )
                for code in rng.sample(self.fields, rng.randint(1, 3)):
                    fields.add(project_id=pk, researchfield_id=code)
                for area in rng.sample(self.areas, rng.randint(1, 2)):
                    areas.add(project_id=pk, priorityarea_id=area)
                titles = three_scripts(
                    rng.choice(PLACES),
                    rng.choice(TOPICS),
                    rng.choice(METHODS),
                    rng.choice(PURPOSES),
                    ("(synthetic)", "（合成）", "（合成）"),
                )
                start = date(2015, 1, 1) + timedelta(days=rng.randrange(0, 4300))
                lead = chosen[0]
                row = self.curated(
                    Project,
                    public_id=ids.mint(rng),
                    curating_section=(
                        Section.SHENZHEN if lead[1] == "mainland" else Section.HONG_KONG
                    ),
                    owner_id=lead[0] if rng.random() < 0.2 else None,
                    title_en=titles[0],
                    title_zh_hans=titles[1],
                    title_zh_hant=titles[2],
                    acronym=f"SYN-{written + offset + 1}" if rng.random() < 0.5 else "",
                    status=weighted(rng, statuses),
                    start_date=start,
                    end_date=start + timedelta(days=rng.randrange(180, 1800)),
                    cross_border={Side.SHENZHEN, Side.HONG_KONG} <= sides,
                )
                projects.add(**row)
            chunk = [(table, table.take()) for table in tables]
            self.report.rows += sum(len(rows) for _, rows in chunk)
            sink(chunk)
            written += batch
            self.report.projects += batch
            yield written
        self.tables += tables


BULK = 100_000  # from this many projects on, PostgreSQL's secondary indexes are rebuilt


@contextmanager
def indexes_rebuilt_after(models_: Iterable[type[models.Model]], say: Any) -> Iterator[None]:
    """On PostgreSQL, drop the secondary indexes of the tables (not those behind a primary
    key or a unique constraint, which the load needs) and create them again at the end, even
    when the load fails: one CREATE INDEX over a million rows is many times faster than a
    million index insertions (the trigram index above all)."""
    tables = [model._meta.db_table for model in models_]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i "
            "WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
            [tables],
        )
        dropped = cursor.fetchall()
        for name, _ in dropped:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    try:
        yield
    finally:
        say(f"creating {len(dropped)} indexes again")
        with connection.cursor() as cursor:
            for _, definition in dropped:
                cursor.execute(definition)


def generate(projects: int, seed: int, *, progress: Any = None) -> Report:
    """Organisations (one per five projects, at least ten), facilities (one per ten, at
    least ten) and ``projects`` projects with their parts."""
    say = progress or (lambda message: None)
    generator = Generator(projects, seed, progress=say)
    bulk = connection.vendor == "postgresql" and projects >= BULK
    filled = (
        Organisation,
        Facility,
        Facility.hosts.through,
        Facility.fields.through,
        Project,
        Participation,
        FundingLine,
        Project.fields.through,
        Project.priority_areas.through,
    )
    with indexes_rebuilt_after(filled, say) if bulk else nullcontext():
        with transaction.atomic():
            organisations = generator.organisations(max(10, projects // 5))
            facilities = generator.facilities(max(10, projects // 10), organisations)
        report = generator.report
        say(f"{report.organisations} organisations, {report.facilities} facilities")
        sink = BackgroundWriter() if bulk else write_chunk
        try:
            for made in generator.projects_in(projects, organisations, facilities, sink):
                say(f"{made} projects made")
        finally:
            if bulk:
                sink.close()
    reset_sequences(generator.tables)
    if connection.vendor == "postgresql":
        # Fresh statistics, and (outside a transaction: VACUUM cannot run in one) the visibility
        # map, without which an index-only scan of the covering list indexes reads the table too
        # and the planner prefers sequential scans until autovacuum comes by. Every table, the
        # reference data's too: a table never analysed is planned from guesses (48 research
        # fields taken for 60, a field's 44,000 facilities for 6,600: 137 ms instead of 5).
        with connection.cursor() as cursor:
            if connection.in_atomic_block:
                for model in filled:
                    cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
            else:
                cursor.execute("VACUUM (ANALYZE)")
    return generator.report
