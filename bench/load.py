"""``python -m bench load``: a bounded load run on loopback, with a nightly recompute running.

Against gunicorn (``--web-workers`` processes, the bench settings: production's connection reuse
and Redis cache) on the demo data set at ``--merchants`` on PostgreSQL, locust (headless, a fixed
number of users for a fixed time, ``bench/locustfile.py``) drives at once: merchants on the
portal home, integrations reading the main API lists (first pages and deep, by cursor) and an
integration pushing monthly metrics in bulk. Three phases of ``--duration`` seconds each:

1. the load alone;
2. the load while a full recompute runs on a real Celery worker (one process) over Redis;
3. the same with the worker's two processes (the scale-out figure).

Each user waits up to ``--wait`` seconds between requests (a third of it at least; the
integration pushing metrics twice as long); ``--wait 0``: none, the server's capacity.

Before each recompute every stored row is marked changed, so the run rewrites all of them (a
month's roll-over, the nightly run's heaviest case). Per phase: requests per second, p50, p95,
p99 and errors, overall and per kind of request; per recompute its duration, from its
``RecomputeRun``. The ingestion's own recomputes (queued on commit, as in production) go to
the same queue and worker.

The bench leaves the data as it found it: the month it pushes is one the seed does not hold and
its rows are deleted, the eligibility table is put back as it was (a copy taken first), and the
notifications, recompute runs, API key, session and queued messages it made are removed; a
checksum of the metrics is compared before and after.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis

from bench.__main__ import BASE_DIR, every_row_changed, metrics_checksum, prepare_database, say

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/beltops_bench_web"
BROKER_URL = "redis://127.0.0.1:6379/9"
AS_OF = datetime.date(2026, 11, 15)


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("load", help="portal, API and bulk ingestion under load, recompute on")
    parser.add_argument("--merchants", type=int, default=100_000)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--users", type=int, default=12, help="simulated users (locust)")
    parser.add_argument("--duration", type=int, default=45, help="seconds per phase")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--batch", type=int, default=500, help="rows per bulk metrics request")
    parser.add_argument(
        "--wait",
        type=float,
        default=0.6,
        help="a user's think time, at most, in seconds (0: none, the server's capacity)",
    )
    parser.add_argument("--reuse", action="store_true", help="keep an existing bench database")


def _environment(url: str) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "CELERY_BROKER_URL": BROKER_URL,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DJANGO_LOG_LEVEL": "WARNING",
        "API_THROTTLE_RATE": "100000000/min",
    }


def _setup(url: str) -> None:
    os.environ.update(_environment(url))
    import django  # noqa: PLC0415

    django.setup()


def _worker(url: str, processes: int, log: Path) -> subprocess.Popen:
    """A Celery worker of the recompute queue group, as the Procfile runs it (its output in
    ``log``)."""
    output = log.open("ab")
    process = subprocess.Popen(  # noqa: S603
        [
            str(Path(sys.executable).with_name("celery")),
            "-A",
            "config",
            "worker",
            "-Q",
            "recompute",
            "-c",
            str(processes),
            "-n",
            f"bench-recompute-{processes}@%h",
            "-l",
            "warning",
            "--without-gossip",
            "--without-mingle",
        ],
        env=_environment(url),
        cwd=BASE_DIR,
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    output.close()  # the child holds its own
    time.sleep(4)  # its processes up before the clock starts
    return process


def _stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _locust(base: str, args: argparse.Namespace, config: dict, prefix: str) -> subprocess.Popen:
    output = open(f"{prefix}.log", "wb")  # noqa: SIM115 (handed to the child, closed below)
    process = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(BASE_DIR / "bench" / "locustfile.py"),
            "--headless",
            "--users",
            str(args.users),
            "--spawn-rate",
            str(args.users),
            "--run-time",
            f"{args.duration}s",
            "--host",
            base,
            "--csv",
            prefix,
            "--only-summary",
            "--stop-timeout",
            "5",
            "--loglevel",
            "ERROR",
        ],
        env={**os.environ, **config},
        cwd=BASE_DIR,
        # Its own summary goes to a file; the figures are read from its CSV.
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    output.close()  # the child holds its own
    return process


def _stats(prefix: str) -> dict[str, dict]:
    """Locust's summary: per request name (and ``Aggregated``), count, errors, rps, p50..p99."""
    figures = {}
    with open(f"{prefix}_stats.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            figures[row["Name"]] = {
                "requests": int(row["Request Count"]),
                "errors": int(row["Failure Count"]),
                "rps": round(float(row["Requests/s"]), 1),
                "p50_ms": float(row["50%"]),
                "p95_ms": float(row["95%"]),
                "p99_ms": float(row["99%"]),
            }
    return figures


def _wait_run(run_id: int, timeout: float = 900) -> float:
    from programs.choices import RecomputeStatus  # noqa: PLC0415
    from programs.models import RecomputeRun  # noqa: PLC0415

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = RecomputeRun.objects.get(pk=run_id)
        if run.status in (RecomputeStatus.FINISHED, RecomputeStatus.PARTIAL):
            return (run.finished_at - run.started_at).total_seconds()
        time.sleep(0.5)
    raise SystemExit(f"recompute run {run_id} did not finish in {timeout:.0f} s")


def _phase(label: str, base: str, args, config: dict, folder: str, recompute: bool) -> dict:
    from programs.models import RecomputeRun  # noqa: PLC0415
    from programs.tasks import eligibility_recompute_all  # noqa: PLC0415

    prefix = os.path.join(folder, label.replace(" ", "_"))
    if recompute:
        every_row_changed()
    runs_before = set(RecomputeRun.objects.values_list("pk", flat=True))
    load = _locust(base, args, config, prefix)
    recompute_s = None
    if recompute:
        time.sleep(3)  # the users at work first
        eligibility_recompute_all.delay(as_of=AS_OF.isoformat())
        for _ in range(100):
            run_ids = set(RecomputeRun.objects.values_list("pk", flat=True)) - runs_before
            if run_ids:
                break
            time.sleep(0.2)
        else:
            raise SystemExit("the recompute did not start: is the worker consuming?")
        recompute_s = _wait_run(run_ids.pop())
    load.wait(timeout=args.duration + 120)
    figures = _stats(prefix)
    total = figures["Aggregated"]
    say(
        f"{label:34} {total['rps']:7.1f} req/s  p50 {total['p50_ms']:6.0f}  p95 "
        f"{total['p95_ms']:6.0f}  p99 {total['p99_ms']:6.0f} ms  errors {total['errors']}"
        + (f"  recompute {recompute_s:.1f} s" if recompute_s is not None else "")
    )
    for name, row in figures.items():
        if name != "Aggregated":
            say(
                f"    {name:30} {row['rps']:7.1f} req/s  p50 {row['p50_ms']:6.0f}  p95 "
                f"{row['p95_ms']:6.0f}  p99 {row['p99_ms']:6.0f} ms  errors {row['errors']}"
            )
    return {"requests": figures, "recompute_s": recompute_s}


def load(args: argparse.Namespace) -> dict:
    from bench.api import _free_port, _start_gunicorn  # noqa: PLC0415

    prepare_database(args.database_url, args.merchants, AS_OF, args.reuse)
    _setup(args.database_url)
    from django.contrib.auth import get_user_model  # noqa: PLC0415
    from django.contrib.sessions.models import Session  # noqa: PLC0415
    from django.db import connection  # noqa: PLC0415
    from django.test import Client  # noqa: PLC0415

    from belts.models import IndustrialBelt, OperationCenter  # noqa: PLC0415
    from core.months import add_months, month_start  # noqa: PLC0415
    from merchants.api_keys import api_key_create, api_key_revoke  # noqa: PLC0415
    from merchants.models import Merchant, MonthlyMetric, Notification  # noqa: PLC0415
    from programs.models import Eligibility, RecomputeRun  # noqa: PLC0415
    from programs.services.eligibility import eligibility_recompute  # noqa: PLC0415

    if not Eligibility.objects.exists():
        started = time.perf_counter()
        eligibility_recompute(as_of=AS_OF)
        say(f"eligibility computed in {time.perf_counter() - started:.1f} s (setup)")
    month = add_months(month_start(AS_OF), 1)
    if MonthlyMetric.objects.filter(month=month).exists():
        raise SystemExit(f"the bench database already holds {month}: rerun without --reuse")
    ids = Merchant.objects.order_by("id").values_list("id", flat=True)
    low, high, count = ids.first(), ids.last(), ids.count()
    if high - low + 1 != count:
        raise SystemExit("the bench needs merchants with consecutive ids (a fresh seed)")

    # As found, afterwards: a copy of the eligibility table, what exists now of the rest.
    metrics_before = metrics_checksum()
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_load_eligibility")
        cursor.execute("CREATE TABLE bench_load_eligibility AS TABLE programs_eligibility")
    notification_max = Notification.objects.order_by("-id").values_list("id", flat=True).first()
    runs_before = set(RecomputeRun.objects.values_list("pk", flat=True))
    sessions_before = set(Session.objects.values_list("session_key", flat=True))
    center = OperationCenter.objects.order_by("id").first()
    belts_before = set(center.belts.values_list("id", flat=True))
    center.belts.add(*IndustrialBelt.objects.all())
    api_key, raw_key = api_key_create(actor=None, center=center, name="bench load")
    portal = Client(HTTP_HOST="localhost")
    portal.force_login(get_user_model().objects.get(username="merchant"))
    config = {
        "BENCH_LOAD_API_KEY": raw_key,
        "BENCH_LOAD_SESSION": portal.cookies["sessionid"].value,
        "BENCH_LOAD_MONTH": month.isoformat(),
        "BENCH_LOAD_MERCHANT_LOW": str(low),
        "BENCH_LOAD_MERCHANT_HIGH": str(high),
        "BENCH_LOAD_BATCH": str(args.batch),
        "BENCH_LOAD_WAIT": str(args.wait),
    }
    redis.Redis.from_url(BROKER_URL).flushdb()
    say(
        f"{count:,} merchants; {args.users} users (think time up to {args.wait} s) for "
        f"{args.duration} s a phase, gunicorn "
        f"{args.web_workers} workers, bulk {args.batch} rows of {month:%Y-%m}"
    )
    port = _free_port()
    server = _start_gunicorn(args.database_url, port, args.web_workers)
    base = f"http://127.0.0.1:{port}"
    phases: dict[str, dict] = {}
    worker = None
    try:
        with tempfile.TemporaryDirectory() as folder:
            log = Path(folder) / "worker.log"
            worker = _worker(args.database_url, 1, log)
            phases["load alone"] = _phase("load alone", base, args, config, folder, False)
            phases["recompute 1 process"] = _phase(
                "load + recompute, 1 process", base, args, config, folder, True
            )
            _stop(worker)
            worker = _worker(args.database_url, 2, log)
            phases["recompute 2 processes"] = _phase(
                "load + recompute, 2 processes", base, args, config, folder, True
            )
    finally:
        if worker is not None:
            _stop(worker)
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        redis.Redis.from_url(BROKER_URL).flushdb()
        MonthlyMetric.objects.filter(month=month).delete()
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE programs_eligibility")
            cursor.execute("INSERT INTO programs_eligibility SELECT * FROM bench_load_eligibility")
            cursor.execute("DROP TABLE bench_load_eligibility")
        Notification.objects.filter(id__gt=notification_max or 0).delete()
        RecomputeRun.objects.exclude(pk__in=runs_before).delete()
        Session.objects.exclude(session_key__in=sessions_before).delete()
        api_key_revoke(api_key=api_key, actor=None)
        api_key.user.delete()
        center.belts.set(belts_before)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE programs_eligibility")
    metrics_as_found = metrics_checksum() == metrics_before
    say(f"metrics left as found: {metrics_as_found}")
    one = phases["recompute 1 process"]["recompute_s"]
    two = phases["recompute 2 processes"]["recompute_s"]
    say(f"recompute under load: 1 process {one:.1f} s, 2 processes {two:.1f} s ({one / two:.2f}x)")
    result: dict = {
        "merchants": count,
        "users": args.users,
        "duration_s": args.duration,
        "web_workers": args.web_workers,
        "batch": args.batch,
        "wait_s": args.wait,
        "metrics_as_found": metrics_as_found,
        "recompute_1_process_s": round(one, 2),
        "recompute_2_processes_s": round(two, 2),
        "recompute_scale_out": round(one / two, 2),
    }
    for phase, figures in phases.items():
        total = figures["requests"]["Aggregated"]
        key = phase.replace(" ", "_")
        for name in ("rps", "p50_ms", "p95_ms", "p99_ms", "errors"):
            result[f"{key}_{name}"] = total[name]
    return result
