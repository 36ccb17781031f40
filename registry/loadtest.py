"""``manage.py loadtest``: a running registry under mixed load, then checked for lost updates
and for history rows that do not match the writes (issue #12, point 9).

``concurrency`` worker threads, each with one keep-alive connection (``http.client``: the
standard library alone), run for ``seconds`` against ``url`` (``make serve``, gunicorn, the
tests' live server). Each picks its next request by weight from ``MIX``:

- ``list`` (25): an anonymous list page of a random resource with one or two of its filters,
  often an ordering, a field choice or a language, a page size of 10 to 50; a third of the
  time it follows ``next`` for a page or two, as a client pages (numbers or cursors);
- ``list_token`` (15): the same with the partner's token (which also sees its drafts);
- ``detail`` (25): one record, anonymously (a published one) or with the token (any it sees);
- ``search`` (20): ``q`` over a list: a word of a record's name, a Chinese word in either
  script, or a public id;
- ``write`` (15): read one of the records being written (with the token), then PATCH its text
  (``descriptions``; ``summaries`` for projects) with ``If-Match`` and the ETag just read. A
  412 means another worker wrote in between: the optimistic lock working, not an error; the
  worker reads again and retries (at most ``WRITE_TRIES`` times for one write).

The records written are the ones the token may change directly, found through the API: with a
partner's token its organisation's drafts and records in review (a change to its published
record would be a change request, 202). When it has fewer than ``records``, the command adds
facilities through the API (``POST``, so they enter review). The texts it writes replace the
English ones of those records: run it against a database you can throw away.

Every PATCH writes a text no other write writes (run, worker, sequence number). After the
run, reading the database the server uses (the command runs with its ``DATABASE_URL``), for
each record written:

- **lost updates**: the stored version must be the version at the start plus the number of
  2xx PATCHes, and the stored text the one of the 2xx PATCH that answered the highest version;
  and each 2xx PATCH must have answered with the version it read plus one and the text it
  sent. Each mismatch counts as one lost update (a difference of versions counts its size);
- **history versus writes**: the history rows the run added must equal its 2xx PATCHes.

A 429 is throttling, not an error: counted apart, and the worker waits its ``Retry-After``
(start the server under test with high ``REGISTRY_THROTTLE_*`` rates). A 5xx, a lost update,
history that does not match the writes, a request that got no answer, or a worker that broke
makes the run fail (``Report.failures``); other unexpected statuses are reported with samples.
"""

from __future__ import annotations

import http.client
import json
import random
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.db import connection

from registry import resources
from registry.benchmarks import percentile
from registry.models import CURATED_MODELS, CuratedRecord

MIX: dict[str, int] = {"list": 25, "list_token": 15, "detail": 25, "search": 20, "write": 15}
# What the latencies and statuses are reported by: the read before a PATCH is apart.
KINDS = ("list", "list_token", "detail", "search", "write_read", "patch")
EXPECTED: dict[str, frozenset[int]] = {
    **{kind: frozenset({200}) for kind in KINDS},
    "patch": frozenset({200, 202, 412}),
}
TIMEOUT = 30  # seconds per request: a stuck server is a transport error, not a hung run
WRITE_TRIES = 10  # reads and PATCHes (pairs) for one write before the worker gives up on it
SAMPLES = 10  # of each kind of problem, kept for the report
TRANSPORT_PAUSE = 0.2  # seconds a worker waits after a request that got no answer
PAGE_SIZES = (10, 20, 50)
RESOURCES = tuple(model.RESOURCE for model in CURATED_MODELS)
MODELS = {model.RESOURCE: model for model in CURATED_MODELS}
# Filters of each list (docs/api.md), every one valid whatever the data.
FILTERS: dict[str, tuple[dict[str, Any], ...]] = {
    "organisations": (
        {"jurisdiction": "hong_kong"},
        {"jurisdiction": "mainland"},
        {"kind": ["university", "research_institute"]},
        {"status__n": "withdrawn"},
    ),
    "facilities": (
        {"section": "hong_kong"},
        {"section": "shenzhen"},
        {"kind": ["laboratory", "lab_cluster"]},
        {"status": "operational"},
    ),
    "projects": (
        {"cross_border": "true"},
        {"started_after": "2020-01-01"},
        {"status": "active"},
        {"status__n": "terminated"},
    ),
    "outputs": ({"kind": "publication"}, {"key_achievement": "true"}),
    "flows": ({"direction": "northbound"}, {"factor": "research_data"}, {"status__n": "blocked"}),
    "policies": ({"status": "in_force"}, {"factor": "personnel"}),
    "funding-schemes": ({"curating_section": "hong_kong"},),
}
SHARED_FILTERS: tuple[dict[str, Any], ...] = (
    {"curating_section": "shenzhen"},
    {"verification__n": "illustrative"},
    {"updated_since": "2020-01-01T00:00:00Z"},
)
CHOICES: tuple[dict[str, str], ...] = (
    {},
    {},
    {"brief": "1"},
    {"fields": "id,name,version,publication"},
    {"lang": "zh-hant"},
    {"lang": "zh-hans"},
)
SEARCH_WORDS = ("深圳", "香港", "深圳灣", "深圳湾", "河套", "大学", "實驗室", "研究院", "科技")


class LoadTestError(Exception):
    """The run cannot start: the server does not answer, the token is refused, there is
    nothing to write, or the server reads another database."""


class TransportError(Exception):
    """A request that got no answer."""


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: Any
    seconds: float


class Connection:
    """One keep-alive connection to the server under test. ``http.client`` opens a new one by
    itself when the server closed the last (gunicorn's sync workers close after each answer);
    a GET that finds the connection closed under it is sent once more."""

    def __init__(self, url: str, token: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise LoadTestError(f"--url must be http(s)://host[:port], not {url!r}")
        factory = (
            http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        )
        self.connection = factory(parts.hostname, parts.port, timeout=TIMEOUT)
        self.token = token

    def request(
        self,
        method: str,
        path: str,
        *,
        token: bool,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        sent = {"Accept": "application/json", "User-Agent": "hetao-loadtest"}
        if token:
            sent["Authorization"] = f"Bearer {self.token}"
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        sent.update(headers or {})
        again = method == "GET"
        while True:
            started = time.perf_counter()
            try:
                self.connection.request(method, path, body=payload, headers=sent)
                response = self.connection.getresponse()
                raw = response.read()
            except (OSError, http.client.HTTPException) as error:
                self.connection.close()
                if again:
                    again = False
                    continue
                raise TransportError(f"{method} {path}: {type(error).__name__}: {error}") from None
            seconds = time.perf_counter() - started
            received = {name.lower(): value for name, value in response.getheaders()}
            return Answer(response.status, received, parsed(raw, received), seconds)

    def close(self) -> None:
        self.connection.close()


def parsed(raw: bytes, headers: dict[str, str]) -> Any:
    if raw and "json" in headers.get("content-type", ""):
        try:
            return json.loads(raw)
        except ValueError:
            pass
    return raw[:300].decode(errors="replace")


# -- what the run writes and reads ----------------------------------------------------------
@dataclass
class Target:
    """A record the workers write, with what the database held when the run started."""

    resource: str
    public_id: str
    pk: int = 0
    version: int = 0
    history: int = 0

    @property
    def model(self) -> type[CuratedRecord]:
        return MODELS[self.resource]

    @property
    def text(self) -> str:
        """The trilingual text the workers write (its English part)."""
        fields = resources.FIELDS[self.resource]
        return "descriptions" if "descriptions" in fields else "summaries"

    @property
    def column(self) -> str:
        return f"{resources.TEXTS[self.text]}_en"

    @property
    def path(self) -> str:
        return f"/api/v1/{self.resource}/{self.public_id}/"

    def snapshot(self) -> bool:
        """Read the record's version and its number of history rows from the database, as
        they are before the run (False: no such record). Queries: 2."""
        row = self.model.objects.filter(public_id=self.public_id).values("pk", "version").first()
        if row is None:
            return False
        self.pk, self.version = row["pk"], row["version"]
        self.history = self.model.history.filter(id=self.pk).count()
        return True


@dataclass
class Plan:
    url: str
    token: str
    run: str
    targets: list[Target]
    published: list[tuple[str, str]]  # (resource, public id) the public reads
    queries: list[tuple[str, str]]  # (resource, or "" for any, q)
    created: int = 0
    # During a database outage (tests/ops/test_database_restart.py) a 503 with Retry-After is
    # the answer wanted: waited out like a 429, not counted among the 5xx.
    outage: bool = False


def prepare(url: str, token: str, records: int, say: Callable[[str], None] = print) -> Plan:
    """The records to write (found, or added up to ``records``), what to read and search for,
    and the database's state of each record written (queries: a few per record)."""
    http_ = Connection(url, token)
    try:
        probe = request_or_fail(http_, "/api/v1/organisations/?page_size=1", token=True)
        if probe.status != 200:
            raise LoadTestError(f"the token is refused: {probe.status} {str(probe.body)[:200]}")
        targets: list[Target] = []
        published: list[tuple[str, str]] = []
        words: set[str] = set()
        for resource in RESOURCES:
            mine = request_or_fail(
                http_,
                f"/api/v1/{resource}/?publication=draft&publication=in_review"
                "&fields=id,version&page_size=100",
                token=True,
            )
            for row in mine.body.get("results", []) if mine.status == 200 else []:
                if len(targets) < records:
                    targets.append(Target(resource, row["id"]))
            public = request_or_fail(
                http_, f"/api/v1/{resource}/?brief=1&page_size=100", token=False
            )
            for row in public.body.get("results", []) if public.status == 200 else []:
                published.append((resource, row["id"]))
                words.update(
                    word.strip("()[],.;:").lower()
                    for word in (row.get("name") or "").split()
                    if len(word.strip("()[],.;:")) >= 4
                )
        run = secrets.token_hex(3)
        created = 0
        while len(targets) < records:
            created += 1
            answer = request_or_fail(
                http_,
                "/api/v1/facilities/",
                token=True,
                method="POST",
                body={
                    "names": {"en": f"Load test facility {run}-{created}"},
                    "kind": "laboratory",
                    "section": "hong_kong",
                    "status": "planned",
                },
            )
            if answer.status != 201:
                raise LoadTestError(
                    f"found {len(targets)} records to write and could not add one: "
                    f"POST /api/v1/facilities/ {answer.status} {str(answer.body)[:300]}"
                )
            targets.append(Target("facilities", answer.body["id"]))
        if created:
            say(f"added {created} facilit{'y' if created == 1 else 'ies'} to write (in review)")
        for target in targets:
            read = request_or_fail(http_, target.path, token=True)
            if read.status != 200:
                raise LoadTestError(f"GET {target.path}: {read.status} {str(read.body)[:200]}")
            if not target.snapshot() or target.version != read.body["version"]:
                raise LoadTestError(
                    f"{target.public_id} is at version {read.body['version']} on the server but "
                    f"{target.version if target.pk else 'absent'} in this database: run the "
                    "command with the server's DATABASE_URL"
                )
    finally:
        http_.close()
    # Words go to any list (chosen per search); a public id to its own.
    queries = [("", word) for word in (*SEARCH_WORDS, *sorted(words))]
    queries += published[::7]
    return Plan(url, token, run, targets, published, queries, created)


def request_or_fail(http_: Connection, path: str, *, token: bool, **more: Any) -> Answer:
    try:
        return http_.request(more.pop("method", "GET"), path, token=token, **more)
    except TransportError as error:
        raise LoadTestError(f"the server does not answer: {error}") from None


# -- the workers -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Write:
    """A 2xx PATCH: the version it answered and the text it wrote."""

    public_id: str
    version: int
    value: str


@dataclass
class Tally:
    """What one worker saw; the run adds them up."""

    statuses: dict[str, Counter] = field(default_factory=lambda: {k: Counter() for k in KINDS})
    latencies: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    writes: list[Write] = field(default_factory=list)
    # PATCHes answered 503 while the database went away: the commit may or may not have
    # happened before the connection died (an outage run only), so either outcome is right.
    uncertain: list[Write] = field(default_factory=list)
    proposals: int = 0  # 202: the record was published meanwhile; a change request waits
    gave_up: int = 0  # writes that met a 412 WRITE_TRIES times in a row
    throttled_seconds: float = 0.0
    server_errors: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    wrong_answers: list[str] = field(default_factory=list)  # a 2xx PATCH that answered wrong
    transport: list[str] = field(default_factory=list)
    crashes: list[str] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        for kind in KINDS:
            self.statuses[kind].update(other.statuses[kind])
            self.latencies[kind].extend(other.latencies[kind])
        self.writes += other.writes
        self.uncertain += other.uncertain
        self.proposals += other.proposals
        self.gave_up += other.gave_up
        self.throttled_seconds += other.throttled_seconds
        for name in ("server_errors", "unexpected", "wrong_answers", "transport", "crashes"):
            getattr(self, name).extend(getattr(other, name))


class Worker(threading.Thread):
    def __init__(self, number: int, plan: Plan, deadline: float, seed: str) -> None:
        super().__init__(name=f"loadtest-{number}", daemon=True)
        self.number, self.plan, self.deadline = number, plan, deadline
        self.random = random.Random(seed)
        self.tally = Tally()
        self.sequence = 0
        self.http = Connection(plan.url, plan.token)

    def run(self) -> None:
        kinds, weights = list(MIX), list(MIX.values())
        try:
            while time.monotonic() < self.deadline:
                kind = self.random.choices(kinds, weights)[0]
                try:
                    getattr(self, f"do_{kind}")()
                except TransportError as error:
                    self.tally.transport.append(str(error))
                    time.sleep(TRANSPORT_PAUSE)  # a server that is down is not hammered
        except Exception as error:  # a bug here must fail the run, not vanish with the thread
            self.tally.crashes.append(f"worker {self.number}: {type(error).__name__}: {error}")
        finally:
            self.http.close()

    def send(self, kind: str, method: str, path: str, *, token: bool, **more: Any) -> Answer:
        answer = self.http.request(method, path, token=token, **more)
        self.tally.statuses[kind][answer.status] += 1
        self.tally.latencies[kind].append(answer.seconds)
        seen = f"{method} {path} {answer.status} {str(answer.body)[:300]}"
        if answer.status == 429 or (answer.status == 503 and self.plan.outage):
            self.back_off(answer)
        elif answer.status >= 500:
            self.tally.server_errors.append(seen)
        elif answer.status not in EXPECTED[kind]:
            self.tally.unexpected.append(seen)
        return answer

    def back_off(self, answer: Answer) -> None:
        try:
            wait = max(0.1, float(answer.headers.get("retry-after", "1")))
        except ValueError:
            wait = 1.0
        wait = min(wait, max(0.0, self.deadline - time.monotonic()))
        self.tally.throttled_seconds += wait
        time.sleep(wait)

    # -- the mix --------------------------------------------------------------------------
    def do_list(self, kind: str = "list", token: bool = False) -> None:
        resource = self.random.choice(RESOURCES)
        params: dict[str, Any] = {"page_size": self.random.choice(PAGE_SIZES)}
        for chosen in self.random.sample(
            FILTERS[resource] + SHARED_FILTERS, self.random.choice((0, 1, 1, 2))
        ):
            params.update(chosen)
        if self.random.random() < 0.4:
            sortable = self.random.choice(MODELS[resource].SORTABLE)
            params["ordering"] = self.random.choice(("", "-")) + sortable
        params.update(self.random.choice(CHOICES))
        path = f"/api/v1/{resource}/?{urlencode(params, doseq=True)}"
        pages = 1 + (self.random.randint(1, 2) if self.random.random() < 1 / 3 else 0)
        for _ in range(pages):
            answer = self.send(kind, "GET", path, token=token)
            following = answer.body.get("next") if isinstance(answer.body, dict) else None
            if answer.status != 200 or not following or time.monotonic() >= self.deadline:
                return
            parts = urlsplit(following)
            path = f"{parts.path}?{parts.query}"

    def do_list_token(self) -> None:
        self.do_list("list_token", token=True)

    def do_detail(self) -> None:
        """A published record, or (with the token, now and then) one of those written."""
        token = self.random.random() < 0.5
        if token and self.plan.targets and self.random.random() < 0.3:
            target = self.random.choice(self.plan.targets)
            resource, public_id = target.resource, target.public_id
        elif self.plan.published:
            resource, public_id = self.random.choice(self.plan.published)
        else:
            return
        query = self.random.choice(("", "", "?lang=zh-hant", "?brief=1"))
        self.send("detail", "GET", f"/api/v1/{resource}/{public_id}/{query}", token=token)

    def do_search(self) -> None:
        resource, q = self.random.choice(self.plan.queries)
        resource = resource or self.random.choice(RESOURCES)
        params = {"q": q, "page_size": self.random.choice(PAGE_SIZES)}
        token = self.random.random() < 0.3
        self.send("search", "GET", f"/api/v1/{resource}/?{urlencode(params)}", token=token)

    def do_write(self) -> None:
        """Read a record, PATCH its text with the ETag read; on a 412 read again and retry."""
        if not self.plan.targets:
            return
        target = self.random.choice(self.plan.targets)
        for _ in range(WRITE_TRIES):
            if time.monotonic() >= self.deadline:
                return
            read = self.send("write_read", "GET", target.path, token=True)
            if read.status != 200:
                return
            self.sequence += 1
            value = f"loadtest {self.plan.run} worker {self.number} write {self.sequence}"
            answer = self.send(
                "patch",
                "PATCH",
                target.path,
                token=True,
                body={target.text: {"en": value}},
                headers={"If-Match": read.headers.get("etag", "")},
            )
            if answer.status == 412 or answer.status == 429:
                continue  # someone wrote since the read (or throttled): read again
            if answer.status == 503 and self.plan.outage:
                version = read.body["version"] + 1
                self.tally.uncertain.append(Write(target.public_id, version, value))
            elif answer.status == 202:
                self.tally.proposals += 1
            elif 200 <= answer.status < 300:
                self.wrote(target, read.body["version"], value, answer)
            return
        self.tally.gave_up += 1

    def wrote(self, target: Target, read_version: int, value: str, answer: Answer) -> None:
        body = answer.body if isinstance(answer.body, dict) else {}
        version = body.get("version")
        stored = (body.get(target.text) or {}).get("en")
        if not isinstance(version, int):
            self.tally.wrong_answers.append(f"PATCH {target.path}: no version in {body}"[:300])
            return
        self.tally.writes.append(Write(target.public_id, version, value))
        if version != read_version + 1 or stored != value:
            self.tally.wrong_answers.append(
                f"PATCH {target.path} with the ETag of version {read_version} answered version "
                f"{version} and text {stored!r} (sent {value!r})"
            )


# -- the run and its report ------------------------------------------------------------------
@dataclass
class Report:
    url: str
    database: str
    seconds: float
    concurrency: int
    records: list[dict[str, Any]]
    tally: Tally
    created: int = 0
    problems: list[str] = field(default_factory=list)
    outage: bool = False

    @property
    def statuses(self) -> Counter:
        total: Counter = Counter()
        for counts in self.tally.statuses.values():
            total.update(counts)
        return total

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    @property
    def server_errors(self) -> int:
        return sum(
            n
            for status, n in self.statuses.items()
            if status >= 500 and not (status == 503 and self.outage)
        )

    @property
    def unavailable(self) -> int:
        """503s with Retry-After while the database was away (an outage run only)."""
        return self.statuses[503] if self.outage else 0

    @property
    def landed(self) -> int:
        """Writes the database holds: the 2xx ones, and in an outage run any answered 503
        that committed before its connection died."""
        return sum(record.get("landed", record["writes"]) for record in self.records)

    @property
    def lost_updates(self) -> int:
        return len(self.tally.wrong_answers) + sum(record["lost"] for record in self.records)

    @property
    def writes(self) -> int:
        return len(self.tally.writes)

    @property
    def history_rows(self) -> int:
        return sum(record["history_rows"] for record in self.records)

    @property
    def unexpected(self) -> int:
        return sum(
            n
            for kind, counts in self.tally.statuses.items()
            for status, n in counts.items()
            if status < 500 and status != 429 and status not in EXPECTED[kind]
        )

    def failures(self) -> list[str]:
        """Why the run fails (empty: it passed)."""
        failures = []
        if self.server_errors:
            failures.append(f"5xx answers: {self.server_errors}")
        if self.lost_updates:
            failures.append(f"lost updates: {self.lost_updates}")
        if self.history_rows != self.landed:
            failures.append(f"history rows {self.history_rows} for {self.landed} stored writes")
        if self.tally.transport:
            failures.append(f"requests without an answer: {len(self.tally.transport)}")
        if self.tally.crashes:
            failures.append(f"workers that broke: {len(self.tally.crashes)}")
        return failures

    def latency(self) -> dict[str, dict[str, float | int]]:
        return {
            kind: {
                "n": len(samples),
                "p50_ms": round(percentile(samples, 0.5) * 1000, 1),
                "p95_ms": round(percentile(samples, 0.95) * 1000, 1),
            }
            for kind, samples in self.tally.latencies.items()
            if samples
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "database": self.database,
            "seconds": round(self.seconds, 1),
            "concurrency": self.concurrency,
            "requests": self.requests,
            "requests_per_second": round(self.requests / self.seconds, 1) if self.seconds else 0,
            "statuses": {str(status): n for status, n in sorted(self.statuses.items())},
            "statuses_by_kind": {
                kind: {str(status): n for status, n in sorted(counts.items())}
                for kind, counts in self.tally.statuses.items()
            },
            "server_errors": self.server_errors,
            "unavailable": self.unavailable,
            "throttled": self.statuses.get(429, 0),
            "stale_etags": self.tally.statuses["patch"].get(412, 0),
            "unexpected": self.unexpected,
            "transport_errors": len(self.tally.transport),
            "writes": self.writes,
            "proposals": self.tally.proposals,
            "writes_given_up": self.tally.gave_up,
            "records_written": sum(1 for record in self.records if record["writes"]),
            "records_added": self.created,
            "lost_updates": self.lost_updates,
            "history_rows": self.history_rows,
            "landed": self.landed,
            "uncertain_writes": len(self.tally.uncertain),
            "history_minus_writes": self.history_rows - self.landed,
            "latency": self.latency(),
            "records": self.records,
            "problems": self.problems,
            "samples": {
                "server_errors": self.tally.server_errors[:SAMPLES],
                "unexpected": self.tally.unexpected[:SAMPLES],
                "wrong_answers": self.tally.wrong_answers[:SAMPLES],
                "transport": self.tally.transport[:SAMPLES],
                "crashes": self.tally.crashes[:SAMPLES],
            },
            "failures": self.failures(),
        }

    def summary(self) -> list[str]:
        data = self.as_dict()
        statuses = ", ".join(f"{status} {n}" for status, n in data["statuses"].items())
        lines = [
            f"load test: {data['seconds']} s, {self.concurrency} workers against {self.url} "
            f"({self.database})",
            f"  requests {data['requests']} ({data['requests_per_second']}/s); statuses: "
            f"{statuses}",
            f"  5xx {data['server_errors']}"
            + (f" (and {self.unavailable} 503 while the database was away)" if self.outage else "")
            + f", 429 (throttled) {data['throttled']}, "
            f"412 (stale ETag, read again and retried) {data['stale_etags']}, "
            f"unexpected {data['unexpected']}, no answer {data['transport_errors']}",
            f"  writes: {data['writes']} 2xx PATCHes on {data['records_written']} of "
            f"{len(self.records)} records ({data['writes_given_up']} given up after "
            f"{WRITE_TRIES} 412s, {data['proposals']} change requests)",
            f"  lost updates {data['lost_updates']}",
            f"  history rows {data['history_rows']} vs stored writes {data['landed']}"
            + (
                f" ({data['writes']} answered 2xx, {data['uncertain_writes']} answered 503)"
                if self.outage
                else ""
            )
            + ": "
            + (
                "equal"
                if not data["history_minus_writes"]
                else f"{data['history_minus_writes']:+d}"
            ),
            "  latency (ms)      p50      p95        n",
        ]
        for kind, row in data["latency"].items():
            lines.append(f"    {kind:<12} {row['p50_ms']:8.1f} {row['p95_ms']:8.1f} {row['n']:8d}")
        for name, samples in data["samples"].items():
            lines += [f"  {name.replace('_', ' ')}: {sample}" for sample in samples]
        lines += [f"  problem: {problem}" for problem in self.problems]
        failures = self.failures()
        lines.append("  FAILED: " + "; ".join(failures) if failures else "  passed")
        return lines


def run(plan: Plan, *, seconds: float, concurrency: int, seed: str | None = None) -> Report:
    """Load the server for ``seconds`` with ``concurrency`` workers, then check the records
    written against the database."""
    seed = seed if seed is not None else secrets.token_hex(4)
    started = time.monotonic()
    workers = [
        Worker(number, plan, started + seconds, f"{seed}-{number}")
        for number in range(1, concurrency + 1)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.monotonic() - started
    tally = Tally()
    for worker in workers:
        tally.add(worker.tally)
    # A fresh connection for the check: the one ``prepare`` used may have died with a
    # database restart during the run (an outage run does exactly that).
    connection.close()
    records, problems = check(plan.targets, tally.writes, tally.uncertain if plan.outage else None)
    return Report(
        url=plan.url,
        database=connection.vendor,
        seconds=elapsed,
        concurrency=concurrency,
        records=records,
        tally=tally,
        created=plan.created,
        problems=problems,
        outage=plan.outage,
    )


def check(
    targets: list[Target], writes: list[Write], uncertain: list[Write] | None = None
) -> tuple[list[dict[str, Any]], list[str]]:
    """Each record written as the database holds it now, against the 2xx PATCHes: its lost
    updates and the history rows the run added (queries: 2 a record). A PATCH answered 503
    during an outage (``uncertain``) may have landed or not; every 2xx one must have, and
    every history row must stand for a stored write. ``uncertain`` None: no outage, every
    stored write answered 2xx."""
    records, problems = [], []
    for target in targets:
        mine = sorted(
            (w for w in writes if w.public_id == target.public_id), key=lambda w: w.version
        )
        maybe = [w for w in uncertain or () if w.public_id == target.public_id]
        stored = target.model.objects.filter(pk=target.pk).values("version", target.column).first()
        history = target.model.history.filter(id=target.pk).count() - target.history
        lost = 0
        if stored is None:
            problems.append(f"{target.public_id} is no longer in the database")
            lost = len(mine)
        else:
            expected = target.version + len(mine)
            if not expected <= stored["version"] <= expected + len(maybe):
                lost += abs(stored["version"] - expected)
                problems.append(
                    f"{target.public_id}: version {stored['version']}, but {target.version} at the "
                    f"start plus {len(mine)} 2xx PATCHes is {expected}"
                    + (f" (and {len(maybe)} answered 503)" if maybe else "")
                )
            versions = [w.version for w in mine]
            if len(set(versions)) != len(versions):
                problems.append(f"{target.public_id}: two 2xx PATCHes answered one version")
            landed_after = stored["version"] > (mine[-1].version if mine else target.version)
            if landed_after and stored[target.column] not in {w.value for w in maybe}:
                lost += 1
                problems.append(
                    f"{target.public_id}: stores {stored[target.column]!r}, written by no PATCH"
                )
            elif not landed_after and mine and stored[target.column] != mine[-1].value:
                lost += 1
                problems.append(
                    f"{target.public_id}: stores {stored[target.column]!r}, but the last 2xx "
                    f"PATCH (version {mine[-1].version}) wrote {mine[-1].value!r}"
                )
        landed = (
            len(mine) if uncertain is None or stored is None else stored["version"] - target.version
        )
        if history != landed:
            problems.append(
                f"{target.public_id}: {history} history rows added for {landed} stored writes "
                f"({len(mine)} answered 2xx)"
            )
        records.append(
            {
                "id": target.public_id,
                "writes": len(mine),
                "initial_version": target.version,
                "stored_version": None if stored is None else stored["version"],
                "history_rows": history,
                "landed": landed,
                "lost": lost,
            }
        )
    return records, problems
