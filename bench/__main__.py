"""Benchmarks: ``python -m bench eligibility --merchants N``, ``python -m bench api``,
``python -m bench logistics --shipments N``, ``python -m bench atlas --merchants N``,
``python -m bench web`` and ``python -m bench load`` (docs/performance.md, docs/scaling.md).

Prints figures as it goes and, as its last line, one JSON object. Runs against PostgreSQL: the
database named by ``BENCH_DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/
beltops_bench``) is dropped, created, migrated and seeded with the demo builder, so the figures are
for the same data every run. Memory is the benchmark process's own peak: seeding runs in a child
process so it does not count.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from decimal import Decimal
from multiprocessing import get_context
from pathlib import Path
from urllib.parse import urlparse

import django
import psycopg
from django.conf import settings
from django.db import connection, transaction

from bench import worker

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/beltops_bench"


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def say(message: str) -> None:
    print(message, flush=True)


def prepare_database(url: str, merchants: int, as_of: datetime.date, reuse: bool) -> None:
    """A fresh database holding ``merchants`` demo merchants and their monthly metrics."""
    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if not name.startswith("beltops_bench"):
        raise SystemExit(
            f"refusing to drop {name!r}: the bench database name must start with 'beltops_bench'"
        )
    admin_url = parsed._replace(path="/postgres").geturl()
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.local"}
    env.pop("CELERY_BROKER_URL", None)
    manage = [sys.executable, str(BASE_DIR / "manage.py")]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and reuse:
            # The schema of this checkout (its migrations), the data kept.
            subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=BASE_DIR)  # noqa: S603
            with psycopg.connect(url, autocommit=True) as bench:
                bench.execute("TRUNCATE programs_eligibility, merchants_notification")
            say(f"reusing database {name} (eligibility and notifications emptied)")
            return
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    started = time.perf_counter()
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=BASE_DIR)  # noqa: S603
    subprocess.run(  # noqa: S603
        [
            *manage,
            "seed_demo",
            "--no-derive",
            "--merchants",
            str(merchants),
            "--as-of",
            as_of.strftime("%Y-%m"),
        ],
        env=env,
        check=True,
        cwd=BASE_DIR,
        stdout=subprocess.DEVNULL,
    )
    subprocess.run(  # noqa: S603
        [
            *manage,
            "shell",
            "-c",
            "from merchants.services.metrics import belt_year_stats_recompute as r; "
            f"print(r(year={as_of.year - 1}))",
        ],
        env=env,
        check=True,
        cwd=BASE_DIR,
        stdout=subprocess.DEVNULL,
    )
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    say(f"seeded {merchants:,} merchants in {time.perf_counter() - started:.1f} s")


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    os.environ.pop("CELERY_BROKER_URL", None)

    django.setup()
    from config.celery import app  # noqa: PLC0415 (after django.setup())

    # Deliveries queued on commit go to an in-memory broker: the bench times the recompute.
    settings.DEBUG = False
    app.conf.task_always_eager = False
    app.conf.broker_url = "memory://"


def time_parallel_full(url: str, as_of: datetime.date, chunk: int, workers: int) -> float:
    """The first full recompute again, its chunks shared by ``workers`` processes, as Celery
    workers share the chunk tasks of ``eligibility_recompute_all`` (without the broker)."""
    from merchants.facts import merchant_id_ranges  # noqa: PLC0415 (after django.setup())

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE programs_eligibility, merchants_notification")
    ranges = merchant_id_ranges(chunk_size=chunk)
    with ProcessPoolExecutor(
        workers, mp_context=get_context("spawn"), initializer=worker.setup, initargs=(url,)
    ) as pool:
        list(pool.map(worker.ready, range(workers)))  # start them before the clock
        started = time.perf_counter()
        results = list(pool.map(worker.chunk, ranges, [as_of.isoformat()] * len(ranges)))
        elapsed = time.perf_counter() - started
    written = sum(result["written"] for result in results)
    worker_rss = max(result["rss_mb"] for result in results)
    say(f"first full, {workers} workers: {elapsed:8.2f} s  written={written}")
    return elapsed, worker_rss


def _runs(values: list[float]) -> str:
    return ", ".join(f"{value:.2f}" for value in values)


def floor_facts(as_of: datetime.date, jit: bool = True) -> float:
    """The real facts in one statement: every merchant's aggregate over its metrics, every
    column the evaluation reads (the queryset the Python path evaluates), each row hashed in
    the database so all of it is computed and nothing is shipped to Python. With or without
    JIT compilation (the recompute runs without; the floor is the faster of the two)."""
    from merchants.facts import FactsWindow, merchant_facts_queryset  # noqa: PLC0415

    sql, params = merchant_facts_queryset(FactsWindow.for_date(as_of)).query.sql_with_params()
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL jit TO {'on' if jit else 'off'}")
        # The ORM's own SQL for the queryset, with its parameters passed apart.
        query = f"SELECT count(*), sum(hashtext(f::text)) FROM ({sql}) f"  # noqa: S608
        cursor.execute(query, params)
        cursor.fetchone()
    return time.perf_counter() - started


def floor_write(rows: int) -> float:
    """``CREATE TABLE AS`` of ``rows`` rows shaped like eligibility rows (the same columns and
    types, ``actuals`` of a typical size), in a transaction rolled back: the least a first fill
    of that many rows costs in this database."""
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """CREATE TABLE bench_floor_write AS
               SELECT n AS id, (n %% 2 = 0) AS is_eligible, now() AS computed_at,
                      n / 5 AS merchant_id, n %% 5 AS program_id, n %% 5 AS rule_set_id,
                      now() AS changed_at, hashtextextended(n::text, 0) AS digest,
                      0 AS status_changes,
                      jsonb_build_array(n * 1.5, 12, 0.02, 'source_factory') AS actuals
               FROM generate_series(1, %s) AS n""",
            [rows],
        )
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return elapsed


def table_mb() -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_total_relation_size('programs_eligibility')")
        return cursor.fetchone()[0] / 1024 / 1024


def metrics_checksum() -> str:
    """Every monthly metric's figures (all but the ``updated_at`` bookkeeping, which putting a
    month back moves): the bench must leave them as it found them."""
    from merchants.models import MonthlyMetric  # noqa: PLC0415 (after django.setup())

    columns = ", ".join(
        f"t.{field.column}"
        for field in MonthlyMetric._meta.concrete_fields
        if field.attname != "updated_at"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT md5(string_agg(md5(ROW({columns})::text), '' ORDER BY t.id))"  # noqa: S608
            " FROM merchants_monthlymetric t"
        )
        return cursor.fetchone()[0]


def time_incremental(as_of: datetime.date, repeats: int = 15) -> float:
    """Median milliseconds to recompute one merchant after one of its months changed. The month
    is put back whole (every figure, through the same upsert) and the merchant recomputed again,
    so the data set is the same for the next step and the next run."""
    from merchants.facts import FactsWindow, merchant_id_ranges  # noqa: PLC0415 (after django.setup())
    from merchants.models import MonthlyMetric  # noqa: PLC0415 (after django.setup())
    from merchants.services.metrics import monthly_metrics_upsert  # noqa: PLC0415 (after django.setup())
    from programs.services.eligibility import eligibility_recompute  # noqa: PLC0415 (after django.setup())

    window = FactsWindow.for_date(as_of)
    figures = [
        field.attname
        for field in MonthlyMetric._meta.concrete_fields
        if field.attname not in {"id", "merchant_id", "month", "created_at", "updated_at"}
    ]
    lows = [low for low, _high in merchant_id_ranges(chunk_size=1000)]
    ids = lows[:: max(len(lows) // repeats, 1)][:repeats]
    timings = []
    for merchant_id in ids:
        metric = MonthlyMetric.objects.filter(merchant_id=merchant_id, month__gte=window.start)
        metric = metric.order_by("-month").first()
        if metric is None:
            continue
        original = {
            "merchant_id": merchant_id,
            "month": metric.month,
            **{name: getattr(metric, name) for name in figures},
        }
        monthly_metrics_upsert(rows=[{**original, "gmv": metric.gmv * 3 + Decimal("1000000")}])
        started = time.perf_counter()
        eligibility_recompute(merchant_ids=[merchant_id], as_of=as_of)
        timings.append((time.perf_counter() - started) * 1000)
        monthly_metrics_upsert(rows=[original])
        eligibility_recompute(merchant_ids=[merchant_id], as_of=as_of)
    return statistics.median(timings)


def timed_recompute(label: str, as_of: datetime.date, chunk: int, engine: str | None = None):
    from programs.services.eligibility import eligibility_recompute  # noqa: PLC0415

    started = time.perf_counter()
    stats = eligibility_recompute(as_of=as_of, chunk_size=chunk, engine=engine)  # type: ignore[arg-type]
    elapsed = time.perf_counter() - started
    say(f"{label:28} {elapsed:8.2f} s  written={stats.written:,}")
    return elapsed, stats


def empty_eligibility() -> None:
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE programs_eligibility, merchants_notification")
        cursor.execute("VACUUM ANALYZE programs_eligibility")


def every_row_changed() -> None:
    """Make every stored row differ from what the recompute computes (its digest), so the next
    run rewrites all of them: the path where existing rows change."""
    with connection.cursor() as cursor:
        cursor.execute("UPDATE programs_eligibility SET digest = digest # 1")
        cursor.execute("VACUUM programs_eligibility")


TARGETS = {
    "full_vs_floors": 3.0,
    "full_changed_vs_floors": 4.0,
    "rerun_vs_floor_facts": 1.5,
    "incremental_ms": 20.0,
}


def eligibility(args: argparse.Namespace) -> dict:
    """Measured side by side in one run, on the same data (docs/performance.md)."""
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    as_of = datetime.date.fromisoformat(args.as_of)
    prepare_database(url, args.merchants, as_of, args.reuse)
    setup_django(url)

    from merchants.models import Merchant  # noqa: PLC0415 (after django.setup())
    from programs.models import Eligibility  # noqa: PLC0415 (after django.setup())
    from programs.services.eligibility import published_rule_sets_compile  # noqa: PLC0415

    merchants = Merchant.objects.count()
    programs = len(published_rule_sets_compile(None).rule_sets)
    rows = merchants * programs
    say(f"{merchants:,} merchants, {programs} programs ({rows:,} rows), as of {as_of}")
    metrics_before = metrics_checksum()
    rss_start = rss_mb()

    # The floors are measured again between the paths and at the end, and each is the fastest
    # of all its runs: on a shared machine whose speed drifts through a run, a floor measured
    # once, at a slow moment, would flatter every ratio.
    facts_runs: list[float] = []
    write_runs: list[float] = []

    def measure_floors(when: str) -> None:
        facts = [floor_facts(as_of, jit) for jit in (True, False)]
        write = floor_write(rows)
        facts_runs.extend(facts)
        write_runs.append(write)
        say(f"{'floor: facts, one statement':28} {min(facts):8.2f} s  ({when})")
        say(f"{'floor: CTAS of the rows':28} {write:8.2f} s  ({when})")

    measure_floors("first")
    measure_floors("again")

    empty_eligibility()
    python_path_s = None
    if not args.skip_python:
        python_path_s, _stats = timed_recompute(
            "python path, first fill", as_of, args.chunk, "python"
        )
    # Each timed path runs more than once and counts its fastest run, as the floors do: on a
    # shared machine the fastest run is the one least disturbed, on both sides of a ratio.
    fills = []
    for number in range(args.repeats):
        empty_eligibility()
        elapsed, stats = timed_recompute(f"first fill (sql) ({number + 1})", as_of, args.chunk)
        fills.append(elapsed)
    full_s = min(fills)
    rss_full = rss_mb()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM programs_eligibility")
    measure_floors("before the reruns")
    reruns = []
    for number in range(args.repeats + 1):
        elapsed, rerun = timed_recompute(
            f"rerun, nothing changed ({number + 1})", as_of, args.chunk
        )
        reruns.append(elapsed)
    rerun_s = min(reruns)
    sizes = [table_mb()]
    measure_floors("before the changed runs")
    changed = []
    for number in range(args.changed_runs):
        every_row_changed()
        elapsed, _stats = timed_recompute(f"every row changed ({number + 1})", as_of, args.chunk)
        changed.append(elapsed)
        sizes.append(table_mb())
    full_changed_s = min(changed)
    say(f"eligibility table: {', '.join(f'{size:.0f}' for size in sizes)} MB")
    incremental_ms = time_incremental(as_of)
    say(f"{'one merchant changed':28} {incremental_ms:8.2f} ms (median)")

    parallel_s, worker_rss = time_parallel_full(url, as_of, args.chunk, args.workers)
    measure_floors("last")
    floor_facts_s = min(facts_runs)
    floor_write_s = min(write_runs)
    floors_s = floor_facts_s + floor_write_s
    say(f"{'floor: facts, fastest':28} {floor_facts_s:8.2f} s  (runs: {_runs(facts_runs)})")
    say(f"{'floor: CTAS, fastest':28} {floor_write_s:8.2f} s  (runs: {_runs(write_runs)})")
    metrics_after = metrics_checksum()
    result = {
        "merchants": merchants,
        "programs": programs,
        "eligibility_rows": Eligibility.objects.count(),
        "chunk_size": args.chunk,
        "floor_facts_s": round(floor_facts_s, 3),
        "floor_write_s": round(floor_write_s, 3),
        "floor_facts_runs_s": [round(value, 2) for value in facts_runs],
        "floor_write_runs_s": [round(value, 2) for value in write_runs],
        "python_path_s": None if python_path_s is None else round(python_path_s, 3),
        "full_s": round(full_s, 3),
        "full_changed_s": round(full_changed_s, 3),
        "rerun_s": round(rerun_s, 3),
        "full_runs_s": [round(value, 2) for value in fills],
        "changed_runs_s": [round(value, 2) for value in changed],
        "rerun_runs_s": [round(value, 2) for value in reruns],
        "rerun_written": rerun.written,
        "incremental_ms": round(incremental_ms, 2),
        "full_vs_floors": round(full_s / floors_s, 2),
        "full_changed_vs_floors": round(full_changed_s / floors_s, 2),
        "rerun_vs_floor_facts": round(rerun_s / floor_facts_s, 2),
        "python_path_vs_full": None if python_path_s is None else round(python_path_s / full_s, 2),
        "table_mb": [round(size, 1) for size in sizes],
        "workers": args.workers,
        "full_parallel_s": round(parallel_s, 3),
        "full_parallel_vs_floors": round(parallel_s / floors_s, 2),
        "worker_peak_rss_mb": worker_rss,
        "rss_before_mb": round(rss_start, 1),
        "rss_after_full_mb": round(rss_full, 1),
        "peak_rss_mb": round(rss_mb(), 1),
        "metrics_as_found": metrics_before == metrics_after,
        "first_fill_written": stats.written,
    }
    for name, limit in TARGETS.items():
        verdict = "meets" if result[name] <= limit else "MISSES"
        say(f"target {name} <= {limit}: {result[name]} ({verdict})")
    say(f"metrics left as found: {result['metrics_as_found']}")
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    sub = parser.add_subparsers(dest="bench", required=True)
    elig = sub.add_parser("eligibility", help="the eligibility recompute on PostgreSQL")
    elig.add_argument("--merchants", type=int, default=100_000)
    elig.add_argument("--chunk", type=int, default=5000)
    elig.add_argument("--as-of", default="2026-11-15", help="the date facts are computed as of")
    elig.add_argument(
        "--changed-runs", type=int, default=10, help="runs where every row changes (size check)"
    )
    elig.add_argument("--reuse", action="store_true", help="keep an existing bench database")
    elig.add_argument(
        "--skip-python",
        action="store_true",
        help="leave out the Python path (the baseline; at 1,000,000 merchants it takes minutes)",
    )
    elig.add_argument(
        "--repeats", type=int, default=2, help="runs of the first fill (the rerun: one more)"
    )
    elig.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 2,
        help="processes sharing the chunks in the parallel run (default: the cores)",
    )
    api_bench = sub.add_parser("api", help="the integrations API under gunicorn, over HTTP")
    api_bench.add_argument("--merchants", type=int, default=100_000)
    api_bench.add_argument("--as-of", default="2026-11-15", help="the seed's as-of date")
    api_bench.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    api_bench.add_argument("--requests", type=int, default=200, help="timed GETs per page")
    api_bench.add_argument("--deep-pages", type=int, default=200, help="pages in for 'deep'")
    api_bench.add_argument("--reuse", action="store_true", help="keep an existing bench database")
    from bench.atlas import add_parser as add_atlas_parser  # noqa: PLC0415 (imports this module)
    from bench.atlas import atlas  # noqa: PLC0415
    from bench.load import add_parser as add_load_parser  # noqa: PLC0415 (imports this module)
    from bench.load import load  # noqa: PLC0415
    from bench.logistics import add_parser, logistics  # noqa: PLC0415 (it imports this module)
    from bench.web import add_parser as add_web_parser  # noqa: PLC0415
    from bench.web import web  # noqa: PLC0415

    add_parser(sub)
    add_atlas_parser(sub)
    add_web_parser(sub)
    add_load_parser(sub)
    args = parser.parse_args(argv)
    if args.bench == "load":
        result = load(args)
    elif args.bench == "logistics":
        result = logistics(args)
    elif args.bench == "atlas":
        result = atlas(args)
    elif args.bench == "web":
        result = web(args)
    elif args.bench == "api":
        from bench.api import api  # noqa: PLC0415 (bench.api imports this module)

        result = api(args)
    else:
        result = eligibility(args)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
