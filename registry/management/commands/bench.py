"""``manage.py bench``: performance as ratios measured in one run (``make bench``).

On whatever database is configured (``make bench``: a fresh SQLite file; ``DATABASE_URL`` for
PostgreSQL), with at least ``--projects`` synthetic projects. Prints what it measures as it
goes; the last line is one JSON object (docs/performance.md says what each key means). With
``--scale`` (``make bench-scale``: PostgreSQL, a million projects) it also times every filter
and ordering of every list, and EXPLAINs each one, failing on a sequential scan of a table
of more than 10,000 rows.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from registry import benchmarks
from registry.models import Project


class Command(BaseCommand):
    help = "Measure the API and the public listing against byte-identical floors."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--projects", type=int, default=1000)
        parser.add_argument("--rounds", type=int, default=30)
        parser.add_argument(
            "--throughput-seconds",
            type=int,
            default=10,
            help="How long wrk loads each server (0: skip the throughput comparison).",
        )
        parser.add_argument(
            "--scale",
            action="store_true",
            help="Also time and EXPLAIN every filter and ordering (for PostgreSQL at 1 M).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        have = Project.objects.count()
        if have < options["projects"]:
            self.stdout.write(f"adding {options['projects'] - have} synthetic projects")
            call_command(
                "generate_synthetic", projects=options["projects"] - have, stdout=self.stdout
            )
        results: dict[str, Any] = {
            "database": connection.vendor,
            "projects": Project.objects.count(),
        }
        results.update(benchmarks.measure(options["rounds"]))
        for key, value in results.items():
            self.stdout.write(f"  {key}: {value}")
        seconds = options["throughput_seconds"]
        if seconds:
            results.update(self.throughput(seconds))
        if options["scale"]:
            from registry import scale

            report = scale.check(stdout=self.stdout)
            results["filters"] = report.latencies
            results["sequential_scans"] = report.sequential_scans
            if report.sequential_scans:
                self.stdout.write(json.dumps(results, ensure_ascii=False))
                raise CommandError(
                    f"{len(report.sequential_scans)} plans read a large table sequentially"
                )
        self.stdout.write(json.dumps(results, ensure_ascii=False))

    def throughput(self, seconds: int) -> dict[str, Any]:
        """Requests per second of the API and of its floor, each under gunicorn with two sync
        workers, loaded by wrk (Debian's) with 4 connections."""
        wrk = shutil.which("wrk")
        if wrk is None:
            self.stdout.write("  throughput: skipped, wrk is not installed (apt install wrk)")
            return {"throughput_ratio": None, "throughput_skipped": "wrk is not installed"}
        rates = {}
        for name, app, path in (
            ("api", "hetao.wsgi:application", benchmarks.LIST),
            ("floor", "registry.floor_wsgi:application", benchmarks.LIST),
        ):
            rates[name] = self.requests_per_second(wrk, app, path, seconds)
            self.stdout.write(f"  {name} under gunicorn: {rates[name]:.1f} requests/s")
        return {
            "throughput_api_rps": round(rates["api"], 1),
            "throughput_floor_rps": round(rates["floor"], 1),
            "throughput_ratio": round(rates["api"] / rates["floor"], 2),
        }

    def requests_per_second(self, wrk: str, app: str, path: str, seconds: int) -> float:
        # A free port (some machines have 8765 taken): bound, read, released for gunicorn.
        with socket.socket() as probe:
            probe.bind((benchmarks.HOST, 0))
            port = probe.getsockname()[1]
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                app,
                "--workers=2",
                f"--bind={benchmarks.HOST}:{port}",
                "--log-level=warning",
            ],
            env={**os.environ, "DJANGO_ALLOWED_HOSTS": benchmarks.HOST},
        )
        try:
            self.wait_for(port, server)
            url = f"http://{benchmarks.HOST}:{port}{path}"
            run = subprocess.run(
                [wrk, "-t2", "-c4", f"-d{seconds}s", url],
                capture_output=True,
                text=True,
                check=True,
            )
            found = re.search(r"Requests/sec:\s+([\d.]+)", run.stdout)
            errors = re.search(r"Non-2xx or 3xx responses: (\d+)", run.stdout)
            if found is None or errors:
                raise CommandError(f"wrk against {app} went wrong:\n{run.stdout}")
            return float(found.group(1))
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)

    def wait_for(self, port: int, server: subprocess.Popen) -> None:
        import urllib.error
        import urllib.request

        for _ in range(100):
            if server.poll() is not None:
                raise CommandError("gunicorn did not start")
            try:
                urllib.request.urlopen(f"http://{benchmarks.HOST}:{port}/healthz", timeout=2)
                return
            except urllib.error.HTTPError:
                return  # it answers
            except OSError:
                time.sleep(0.2)
        raise CommandError("gunicorn did not answer within 20 s")
